package contracts_test

import (
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/messages"
)

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
