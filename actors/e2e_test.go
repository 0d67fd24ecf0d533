package actors_test

import (
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// offChainWorld is Fig. 1 over actors with channels announced by hand
// (no chain): two chains, sender -> intermediary -> receiver on each.
type offChainWorld struct {
	local    *actors.Local
	router   *directory.Router
	names    map[string]common.Address
	chains   []uint64
	contract map[uint64]common.Address
	paths    map[uint64][]string
}

// newOffChainWorldWith lets a test adjust the deployment's config.
func newOffChainWorldWith(t *testing.T, deposit int64, adjust func(*actors.LocalConfig)) *offChainWorld {
	t.Helper()
	return newOffChainWorld(t, deposit, adjust)
}

func newOffChainWorld(t *testing.T, deposit int64, opts ...func(*actors.LocalConfig)) *offChainWorld {
	t.Helper()
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	cfg := actors.LocalConfig{
		Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: actors.DirectoryRoutes{Router: router}, RetryInterval: 50 * time.Millisecond, Linger: time.Second, Logger: testLogger(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	local, err := actors.NewLocal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Shutdown)
	w := &offChainWorld{local: local, router: router, names: map[string]common.Address{},
		contract: map[uint64]common.Address{}, paths: map[uint64][]string{
			1: {"s1", "i1", "r1"}, 2: {"s2", "i2", "r2"},
		}}
	for _, chainID := range []uint64{1, 2} {
		w.chains = append(w.chains, chainID)
		w.contract[chainID] = common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprint("contract", chainID))))
		for _, name := range w.paths[chainID] {
			key, err := local.NewKey()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := local.AddTerminal(name, key); err != nil {
				t.Fatal(err)
			}
			w.names[name] = key.Address()
		}
	}
	if err := local.WaitRegistered(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, chainID := range w.chains {
		path := w.paths[chainID]
		for i := 0; i+1 < len(path); i++ {
			w.open(t, chainID, path[i], path[i+1], deposit)
		}
	}
	// Every party has taken in its channels' events.
	for name, addr := range w.names {
		want := 2
		if name[0] != 'i' {
			want = 1
		}
		waitFor(t, func() bool {
			list, err := local.Channels(addr, time.Second)
			return err == nil && len(list.Channels) == want && list.Channels[0].Version == 0 && len(list.Channels[want-1].BalanceB) > 0
		})
	}
	return w
}

// open announces a channel as a watcher would, to both parties and the
// directory, with deposit on both sides.
func (w *offChainWorld) open(t *testing.T, chainID uint64, a, b string, deposit int64) {
	id := crypto.Keccak256Hash([]byte(fmt.Sprint(chainID, a, b)))
	dep := big.NewInt(deposit)
	for _, ev := range []*messages.ChainEvent{
		{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED, ChainId: chainID, Contract: w.contract[chainID].Bytes(),
			ChannelId: id[:], PartyA: w.names[a].Bytes(), PartyB: w.names[b].Bytes(), Token: make([]byte, 20),
			Coordinator: w.local.CoordKey.Address().Bytes(), DepositA: dep.Bytes()},
		{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP, ChainId: chainID, ChannelId: id[:], DepositA: dep.Bytes(), DepositB: dep.Bytes()},
	} {
		w.local.Tell(w.names[a], ev)
		w.local.Tell(w.names[b], ev)
	}
	err := w.router.Put(directory.Channel{ChainID: chainID, Contract: w.contract[chainID], ID: directory.ChannelID(id),
		A: w.names[a], B: w.names[b], BalanceA: dep, BalanceB: new(big.Int).Set(dep), Status: directory.StatusOpen,
		Coordinator: w.local.CoordKey.Address()})
	if err != nil {
		t.Fatal(err)
	}
}

func (w *offChainWorld) leg(chainID uint64, amount int64) *messages.Leg {
	p := w.paths[chainID]
	return &messages.Leg{ChainId: chainID, Sender: w.names[p[0]].Bytes(), Receiver: w.names[p[len(p)-1]].Bytes(),
		Asset: make([]byte, 20), Amount: big.NewInt(amount).Bytes()}
}

