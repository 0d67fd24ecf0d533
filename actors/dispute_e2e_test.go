package actors_test

// Disputes on simulated chains, end to end through the terminal actors,
// their arbitrators and the watchers: nodes that close, challenge,
// submit outcomes, finalize and withdraw on their own.

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/messages"
)

// rawKeyTx signs any transaction with a terminal's key in the clear: what
// a malicious counterparty running its own software does. (An enclave key
// cannot do this: its handle has no signing method; see enclave/hostapi.)
type rawKeyTx struct{ key messages.Signer }

func (s rawKeyTx) Address() common.Address { return s.key.Address() }

func (s rawKeyTx) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	signer := types.LatestSignerForChainID(chainID)
	sig, err := s.key.Sign(signer.Hash(tx))
	if err != nil {
		return nil, err
	}
	return tx.WithSignature(signer, sig)
}

var _ chain.TxSigner = rawKeyTx{}

// info returns name's view of channel id, or nil.
func (w *onChainWorld) info(name string, id [32]byte) *messages.ChannelInfo {
	list, err := w.local.Channels(w.addr(name), time.Second)
	if err != nil {
		return nil
	}
	for _, c := range list.Channels {
		if [32]byte(c.ChannelId) == id {
			return c
		}
	}
	return nil
}

// waitInfo waits until name's view of channel id satisfies cond.
func (w *onChainWorld) waitInfo(name string, id [32]byte, what string, cond func(*messages.ChannelInfo) bool) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if c := w.info(name, id); c != nil && cond(c) {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s's channel %x never %s: %v", name, id[:4], what, w.info(name, id))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pastDeadline moves the clocks of the given chains (default chain 1)
// beyond the world's challenge period.
func (w *onChainWorld) pastDeadline(chains ...int) {
	w.t.Helper()
	if len(chains) == 0 {
		chains = []int{0}
	}
	for _, c := range chains {
		if err := w.chains[c].AdjustTime(3601 * time.Second); err != nil {
			w.t.Fatal(err)
		}
	}
}

// onChain reads a channel's contract record on chain 1.
func (w *onChainWorld) onChain(id [32]byte) contracts.PaymentChannelsChannel {
	w.t.Helper()
	ch, err := w.ops["s1"].Channel(context.Background(), w.chainOf["s1"], id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ch
}

// settleChain1 closes i1-r1 cooperatively and checks every account on
// chain 1 holds exactly its start, plus confirmed transfers, minus gas,
// and the contract nothing.
func (w *onChainWorld) settleChain1(ids map[string][32]byte, deposit int64) {
	w.t.Helper()
	a, b := w.close("i1", ids["i1-r1"])
	if a != deposit-100 || b != 100 {
		w.t.Fatalf("close i1-r1 paid %d/%d", a, b)
	}
	c1 := w.chainOf["s1"]
	waitFor(w.t, func() bool {
		for _, id := range ids {
			ch, err := w.router.Get(c1, directory.ChannelID(id))
			if err != nil || ch.Status != directory.StatusClosed {
				return false
			}
		}
		return true
	})
	ctx := context.Background()
	c := w.chains[0]
	if held, err := c.BalanceAt(ctx, w.contract[c1], nil); err != nil || held.Sign() != 0 {
		w.t.Fatalf("contract holds %v (%v)", held, err)
	}
	for name, k := range w.keys {
		key := acctKey{c1, k.Address()}
		want := new(big.Int).Set(w.start[key])
		w.mu.Lock()
		if g := w.gas[key]; g != nil {
			want.Sub(want, g)
		}
		if tr := w.transfers[key]; tr != nil {
			want.Add(want, tr)
		}
		w.mu.Unlock()
		if got, err := c.BalanceAt(ctx, k.Address(), nil); err != nil || got.Cmp(want) != 0 {
			w.t.Errorf("%s holds %v, want %v (%v)", name, got, want, err)
		}
	}
}

// paidWorld opens s1-i1 (r1 tops up nothing) and i1-r1 on chain 1 and
// confirms a 100-unit payment s1 -> i1 -> r1.
func paidWorld(t *testing.T) (*onChainWorld, map[string][32]byte, int64) {
	w := newOnChainWorld(t)
	const deposit = 1_000_000
	ids := map[string][32]byte{"s1-i1": w.open("s1", "i1", deposit), "i1-r1": w.open("i1", "r1", deposit)}
	w.expect("s1", "i1", deposit, 0)
	w.expect("i1", "r1", deposit, 0)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg("s1", "r1", 100)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res.GetOutcome(), err)
	}
	w.moved("s1", "r1", 100)
	w.expect("s1", "i1", deposit-100, 100)
	w.expect("i1", "r1", deposit-100, 100)
	return w, ids, deposit
}

