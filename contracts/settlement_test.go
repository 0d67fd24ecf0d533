package contracts_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/contracts"
)

// Adversarial settlement tests, one per attack of issue 9 and more. Every
// test asserts exact payouts; each would fail if its attack worked.

// hop is one channel of a payment: payer is party A and deposited 10
// ether; the payment moves 1 ether to payee, party B.
type hop struct {
	id           [32]byte
	payer, payee *party
}

func (e *env) openHop(payer, payee *party, coordinator common.Address) hop {
	e.t.Helper()
	r := e.do(payer, eth(10), pc.PackOpen(payee.addr, common.Address{}, eth(10), coordinator))
	return hop{id: e.openedID(r), payer: payer, payee: payee}
}

// The states a hop's parties sign for one payment, as the terminal machine
// signs them: before it, with the lock prepared, with the lock committed,
// and lock-free after CONFIRM (paid) or after REFUND (as before).
func before() state {
	return state{version: 1, depA: eth(10), depB: new(big.Int), balA: eth(10), balB: new(big.Int)}
}

func lockState(version uint64, lockID [32]byte, stage uint8, cross bool) state {
	return state{version: version, depA: eth(10), depB: new(big.Int), balA: eth(9), balB: new(big.Int),
		lock: &lock{id: lockID, amount: eth(1), aToB: true, stage: stage, cross: cross}}
}

func paid(version uint64) state {
	return state{version: version, depA: eth(10), depB: new(big.Int), balA: eth(9), balB: eth(1)}
}

func refunded(version uint64) state {
	return state{version: version, depA: eth(10), depB: new(big.Int), balA: eth(10), balB: new(big.Int)}
}

func (e *env) closeHop(h hop, by *party, s state) *types.Receipt {
	e.t.Helper()
	return e.do(by, nil, e.closeDataBy(h.id, s, h.payer, h.payee))
}

func (e *env) challengeHop(h hop, by *party, s state) *types.Receipt {
	e.t.Helper()
	return e.do(by, nil, e.challengeDataBy(h.id, s, h.payer, h.payee))
}

// submitOutcome records the coordinator's signed outcome of instance x,
// sent by by.
func (e *env) submitOutcome(by *party, x [32]byte, confirmed bool) *types.Receipt {
	e.t.Helper()
	return e.do(by, nil, pc.PackSubmitOutcome(x, confirmed, e.coord.addr, e.signOutcome(x, confirmed, e.coord)))
}

// wantPayouts waits out the challenge period, finalizes h and checks what its
// payer and payee got.
func (e *env) wantPayouts(h hop, payer, payee *big.Int) {
	e.t.Helper()
	a, b := e.finalizeAfter(h.id)
	eq(e.t, "payout to payer "+h.payer.name, a, payer)
	eq(e.t, "payout to payee "+h.payee.name, b, payee)
}

