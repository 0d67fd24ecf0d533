package directory_test

import (
	"errors"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/directory/directorytest"
)

// Named test nodes.
var (
	S = directorytest.Addr(1000)
	T = directorytest.Addr(1001)
	X = directorytest.Addr(1002)
	Y = directorytest.Addr(1003)
	Z = directorytest.Addr(1004)

	native = common.Address{}
	token  = common.HexToAddress("0x00000000000000000000000000000000000070cE")
)

const chain1, chain2 = 1, 2

type chOpt func(*directory.Channel)

func status(s directory.Status) chOpt { return func(c *directory.Channel) { c.Status = s } }
func asset(a common.Address) chOpt    { return func(c *directory.Channel) { c.Asset = a } }
func onChain(id uint64) chOpt         { return func(c *directory.Channel) { c.ChainID = id } }
func balances(a, b int64) chOpt {
	return func(c *directory.Channel) { c.BalanceA, c.BalanceB = big.NewInt(a), big.NewInt(b) }
}
func id(n uint64) directory.ChannelID { return directorytest.ID(n) }
func ids(ns ...uint64) []directory.ChannelID {
	out := make([]directory.ChannelID, len(ns))
	for i, n := range ns {
		out[i] = id(n)
	}
	return out
}

// ch is an open native-coin channel on chain1 with 100 on each side.
func ch(n uint64, a, b common.Address, opts ...chOpt) directory.Channel {
	c := directory.Channel{ChainID: chain1, ID: id(n), A: a, B: b,
		BalanceA: big.NewInt(100), BalanceB: big.NewInt(100), Status: directory.StatusOpen}
	for _, o := range opts {
		o(&c)
	}
	return c
}

