// Package directorytest is the conformance suite every directory.Store must
// pass, so the in-memory and bbolt stores (and the Router wrapping either)
// behave identically.
package directorytest

import (
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
)

// Option configures TestStore.
type Option func(*config)

type config struct {
	reopen func(t *testing.T, s directory.Store) directory.Store
}

// WithReopen enables the persistence tests: reopen must close s and return a
// store opened on the same underlying data.
func WithReopen(reopen func(t *testing.T, s directory.Store) directory.Store) Option {
	return func(c *config) { c.reopen = reopen }
}

// Addr returns a deterministic non-zero test address.
func Addr(n uint64) common.Address {
	var a common.Address
	a[0] = 0xAA
	for i := 0; i < 8; i++ {
		a[19-i] = byte(n >> (8 * i))
	}
	return a
}

// ID returns a deterministic channel id whose byte order follows n.
func ID(n uint64) directory.ChannelID {
	var id directory.ChannelID
	for i := 0; i < 8; i++ {
		id[31-i] = byte(n >> (8 * i))
	}
	return id
}

// Chan returns a valid open channel n on chainID between Addr(2n+1) and
// Addr(2n+2) with every field set to a distinct value.
func Chan(chainID, n uint64) directory.Channel {
	return directory.Channel{
		ChainID:        chainID,
		Contract:       common.HexToAddress("0xC0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0C0"),
		ID:             ID(n),
		A:              Addr(2*n + 1),
		B:              Addr(2*n + 2),
		Asset:          common.HexToAddress("0x7070707070707070707070707070707070707070"),
		BalanceA:       big.NewInt(int64(1000 + n)),
		BalanceB:       big.NewInt(int64(2000 + n)),
		Version:        7 + n,
		Status:         directory.StatusOpen,
		Coordinator:    common.HexToAddress("0xC00DC00DC00DC00DC00DC00DC00DC00DC00DC00D"),
		OpenedAtBlock:  100 + n,
		UpdatedAtBlock: 200 + n,
	}
}

// snapshot is everything observable in a store, for "nothing changed" checks.
type snapshot struct {
	chains   []uint64
	channels map[uint64][]directory.Channel
	cursors  map[uint64]string
}

func snap(t *testing.T, s directory.Store) snapshot {
	t.Helper()
	chains, err := s.Chains()
	must(t, err)
	sn := snapshot{chains: chains, channels: map[uint64][]directory.Channel{}, cursors: map[uint64]string{}}
	for _, c := range chains {
		l, err := s.List(c)
		must(t, err)
		sn.channels[c] = l
		cur, err := s.Cursor(c)
		switch {
		case errors.Is(err, directory.ErrNotFound):
			sn.cursors[c] = "none"
		case err != nil:
			t.Fatal(err)
		default:
			sn.cursors[c] = fmt.Sprintf("%+v", cur)
		}
	}
	return sn
}