// lockResolved returns the LockResolved events of r.
func lockResolved(r *types.Receipt) []*contracts.PaymentChannelsLockResolved {
	var out []*contracts.PaymentChannelsLockResolved
	for _, l := range r.Logs {
		if ev, err := pc.UnpackLockResolvedEvent(l); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

// TestOutsiderThrowawayChannelsFixNothing: mallory opens 1-wei channels
// naming the victims' coordinator, with a stooge who only signs, and closes
// them on states carrying the victims' instance id at every stage, before
// and while the payment runs. The payment still ends by its coordinator's
// outcome on every victim channel, whichever way it goes.
func TestOutsiderThrowawayChannelsFixNothing(t *testing.T) {
	for _, confirmed := range []bool{true, false} {
		name := map[bool]string{true: "confirmed", false: "refunded"}[confirmed]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			stooge := newParty("stooge")
			p := id32("predictable instance " + name)
			oneWei := big.NewInt(1)
			throwaway := func(stage uint8, cross bool) {
				r := e.do(e.mallory, oneWei, pc.PackOpen(stooge.addr, common.Address{}, oneWei, e.coord.addr))
				id := e.openedID(r)
				s := state{version: 7, depA: oneWei, depB: new(big.Int), balA: new(big.Int), balB: new(big.Int),
					lock: &lock{id: p, amount: oneWei, aToB: true, stage: stage, cross: cross}}
				e.do(e.mallory, nil, e.closeDataBy(id, s, e.mallory, stooge))
				a, b := e.finalizeAfter(id)
				// Without an outcome the throwaway lock returns to mallory.
				eq(t, "throwaway payout A", a, oneWei)
				eq(t, "throwaway payout B", b, new(big.Int))
			}
			// Before the payment exists: both stages, same- and cross-chain.
			throwaway(stagePrepared, false)
			throwaway(stageCommitted, false)
			throwaway(stageCommitted, true)

			h1 := e.openHop(e.alice, e.carol, e.coord.addr) // alice -> carol
			h2 := e.openHop(e.carol, e.bob, e.coord.addr)   // carol -> bob
			e.closeHop(h1, e.alice, lockState(2, p, stagePrepared, false))
			e.closeHop(h2, e.bob, lockState(3, p, stageCommitted, false))
			throwaway(stagePrepared, false) // while the victims' closes run
			e.submitOutcome(e.carol, p, confirmed)
			if confirmed {
				e.wantPayouts(h1, eth(9), eth(1))
				e.wantPayouts(h2, eth(9), eth(1))
			} else {
				e.wantPayouts(h1, eth(10), new(big.Int))
				e.wantPayouts(h2, eth(10), new(big.Int))
			}
			eq(t, "contract", e.balance(e.addr), new(big.Int))
		})
	}
}

// TestOutsiderCannotForgeOutcome: an outcome signed by anyone but the
// channel's coordinator, or for another chain, contract or instance, moves
// no lock; one signed by a coordinator mallory names on her own channel
// decides only her channel.
func TestOutsiderCannotForgeOutcome(t *testing.T) {
	e := newEnv(t)
	p := id32("payment")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.bob, lockState(3, p, stageCommitted, false))
	e.reverts(e.mallory, nil, pc.PackSubmitOutcome(p, true, e.coord.addr, e.signOutcome(p, true, e.mallory)), "bad coordinator signature")
	e.reverts(e.mallory, nil, pc.PackSubmitOutcome(p, true, e.coord.addr, e.signOutcome(id32("other"), true, e.coord)), "bad coordinator signature")
	// Mallory's own "coordinator" confirms p under her key: recorded, but
	// only for channels naming her.
	e.do(e.mallory, nil, pc.PackSubmitOutcome(p, true, e.mallory.addr, e.signOutcome(p, true, e.mallory)))
	e.wantPayouts(h, eth(10), new(big.Int))
}

// TestPayeeClosesOnRefundedLock: after a refund the prepared (or even the
// committed) lock state may still be the newest both signed; the payee
// closes on it. The refund outcome, or no outcome at all, returns the lock
// to the payer.
func TestPayeeClosesOnRefundedLock(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stage  uint8
		submit bool
	}{
		{"prepared, refund outcome", stagePrepared, true},
		{"prepared, no outcome", stagePrepared, false},
		{"committed, refund outcome", stageCommitted, true},
		{"committed, no outcome", stageCommitted, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			x := id32("refunded " + tc.name)
			h := e.openHop(e.alice, e.bob, e.coord.addr)
			e.closeHop(h, e.bob, lockState(2, x, tc.stage, false))
			if tc.submit {
				e.submitOutcome(e.alice, x, false)
			}
			aliceBefore := e.balance(e.alice.addr)
			e.advance(challengePeriod * time.Second)
			r := e.do(e.bob, nil, pc.PackFinalize(h.id))
			if evs := lockResolved(r); len(evs) != 1 || evs[0].ToPayee || evs[0].LockId != x || evs[0].ChannelId != h.id ||
				evs[0].Amount.Cmp(eth(1)) != 0 || (tc.submit && evs[0].Outcome != outcomeRefunded) || (!tc.submit && evs[0].Outcome != outcomeNone) {
				t.Errorf("LockResolved = %+v", evs)
			}
			eq(t, "alice", e.balance(e.alice.addr), add(aliceBefore, eth(10)))
			eq(t, "contract", e.balance(e.addr), new(big.Int))
		})
	}
}