func newRouter(t testing.TB, chans ...directory.Channel) *directory.Router {
	t.Helper()
	s := directory.NewMemStore()
	for _, c := range chans {
		if err := s.Put(c); err != nil {
			t.Fatal(err)
		}
	}
	r, err := directory.NewRouter(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkRoute verifies that hops form a connected walk from from to to over
// the given channels, each open, in the asset, with payer capacity >= amount.
func checkRoute(t *testing.T, chans []directory.Channel, chainID uint64, a, from, to common.Address, amount int64, hops []directory.Hop) {
	t.Helper()
	byID := map[directory.ChannelID]directory.Channel{}
	for _, c := range chans {
		if c.ChainID == chainID {
			byID[c.ID] = c
		}
	}
	at := from
	for i, h := range hops {
		c, ok := byID[h.Channel]
		if !ok {
			t.Fatalf("hop %d: channel %s not on chain %d", i, h.Channel, chainID)
		}
		if h.Payer != at {
			t.Fatalf("hop %d: payer %s, expected %s", i, h.Payer, at)
		}
		var capacity *big.Int
		switch {
		case c.A == h.Payer && c.B == h.Payee:
			capacity = c.BalanceA
		case c.B == h.Payer && c.A == h.Payee:
			capacity = c.BalanceB
		default:
			t.Fatalf("hop %d: %s->%s does not match channel %s (%s,%s)", i, h.Payer, h.Payee, c.ID, c.A, c.B)
		}
		if c.Status != directory.StatusOpen || c.Asset != a || capacity.Cmp(big.NewInt(amount)) < 0 {
			t.Fatalf("hop %d: channel %+v unusable for %d of %s", i, c, amount, a)
		}
		at = h.Payee
	}
	if at != to {
		t.Fatalf("route ends at %s, want %s", at, to)
	}
}

func hopIDs(hops []directory.Hop) []directory.ChannelID {
	out := make([]directory.ChannelID, len(hops))
	for i, h := range hops {
		out[i] = h.Channel
	}
	return out
}

func TestFindRoute(t *testing.T) {
	tests := []struct {
		name     string
		chans    []directory.Channel
		chain    uint64
		asset    common.Address
		from, to common.Address
		amount   int64
		opts     []directory.RouteOption
		want     []directory.ChannelID // nil: expect ErrNoRoute
	}{
		{name: "direct", chans: []directory.Channel{ch(1, S, T)}, from: S, to: T, amount: 100, want: ids(1)},
		{name: "line", chans: []directory.Channel{ch(10, S, X), ch(11, X, Y), ch(12, Y, T)},
			from: S, to: T, amount: 1, want: ids(10, 11, 12)},
		{name: "line reversed uses B sides", chans: []directory.Channel{ch(10, S, X), ch(11, X, Y), ch(12, Y, T, balances(0, 5))},
			from: T, to: S, amount: 5, want: ids(12, 11, 10)},
		{name: "direction matters", chans: []directory.Channel{ch(1, S, T, balances(500, 0))},
			from: T, to: S, amount: 1, want: nil},
		{name: "capacity equal to amount suffices", chans: []directory.Channel{ch(1, S, T, balances(7, 0))},
			from: S, to: T, amount: 7, want: ids(1)},
		{name: "diamond tie: smallest ID sequence, not smallest sum",
			chans: []directory.Channel{ch(5, S, X), ch(1, X, T), ch(3, S, Y), ch(9, Y, T)},
			from:  S, to: T, amount: 10, want: ids(3, 9)},
		{name: "diamond tie decided at second hop",
			chans: []directory.Channel{ch(2, S, X), ch(8, X, T), ch(6, X, T), ch(7, X, Y), ch(4, Y, T)},
			from:  S, to: T, amount: 10, want: ids(2, 6)},
		{name: "parallel channels: smallest ID",
			chans: []directory.Channel{ch(7, S, T), ch(4, T, S), ch(9, S, T)},
			from:  S, to: T, amount: 10, want: ids(4)},
		{name: "shortest wins over smaller IDs",
			chans: []directory.Channel{ch(1, S, X), ch(2, X, Y), ch(3, Y, T), ch(99, S, Z), ch(98, Z, T)},
			from:  S, to: T, amount: 10, want: ids(99, 98)},
		{name: "capacity too small on shortest: longer path",
			chans: []directory.Channel{ch(1, S, T, balances(50, 500)), ch(2, S, X), ch(3, X, T)},
			from:  S, to: T, amount: 100, want: ids(2, 3)},
		{name: "capacity too small everywhere",
			chans: []directory.Channel{ch(1, S, T, balances(50, 500)), ch(2, S, X), ch(3, X, T, balances(99, 1000))},
			from:  S, to: T, amount: 100, want: nil},
		{name: "closed and closing ignored",
			chans: []directory.Channel{ch(1, S, T, status(directory.StatusClosed)), ch(2, S, X, status(directory.StatusClosing)),
				ch(3, X, T), ch(4, S, Y), ch(5, Y, Z), ch(6, Z, T)},
			from: S, to: T, amount: 1, want: ids(4, 5, 6)},
		{name: "excluded channels ignored",
			chans: []directory.Channel{ch(1, S, T), ch(2, S, X), ch(3, X, T), ch(4, S, Y), ch(5, Y, T)},
			from:  S, to: T, amount: 1, opts: []directory.RouteOption{directory.WithExclude(id(1)), directory.WithExclude(id(2))},
			want: ids(4, 5)},
		{name: "exclude func",
			chans: []directory.Channel{ch(1, S, T), ch(2, S, X), ch(3, X, T)},
			from:  S, to: T, amount: 1,
			opts: []directory.RouteOption{directory.WithExcludeFunc(func(c directory.ChannelID) bool { return c == id(1) })},
			want: ids(2, 3)},
		{name: "everything excluded",
			chans: []directory.Channel{ch(1, S, T)}, from: S, to: T, amount: 1,
			opts: []directory.RouteOption{directory.WithExclude(id(1))}, want: nil},
		{name: "wrong asset ignored",
			chans: []directory.Channel{ch(1, S, T, asset(token)), ch(2, S, X), ch(3, X, T)},
			from:  S, to: T, amount: 1, want: ids(2, 3)},
		{name: "token route",
			chans: []directory.Channel{ch(1, S, T), ch(2, S, X, asset(token)), ch(3, X, T, asset(token))},
			asset: token, from: S, to: T, amount: 1, want: ids(2, 3)},
		{name: "asset with no channels", chans: []directory.Channel{ch(1, S, T)},
			asset: token, from: S, to: T, amount: 1, want: nil},
		{name: "chains separated: chain 1",
			chans: []directory.Channel{ch(1, S, X), ch(2, X, T), ch(3, S, T, onChain(chain2))},
			from:  S, to: T, amount: 1, want: ids(1, 2)},
		{name: "chains separated: chain 2",
			chans: []directory.Channel{ch(1, S, X), ch(2, X, T), ch(3, S, T, onChain(chain2)), ch(4, X, Y, onChain(chain2))},
			chain: chain2, from: S, to: T, amount: 1, want: ids(3)},
		{name: "chains separated: no crossing",
			chans: []directory.Channel{ch(1, S, X), ch(2, X, T, onChain(chain2)), ch(3, Y, T)},
			from:  S, to: T, amount: 1, want: nil},
		{name: "max hops reached", chans: []directory.Channel{ch(10, S, X), ch(11, X, Y), ch(12, Y, T)},
			from: S, to: T, amount: 1, opts: []directory.RouteOption{directory.WithMaxHops(2)}, want: nil},
		{name: "max hops exact", chans: []directory.Channel{ch(10, S, X), ch(11, X, Y), ch(12, Y, T)},
			from: S, to: T, amount: 1, opts: []directory.RouteOption{directory.WithMaxHops(3)}, want: ids(10, 11, 12)},
		{name: "max hops zero is unlimited", chans: []directory.Channel{ch(10, S, X), ch(11, X, Y), ch(12, Y, T)},
			from: S, to: T, amount: 1, opts: []directory.RouteOption{directory.WithMaxHops(0)}, want: ids(10, 11, 12)},
		{name: "disconnected", chans: []directory.Channel{ch(1, S, X), ch(2, Y, T)}, from: S, to: T, amount: 1, want: nil},
		{name: "cycle does not confuse search",
			chans: []directory.Channel{ch(1, S, X), ch(2, X, Y), ch(3, Y, S), ch(4, Y, Z), ch(5, Z, T)},
			from:  S, to: T, amount: 1, want: ids(3, 4, 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := tt.chain
			if chain == 0 {
				chain = chain1
			}
			r := newRouter(t, tt.chans...)
			hops, err := r.FindRoute(chain, tt.asset, tt.from, tt.to, big.NewInt(tt.amount), tt.opts...)
			if tt.want == nil {
				var nr *directory.NoRouteError
				if !errors.Is(err, directory.ErrNoRoute) || !errors.As(err, &nr) {
					t.Fatalf("want ErrNoRoute, got hops %v err %v", hopIDs(hops), err)
				}
				if nr.ChainID != chain || nr.From != tt.from || nr.To != tt.to || nr.Amount.Int64() != tt.amount || nr.Reason == "" {
					t.Fatalf("NoRouteError fields: %+v", nr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(hopIDs(hops), tt.want) {
				t.Fatalf("route %v, want %v", hopIDs(hops), tt.want)
			}
			checkRoute(t, tt.chans, chain, tt.asset, tt.from, tt.to, tt.amount, hops)
		})
	}
}

func TestFindRouteErrors(t *testing.T) {
	r := newRouter(t, ch(1, S, X), ch(2, X, T), ch(3, Y, Z, status(directory.StatusClosed)),
		ch(4, Y, T, onChain(chain2)))
	one := big.NewInt(1)
	tests := []struct {
		name     string
		chain    uint64
		from, to common.Address
		amount   *big.Int
		want     error
		reason   string
	}{
		{"nil amount", chain1, S, T, nil, directory.ErrInvalidAmount, ""},
		{"zero amount", chain1, S, T, new(big.Int), directory.ErrInvalidAmount, ""},
		{"negative amount", chain1, S, T, big.NewInt(-5), directory.ErrInvalidAmount, ""},
		{"same endpoints", chain1, S, S, one, directory.ErrSameEndpoints, ""},
		{"unknown sender", chain1, directorytest.Addr(5555), T, one, directory.ErrUnknownAddress, ""},
		{"unknown receiver", chain1, S, directorytest.Addr(5555), one, directory.ErrUnknownAddress, ""},
		{"address only on another chain", chain2, S, T, one, directory.ErrUnknownAddress, ""},
		{"unknown chain", 77, S, T, one, directory.ErrUnknownAddress, ""},
		{"sender only has closed channels", chain1, Y, T, one, directory.ErrNoRoute, "sender has no open channel"},
		{"receiver only has closed channels", chain1, S, Z, one, directory.ErrNoRoute, "receiver has no open channel"},
		{"capacity", chain1, S, T, big.NewInt(101), directory.ErrNoRoute, "enough capacity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hops, err := r.FindRoute(tt.chain, native, tt.from, tt.to, tt.amount)
			if !errors.Is(err, tt.want) || hops != nil {
				t.Fatalf("want %v, got %v (hops %v)", tt.want, err, hops)
			}
			for _, other := range []error{directory.ErrInvalidAmount, directory.ErrSameEndpoints, directory.ErrUnknownAddress, directory.ErrNoRoute} {
				if other != tt.want && errors.Is(err, other) {
					t.Fatalf("%v also matches %v", err, other)
				}
			}
			if tt.reason != "" {
				var nr *directory.NoRouteError
				if !errors.As(err, &nr) || !strings.Contains(nr.Reason, tt.reason) {
					t.Fatalf("want reason containing %q, got %v", tt.reason, err)
				}
			}
		})
	}

	_, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.FindRoute(chain1, native, S, T, big.NewInt(1), directory.WithMaxHops(1))
	var nr *directory.NoRouteError
	if !errors.As(err, &nr) || !strings.Contains(nr.Reason, "within 1 hops") {
		t.Fatalf("hop limit reason: %v", err)
	}
}

// The index follows every kind of write, including Apply, and ignores a
// failed one.
func TestRouterFollowsWrites(t *testing.T) {
	r := newRouter(t)
	route := func() []directory.ChannelID {
		t.Helper()
		hops, err := r.FindRoute(chain1, native, S, T, big.NewInt(50))
		if errors.Is(err, directory.ErrNoRoute) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return hopIDs(hops)
	}
	expect := func(want ...uint64) {
		t.Helper()
		if got := route(); !slices.Equal(got, ids(want...)) {
			t.Fatalf("route %v, want %v", got, ids(want...))
		}
	}
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := r.FindRoute(chain1, native, S, T, big.NewInt(50))
	if !errors.Is(err, directory.ErrUnknownAddress) {
		t.Fatalf("empty router: %v", err)
	}
	mustDo(r.Put(ch(2, S, X)))
	mustDo(r.Put(ch(3, X, T)))
	expect(2, 3)
	mustDo(r.Put(ch(1, S, T)))
	expect(1)
	mustDo(r.Update(chain1, id(1), func(c *directory.Channel) error { c.BalanceA.SetInt64(49); return nil }))
	expect(2, 3)
	mustDo(r.Update(chain1, id(1), func(c *directory.Channel) error { c.BalanceA.SetInt64(50); return nil }))
	expect(1)
	mustDo(r.Update(chain1, id(1), func(c *directory.Channel) error { c.Status = directory.StatusClosing; return nil }))
	expect(2, 3)
	mustDo(r.Update(chain1, id(1), func(c *directory.Channel) error { c.Status = directory.StatusOpen; return nil }))
	expect(1)
	mustDo(r.Update(chain1, id(1), func(c *directory.Channel) error { c.Asset = token; return nil }))
	expect(2, 3)
	mustDo(r.Delete(chain1, id(1)))
	expect(2, 3)

	// One block: the direct channel reopens, 2 closes, 3 is removed.
	mustDo(r.Apply(chain1, []directory.Change{
		directory.PutChange(ch(1, S, T, balances(10, 10))),
		directory.UpdateChange(id(1), func(c *directory.Channel) error { c.BalanceA.SetInt64(60); return nil }),
		directory.UpdateChange(id(2), func(c *directory.Channel) error { c.Status = directory.StatusClosed; return nil }),
		directory.DeleteChange(id(3)),
	}, directory.Cursor{BlockNumber: 1}))
	expect(1)
	// A failed block changes neither store nor index.
	err = r.Apply(chain1, []directory.Change{
		directory.DeleteChange(id(1)),
		directory.DeleteChange(id(3)),
	}, directory.Cursor{BlockNumber: 2})
	if !errors.Is(err, directory.ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
	expect(1)
	err = r.Apply(chain1, []directory.Change{directory.DeleteChange(id(1))}, directory.Cursor{BlockNumber: 1})
	if !errors.Is(err, directory.ErrStaleCursor) {
		t.Fatalf("want ErrStaleCursor, got %v", err)
	}
	expect(1)
	// A closed channel still makes its parties known: no route, not unknown.
	mustDo(r.Put(ch(6, Y, T, status(directory.StatusClosed))))
	mustDo(r.Delete(chain1, id(1)))
	if got := route(); got != nil {
		t.Fatalf("route after delete: %v", got)
	}
	mustDo(r.Delete(chain1, id(6)))
	_, err = r.FindRoute(chain1, native, S, T, big.NewInt(50))
	if !errors.Is(err, directory.ErrUnknownAddress) {
		t.Fatalf("after deleting all channels: %v", err)
	}
}

// After a restart, a Router over the reopened bolt file routes the same way.
func TestRouterBoltRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dir.db")
	bs, err := directory.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := directory.NewRouter(bs)
	if err != nil {
		t.Fatal(err)
	}
	chans := []directory.Channel{ch(5, S, X), ch(1, X, T), ch(3, S, Y), ch(9, Y, T), ch(4, S, T, balances(1, 1))}
	if err := r.Apply(chain1, []directory.Change{
		directory.PutChange(chans[0]), directory.PutChange(chans[1]), directory.PutChange(chans[2]),
		directory.PutChange(chans[3]), directory.PutChange(chans[4]),
	}, directory.Cursor{BlockNumber: 3}); err != nil {
		t.Fatal(err)
	}
	before, err := r.FindRoute(chain1, native, S, T, big.NewInt(10))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	bs, err = directory.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err = directory.NewRouter(bs)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	after, err := r.FindRoute(chain1, native, S, T, big.NewInt(10))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(before, after) || !slices.Equal(hopIDs(after), ids(3, 9)) {
		t.Fatalf("before %v, after %v", hopIDs(before), hopIDs(after))
	}
}

// Readers and writers in parallel; run with -race.
func TestRouterConcurrent(t *testing.T) {
	rng := newRand(7)
	g := randomGraph(rng, 50, 200, 2)
	r := newRouter(t, g...)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := newRand(uint64(100 + w))
			for i := 0; i < 300; i++ {
				from, to := directorytest.Addr(rng.Uint64N(50)), directorytest.Addr(rng.Uint64N(50))
				_, err := r.FindRoute(chain1, native, from, to, big.NewInt(int64(rng.Uint64N(100)+1)))
				if err != nil && !errors.Is(err, directory.ErrNoRoute) && !errors.Is(err, directory.ErrSameEndpoints) &&
					!errors.Is(err, directory.ErrUnknownAddress) {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 300; i++ {
			c := g[i%len(g)]
			var err error
			switch i % 3 {
			case 0:
				err = r.Update(chain1, c.ID, func(c *directory.Channel) error { c.BalanceA.SetUint64(uint64(i)); return nil })
			case 1:
				err = r.Apply(chain1, []directory.Change{directory.UpdateChange(c.ID, func(c *directory.Channel) error {
					c.Status = directory.Status(1 + i%3)
					return nil
				})}, directory.Cursor{BlockNumber: uint64(i)})
			default:
				err = r.Put(c)
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
}

func ExampleRouter_FindRoute() {
	alice, bob, carol := common.HexToAddress("0xA11CE"), common.HexToAddress("0xB0B"), common.HexToAddress("0xCA201")
	name := map[common.Address]string{alice: "alice", bob: "bob", carol: "carol"}
	r, _ := directory.NewRouter(directory.NewMemStore())
	open := func(n byte, a, b common.Address) {
		_ = r.Put(directory.Channel{ChainID: 1337, ID: directory.ChannelID{31: n}, A: a, B: b,
			BalanceA: big.NewInt(100), BalanceB: big.NewInt(0), Status: directory.StatusOpen})
	}
	open(1, alice, bob)
	open(2, bob, carol)
	hops, _ := r.FindRoute(1337, common.Address{}, alice, carol, big.NewInt(40))
	for _, h := range hops {
		fmt.Printf("channel %d: %s pays %s\n", h.Channel[31], name[h.Payer], name[h.Payee])
	}
	// Carol's side of channel 2 holds nothing, so she cannot pay back.
	_, err := r.FindRoute(1337, common.Address{}, carol, alice, big.NewInt(40))
	fmt.Println(errors.Is(err, directory.ErrNoRoute))
	// Output:
	// channel 1: alice pays bob
	// channel 2: bob pays carol
	// true
}
