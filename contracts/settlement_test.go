package contracts_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// hop is one channel of a same-chain payment: payer is party A and
// deposited 10 ether; the payment moves 1 ether to payee, party B.
type hop struct {
	id           [32]byte
	payer, payee *party
}

func (e *env) openHop(payer, payee *party, coordinator common.Address) hop {
	e.t.Helper()
	r := e.do(payer, eth(10), pc.PackOpen(payee.addr, common.Address{}, eth(10), coordinator))
	return hop{id: e.openedID(r), payer: payer, payee: payee}
}

// lockState is the hop's state with the payment's lock at stage.
func lockState(version uint64, lockID [32]byte, stage uint8, cross bool) state {
	return state{version: version, depA: eth(10), depB: new(big.Int), balA: eth(9), balB: new(big.Int),
		lock: &lock{id: lockID, amount: eth(1), aToB: true, stage: stage, cross: cross}}
}

func (e *env) closeHop(h hop, by *party, s state) *types.Receipt {
	e.t.Helper()
	return e.do(by, nil, e.closeDataBy(h.id, s, h.payer, h.payee))
}

// TestSettlementFirstPreparedWins: the first settlement shows the prepared
// state, so every channel of the payment ends as before it, even one whose
// payee brings the committed state later ([0076]-[0077]).
func TestSettlementFirstPreparedWins(t *testing.T) {
	e := newEnv(t)
	p := id32("payment P")
	h1 := e.openHop(e.alice, e.carol, e.coord.addr) // alice -> carol
	h2 := e.openHop(e.carol, e.bob, e.coord.addr)   // carol -> bob

	if got := e.stage(e.coord.addr, p); got != stageNone {
		t.Fatalf("stage before settlement %d", got)
	}
	r := e.closeHop(h1, e.alice, lockState(2, p, stagePrepared, false))
	evs := settled(r)
	if len(evs) != 1 || evs[0].LockId != p || evs[0].Coordinator != e.coord.addr || evs[0].Stage != stagePrepared || evs[0].ChannelId != h1.id {
		t.Fatalf("PaymentSettled = %+v", evs)
	}
	if got := e.stage(e.coord.addr, p); got != stagePrepared {
		t.Fatalf("stage %d, want prepared", got)
	}
	// Bob brings the committed state of his channel: no new settlement.
	r = e.closeHop(h2, e.bob, lockState(3, p, stageCommitted, false))
	if evs := settled(r); len(evs) != 0 {
		t.Errorf("second settlement emitted %+v", evs)
	}
	if c := e.channel(h2.id); c.LockStage != stageCommitted {
		t.Errorf("closing lock stage %d, want the committed state it was closed on", c.LockStage)
	}
	bobBefore, carolBefore := e.balance(e.bob.addr), e.balance(e.carol.addr)
	a, b := e.finalizeAfter(h2.id)
	eq(t, "h2 payout to carol", a, eth(10))
	eq(t, "h2 payout to bob", b, new(big.Int))
	eq(t, "carol balance", e.balance(e.carol.addr), add(carolBefore, eth(10)))
	eq(t, "bob balance", e.balance(e.bob.addr), bobBefore)
	a, b = e.finalizeAfter(h1.id)
	eq(t, "h1 payout to alice", a, eth(10))
	eq(t, "h1 payout to carol", b, new(big.Int))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestSettlementFirstCommittedWins: the first settlement shows the
// committed state, so every channel ends as after the payment, even one
// closed by its payer on the prepared state.
func TestSettlementFirstCommittedWins(t *testing.T) {
	e := newEnv(t)
	q := id32("payment Q")
	h1 := e.openHop(e.alice, e.carol, e.coord.addr)
	h2 := e.openHop(e.carol, e.bob, e.coord.addr)

	r := e.closeHop(h2, e.bob, lockState(3, q, stageCommitted, false))
	if evs := settled(r); len(evs) != 1 || evs[0].Stage != stageCommitted {
		t.Fatalf("PaymentSettled = %+v", evs)
	}
	// Alice, the payer upstream, tries to take her payment back with the
	// prepared state.
	e.closeHop(h1, e.alice, lockState(2, q, stagePrepared, false))
	if got := e.stage(e.coord.addr, q); got != stageCommitted {
		t.Fatalf("stage %d, want committed", got)
	}
	aliceBefore, carolBefore := e.balance(e.alice.addr), e.balance(e.carol.addr)
	a, b := e.finalizeAfter(h1.id)
	eq(t, "h1 payout to alice", a, eth(9))
	eq(t, "h1 payout to carol", b, eth(1))
	eq(t, "alice balance", e.balance(e.alice.addr), add(aliceBefore, eth(9)))
	eq(t, "carol balance", e.balance(e.carol.addr), add(carolBefore, eth(1)))
	a, b = e.finalizeAfter(h2.id)
	eq(t, "h2 payout to carol", a, eth(9))
	eq(t, "h2 payout to bob", b, eth(1))
}

// TestSettlementByChallenge: a lock first seen in a challenge is settled
// then, and the settlement stands even when a newer state without the lock
// replaces it.
func TestSettlementByChallenge(t *testing.T) {
	e := newEnv(t)
	x := id32("payment X")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.do(e.alice, nil, pc.PackCloseUnilateral(h.id, state{}.solidity(), nil, nil))
	r := e.do(e.bob, nil, e.challengeDataBy(h.id, lockState(2, x, stageCommitted, false), e.alice, e.bob))
	if evs := settled(r); len(evs) != 1 || evs[0].Stage != stageCommitted || evs[0].ChannelId != h.id {
		t.Fatalf("PaymentSettled = %+v", evs)
	}
	// A newer state in which the parties already applied the payment.
	done := state{version: 3, depA: eth(10), depB: new(big.Int), balA: eth(9), balB: eth(1)}
	e.do(e.alice, nil, e.challengeDataBy(h.id, done, e.alice, e.bob))
	if got := e.stage(e.coord.addr, x); got != stageCommitted {
		t.Errorf("stage %d, want committed", got)
	}
	a, b := e.finalizeAfter(h.id)
	eq(t, "payout A", a, eth(9))
	eq(t, "payout B", b, eth(1))
}

// TestSettlementScopedByCoordinator: a lock id settled under one
// coordinator does not settle the same id under another.
func TestSettlementScopedByCoordinator(t *testing.T) {
	e := newEnv(t)
	p := id32("payment P")
	h1 := e.openHop(e.alice, e.bob, e.coord.addr)
	h2 := e.openHop(e.alice, e.bob, e.mallory.addr)
	e.closeHop(h1, e.alice, lockState(2, p, stagePrepared, false))
	e.closeHop(h2, e.bob, lockState(3, p, stageCommitted, false))
	if got := e.stage(e.coord.addr, p); got != stagePrepared {
		t.Errorf("stage under coordinator %d, want prepared", got)
	}
	if got := e.stage(e.mallory.addr, p); got != stageCommitted {
		t.Errorf("stage under mallory %d, want committed", got)
	}
	_, b := e.finalizeAfter(h2.id)
	eq(t, "h2 payee", b, eth(1))
	_, b = e.finalizeAfter(h1.id)
	eq(t, "h1 payee", b, new(big.Int))
}

// TestSettlementLockBToA: a lock paid by party B resolves the other way.
func TestSettlementLockBToA(t *testing.T) {
	e := newEnv(t)
	p := id32("payment B to A")
	id, _ := e.openNative(e.alice, e.bob, eth(1))
	e.do(e.bob, eth(10), pc.PackTopUp(id, eth(10)))
	s := state{version: 4, depA: eth(1), depB: eth(10), balA: eth(1), balB: eth(8),
		lock: &lock{id: p, amount: eth(2), aToB: false, stage: stageCommitted}}
	e.do(e.alice, nil, e.closeData(id, s))
	a, b := e.finalizeAfter(id)
	eq(t, "payout A", a, eth(3))
	eq(t, "payout B", b, eth(8))

	q := id32("payment B to A, refunded")
	id, _ = e.openNative(e.alice, e.bob, eth(1))
	e.do(e.bob, eth(10), pc.PackTopUp(id, eth(10)))
	s.lock = &lock{id: q, amount: eth(2), aToB: false, stage: stagePrepared}
	e.do(e.bob, nil, e.closeData(id, s))
	a, b = e.finalizeAfter(id)
	eq(t, "payout A", a, eth(1))
	eq(t, "payout B", b, eth(10))
}
