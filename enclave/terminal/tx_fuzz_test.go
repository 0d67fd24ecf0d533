package terminal_test

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
)

var txErrors = []error{terminal.ErrMalformed, terminal.ErrBadSignature, terminal.ErrUntrustedCoordinator, terminal.ErrUnknownChannel,
	terminal.ErrChannelClosed, terminal.ErrWrongPhase, terminal.ErrWrongContract, terminal.ErrNotLatest, terminal.ErrNothingNewer,
	terminal.ErrNoOutcome, terminal.ErrNotForceClosing}

// FuzzBuildTx asks a terminal of the fig-1 swap, at any point of its run
// and possibly force-closed, for a transaction of any kind with fuzzed
// fields, as a malicious host would. Properties: no panic; a refusal is
// typed and changes nothing; an accepted request is signed by the
// terminal for the host's chain, nonce and gas, and goes to the contract
// of one of its channels (or, for an approve, to a token with the
// contract as spender); BuildTx never changes the machine.
func FuzzBuildTx(f *testing.F) {
	fx := fixture()
	ch := fx.World.Chains[0]
	f.Add(uint32(3), uint32(0), uint8(4), uint8(0), ch.Hops[0].Channel[:], fx.ID[:], uint64(2), uint64(0), []byte{1}, true, false)
	f.Add(uint32(3), uint32(1), uint8(5), uint8(1), ch.Hops[0].Channel[:], fx.ID[:], uint64(2), uint64(0), []byte{1}, true, false)
	f.Add(uint32(3), uint32(0), uint8(6), uint8(0), fx.ID[:], fx.ID[:], uint64(0), uint64(0), []byte{1}, false, false)
	f.Add(uint32(0), uint32(0), uint8(0), uint8(0), ch.Hops[0].Channel[:], fx.ID[:], uint64(0), uint64(0), []byte{1, 0}, false, true)
	f.Fuzz(func(t *testing.T, point, who uint32, kind, chainSel uint8, idRaw, otherRaw []byte, version, onChain uint64, amount []byte, force, wrongContract bool) {
		ft := pick(point, who)
		var id, other [32]byte
		copy(id[:], idRaw)
		copy(other[:], otherRaw)
		if force {
			if _, err := ft.m.ForceClose(id); err != nil && !typed(err) {
				t.Fatalf("force close: untyped %v", err)
			}
		}
		c := fx.World.Chains[int(chainSel)%len(fx.World.Chains)]
		p := terminal.TxParams{ChainID: c.ID, Contract: c.Contract, Nonce: 1, Gas: 100_000, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2)}
		if wrongContract {
			p.Contract = common.BytesToAddress(otherRaw)
		}
		amt := new(big.Int).SetBytes(amount)
		var req terminal.TxRequest
		switch kind % 9 {
		case 0:
			req = terminal.OpenTx{Counterparty: common.BytesToAddress(otherRaw), Coordinator: fx.World.Coord.Address(), Deposit: amt}
		case 1:
			req = terminal.ApproveTx{Token: common.BytesToAddress(otherRaw), Amount: amt}
		case 2:
			req = terminal.TopUpTx{ChannelID: id, Amount: amt}
		case 3:
			req = terminal.CooperativeCloseTx{Terms: terminal.CloseTerms{ChainID: c.ID, Contract: c.Contract, ChannelID: id, Version: version,
				BalanceA: amt, BalanceB: new(big.Int).SetUint64(onChain)}, SigA: otherRaw, SigB: idRaw}
		case 4:
			req = terminal.CloseUnilateralTx{ChannelID: id, Version: version}
		case 5:
			req = terminal.ChallengeTx{ChannelID: id, Version: version, OnChainVersion: onChain}
		case 6:
			req = terminal.SubmitOutcomeTx{InstanceID: id}
		case 7:
			req = terminal.FinalizeTx{ChannelID: id}
		default:
			req = terminal.WithdrawTx{Asset: common.BytesToAddress(otherRaw)}
		}
		ft.mark()
		tx, err := ft.m.BuildTx(req, p)
		if protocoltest.TerminalDigest(ft.m) != ft.beforeD {
			t.Fatalf("BuildTx(%T) changed the machine", req)
		}
		if err != nil {
			ok := false
			for _, e := range txErrors {
				ok = ok || errors.Is(err, e)
			}
			if !ok || tx != nil {
				t.Fatalf("BuildTx(%T): untyped refusal %v (tx %v)", req, err, tx != nil)
			}
			return
		}
		from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
		if err != nil || from != ft.m.Address() || tx.ChainId().Uint64() != p.ChainID || tx.Nonce() != p.Nonce || tx.Gas() != p.Gas {
			t.Fatalf("BuildTx(%T): tx from %s (%v) chain %v", req, from, err, tx.ChainId())
		}
		known := false
		for _, rec := range ft.m.Channels() {
			known = known || rec.ChainId == p.ChainID && common.BytesToAddress(rec.Contract) == p.Contract
		}
		if !known {
			t.Fatalf("BuildTx(%T) signed for chain %d contract %s, where the terminal holds no channel", req, p.ChainID, p.Contract)
		}
		if _, approve := req.(terminal.ApproveTx); approve {
			if !bytes.Equal(tx.Data()[16:36], p.Contract.Bytes()) {
				t.Fatal("approve to a spender other than the contract")
			}
		} else if *tx.To() != p.Contract {
			t.Fatalf("BuildTx(%T) sends to %s, not the contract", req, tx.To())
		}
	})
}