// TestPayerClosesStaleAfterConfirm: the payment was confirmed; the payer
// closes on an older state (before the payment, or the prepared lock). The
// payee answers within the period, by challenging with its newest state or
// just by submitting the outcome, and gets the payment.
func TestPayerClosesStaleAfterConfirm(t *testing.T) {
	x := id32("confirmed payment")
	for _, tc := range []struct {
		name  string
		stale state
		reply func(e *env, h hop)
	}{
		{"before, challenge with paid", before(), func(e *env, h hop) { e.challengeHop(h, e.bob, paid(4)) }},
		{"prepared, challenge with paid", lockState(2, x, stagePrepared, false), func(e *env, h hop) { e.challengeHop(h, e.bob, paid(4)) }},
		{"before, challenge with committed and outcome", before(), func(e *env, h hop) {
			e.challengeHop(h, e.bob, lockState(3, x, stageCommitted, false))
			e.submitOutcome(e.bob, x, true)
		}},
		{"prepared, outcome only", lockState(2, x, stagePrepared, false), func(e *env, h hop) { e.submitOutcome(e.bob, x, true) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			h := e.openHop(e.alice, e.bob, e.coord.addr)
			e.closeHop(h, e.alice, tc.stale)
			tc.reply(e, h)
			e.wantPayouts(h, eth(9), eth(1))
		})
	}
}

// TestSupersededStateFixesNothing: a prepared lock state accepted by a
// close and replaced by a challenge a moment later leaves no trace: the
// other channel of the same payment is settled by the outcome alone.
func TestSupersededStateFixesNothing(t *testing.T) {
	e := newEnv(t)
	x := id32("payment X")
	h1 := e.openHop(e.alice, e.carol, e.coord.addr)
	h2 := e.openHop(e.carol, e.bob, e.coord.addr)
	e.closeHop(h1, e.alice, lockState(2, x, stagePrepared, false))
	e.challengeHop(h1, e.carol, paid(4))
	if c := e.channel(h1.id); c.LockStage != stageNone || c.LockAmount.Sign() != 0 || c.ClosingVersion != 4 {
		t.Fatalf("closing state keeps the superseded lock: %+v", c)
	}
	e.closeHop(h2, e.bob, lockState(3, x, stageCommitted, false))
	e.submitOutcome(e.bob, x, true)
	e.wantPayouts(h1, eth(9), eth(1))
	e.wantPayouts(h2, eth(9), eth(1))
}