// TestDisputeForceCloseWhenCounterpartyGone: i1 disappears; s1 closes
// unilaterally on its newest state, submits the payment's outcome so the
// lock goes where it was confirmed, finalizes after the challenge period
// and gets exactly its due. i1, back later, catches up from the chain.
func TestDisputeForceCloseWhenCounterpartyGone(t *testing.T) {
	w, ids, deposit := paidWorld(t)
	id := ids["s1-i1"]
	if err := w.local.StopTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	// The cooperative close cannot reach i1.
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr("s1")), &messages.ChannelClose{ChannelId: id[:]}, 30*time.Second).Result()
	if err != nil || res.(*messages.ChannelClosed).Error == "" {
		t.Fatalf("cooperative close without the counterparty: %v %v", res, err)
	}
	res, err = w.local.System.Root.RequestFuture(w.local.Peer(w.addr("s1")), &messages.ChannelClose{ChannelId: id[:], Force: true}, 30*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	closed := res.(*messages.ChannelClosed)
	if closed.Error != "" || !closed.Closing || closed.Deadline == 0 {
		t.Fatalf("force close: %v", closed)
	}
	// The lock of the last swap decides a payout, so its outcome goes first.
	w.checkTxs(w.chainOf["s1"], closed.Txs, "submit_outcome", "close_unilateral")
	if ch := w.onChain(id); ch.Status != 2 || ch.ClosingVersion == 0 || ch.Deadline != closed.Deadline {
		t.Fatalf("on chain after the force close: status %d version %d deadline %d", ch.Status, ch.ClosingVersion, ch.Deadline)
	}
	w.waitInfo("s1", id, "shows the close and its deadline", func(c *messages.ChannelInfo) bool {
		return c.Closing && c.ClosingDeadline == closed.Deadline && !c.Settled
	})
	w.pastDeadline()
	w.waitInfo("s1", id, "settled", func(c *messages.ChannelInfo) bool { return c.Settled })
	if ch := w.onChain(id); ch.Status != 3 {
		t.Fatalf("status %d after finalize", ch.Status)
	}
	if _, err := w.local.RestartTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	w.waitInfo("i1", id, "settled after its restart", func(c *messages.ChannelInfo) bool { return c.Settled })
	w.settleChain1(ids, deposit)
}

// TestDisputeStaleCloseIsChallenged: s1, gone rogue, closes on the opening
// deposits, taking back the 100 it paid. i1's node challenges with the
// newest state on its own, submits the outcome, finalizes and ends with
// its due. s1's terminal is down throughout (it runs its own software).
func TestDisputeStaleCloseIsChallenged(t *testing.T) {
	w, ids, deposit := paidWorld(t)
	w.staleClose(ids["s1-i1"])
	id := ids["s1-i1"]
	w.waitInfo("i1", id, "challenged", func(c *messages.ChannelInfo) bool { return c.Closing && c.ClosingVersion > 0 })
	if ch := w.onChain(id); ch.ClosingVersion == 0 {
		t.Fatal("the stale state still stands on chain")
	}
	w.pastDeadline()
	w.waitInfo("i1", id, "settled", func(c *messages.ChannelInfo) bool { return c.Settled })
	w.settleChain1(ids, deposit)
}

