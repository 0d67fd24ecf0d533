package watcher_test

import (
	"context"
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/contracts"
)

func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	rec := &recorder{}
	w := e.watcher(store, 0, rec)
	poll(t, w, 0)

	id, r := e.open(e.a, e.b, 1000)
	poll(t, w, 1)
	ch, err := store.Get(e.sim.ChainID(), id)
	if err != nil {
		t.Fatal(err)
	}
	if ch.A != e.a.Address() || ch.B != e.b.Address() || ch.Coordinator != e.coord.Address() ||
		ch.Asset != (ch.Asset) || ch.BalanceA.Int64() != 1000 || ch.BalanceB.Sign() != 0 ||
		ch.Status != directory.StatusOpen || ch.Contract != e.contract || ch.OpenedAtBlock != r.BlockNumber.Uint64() {
		t.Fatalf("opened channel %+v", ch)
	}
	evs := rec.take()
	if len(evs) != 1 || evs[0].Kind != watcher.KindOpened || evs[0].Opened.DepositA.Int64() != 1000 ||
		evs[0].ChannelID != id || evs[0].TxHash != r.TxHash || evs[0].Block != r.BlockNumber.Uint64() {
		t.Fatalf("events %+v", evs)
	}

	e.do(e.b, big.NewInt(300), e.pc.PackTopUp(id, big.NewInt(300)))
	e.do(e.a, big.NewInt(50), e.pc.PackTopUp(id, big.NewInt(50)))
	e.do(e.b, nil, e.pc.PackCloseUnilateral(id, contracts.PaymentChannelsState{
		DepositA: new(big.Int), DepositB: new(big.Int), BalanceA: new(big.Int), BalanceB: new(big.Int), LockAmount: new(big.Int),
	}, nil, nil))
	poll(t, w, 3)
	ch, _ = store.Get(e.sim.ChainID(), id)
	if ch.BalanceA.Int64() != 1050 || ch.BalanceB.Int64() != 300 || ch.Status != directory.StatusClosing || ch.Version != 0 {
		t.Fatalf("after top-ups and close request: %+v", ch)
	}
	if err := e.sim.AdjustTime(challengePeriod * time.Second); err != nil {
		t.Fatal(err)
	}
	fin := e.do(e.a, nil, e.pc.PackFinalize(id))
	poll(t, w, 1)
	ch, _ = store.Get(e.sim.ChainID(), id)
	if ch.Status != directory.StatusClosed || ch.BalanceA.Int64() != 1050 || ch.BalanceB.Int64() != 300 ||
		ch.UpdatedAtBlock != fin.BlockNumber.Uint64() {
		t.Fatalf("closed channel %+v", ch)
	}
	if got := kinds(rec.take()); !slices.Equal(got, []string{"topped-up", "topped-up", "close-requested", "closed"}) {
		t.Fatalf("events %v", got)
	}
	cur, _ := w.Cursor()
	if cur.BlockNumber != e.head().Number.Uint64() || cur.BlockHash != e.head().Hash() {
		t.Fatalf("cursor %+v, head %d", cur, e.head().Number)
	}
	stored, _ := store.Cursor(e.sim.ChainID())
	if stored != cur {
		t.Fatalf("stored cursor %+v, watcher's %+v", stored, cur)
	}
}

func TestFinalityDepth(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	rec := &recorder{}
	w := e.watcher(store, 2, rec)
	id, r := e.open(e.a, e.b, 1)
	poll(t, w, 0)
	e.sim.Commit()
	poll(t, w, 0)
	if cur, _ := w.Cursor(); cur.BlockNumber != r.BlockNumber.Uint64()-1 {
		t.Fatalf("cursor at %d, want %d (head-2)", cur.BlockNumber, r.BlockNumber.Uint64()-1)
	}
	e.sim.Commit()
	poll(t, w, 1)
	if _, err := store.Get(e.sim.ChainID(), id); err != nil {
		t.Fatal(err)
	}
}