// TestIntermediaryTwoChannelsCloseDifferently: carol forwards a payment
// from alice to bob. One of her channels closes cooperatively, the other
// unilaterally on whatever state her counterparty picks; she answers within
// the period and ends with exactly her due: her 10 ether deposit in both
// cases (she forwards what she receives).
func TestIntermediaryTwoChannelsCloseDifferently(t *testing.T) {
	for _, confirmed := range []bool{true, false} {
		name := map[bool]string{true: "confirmed", false: "refunded"}[confirmed]
		t.Run(name+", downstream cooperative", func(t *testing.T) {
			e := newEnv(t)
			x := id32("forwarded " + name)
			h1 := e.openHop(e.alice, e.carol, e.coord.addr)
			h2 := e.openHop(e.carol, e.bob, e.coord.addr)
			// Upstream: alice closes first, on the prepared state, and never
			// answers (this used to record the payment as prepared).
			e.closeHop(h1, e.alice, lockState(2, x, stagePrepared, false))
			// Downstream: carol and bob sign the lock-free state after the
			// outcome and close at once.
			final := refunded(4)
			if confirmed {
				final = paid(4)
			}
			e.coopClose(h2, 4, final.balA, final.balB)
			e.submitOutcome(e.carol, x, confirmed)
			carolBefore := e.balance(e.carol.addr)
			e.advance(challengePeriod * time.Second)
			e.do(e.mallory, nil, pc.PackFinalize(h1.id))
			if confirmed {
				eq(t, "carol from alice", e.balance(e.carol.addr), add(carolBefore, eth(1)))
			} else {
				eq(t, "carol from alice", e.balance(e.carol.addr), carolBefore)
			}
			eq(t, "contract", e.balance(e.addr), new(big.Int))
		})
		t.Run(name+", upstream cooperative", func(t *testing.T) {
			e := newEnv(t)
			x := id32("forwarded up " + name)
			h1 := e.openHop(e.alice, e.carol, e.coord.addr)
			h2 := e.openHop(e.carol, e.bob, e.coord.addr)
			final := refunded(4)
			if confirmed {
				final = paid(4)
			}
			e.coopClose(h1, 4, final.balA, final.balB)
			// Downstream: bob closes on the committed lock (his best bet
			// if the payment was refunded), carol answers with the outcome.
			e.closeHop(h2, e.bob, lockState(3, x, stageCommitted, false))
			e.submitOutcome(e.carol, x, confirmed)
			if confirmed {
				e.wantPayouts(h2, eth(9), eth(1))
			} else {
				e.wantPayouts(h2, eth(10), new(big.Int))
			}
		})
	}
}

// coopClose closes h cooperatively at version with both signatures.
func (e *env) coopClose(h hop, version uint64, balA, balB *big.Int) *types.Receipt {
	e.t.Helper()
	w := e.at(h.id)
	d := coopDigest(w, version, balA, balB)
	return e.do(e.mallory, nil, pc.PackCooperativeClose(h.id, version, balA, balB, sign(e.t, d, h.payer), sign(e.t, d, h.payee)))
}

// TestGriefingTopUpBeforeCooperativeClose: once both signed a cooperative
// close, a top-up (1 wei, or a real one, by either side) cannot void it:
// the close pays the signed balances and returns each unseen top-up to its
// depositor.
func TestGriefingTopUpBeforeCooperativeClose(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	w := e.at(id)
	d := coopDigest(w, 9, eth(6), eth(9)) // seen deposits: 10 + 5
	sa, sb := sign(t, d, e.alice), sign(t, d, e.bob)

	e.do(e.bob, big.NewInt(1), pc.PackTopUp(id, big.NewInt(1)))
	e.do(e.alice, eth(2), pc.PackTopUp(id, eth(2)))
	e.do(e.bob, big.NewInt(1), pc.PackTopUp(id, big.NewInt(1)))
	// Balances that add up to no deposit total of the channel are refused.
	d2 := coopDigest(w, 9, eth(6), add(eth(9), big.NewInt(3)))
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 9, eth(6), add(eth(9), big.NewInt(3)), sign(t, d2, e.alice), sign(t, d2, e.bob)), "balances do not match deposits")

	aliceBefore, bobBefore := e.balance(e.alice.addr), e.balance(e.bob.addr)
	r := e.do(e.carol, nil, pc.PackCooperativeClose(id, 9, eth(6), eth(9), sa, sb))
	ev, err := pc.UnpackChannelClosedEvent(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "payout A", ev.PayoutA, eth(8))
	eq(t, "payout B", ev.PayoutB, add(eth(9), big.NewInt(2)))
	eq(t, "alice", e.balance(e.alice.addr), add(aliceBefore, eth(8)))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(9), big.NewInt(2)))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestGasBurningRecipient: a party whose receive burns all gas it gets