// own is a terminal's balance in the channel it shares with peer.
func (w *offChainWorld) own(t *testing.T, name, peer string) int64 {
	t.Helper()
	list, err := w.local.Channels(w.names[name], time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list.Channels {
		a, b := common.BytesToAddress(c.PartyA), common.BytesToAddress(c.PartyB)
		switch {
		case a == w.names[name] && b == w.names[peer]:
			return new(big.Int).SetBytes(c.BalanceA).Int64()
		case b == w.names[name] && a == w.names[peer]:
			return new(big.Int).SetBytes(c.BalanceB).Int64()
		}
	}
	t.Fatalf("%s has no channel with %s", name, peer)
	return 0
}

func TestActorsSwapPaymentAndOfflineRefund(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-1", Legs: []*messages.Leg{w.leg(1, 100), w.leg(2, 40)}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap outcome %v", res.Outcome)
	}
	// CONFIRM reaches terminals after the result; wait for it to apply.
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1100 && w.own(t, "r2", "i2") == 1040 })
	if got := w.own(t, "s1", "i1"); got != 900 {
		t.Fatalf("s1 holds %d, want 900", got)
	}
	if got := w.own(t, "i2", "r2"); got != 960 {
		t.Fatalf("i2 holds %d toward r2, want 960", got)
	}

	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay-1", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg(1, 50)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1150 })

	// r2 goes offline: the swap cannot commit and is refunded at its
	// deadline; nothing moves on either chain.
	if err := w.local.StopTerminal(w.names["r2"]); err != nil {
		t.Fatal(err)
	}
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-2", TimeoutMs: 300,
		Legs: []*messages.Leg{w.leg(1, 10), w.leg(2, 10)}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED || res.RefundReason != messages.RefundReason_REFUND_REASON_DEADLINE {
		t.Fatalf("offline swap: %v %v", res.Outcome, res.RefundReason)
	}
	waitFor(t, func() bool { return w.own(t, "s1", "i1") == 850 && w.own(t, "s2", "i2") == 960 })
	// r2 comes back from its sealed store, with its balance intact.
	if _, err := w.local.RestartTerminal(w.names["r2"]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return w.own(t, "r2", "i2") == 1040 })
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-3", Legs: []*messages.Leg{w.leg(1, 10), w.leg(2, 10)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap after restart: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return w.own(t, "r2", "i2") == 1050 })
}

func TestActorsManyConcurrentSwapsQueueOnBusyChannels(t *testing.T) {
	w := newOffChainWorld(t, 1_000_000)
	const n = 50
	results := make(chan error, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: fmt.Sprint("c", i), Legs: []*messages.Leg{w.leg(1, 1), w.leg(2, 2)}}, 30*time.Second)
			if err == nil && res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
				err = fmt.Errorf("swap %d ended %v", i, res.Outcome)
			}
			results <- err
		}(i)
	}
	for i := 0; i < n; i++ {
		if err := <-results; err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1_000_000+n && w.own(t, "r2", "i2") == 1_000_000+2*n })
	if got := w.own(t, "s2", "i2"); got != 1_000_000-2*n {
		t.Fatalf("s2 holds %d", got)
	}
}

