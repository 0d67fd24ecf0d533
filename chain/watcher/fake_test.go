package watcher_test

import (
	"context"
	"errors"
	"log/slog"
	"math/big"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/contracts"
)

// fakeChain is a Source whose blocks and logs the test writes directly, for
// events that need signatures on a real contract, and for deep reorgs.
type fakeChain struct {
	headers []*types.Header
	logs    map[uint64][]types.Log // by block number, without hashes
}

var fakeContract = common.HexToAddress("0xc0ffee")

func newFakeChain(n int, branch byte) *fakeChain {
	f := &fakeChain{logs: map[uint64][]types.Log{}}
	f.build(n, 0, branch)
	return f
}

// build (re)creates blocks from..n-1 on branch, keeping those below.
func (f *fakeChain) build(n int, from int, branch byte) {
	f.headers = f.headers[:from]
	for i := from; i < n; i++ {
		h := &types.Header{Number: big.NewInt(int64(i)), Extra: []byte{branch}, Difficulty: new(big.Int)}
		if i > 0 {
			h.ParentHash = f.headers[i-1].Hash()
		}
		f.headers = append(f.headers, h)
	}
}

func (f *fakeChain) HeaderByNumber(_ context.Context, n *big.Int) (*types.Header, error) {
	if n == nil {
		return f.headers[len(f.headers)-1], nil
	}
	if n.Uint64() >= uint64(len(f.headers)) {
		return nil, ethereum.NotFound
	}
	return f.headers[n.Uint64()], nil
}

func (f *fakeChain) FilterLogs(_ context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	var out []types.Log
	for n := q.FromBlock.Uint64(); n <= q.ToBlock.Uint64() && n < uint64(len(f.headers)); n++ {
		for _, l := range f.logs[n] {
			l.BlockHash = f.headers[n].Hash()
			out = append(out, l)
		}
	}
	return out, nil
}

var pcABI = contracts.NewPaymentChannels().GetABI()

// emit appends an event log to block n; indexed are the topic values after
// the signature, data the non-indexed values.
func (f *fakeChain) emit(n uint64, name string, indexed []common.Hash, data ...any) {
	ev := pcABI.Events[name]
	packed, err := ev.Inputs.NonIndexed().Pack(data...)
	if err != nil {
		panic(err)
	}
	f.logs[n] = append(f.logs[n], types.Log{
		Address: fakeContract, Topics: append([]common.Hash{ev.ID}, indexed...), Data: packed,
		BlockNumber: n, Index: uint(len(f.logs[n])), TxHash: common.BigToHash(big.NewInt(int64(n))),
	})
}

func addrTopic(a common.Address) common.Hash { return common.BytesToHash(a.Bytes()) }

func fakeWatcher(t *testing.T, f *fakeChain, store directory.Store, window uint64, rec *recorder) *watcher.Watcher {
	t.Helper()
	w, err := watcher.New(f, store, watcher.Config{
		ChainID: 7, Contract: fakeContract, StartBlock: 1, ReorgWindow: window,
		OnEvent: rec.on, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestDecodeAllKinds(t *testing.T) {
	f := newFakeChain(6, 0)
	x, y := common.HexToHash("0x01"), common.HexToHash("0x02")
	a, b, coord := common.HexToAddress("0xa"), common.HexToAddress("0xb"), common.HexToAddress("0xc")
	lock, inst := common.HexToHash("0x10"), common.HexToHash("0x20")
	f.emit(2, "ChannelOpened", []common.Hash{x, addrTopic(a), addrTopic(b)}, common.Address{}, coord, big.NewInt(100))
	f.emit(3, "CloseRequested", []common.Hash{x, addrTopic(b)}, uint64(0), uint64(99))
	f.emit(3, "Challenged", []common.Hash{x, addrTopic(a)}, uint64(5))
	f.emit(3, "LockResolved", []common.Hash{x, lock}, uint8(1), true, big.NewInt(7))
	f.emit(3, "OutcomeRecorded", []common.Hash{inst, addrTopic(coord)}, true)
	f.emit(4, "ChannelToppedUp", []common.Hash{y, addrTopic(a)}, big.NewInt(1), big.NewInt(2), big.NewInt(3))
	f.emit(4, "PayoutDeferred", []common.Hash{addrTopic(a), addrTopic(b)}, big.NewInt(1)) // ignored
	f.emit(5, "ChannelClosed", []common.Hash{x}, big.NewInt(60), big.NewInt(40))

	store := directory.NewMemStore()
	rec := &recorder{}
	w := fakeWatcher(t, f, store, 0, rec)
	poll(t, w, 7)
	evs := rec.take()
	if got := kinds(evs); !slices.Equal(got, []string{"opened", "close-requested", "challenged",
		"lock-resolved", "outcome-recorded", "topped-up", "closed"}) {
		t.Fatalf("events %v", got)
	}
	if evs[3].LockResolved.Outcome != 1 || !evs[3].LockResolved.ToPayee || evs[3].LockResolved.LockId != lock || evs[3].ChannelID != directory.ChannelID(x) || evs[4].OutcomeRecorded.InstanceId != inst ||
		!evs[4].OutcomeRecorded.Confirmed || evs[2].Challenged.Version != 5 {
		t.Fatalf("payloads %+v %+v %+v", evs[2].Challenged, evs[3].LockResolved, evs[4].OutcomeRecorded)
	}
	if !evs[5].Unknown || evs[5].ChannelID != directory.ChannelID(y) {
		t.Fatalf("top-up of an unknown channel: %+v", evs[5])
	}
	chs := channels(t, store, 7)
	if len(chs) != 1 || chs[0].Version != 5 || chs[0].Status != directory.StatusClosed ||
		chs[0].BalanceA.Int64() != 60 || chs[0].BalanceB.Int64() != 40 || chs[0].UpdatedAtBlock != 5 {
		t.Fatalf("channels %+v", chs)
	}
	cur, _ := store.Cursor(7)
	if cur.BlockNumber != 5 || cur.BlockHash != f.headers[5].Hash() {
		t.Fatalf("cursor %+v", cur)
	}
}

func TestReorgBeyondWindow(t *testing.T) {
	f := newFakeChain(11, 0)
	x := common.HexToHash("0x01")
	f.emit(2, "ChannelOpened", []common.Hash{x, addrTopic(common.HexToAddress("0xa")), addrTopic(common.HexToAddress("0xb"))},
		common.Address{}, common.HexToAddress("0xc"), big.NewInt(1))
	store := directory.NewMemStore()
	w := fakeWatcher(t, f, store, 2, &recorder{})
	poll(t, w, 1)

	// A reorg within the window is undone...
	f.build(11, 9, 1)
	poll(t, w, 0)
	if chs := channels(t, store, 7); len(chs) != 1 {
		t.Fatalf("shallow reorg lost the channel: %+v", chs)
	}
	// ...one replacing block 1 onwards is not, and is reported.
	f.build(12, 1, 2)
	_, err := w.Poll(context.Background())
	if !errors.Is(err, watcher.ErrReorgTooDeep) {
		t.Fatalf("deep reorg: %v", err)
	}
}