// cannot make finalize or cooperativeClose expensive: the payout forwards
// PAYOUT_GAS, fails, and waits in withdrawable for the party to collect.
func TestGasBurningRecipient(t *testing.T) {
	e := newEnv(t)
	if got := call(e, e.addr, pc.PackPAYOUTGAS(), pc.UnpackPAYOUTGAS); got.Cmp(big.NewInt(50_000)) != 0 {
		t.Fatalf("PAYOUT_GAS = %v", got)
	}
	wal := e.newWallet(e.alice)
	zero := common.Address{}
	const burn = 3
	open := func() [32]byte {
		r := e.send(e.alice, wal, eth(5), walletC.PackExec(e.addr, eth(5), pc.PackOpen(e.bob.addr, zero, eth(5), e.coord.addr)))
		return e.openedID(r)
	}
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(burn, zero, nil))

	id := open()
	e.do(e.bob, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil))
	e.advance(challengePeriod * time.Second)
	r := e.do(e.carol, nil, pc.PackFinalize(id))
	t.Logf("finalize to a gas burner: %d gas", r.GasUsed)
	if r.GasUsed > 300_000 {
		t.Errorf("finalize to a gas burner used %d gas", r.GasUsed)
	}
	eq(t, "withdrawable", e.withdrawable(zero, wal), eth(5))

	// Its own close too.
	id2 := open()
	e.send(e.alice, wal, nil, walletC.PackExec(e.addr, new(big.Int), pc.PackCloseUnilateral(id2, state{}.solidity(), nil, nil)))
	e.advance(challengePeriod * time.Second)
	r = e.do(e.bob, nil, pc.PackFinalize(id2))
	if r.GasUsed > 300_000 {
		t.Errorf("second finalize used %d gas", r.GasUsed)
	}
	// Accepting, the same close costs this much less.
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(0, zero, nil))
	id3 := open()
	e.do(e.bob, nil, pc.PackCloseUnilateral(id3, state{}.solidity(), nil, nil))
	e.advance(challengePeriod * time.Second)
	r3 := e.do(e.carol, nil, pc.PackFinalize(id3))
	t.Logf("finalize to an accepting wallet: %d gas", r3.GasUsed)
	t.Logf("second finalize to a gas burner: %d gas", r.GasUsed)
	if extra := r.GasUsed - r3.GasUsed; extra > 50_000+30_000 {
		t.Errorf("a gas burner adds %d gas to finalize, want at most PAYOUT_GAS and a withdrawable credit", extra)
	}
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(burn, zero, nil))
	eq(t, "withdrawable", e.withdrawable(zero, wal), eth(10))

	// The wallet stops burning and collects everything, with all the gas
	// it wants.
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(0, zero, nil))
	e.send(e.alice, wal, nil, walletC.PackExec(e.addr, new(big.Int), pc.PackWithdraw(zero)))
	eq(t, "wallet", e.balance(wal), eth(15))
	eq(t, "withdrawable", e.withdrawable(zero, wal), new(big.Int))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestWatchtowerChallenges: carol, no party, holds bob's newest state and
// overturns alice's stale close while bob is away; she can also submit the
// outcome. Bob ends with his due.
func TestWatchtowerChallenges(t *testing.T) {
	e := newEnv(t)
	x := id32("watched payment")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.alice, before())
	r := e.challengeHop(h, e.carol, lockState(3, x, stageCommitted, false))
	ev, err := pc.UnpackChallengedEvent(r.Logs[0])
	if err != nil || ev.By != e.carol.addr || ev.Version != 3 {
		t.Fatalf("Challenged = %+v, %v", ev, err)
	}
	// A watchtower cannot bring a state the parties did not both sign.
	e.reverts(e.carol, nil, e.challengeDataBy(h.id, paid(5), e.bob, e.bob), "bad signature of A")
	e.submitOutcome(e.carol, x, true)
	e.wantPayouts(h, eth(9), eth(1))
}