func sameSnap(t *testing.T, want, got snapshot) {
	t.Helper()
	if !slices.Equal(want.chains, got.chains) {
		t.Fatalf("chains: want %v, got %v", want.chains, got.chains)
	}
	for c, wl := range want.channels {
		gl := got.channels[c]
		if len(wl) != len(gl) {
			t.Fatalf("chain %d: want %d channels, got %d", c, len(wl), len(gl))
		}
		for i := range wl {
			if !wl[i].Equal(gl[i]) {
				t.Fatalf("chain %d channel %d: want %+v, got %+v", c, i, wl[i], gl[i])
			}
		}
		if want.cursors[c] != got.cursors[c] {
			t.Fatalf("chain %d cursor: want %s, got %s", c, want.cursors[c], got.cursors[c])
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("want error %v, got %v", target, err)
	}
}

func get(t *testing.T, s directory.Store, chainID uint64, id directory.ChannelID) directory.Channel {
	t.Helper()
	ch, err := s.Get(chainID, id)
	must(t, err)
	return ch
}

func sameChan(t *testing.T, want, got directory.Channel) {
	t.Helper()
	if !want.Equal(got) {
		t.Fatalf("channel mismatch:\nwant %+v\ngot  %+v", want, got)
	}
}

// TestStore runs the conformance suite; newStore returns a fresh, empty store
// (the suite closes it).
func TestStore(t *testing.T, newStore func(t *testing.T) directory.Store, opts ...Option) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	open := func(t *testing.T) directory.Store {
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}

	t.Run("PutGetRoundTrip", func(t *testing.T) {
		s := open(t)
		ch := Chan(1, 1)
		ch.BalanceA = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
		ch.BalanceB = new(big.Int)
		ch.Status = directory.StatusClosing
		must(t, s.Put(ch))
		got := get(t, s, 1, ch.ID)
		sameChan(t, ch, got)

		// Neither the caller's value nor a returned value aliases the store.
		ch.BalanceB.SetInt64(99)
		got.BalanceA.SetInt64(1)
		again := get(t, s, 1, ch.ID)
		if again.BalanceB.Sign() != 0 || again.BalanceA.BitLen() != 256 {
			t.Fatalf("store shares big.Int with callers: %+v", again)
		}
	})

	t.Run("GetMissing", func(t *testing.T) {
		s := open(t)
		must(t, s.Put(Chan(1, 1)))
		_, err := s.Get(1, ID(2))
		wantErr(t, err, directory.ErrNotFound)
		_, err = s.Get(2, ID(1)) // same id, other chain
		wantErr(t, err, directory.ErrNotFound)
	})

	t.Run("PutReplaces", func(t *testing.T) {
		s := open(t)
		must(t, s.Put(Chan(1, 1)))
		ch := Chan(1, 1)
		ch.BalanceA = big.NewInt(5)
		ch.Version++
		must(t, s.Put(ch))
		sameChan(t, ch, get(t, s, 1, ch.ID))
		l, err := s.List(1)
		must(t, err)
		if len(l) != 1 {
			t.Fatalf("want 1 channel after replace, got %d", len(l))
		}
	})

	t.Run("PutInvalid", func(t *testing.T) {
		s := open(t)
		bad := map[string]func(*directory.Channel){
			"nil balance A":  func(c *directory.Channel) { c.BalanceA = nil },
			"nil balance B":  func(c *directory.Channel) { c.BalanceB = nil },
			"negative":       func(c *directory.Channel) { c.BalanceB = big.NewInt(-1) },
			"above uint256":  func(c *directory.Channel) { c.BalanceA = new(big.Int).Lsh(big.NewInt(1), 256) },
			"zero status":    func(c *directory.Channel) { c.Status = 0 },
			"unknown status": func(c *directory.Channel) { c.Status = 9 },
			"A == B":         func(c *directory.Channel) { c.B = c.A },
			"zero A":         func(c *directory.Channel) { c.A = common.Address{} },
		}
		for name, mutate := range bad {
			ch := Chan(1, 1)
			mutate(&ch)
			if err := s.Put(ch); !errors.Is(err, directory.ErrInvalidChannel) {
				t.Errorf("%s: want ErrInvalidChannel, got %v", name, err)
			}
		}
		chains, err := s.Chains()
		must(t, err)
		if len(chains) != 0 {
			t.Fatalf("invalid puts left chains %v", chains)
		}
	})

	t.Run("Update", func(t *testing.T) {
		s := open(t)
		ch := Chan(1, 1)
		must(t, s.Put(ch))
		must(t, s.Update(1, ch.ID, func(c *directory.Channel) error {
			c.BalanceA.SetInt64(1)
			c.Status = directory.StatusClosed
			c.UpdatedAtBlock = 999
			return nil
		}))
		want := ch.Clone()
		want.BalanceA.SetInt64(1)
		want.Status = directory.StatusClosed
		want.UpdatedAtBlock = 999
		sameChan(t, want, get(t, s, 1, ch.ID))

		wantErr(t, s.Update(1, ID(42), func(*directory.Channel) error { return nil }), directory.ErrNotFound)
		boom := errors.New("boom")
		wantErr(t, s.Update(1, ch.ID, func(c *directory.Channel) error { c.Version = 1; return boom }), boom)
		wantErr(t, s.Update(1, ch.ID, func(c *directory.Channel) error { c.ID = ID(2); return nil }), directory.ErrInvalidChange)
		wantErr(t, s.Update(1, ch.ID, func(c *directory.Channel) error { c.ChainID = 2; return nil }), directory.ErrInvalidChange)
		wantErr(t, s.Update(1, ch.ID, func(c *directory.Channel) error { c.BalanceB.SetInt64(-3); return nil }), directory.ErrInvalidChannel)
		wantErr(t, s.Update(1, ch.ID, nil), directory.ErrInvalidChange)
		sameChan(t, want, get(t, s, 1, ch.ID))
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		must(t, s.Put(Chan(1, 1)))
		must(t, s.Put(Chan(1, 2)))
		must(t, s.Delete(1, ID(1)))
		_, err := s.Get(1, ID(1))
		wantErr(t, err, directory.ErrNotFound)
		get(t, s, 1, ID(2))
		wantErr(t, s.Delete(1, ID(1)), directory.ErrNotFound)
		wantErr(t, s.Delete(3, ID(2)), directory.ErrNotFound)
	})

	t.Run("ListAndChains", func(t *testing.T) {
		s := open(t)
		for _, n := range []uint64{5, 300, 1, 70000, 2} {
			must(t, s.Put(Chan(7, n)))
		}
		must(t, s.Put(Chan(3, 9)))
		must(t, s.SetCursor(1<<40, directory.Cursor{BlockNumber: 1})) // cursor-only chain
		l, err := s.List(7)
		must(t, err)
		var got []uint64
		for _, ch := range l {
			if ch.ChainID != 7 {
				t.Fatalf("chain 7 list holds %+v", ch)
			}
			got = append(got, uint64(ch.ID[30])<<8|uint64(ch.ID[31])|uint64(ch.ID[29])<<16)
		}
		if !slices.Equal(got, []uint64{1, 2, 5, 300, 70000}) {
			t.Fatalf("list order: got %v", got)
		}
		l, err = s.List(4)
		must(t, err)
		if len(l) != 0 {
			t.Fatalf("unknown chain lists %d channels", len(l))
		}
		chains, err := s.Chains()
		must(t, err)
		if !slices.Equal(chains, []uint64{3, 7, 1 << 40}) {
			t.Fatalf("chains: got %v", chains)
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		s := open(t)
		_, err := s.Cursor(1)
		wantErr(t, err, directory.ErrNotFound)
		c := directory.Cursor{BlockNumber: 10, BlockHash: common.HexToHash("0xabc"), LogIndex: 3}
		must(t, s.SetCursor(1, c))
		got, err := s.Cursor(1)
		must(t, err)
		if got != c {
			t.Fatalf("cursor: want %+v, got %+v", c, got)
		}
		rewind := directory.Cursor{BlockNumber: 4, BlockHash: common.HexToHash("0x4")}
		must(t, s.SetCursor(1, rewind)) // SetCursor may move back (reorg)
		got, err = s.Cursor(1)
		must(t, err)
		if got != rewind {
			t.Fatalf("rewound cursor: want %+v, got %+v", rewind, got)
		}
		_, err = s.Cursor(2)
		wantErr(t, err, directory.ErrNotFound)
	})

	t.Run("Apply", func(t *testing.T) {
		s := open(t)
		c1 := directory.Cursor{BlockNumber: 5, BlockHash: common.HexToHash("0x5"), LogIndex: 2}
		// A block that opens 1 and 2, deposits into 1, and deletes 2 again.
		must(t, s.Apply(1, []directory.Change{
			directory.PutChange(Chan(1, 1)),
			directory.PutChange(Chan(1, 2)),
			directory.UpdateChange(ID(1), func(c *directory.Channel) error {
				c.BalanceB.Add(c.BalanceB, big.NewInt(10))
				return nil
			}),
			directory.DeleteChange(ID(2)),
		}, c1))
		want := Chan(1, 1)
		want.BalanceB.Add(want.BalanceB, big.NewInt(10))
		sameChan(t, want, get(t, s, 1, ID(1)))
		_, err := s.Get(1, ID(2))
		wantErr(t, err, directory.ErrNotFound)
		cur, err := s.Cursor(1)
		must(t, err)
		if cur != c1 {
			t.Fatalf("cursor: want %+v, got %+v", c1, cur)
		}

		// Redelivering the same or an older position is refused, so a block is
		// never applied twice.
		before := snap(t, s)
		dup := []directory.Change{directory.UpdateChange(ID(1), func(c *directory.Channel) error {
			c.BalanceB.Add(c.BalanceB, big.NewInt(10))
			return nil
		})}
		wantErr(t, s.Apply(1, dup, c1), directory.ErrStaleCursor)
		wantErr(t, s.Apply(1, dup, directory.Cursor{BlockNumber: 5, LogIndex: 1}), directory.ErrStaleCursor)
		wantErr(t, s.Apply(1, dup, directory.Cursor{BlockNumber: 4, LogIndex: 9}), directory.ErrStaleCursor)
		sameSnap(t, before, snap(t, s))

		// A later log in the same block, and an empty block, both advance.
		must(t, s.Apply(1, dup, directory.Cursor{BlockNumber: 5, LogIndex: 3}))
		must(t, s.Apply(1, nil, directory.Cursor{BlockNumber: 6}))
		want.BalanceB.Add(want.BalanceB, big.NewInt(10))
		sameChan(t, want, get(t, s, 1, ID(1)))
		cur, err = s.Cursor(1)
		must(t, err)
		if cur != (directory.Cursor{BlockNumber: 6}) {
			t.Fatalf("cursor after empty block: %+v", cur)
		}
		// Cursors are per chain.
		must(t, s.Apply(2, nil, directory.Cursor{BlockNumber: 1}))
	})

	t.Run("FailedApplyChangesNothing", func(t *testing.T) {
		s := open(t)
		must(t, s.Put(Chan(1, 1)))
		must(t, s.Put(Chan(2, 1)))
		must(t, s.SetCursor(1, directory.Cursor{BlockNumber: 3}))
		boom := errors.New("boom")
		good := []directory.Change{
			directory.PutChange(Chan(1, 2)),
			directory.UpdateChange(ID(1), func(c *directory.Channel) error { c.Version = 99; return nil }),
			directory.DeleteChange(ID(1)),
		}
		wrongChain := Chan(2, 3)
		invalid := Chan(1, 4)
		invalid.Status = 0
		failures := map[string]struct {
			last   directory.Change
			target error
		}{
			"update missing": {directory.UpdateChange(ID(77), func(*directory.Channel) error { return nil }), directory.ErrNotFound},
			"delete missing": {directory.DeleteChange(ID(77)), directory.ErrNotFound},
			"fn error":       {directory.UpdateChange(ID(2), func(*directory.Channel) error { return boom }), boom},
			"wrong chain":    {directory.PutChange(wrongChain), directory.ErrInvalidChannel},
			"invalid put":    {directory.PutChange(invalid), directory.ErrInvalidChannel},
			"unknown op":     {directory.Change{Op: 200}, directory.ErrInvalidChange},
		}
		for _, chain := range []uint64{1, 5} { // with and without an existing cursor
			for name, f := range failures {
				before := snap(t, s)
				changes := append(slices.Clone(good), f.last)
				if chain == 5 {
					changes = []directory.Change{directory.PutChange(Chan(5, 2)), f.last}
				}
				err := s.Apply(chain, changes, directory.Cursor{BlockNumber: 4})
				if !errors.Is(err, f.target) {
					t.Fatalf("chain %d %s: want %v, got %v", chain, name, f.target, err)
				}
				sameSnap(t, before, snap(t, s))
			}
		}
		// The same batch without the poison succeeds.
		must(t, s.Apply(1, good, directory.Cursor{BlockNumber: 4}))
		if l, _ := s.List(1); len(l) != 1 || l[0].ID != ID(2) {
			t.Fatalf("after good apply: %+v", l)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		for w := uint64(0); w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := uint64(0); i < 25; i++ {
					n := w*1000 + i
					if err := s.Put(Chan(1, n)); err != nil {
						t.Error(err)
						return
					}
					if err := s.Update(1, ID(n), func(c *directory.Channel) error { c.Version++; return nil }); err != nil {
						t.Error(err)
						return
					}
					if _, err := s.List(1); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		l, err := s.List(1)
		must(t, err)
		if len(l) != 100 {
			t.Fatalf("want 100 channels, got %d", len(l))
		}
		for _, ch := range l {
			n := uint64(ch.ID[30])<<8 | uint64(ch.ID[31])
			if ch.Version != Chan(1, n).Version+1 {
				t.Fatalf("channel %d version %d", n, ch.Version)
			}
		}
	})

	t.Run("Closed", func(t *testing.T) {
		s := newStore(t)
		must(t, s.Put(Chan(1, 1)))
		must(t, s.Close())
		must(t, s.Close())
		_, err := s.Get(1, ID(1))
		wantErr(t, err, directory.ErrClosed)
		wantErr(t, s.Put(Chan(1, 2)), directory.ErrClosed)
		wantErr(t, s.Apply(1, nil, directory.Cursor{BlockNumber: 1}), directory.ErrClosed)
		_, err = s.Chains()
		wantErr(t, err, directory.ErrClosed)
	})

	if cfg.reopen == nil {
		return
	}
	t.Run("Reopen", func(t *testing.T) {
		s := newStore(t)
		cur := directory.Cursor{BlockNumber: 12, BlockHash: common.HexToHash("0x1212"), LogIndex: 4}
		must(t, s.Apply(1, []directory.Change{directory.PutChange(Chan(1, 1)), directory.PutChange(Chan(1, 2))}, cur))
		must(t, s.Put(Chan(9, 3)))
		must(t, s.Delete(1, ID(2)))
		before := snap(t, s)

		s = cfg.reopen(t, s)
		sameSnap(t, before, snap(t, s))
		sameChan(t, Chan(1, 1), get(t, s, 1, ID(1)))
		got, err := s.Cursor(1)
		must(t, err)
		if got != cur {
			t.Fatalf("cursor after reopen: want %+v, got %+v", cur, got)
		}

		// A failed Apply leaves nothing behind on disk either, and the cursor
		// check still holds across restarts.
		err = s.Apply(1, []directory.Change{directory.PutChange(Chan(1, 5)), directory.DeleteChange(ID(77))},
			directory.Cursor{BlockNumber: 13})
		wantErr(t, err, directory.ErrNotFound)
		s = cfg.reopen(t, s)
		sameSnap(t, before, snap(t, s))
		wantErr(t, s.Apply(1, nil, cur), directory.ErrStaleCursor)
		must(t, s.Apply(1, []directory.Change{directory.PutChange(Chan(1, 5))}, directory.Cursor{BlockNumber: 13}))
		s = cfg.reopen(t, s)
		get(t, s, 1, ID(5))
		must(t, s.Close())
	})
}