// TestReorgUndo: with depth 0 the watcher applies an open, a reorg replaces
// its block with one without it, and the watcher must undo it; a later open
// is applied again.
func TestReorgUndo(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	rec := &recorder{}
	w := e.watcher(store, 0, rec)
	parent := e.head()
	id, r := e.open(e.a, e.b, 1000)
	poll(t, w, 1)
	rec.take()

	tx, _, err := e.sim.Backend().TransactionByHash(context.Background(), r.TxHash)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	e.replaceNonce(e.a, tx.Nonce()) // mined at parent+1 instead of the open
	e.sim.Commit()
	if got, err := e.sim.Backend().TransactionReceipt(context.Background(), r.TxHash); err == nil {
		t.Fatalf("open still on chain in block %v", got.BlockNumber)
	}
	poll(t, w, 0)
	if chs := channels(t, store, e.sim.ChainID()); len(chs) != 0 {
		t.Fatalf("channels after the reorg: %+v", chs)
	}
	evs := rec.take()
	if got := kinds(evs); !slices.Equal(got, []string{"-opened", "reorg"}) {
		t.Fatalf("events %v", got)
	}
	if evs[1].Reorg.Ancestor.BlockNumber > parent.Number.Uint64() || evs[0].ChannelID != id {
		t.Fatalf("reorg %+v", evs[1].Reorg)
	}
	if cur, _ := w.Cursor(); cur.BlockHash != e.head().Hash() {
		t.Fatalf("cursor %+v not at the new head", cur)
	}

	// Redo: the next open lands and is applied once.
	id2, r2 := e.open(e.a, e.b, 7)
	poll(t, w, 1)
	chs := channels(t, store, e.sim.ChainID())
	if len(chs) != 1 || chs[0].ID != id2 || chs[0].BalanceA.Int64() != 7 || chs[0].OpenedAtBlock != r2.BlockNumber.Uint64() {
		t.Fatalf("channels %+v", chs)
	}
}