// TestDisputeRestartMidDispute: i1 is down when s1 closes on a stale
// state and misses the watcher's event. Restarted, it reads the close from
// the chain and challenges; restarted again after the deadline (its
// record says closing), it finalizes.
func TestDisputeRestartMidDispute(t *testing.T) {
	w, ids, deposit := paidWorld(t)
	id := ids["s1-i1"]
	if err := w.local.StopTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	w.staleClose(id)
	// Let the watcher deliver (and drop) the close event while i1 is down.
	waitFor(t, func() bool {
		ch, err := w.router.Get(w.chainOf["s1"], directory.ChannelID(id))
		return err == nil && ch.Status == directory.StatusClosing
	})
	if _, err := w.local.RestartTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	w.waitInfo("i1", id, "challenged after its restart", func(c *messages.ChannelInfo) bool { return c.ClosingVersion > 0 })
	if err := w.local.StopTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	w.pastDeadline()
	if _, err := w.local.RestartTerminal(w.addr("i1")); err != nil {
		t.Fatal(err)
	}
	w.waitInfo("i1", id, "settled", func(c *messages.ChannelInfo) bool { return c.Settled })
	w.settleChain1(ids, deposit)
}

// staleClose has s1, its terminal stopped, close channel id on chain at
// version 0 (the opening deposits) with its raw key.
func (w *onChainWorld) staleClose(id [32]byte) { w.staleCloseBy("s1", id) }

// staleCloseBy has who, its terminal stopped, close channel id on its
// chain at version 0 with its raw key.
func (w *onChainWorld) staleCloseBy(who string, id [32]byte) {
	w.t.Helper()
	if err := w.local.StopTerminal(w.addr(who)); err != nil {
		w.t.Fatal(err)
	}
	c1 := w.chainOf[who]
	data := contracts.NewPaymentChannels().PackCloseUnilateral(id, contracts.PaymentChannelsState{
		DepositA: new(big.Int), DepositB: new(big.Int), BalanceA: new(big.Int), BalanceB: new(big.Int), LockAmount: new(big.Int)}, nil, nil)
	contract := w.contract[c1]
	var ch chain.Chain
	for _, c := range w.chains {
		if c.ChainID() == c1 {
			ch = c
		}
	}
	r, err := ch.Transact(context.Background(), rawKeyTx{w.keys[who]}, &contract, data, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.book(c1, w.addr(who), r)
}

// TestDisputeEveryCloseOfASwap: a cross-chain swap and a payment confirm
// and a swap is refunded; then every channel closes a different way:
// s1-i1 cooperatively; i1, gone rogue, closes i1-r1 on the deposits (the
// state before r1 was paid) and r1's node challenges; s2 force-closes
// s2-i2; i2 closes i2-r2 stale and r2's node challenges. Every account on
// both chains ends with exactly its due.
func TestDisputeEveryCloseOfASwap(t *testing.T) {
	w := newOnChainWorld(t)
	const deposit = 1_000_000
	ids := map[string][32]byte{
		"s1-i1": w.open("s1", "i1", deposit), "i1-r1": w.open("i1", "r1", deposit),
		"s2-i2": w.open("s2", "i2", deposit), "i2-r2": w.open("i2", "r2", deposit),
	}
	w.expect("s1", "i1", deposit, 0)
	w.expect("i1", "r1", deposit, 0)
	w.expect("s2", "i2", deposit, 0)
	w.expect("i2", "r2", deposit, 0)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-1", Legs: []*messages.Leg{w.leg("s1", "r1", 100), w.leg("s2", "r2", 40)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap: %v %v", res.GetOutcome(), err)
	}
	w.moved("s1", "r1", 100)
	w.moved("s2", "r2", 40)
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay-1", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg("s1", "r1", 50)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res.GetOutcome(), err)
	}
	w.moved("s1", "r1", 50)
	if err := w.local.StopTerminal(w.addr("r2")); err != nil {
		t.Fatal(err)
	}
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-2", TimeoutMs: 300,
		Legs: []*messages.Leg{w.leg("s1", "r1", 10), w.leg("s2", "r2", 10)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
		t.Fatalf("refunded swap: %v %v", res.GetOutcome(), err)
	}
	if _, err := w.local.RestartTerminal(w.addr("r2")); err != nil {
		t.Fatal(err)
	}
	w.expect("s1", "i1", deposit-150, 150)
	w.expect("i1", "r1", deposit-150, 150)
	w.expect("s2", "i2", deposit-40, 40)
	w.expect("i2", "r2", deposit-40, 40)

	// Chain 1: cooperative, then stale by the payer of i1-r1.
	if a, b := w.close("s1", ids["s1-i1"]); a != deposit-150 || b != 150 {
		t.Fatalf("cooperative close paid %d/%d", a, b)
	}
	w.staleCloseBy("i1", ids["i1-r1"])
	w.waitInfo("r1", ids["i1-r1"], "challenged", func(c *messages.ChannelInfo) bool { return c.ClosingVersion > 0 })
	// Chain 2: a unilateral close, then stale by the payer of i2-r2.
	s2i2 := ids["s2-i2"]
	res2, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr("s2")), &messages.ChannelClose{ChannelId: s2i2[:], Force: true}, 30*time.Second).Result()
	if err != nil || !res2.(*messages.ChannelClosed).Closing {
		t.Fatalf("force close s2-i2: %v %v", res2, err)
	}
	w.waitInfo("i2", ids["s2-i2"], "seen closing", func(c *messages.ChannelInfo) bool { return c.Closing })
	w.staleCloseBy("i2", ids["i2-r2"])
	w.waitInfo("r2", ids["i2-r2"], "challenged", func(c *messages.ChannelInfo) bool { return c.ClosingVersion > 0 })

	w.pastDeadline(0, 1)
	w.waitInfo("r1", ids["i1-r1"], "settled", func(c *messages.ChannelInfo) bool { return c.Settled })
	w.waitInfo("s2", ids["s2-i2"], "settled", func(c *messages.ChannelInfo) bool { return c.Settled })
	w.waitInfo("r2", ids["i2-r2"], "settled", func(c *messages.ChannelInfo) bool { return c.Settled })

	ctx := context.Background()
	for _, c := range w.chains {
		if held, err := c.BalanceAt(ctx, w.contract[c.ChainID()], nil); err != nil || held.Sign() != 0 {
			t.Fatalf("chain %d: contract holds %v (%v)", c.ChainID(), held, err)
		}
		for name, k := range w.keys {
			key := acctKey{c.ChainID(), k.Address()}
			want := new(big.Int).Set(w.start[key])
			w.mu.Lock()
			if g := w.gas[key]; g != nil {
				want.Sub(want, g)
			}
			if tr := w.transfers[key]; tr != nil {
				want.Add(want, tr)
			}
			w.mu.Unlock()
			if got, err := c.BalanceAt(ctx, k.Address(), nil); err != nil || got.Cmp(want) != 0 {
				t.Errorf("chain %d: %s holds %v, want %v (%v)", c.ChainID(), name, got, want, err)
			}
		}
	}
}

