package watcher_test

import (
	"context"
	"log/slog"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/chaintest"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/contracts"
)

const challengePeriod = 3600 // seconds

type env struct {
	t           *testing.T
	sim         *evm.Simulated
	pc          *contracts.PaymentChannels
	a, b, coord *chaintest.KeySigner
	contract    common.Address
	deployBlock uint64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, pc: contracts.NewPaymentChannels(),
		a: chaintest.NewRandomSigner(), b: chaintest.NewRandomSigner(), coord: chaintest.NewRandomSigner()}
	sim, err := evm.NewSimulatedChain(evm.DefaultFirstChainID, evm.SimConfig{
		Alloc: types.GenesisAlloc{
			e.a.Address(): {Balance: chaintest.Ether(100)},
			e.b.Address(): {Balance: chaintest.Ether(100)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	e.sim = sim
	addr, r, err := chain.Deploy(e.ctx(), sim, e.a, common.FromHex(contracts.PaymentChannelsMetaData.Bin), e.pc.PackConstructor(challengePeriod))
	if err != nil {
		t.Fatal(err)
	}
	e.contract, e.deployBlock = addr, r.BlockNumber.Uint64()
	return e
}

func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	e.t.Cleanup(cancel)
	return ctx
}

func (e *env) do(from chain.TxSigner, value *big.Int, data []byte) *types.Receipt {
	e.t.Helper()
	r, err := e.sim.Transact(e.ctx(), from, &e.contract, data, value)
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

// open opens a native-coin channel from a to b with deposit wei.
func (e *env) open(a, b chain.TxSigner, deposit int64) (directory.ChannelID, *types.Receipt) {
	e.t.Helper()
	amt := big.NewInt(deposit)
	r := e.do(a, amt, e.pc.PackOpen(b.Address(), common.Address{}, amt, e.coord.Address()))
	for _, l := range r.Logs {
		if ev, err := e.pc.UnpackChannelOpenedEvent(l); err == nil {
			return ev.ChannelId, r
		}
	}
	e.t.Fatal("no ChannelOpened log")
	return directory.ChannelID{}, nil
}

func (e *env) head() *types.Header {
	e.t.Helper()
	h, err := e.sim.HeaderByNumber(e.ctx(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// replaceNonce sends, from s, a plain transfer with the given nonce and
// doubled fees, replacing a transaction that a Fork put back into the pool.
func (e *env) replaceNonce(s *chaintest.KeySigner, nonce uint64) {
	e.t.Helper()
	id := new(big.Int).SetUint64(e.sim.ChainID())
	h := e.head()
	tip := big.NewInt(10e9)
	tx, err := s.SignTx(types.NewTx(&types.DynamicFeeTx{
		ChainID: id, Nonce: nonce, GasTipCap: tip, Gas: 21000, To: ptr(s.Address()),
		GasFeeCap: new(big.Int).Add(tip, new(big.Int).Mul(h.BaseFee, big.NewInt(4))),
	}), id)
	if err != nil {
		e.t.Fatal(err)
	}
	// Right after Fork the pool may not have adopted the new head yet and
	// still count the dropped transaction's nonce as used: retry.
	for i := 0; ; i++ {
		err := e.sim.Backend().SendTransaction(e.ctx(), tx)
		if err == nil {
			return
		}
		if i == 100 || !strings.Contains(err.Error(), "nonce too low") {
			e.t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ptr(a common.Address) *common.Address { return &a }

// recorder collects delivered events.
type recorder struct {
	mu     sync.Mutex
	events []watcher.Event
}

func (r *recorder) on(ev watcher.Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}

func (r *recorder) take() []watcher.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func kinds(evs []watcher.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = ev.Kind.String()
		if ev.Removed {
			out[i] = "-" + out[i]
		}
	}
	return out
}

func (e *env) watcher(store directory.Store, depth uint64, rec *recorder) *watcher.Watcher {
	e.t.Helper()
	w, err := watcher.New(e.sim, store, watcher.Config{
		ChainID: e.sim.ChainID(), Contract: e.contract, StartBlock: e.deployBlock,
		Depth: depth, OnEvent: rec.on, MaxRange: 3, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return w
}

func poll(t *testing.T, w *watcher.Watcher, want int) {
	t.Helper()
	n, err := w.Poll(context.Background())
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	if n != want {
		t.Fatalf("poll applied %d events, want %d", n, want)
	}
}

func channels(t *testing.T, s directory.Store, chainID uint64) []directory.Channel {
	t.Helper()
	chs, err := s.List(chainID)
	if err != nil {
		t.Fatal(err)
	}
	return chs
}