// TestReorgRedo: the reorged-out open is mined again in the new branch (a
// different block); the watcher undoes and re-applies it: one channel.
func TestReorgRedo(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	rec := &recorder{}
	w := e.watcher(store, 0, rec)
	parent := e.head()
	id, r := e.open(e.a, e.b, 1000)
	e.do(e.b, big.NewInt(5), e.pc.PackTopUp(id, big.NewInt(5)))
	poll(t, w, 2)
	rec.take()
	if err := e.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	e.sim.Commit() // the open (and maybe the top-up) come back from the pool
	e.sim.Commit()
	e.sim.Commit()
	r2, err := e.sim.WaitReceipt(context.Background(), r.TxHash, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r2.BlockHash == r.BlockHash {
		t.Fatal("open not re-mined in a new block")
	}
	poll(t, w, 2)
	evs := kinds(rec.take())
	if !slices.Equal(evs, []string{"-topped-up", "-opened", "reorg", "opened", "topped-up"}) {
		t.Fatalf("events %v", evs)
	}
	chs := channels(t, store, e.sim.ChainID())
	if len(chs) != 1 || chs[0].ID != id || chs[0].BalanceA.Int64() != 1000 || chs[0].BalanceB.Int64() != 5 ||
		chs[0].OpenedAtBlock != r2.BlockNumber.Uint64() {
		t.Fatalf("channels %+v", chs)
	}
}

// TestReorgBelowDepth: with depth 2 the same reorg happens before the
// watcher reaches the block: it never sees the open.
func TestReorgBelowDepth(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	rec := &recorder{}
	w := e.watcher(store, 2, rec)
	parent := e.head()
	_, r := e.open(e.a, e.b, 1000)
	e.sim.Commit()
	poll(t, w, 0)
	tx, _, _ := e.sim.Backend().TransactionByHash(context.Background(), r.TxHash)
	if err := e.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	e.replaceNonce(e.a, tx.Nonce())
	for range 4 {
		e.sim.Commit()
	}
	poll(t, w, 0)
	if evs := rec.take(); len(evs) != 0 {
		t.Fatalf("events %v", kinds(evs))
	}
	if chs := channels(t, store, e.sim.ChainID()); len(chs) != 0 {
		t.Fatalf("channels %+v", chs)
	}
	if cur, _ := w.Cursor(); cur.BlockNumber != e.head().Number.Uint64()-2 {
		t.Fatalf("cursor %d, head %d", cur.BlockNumber, e.head().Number)
	}
}

// TestRestart: close the bolt store, reopen it, continue: every channel
// exactly once, nothing re-delivered.
func TestRestart(t *testing.T) {
	e := newEnv(t)
	path := filepath.Join(t.TempDir(), "dir.db")
	store, err := directory.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w := e.watcher(store, 1, rec)
	var ids []directory.ChannelID
	for i := range 3 {
		id, _ := e.open(e.a, e.b, int64(100+i))
		ids = append(ids, id)
	}
	e.sim.Commit()
	poll(t, w, 3)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// While down: two more opens and a top-up of the first channel.
	for i := range 2 {
		id, _ := e.open(e.b, e.a, int64(200+i))
		ids = append(ids, id)
	}
	e.do(e.b, big.NewInt(9), e.pc.PackTopUp(ids[0], big.NewInt(9)))
	e.sim.Commit()

	store, err = directory.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec2 := &recorder{}
	w = e.watcher(store, 1, rec2)
	poll(t, w, 3)
	poll(t, w, 0)
	if got := kinds(rec2.take()); !slices.Equal(got, []string{"opened", "opened", "topped-up"}) {
		t.Fatalf("events after restart %v", got)
	}
	chs := channels(t, store, e.sim.ChainID())
	if len(chs) != 5 {
		t.Fatalf("%d channels, want 5", len(chs))
	}
	want := map[directory.ChannelID]int64{ids[0]: 100, ids[1]: 101, ids[2]: 102, ids[3]: 200, ids[4]: 201}
	for _, ch := range chs {
		if bal, ok := want[ch.ID]; !ok || ch.BalanceA.Int64() != bal {
			t.Fatalf("channel %s balanceA %v, want %d (known %v)", ch.ID, ch.BalanceA, bal, ok)
		}
		delete(want, ch.ID)
	}
	if ch, _ := store.Get(e.sim.ChainID(), ids[0]); ch.BalanceB.Int64() != 9 {
		t.Fatalf("top-up applied %v times the amount", ch.BalanceB)
	}
}

// TestReorgAfterRestart: a reorg of processed blocks found right after a
// restart cannot be undone (no journal): it is reported, not ignored.
func TestReorgAfterRestart(t *testing.T) {
	e := newEnv(t)
	store := directory.NewMemStore()
	w := e.watcher(store, 0, &recorder{})
	parent := e.head()
	_, r := e.open(e.a, e.b, 1)
	poll(t, w, 1)
	tx, _, _ := e.sim.Backend().TransactionByHash(context.Background(), r.TxHash)
	if err := e.sim.Fork(parent.Hash()); err != nil {
		t.Fatal(err)
	}
	e.replaceNonce(e.a, tx.Nonce())
	e.sim.Commit()
	w = e.watcher(store, 0, &recorder{}) // "restart" on the same store
	_, err := w.Poll(context.Background())
	var re *watcher.ReorgError
	if !errors.As(err, &re) || !errors.Is(err, watcher.ErrReorgTooDeep) || re.Cursor.BlockHash != r.BlockHash {
		t.Fatalf("poll after restart: %v, want ReorgError at the open's block", err)
	}
	// Run stops on it too.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Run(ctx, 10*time.Millisecond); !errors.Is(err, watcher.ErrReorgTooDeep) {
		t.Fatalf("Run: %v", err)
	}
}