// TestForgedCloseEventChangesNothing: a stranger tells s1's terminal that
// its channel is closing (a forged watcher event). The terminal reads the
// contract, which says open; the channel keeps working and shows no close.
func TestForgedCloseEventChangesNothing(t *testing.T) {
	w := newOnChainWorld(t)
	const deposit = 1_000_000
	id := w.open("s1", "i1", deposit)
	w.open("i1", "r1", deposit)
	w.expect("s1", "i1", deposit, 0)
	w.expect("i1", "r1", deposit, 0)
	for _, kind := range []messages.ChainEventKind{messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSE_REQUESTED,
		messages.ChainEventKind_CHAIN_EVENT_KIND_CHALLENGED, messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED} {
		w.local.Tell(w.addr("s1"), &messages.ChainEvent{Kind: kind, ChainId: w.chainOf["s1"], Contract: w.contract[w.chainOf["s1"]].Bytes(),
			ChannelId: id[:], Version: 0, Deadline: 1})
	}
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg("s1", "r1", 100)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment after a forged close event: %v %v", res.GetOutcome(), err)
	}
	w.expect("s1", "i1", deposit-100, 100)
	if c := w.info("s1", id); c == nil || c.Closed || c.Closing {
		t.Fatalf("forged event left the channel %v", c)
	}
}
