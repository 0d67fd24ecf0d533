package contracts_test

import (
	"math/big"
	"testing"

	"github.com/teeswap/teeswap/messages"
)

// TestDigestsMatchMessages checks that the contract hashes states exactly as
// messages/eip712.go does, with and without a lock.
func TestDigestsMatchMessages(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(1))
	w := e.at(id)

	for _, salt := range [][32]byte{id, {}} {
		got := call(e, e.addr, pc.PackDomainSeparator(salt), pc.UnpackDomainSeparator)
		if want := messages.DomainSeparator(w.chainID, e.addr, salt); got != want {
			t.Errorf("domain separator for salt %x: contract %x, messages %x", salt, got, want)
		}
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 255)
	for _, s := range []state{
		{version: 1, depA: eth(1), depB: big.NewInt(0), balA: eth(1), balB: big.NewInt(0)},
		{version: 1<<64 - 1, depA: huge, depB: big.NewInt(7), balA: big.NewInt(3), balB: big.NewInt(4),
			lock: &lock{id: id32("x"), amount: huge, aToB: true, stage: stageCommitted, cross: true}},
		{version: 9, depA: eth(1), depB: eth(2), balA: eth(1), balB: big.NewInt(5),
			lock: &lock{id: id32("y"), amount: big.NewInt(6), stage: stagePrepared}},
	} {
		want, err := messages.ChannelStateDigest(s.proto(w.chainID, w.contract, w.channel))
		if err != nil {
			t.Fatal(err)
		}
		if got := call(e, e.addr, pc.PackStateDigest(id, s.solidity()), pc.UnpackStateDigest); got != want {
			t.Errorf("state %+v: contract digest %x, messages %x", s, got, want)
		}
	}
}