// TestOutcomeAfterFinalizeChangesNothing: a channel finalized before any
// outcome returned its lock to the payer; an outcome recorded later neither
// reopens it nor pays twice.
func TestOutcomeAfterFinalizeChangesNothing(t *testing.T) {
	e := newEnv(t)
	x := id32("late outcome")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.bob, lockState(3, x, stageCommitted, false))
	e.wantPayouts(h, eth(10), new(big.Int))
	e.submitOutcome(e.bob, x, true)
	e.reverts(e.bob, nil, pc.PackFinalize(h.id), "channel not closing")
	e.reverts(e.bob, nil, e.challengeDataBy(h.id, paid(4), e.alice, e.bob), "channel not closing")
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestCrossChainLocksSettleByOutcome: a cross-chain lock is like any lock:
// accepted at either stage without an outcome, paid to its payee only on
// a confirmed outcome of this chain's domain.
func TestCrossChainLocksSettleByOutcome(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stage   uint8
		outcome int // -1 none, 0 refunded, 1 confirmed
		toPayee bool
	}{
		{"prepared, confirmed", stagePrepared, 1, true},
		{"prepared, refunded", stagePrepared, 0, false},
		{"prepared, none", stagePrepared, -1, false},
		{"committed, confirmed", stageCommitted, 1, true},
		{"committed, refunded", stageCommitted, 0, false},
		{"committed, none", stageCommitted, -1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			x := id32("swap " + tc.name)
			h := e.openHop(e.alice, e.bob, e.coord.addr)
			e.closeHop(h, e.bob, lockState(2, x, tc.stage, true))
			if tc.outcome >= 0 {
				e.submitOutcome(e.mallory, x, tc.outcome == 1)
			}
			if tc.toPayee {
				e.wantPayouts(h, eth(9), eth(1))
			} else {
				e.wantPayouts(h, eth(10), new(big.Int))
			}
		})
	}
}

// TestLockBToA: a lock paid by party B resolves the other way.
func TestLockBToA(t *testing.T) {
	for _, confirmed := range []bool{true, false} {
		e := newEnv(t)
		p := id32("payment B to A")
		id, _ := e.openNative(e.alice, e.bob, eth(1))
		e.do(e.bob, eth(10), pc.PackTopUp(id, eth(10)))
		s := state{version: 4, depA: eth(1), depB: eth(10), balA: eth(1), balB: eth(8),
			lock: &lock{id: p, amount: eth(2), aToB: false, stage: stageCommitted}}
		e.do(e.alice, nil, e.closeData(id, s))
		e.submitOutcome(e.alice, p, confirmed)
		a, b := e.finalizeAfter(id)
		if confirmed {
			eq(t, "payout A", a, eth(3))
			eq(t, "payout B", b, eth(8))
		} else {
			eq(t, "payout A", a, eth(1))
			eq(t, "payout B", b, eth(10))
		}
	}
}

// TestCooperativeCloseReplacesClosingLock: while a close on a locked state
// runs, the parties settle cooperatively on the lock-free state after the
// outcome; the lock is gone and nothing waits for an outcome.
func TestCooperativeCloseReplacesClosingLock(t *testing.T) {
	e := newEnv(t)
	x := id32("settled while closing")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.bob, lockState(3, x, stageCommitted, false))
	r := e.coopClose(h, 4, eth(9), eth(1))
	if evs := lockResolved(r); len(evs) != 0 {
		t.Errorf("cooperative close resolved a lock: %+v", evs)
	}
	c := e.channel(h.id)
	if c.Status != statusClosed || c.LockStage != stageNone || c.LockAmount.Sign() != 0 || c.LockId != ([32]byte{}) {
		t.Errorf("channel after cooperative close %+v", c)
	}
	eq(t, "recorded payout A", c.CloseBalanceA, eth(9))
	eq(t, "recorded payout B", c.CloseBalanceB, eth(1))
	e.advance(challengePeriod * time.Second)
	e.reverts(e.mallory, nil, pc.PackFinalize(h.id), "channel not closing")
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}