func TestActorsRejectUnroutableSwap(t *testing.T) {
	w := newOffChainWorld(t, 100)
	leg := w.leg(1, 100)
	leg.Receiver = common.HexToAddress("0x1234").Bytes()
	if _, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "bad", Legs: []*messages.Leg{leg}}, 5*time.Second); err == nil {
		t.Fatal("swap to an unknown address succeeded")
	}
	if _, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "big", Legs: []*messages.Leg{w.leg(1, 101)}}, 5*time.Second); err == nil {
		t.Fatal("swap above every channel's capacity succeeded")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCoordinatorRestartResumesInFlightInstance: the coordinator dies
// while an instance waits for an offline terminal; restarted from its
// store, it resumes the instance, and when the terminal returns the swap
// confirms everywhere.
func TestCoordinatorRestartResumesInFlightInstance(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	if err := w.local.StopTerminal(w.names["r2"]); err != nil {
		t.Fatal(err)
	}
	go func() { // its client dies with the coordinator; balances tell the outcome
		_, _ = signedSubmit(w.local, &messages.SwapRequest{RequestId: "crash", TimeoutMs: 20_000,
			Legs: []*messages.Leg{w.leg(1, 30), w.leg(2, 30)}}, 30*time.Second)
	}()
	waitFor(t, func() bool {
		list, err := w.local.Channels(w.names["s1"], time.Second)
		return err == nil && len(list.Channels) > 0 && list.Channels[0].Phase == messages.ChannelPhase_CHANNEL_PHASE_PREPARED
	})
	if err := w.local.RestartCoordinator(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.local.RestartTerminal(w.names["r2"]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1030 && w.own(t, "r2", "i2") == 1030 })
	if got := w.own(t, "s2", "i2"); got != 970 {
		t.Fatalf("s2 holds %d, want 970", got)
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("TEESWAP_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// signedSubmit has the payers' terminals sign their orders for req, as a
// client does, then submits it.
// A request that already carries orders (a client's retry) goes as it is.
func signedSubmit(l *actors.Local, req *messages.SwapRequest, timeout time.Duration) (*messages.SwapResult, error) {
	if len(req.Orders) == 0 {
		if err := l.SignOrders(req, time.Minute); err != nil {
			return nil, err
		}
	}
	return l.Submit(req, timeout)
}

// TestActorsRefuseUnauthorisedSwap: a stranger who reaches the coordinator
// submits a swap of s1's and s2's funds without their orders, then with an
// order of his own; a counterparty asks s1's terminal to sign an order for
// a leg s1 does not pay. Nothing is created or signed, no balance moves,
// and the payers' own orders still work.
func TestActorsRefuseUnauthorisedSwap(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	legs := []*messages.Leg{w.leg(1, 100), w.leg(2, 40)}
	res, err := w.local.Submit(&messages.SwapRequest{RequestId: "theft", Legs: legs}, 5*time.Second)
	if err == nil || !strings.Contains(res.GetError(), "did not authorise") {
		t.Fatalf("swap without orders: %v %v", res, err)
	}
	mallory := protocoltest.NewKey(7, "mallory") // his own key, in the clear
	forged, err := messages.Seal(mallory, messages.Kind_KIND_ORDER, &messages.Order{RequestId: "theft-2",
		Kind: messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, Legs: legs, Payer: mallory.Address().Bytes(), ExpiresMs: time.Now().Add(time.Minute).UnixMilli()})
	if err != nil {
		t.Fatal(err)
	}
	res, err = w.local.Submit(&messages.SwapRequest{RequestId: "theft-2", Legs: legs, Orders: []*messages.Envelope{forged}}, 5*time.Second)
	if err == nil || !strings.Contains(res.GetError(), "did not authorise") {
		t.Fatalf("swap with a stranger's order: %v %v", res, err)
	}
	// i1 is no payer of chain 2's leg: its terminal refuses to sign.
	ans, err := w.local.System.Root.RequestFuture(w.local.Peer(w.names["i1"]), &messages.SignOrder{RequestId: "x",
		Legs: []*messages.Leg{w.leg(2, 40)}, ExpiresMs: time.Now().Add(time.Minute).UnixMilli()}, 5*time.Second).Result()
	if signed, ok := ans.(*messages.OrderSigned); err != nil || !ok || signed.Order != nil || !strings.Contains(signed.Error, "sends no leg") {
		t.Fatalf("non-payer's order: %v %v", ans, err)
	}
	for _, p := range [][2]string{{"s1", "i1"}, {"s2", "i2"}, {"r1", "i1"}, {"r2", "i2"}} {
		if got := w.own(t, p[0], p[1]); got != 1000 {
			t.Fatalf("%s holds %d after refused requests", p[0], got)
		}
	}
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "ok", Legs: legs}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("authorised swap: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1100 && w.own(t, "r2", "i2") == 1040 })
}

// TestActorsStrangerDoesNotQueueOnBusyChannels: while an authorised swap
// holds the channels (its receiver is offline), a stranger's request for
// the same route is refused at once instead of waiting in the queue.
func TestActorsStrangerDoesNotQueueOnBusyChannels(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	if err := w.local.StopTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "held", TimeoutMs: 20_000,
			Legs: []*messages.Leg{w.leg(1, 10)}}, 30*time.Second)
		done <- err
	}()
	waitFor(t, func() bool {
		list, err := w.local.Channels(w.names["s1"], time.Second)
		return err == nil && len(list.Channels) > 0 && list.Channels[0].Phase == messages.ChannelPhase_CHANNEL_PHASE_PREPARED
	})
	res, err := w.local.Submit(&messages.SwapRequest{RequestId: "queue-jumper", Legs: []*messages.Leg{w.leg(1, 10)}}, 5*time.Second)
	if err == nil || !strings.Contains(res.GetError(), "did not authorise") {
		t.Fatalf("stranger's request on busy channels: %v %v", res, err)
	}
	if _, err := w.local.RestartTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1010 })
}
