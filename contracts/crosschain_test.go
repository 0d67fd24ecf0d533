package contracts_test

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/messages"
)

// TestCrossChainPreparedLockNeedsOutcome: a prepared cross-chain lock can
// be used neither to close nor to challenge until the instance's outcome
// is recorded; then it resolves by that outcome ([0056], [0136]-[0137]).
func TestCrossChainPreparedLockNeedsOutcome(t *testing.T) {
	for _, confirmed := range []bool{false, true} {
		name := map[bool]string{false: "refunded", true: "confirmed"}[confirmed]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			x := id32("swap instance " + name)
			h := e.openHop(e.alice, e.bob, e.coord.addr)
			prepared := lockState(2, x, stagePrepared, true)

			e.reverts(e.alice, nil, e.closeData(h.id, prepared), "cross-chain lock: refund first")
			e.reverts(e.bob, nil, e.closeData(h.id, prepared), "cross-chain lock: refund first")
			e.do(e.alice, nil, pc.PackCloseUnilateral(h.id, state{}.solidity(), nil, nil))
			e.reverts(e.bob, nil, e.challengeData(h.id, prepared), "cross-chain lock: refund first")

			r := e.do(e.mallory, nil, pc.PackSubmitOutcome(x, confirmed, e.coord.addr, e.signOutcome(x, confirmed, e.coord)))
			ev, err := pc.UnpackOutcomeRecordedEvent(r.Logs[0])
			if err != nil || ev.InstanceId != x || ev.Coordinator != e.coord.addr || ev.Confirmed != confirmed {
				t.Fatalf("OutcomeRecorded = %+v, %v", ev, err)
			}
			want := map[bool]uint8{false: outcomeRefunded, true: outcomeConfirmed}[confirmed]
			if got := e.outcome(e.coord.addr, x); got != want {
				t.Fatalf("outcome %d, want %d", got, want)
			}
			r = e.do(e.bob, nil, e.challengeData(h.id, prepared))
			if evs := settled(r); len(evs) != 0 {
				t.Errorf("a cross-chain lock settled a payment: %+v", evs)
			}
			if got := e.stage(e.coord.addr, x); got != stageNone {
				t.Errorf("payment stage %d for a cross-chain lock", got)
			}
			a, b := e.finalizeAfter(h.id)
			if confirmed {
				eq(t, "payout A", a, eth(9))
				eq(t, "payout B", b, eth(1))
			} else {
				eq(t, "payout A", a, eth(10))
				eq(t, "payout B", b, new(big.Int))
			}
		})
	}
}

// TestCrossChainCommittedLock: a committed cross-chain lock closes without
// an outcome and goes to the payee; if the coordinator's outcome on chain
// says refunded, the outcome wins, as it does on the other chains.
func TestCrossChainCommittedLock(t *testing.T) {
	e := newEnv(t)
	y := id32("committed swap")
	h := e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.bob, lockState(3, y, stageCommitted, true))
	a, b := e.finalizeAfter(h.id)
	eq(t, "payout A", a, eth(9))
	eq(t, "payout B", b, eth(1))

	z := id32("committed, then refunded")
	h = e.openHop(e.alice, e.bob, e.coord.addr)
	e.closeHop(h, e.bob, lockState(3, z, stageCommitted, true))
	e.do(e.alice, nil, pc.PackSubmitOutcome(z, false, e.coord.addr, e.signOutcome(z, false, e.coord)))
	a, b = e.finalizeAfter(h.id)
	eq(t, "payout A", a, eth(10))
	eq(t, "payout B", b, new(big.Int))
}

func TestSubmitOutcomeRules(t *testing.T) {
	e := newEnv(t)
	x := id32("instance")
	good := e.signOutcome(x, true, e.coord)
	otherChain := sign(t, messages.OutcomeDigest(e.chainID.Uint64()+1, e.addr, x, true), e.coord)
	otherContract := sign(t, messages.OutcomeDigest(e.chainID.Uint64(), e.bob.addr, x, true), e.coord)
	// Signed over a channel's domain (salt = channel id) instead of the zero salt.
	var yes [32]byte
	yes[31] = 1
	structHash := crypto.Keccak256(crypto.Keccak256([]byte(messages.OutcomeType)), x[:], yes[:])
	dom := messages.DomainSeparator(e.chainID.Uint64(), e.addr, id32("some channel"))
	d := crypto.Keccak256Hash([]byte{0x19, 0x01}, dom[:], structHash)
	zero := messages.DomainSeparator(e.chainID.Uint64(), e.addr, [32]byte{})
	if crypto.Keccak256Hash([]byte{0x19, 0x01}, zero[:], structHash) != messages.OutcomeDigest(e.chainID.Uint64(), e.addr, x, true) {
		t.Fatal("test rebuilds the outcome digest wrongly")
	}
	channelSalt := sign(t, d, e.coord)

	for _, tc := range []struct {
		name        string
		confirmed   bool
		coordinator common.Address
		sig         []byte
		want        string
	}{
		{"forged by mallory", true, e.coord.addr, e.signOutcome(x, true, e.mallory), "bad coordinator signature"},
		{"other outcome", false, e.coord.addr, good, "bad coordinator signature"},
		{"other chain", true, e.coord.addr, otherChain, "bad coordinator signature"},
		{"other contract", true, e.coord.addr, otherContract, "bad coordinator signature"},
		{"channel salt", true, e.coord.addr, channelSalt, "bad coordinator signature"},
		{"zero coordinator", true, common.Address{}, good, "zero coordinator"},
		{"short signature", true, e.coord.addr, good[:64], "bad signature length"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.reverts(e.alice, nil, pc.PackSubmitOutcome(x, tc.confirmed, tc.coordinator, tc.sig), tc.want)
		})
	}
	e.t = t
	e.do(e.alice, nil, pc.PackSubmitOutcome(x, true, e.coord.addr, good))
	// The same outcome again is a no-op; a different one is refused.
	if r := e.do(e.bob, nil, pc.PackSubmitOutcome(x, true, e.coord.addr, good)); len(r.Logs) != 0 {
		t.Errorf("repeated outcome logged %d events", len(r.Logs))
	}
	e.reverts(e.bob, nil, pc.PackSubmitOutcome(x, false, e.coord.addr, e.signOutcome(x, false, e.coord)), "outcome already recorded")
	if got := e.outcome(e.coord.addr, x); got != outcomeConfirmed {
		t.Errorf("outcome %d, want confirmed", got)
	}
	// Outcomes are per coordinator.
	if got := e.outcome(e.mallory.addr, x); got != outcomeNone {
		t.Errorf("outcome under mallory %d", got)
	}
	e.do(e.bob, nil, pc.PackSubmitOutcome(x, false, e.mallory.addr, e.signOutcome(x, false, e.mallory)))
	if got := e.outcome(e.mallory.addr, x); got != outcomeRefunded {
		t.Errorf("outcome under mallory %d, want refunded", got)
	}
}
