package protocoltest_test

// Role tests for the terminal enclave's transaction entry point (BuildTx)
// with a malicious host: it asks for transactions the enclave's channel
// state does not back, and each is refused with a typed error and signs
// nothing.

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	gethcommon "github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// params are honest host parameters for chain c of w.
func params(w *protocoltest.World, c int) terminal.TxParams {
	return terminal.TxParams{ChainID: w.Chains[c].ID, Contract: w.Chains[c].Contract, Nonce: 7, Gas: 300_000,
		GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(10)}
}

// refusesTx asks m for req and wants err, with nothing signed or changed.
func refusesTx(t *testing.T, m *terminal.Machine, want error, req terminal.TxRequest, p terminal.TxParams) {
	t.Helper()
	before := protocoltest.TerminalDigest(m)
	tx, err := m.BuildTx(req, p)
	if !errors.Is(err, want) || tx != nil {
		t.Fatalf("%T: got %v (tx %v), want %v", req, err, tx != nil, want)
	}
	if protocoltest.TerminalDigest(m) != before {
		t.Fatal("a refused transaction changed the terminal")
	}
}

// built checks tx is signed by m for p's chain and calls p's contract with
// the method name.
func built(t *testing.T, m *terminal.Machine, tx *types.Transaction, err error, p terminal.TxParams, method string) []any {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	from, err := types.Sender(types.LatestSignerForChainID(tx.ChainId()), tx)
	if err != nil || from != m.Address() || tx.ChainId().Uint64() != p.ChainID || tx.Nonce() != p.Nonce || tx.Gas() != p.Gas {
		t.Fatalf("tx from %s (%v), chain %v nonce %d gas %d", from, err, tx.ChainId(), tx.Nonce(), tx.Gas())
	}
	if *tx.To() != p.Contract {
		t.Fatalf("tx to %s, want the contract %s", tx.To(), p.Contract)
	}
	abi := contracts.NewPaymentChannels().GetABI()
	meth, err := abi.MethodById(tx.Data())
	if err != nil || meth.Name != method {
		t.Fatalf("tx calls %v (%v), want %s", meth, err, method)
	}
	args, err := meth.Inputs.Unpack(tx.Data()[4:])
	if err != nil {
		t.Fatal(err)
	}
	return args
}

// swapped runs one confirmed 100-unit swap over fig. 1.
func swapped(t *testing.T, seed int64) *protocoltest.World {
	t.Helper()
	w := fig1(seed)
	if _, err := w.Start(100, 0, 1); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	return w
}

func TestEnclaveRefusesCooperativeCloseAtOldState(t *testing.T) {
	w := swapped(t, 31)
	ch := w.Chains[0].Hops[0].Channel
	s1, i1 := w.Terminal("s1"), w.Terminal("i1")
	terms, _, err := s1.CooperativeClose(ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer, _, err := i1.CooperativeClose(ch, &terms)
	if err != nil {
		t.Fatal(err)
	}
	p := params(w, 0)
	// The state before the swap, which s1 would rather close on: both
	// parties once held it, but it is not the latest.
	old := terms
	old.Version, old.BalanceA, old.BalanceB = 0, big.NewInt(1000), big.NewInt(1000)
	oldDigest := messages.CooperativeCloseDigest(p.ChainID, p.Contract, ch, 0, old.BalanceA, old.BalanceB)
	sigA, _ := w.Keys["s1"].Sign(oldDigest)
	sigB, _ := w.Keys["i1"].Sign(oldDigest)
	refusesTx(t, s1, terminal.ErrNotLatest, terminal.CooperativeCloseTx{Terms: old, SigA: sigA, SigB: sigB}, p)
	// The latest terms with a forged counter-signature.
	refusesTx(t, s1, terminal.ErrBadSignature, terminal.CooperativeCloseTx{Terms: terms, SigA: terms.Signature, SigB: terms.Signature}, p)
	// The latest terms, but to another contract or chain.
	other := p
	other.Contract = gethcommon.HexToAddress("0xbad")
	refusesTx(t, s1, terminal.ErrWrongContract, terminal.CooperativeCloseTx{Terms: terms, SigA: terms.Signature, SigB: peer.Signature}, other)
	other = p
	other.ChainID = 99
	refusesTx(t, s1, terminal.ErrWrongContract, terminal.CooperativeCloseTx{Terms: terms, SigA: terms.Signature, SigB: peer.Signature}, other)

	tx, err := s1.BuildTx(terminal.CooperativeCloseTx{Terms: terms, SigA: terms.Signature, SigB: peer.Signature}, p)
	args := built(t, s1, tx, err, p, "cooperativeClose")
	if args[1].(uint64) != terms.Version || args[2].(*big.Int).Int64() != 900 || args[3].(*big.Int).Int64() != 1100 {
		t.Fatalf("cooperative close args %v", args)
	}
}

func TestEnclaveRefusesStaleUnilateralClose(t *testing.T) {
	w := swapped(t, 32)
	ch := w.Chains[0].Hops[0].Channel
	s1 := w.Terminal("s1")
	p := params(w, 0)
	newest, err := s1.Evidence(ch)
	if err != nil || newest == 0 {
		t.Fatalf("evidence version %d (%v)", newest, err)
	}
	// Not marked for a unilateral close: the enclave would keep signing.
	refusesTx(t, s1, terminal.ErrNotForceClosing, terminal.CloseUnilateralTx{ChannelID: ch, Version: newest}, p)
	if _, err := s1.ForceClose(ch); err != nil {
		t.Fatal(err)
	}
	// The opening deposits, where s1 still had its 100.
	refusesTx(t, s1, terminal.ErrNotLatest, terminal.CloseUnilateralTx{ChannelID: ch, Version: 0}, p)
	other := p
	other.Contract = gethcommon.HexToAddress("0xbad")
	refusesTx(t, s1, terminal.ErrWrongContract, terminal.CloseUnilateralTx{ChannelID: ch, Version: newest}, other)
	refusesTx(t, s1, terminal.ErrUnknownChannel, terminal.CloseUnilateralTx{ChannelID: [32]byte{9}, Version: newest}, p)

	tx, err := s1.BuildTx(terminal.CloseUnilateralTx{ChannelID: ch, Version: newest}, p)
	args := built(t, s1, tx, err, p, "closeUnilateral")
	st := args[1].(struct {
		Version        uint64   `json:"version"`
		DepositA       *big.Int `json:"depositA"`
		DepositB       *big.Int `json:"depositB"`
		BalanceA       *big.Int `json:"balanceA"`
		BalanceB       *big.Int `json:"balanceB"`
		LockId         [32]byte `json:"lockId"`
		LockAmount     *big.Int `json:"lockAmount"`
		LockAToB       bool     `json:"lockAToB"`
		LockStage      uint8    `json:"lockStage"`
		LockCrossChain bool     `json:"lockCrossChain"`
	})
	if st.Version != newest || st.BalanceA.Int64() != 900 || st.BalanceB.Int64() != 1000 || st.LockAmount.Int64() != 100 {
		t.Fatalf("closing state %+v", st)
	}
	// Both signatures over that state recover to the two parties.
	c := s1.Channel(ch)
	d, err := messages.ChannelStateDigest(c.Latest)
	if err != nil {
		t.Fatal(err)
	}
	for i, who := range []string{"s1", "i1"} {
		if got, err := messages.RecoverAddress(d, args[2+i].([]byte)); err != nil || got != w.Addr(who) {
			t.Fatalf("signature %d recovers to %s (%v), want %s", i, got, err, who)
		}
	}
	// Once closing, the channel takes part in nothing new.
	if _, err := w.Start(1, 0); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if got := s1.Channel(ch).Latest.Version; got != newest {
		t.Fatalf("force-closed channel moved to version %d", got)
	}
}

func TestEnclaveChallengesOnlyWithNewerState(t *testing.T) {
	w := swapped(t, 33)
	ch := w.Chains[0].Hops[0].Channel
	i1 := w.Terminal("i1")
	p := params(w, 0)
	newest, _ := i1.Evidence(ch)
	refusesTx(t, i1, terminal.ErrNothingNewer, terminal.ChallengeTx{ChannelID: ch, Version: newest, OnChainVersion: newest}, p)
	refusesTx(t, i1, terminal.ErrNotLatest, terminal.ChallengeTx{ChannelID: ch, Version: newest - 1, OnChainVersion: 0}, p)
	// The counterparty closed on the deposits (version 0): i1 challenges.
	if _, err := i1.ObserveClose(ch, terminal.CloseEvent{Kind: terminal.CloseRequested, Version: 0, Deadline: 5000}); err != nil {
		t.Fatal(err)
	}
	tx, err := i1.BuildTx(terminal.ChallengeTx{ChannelID: ch, Version: newest, OnChainVersion: 0}, p)
	built(t, i1, tx, err, p, "challenge")
	// A host claiming the chain is older than the enclave saw gets nothing
	// more: the enclave keeps the newest closing version it recorded.
	if _, err := i1.ObserveClose(ch, terminal.CloseEvent{Kind: terminal.CloseChallenged, Version: newest}); err != nil {
		t.Fatal(err)
	}
	refusesTx(t, i1, terminal.ErrNothingNewer, terminal.ChallengeTx{ChannelID: ch, Version: newest, OnChainVersion: 0}, p)
}

func TestEnclaveSubmitsOnlyOutcomesItHolds(t *testing.T) {
	w := swapped(t, 34)
	s1 := w.Terminal("s1")
	p := params(w, 0)
	ids := w.InstanceIDs()
	refusesTx(t, s1, terminal.ErrNoOutcome, terminal.SubmitOutcomeTx{InstanceID: [32]byte{7}}, p)
	// s1 has no channel on chain 2's contract and is configured for none.
	refusesTx(t, s1, terminal.ErrWrongContract, terminal.SubmitOutcomeTx{InstanceID: ids[0]}, params(w, 1))
	if _, err := s1.BuildTx(terminal.FinalizeTx{ChannelID: w.Chains[0].Hops[0].Channel}, p); !errors.Is(err, terminal.ErrWrongPhase) {
		t.Fatalf("finalize of an open channel: %v", err)
	}
	tx, err := s1.BuildTx(terminal.SubmitOutcomeTx{InstanceID: ids[0]}, p)
	args := built(t, s1, tx, err, p, "submitOutcome")
	if args[0].([32]byte) != ids[0] || args[1].(bool) != true || args[2].(gethcommon.Address) != w.Coord.Address() {
		t.Fatalf("submitOutcome args %v", args)
	}
	d := messages.OutcomeDigest(p.ChainID, p.Contract, ids[0], true)
	if got, err := messages.RecoverAddress(d, args[3].([]byte)); err != nil || got != w.Coord.Address() {
		t.Fatalf("outcome signature recovers to %s (%v)", got, err)
	}
}

func TestEnclaveOpensOnlyOnItsContractWithAttestedCoordinator(t *testing.T) {
	w := fig1(35)
	key := protocoltest.NewKey(35, "opener")
	contract := w.Chains[0].Contract
	m := terminal.New(terminal.Config{Signer: key, VerifyReport: protocoltest.ReportVerifier,
		Contracts: map[uint64]gethcommon.Address{w.Chains[0].ID: contract}})
	if err := m.AdmitCoordinator(w.Coord.Address(), protocoltest.Report(w.Coord.Address())); err != nil {
		t.Fatal(err)
	}
	p := params(w, 0)
	open := terminal.OpenTx{Counterparty: w.Addr("i1"), Coordinator: w.Coord.Address(), Deposit: big.NewInt(500)}
	other := p
	other.Contract = gethcommon.HexToAddress("0xbad")
	refusesTx(t, m, terminal.ErrWrongContract, open, other)
	other = p
	other.ChainID = w.Chains[1].ID
	refusesTx(t, m, terminal.ErrWrongContract, open, other)
	stranger := open
	stranger.Coordinator = gethcommon.HexToAddress("0xc0ffee")
	refusesTx(t, m, terminal.ErrUntrustedCoordinator, stranger, p)
	self := open
	self.Counterparty = m.Address()
	refusesTx(t, m, terminal.ErrMalformed, self, p)
	noGas := p
	noGas.Gas = 0
	refusesTx(t, m, terminal.ErrMalformed, open, noGas)
	refusesTx(t, m, terminal.ErrMalformed, terminal.ApproveTx{Token: contract, Amount: big.NewInt(1)}, p)
	// Channel transactions for a channel it does not hold.
	refusesTx(t, m, terminal.ErrUnknownChannel, terminal.TopUpTx{ChannelID: w.Chains[0].Hops[0].Channel, Amount: big.NewInt(1)}, p)

	tx, err := m.BuildTx(open, p)
	args := built(t, m, tx, err, p, "open")
	if args[0].(gethcommon.Address) != w.Addr("i1") || args[3].(gethcommon.Address) != w.Coord.Address() || tx.Value().Int64() != 500 {
		t.Fatalf("open args %v value %v", args, tx.Value())
	}
	token := gethcommon.HexToAddress("0x70")
	tx, err = m.BuildTx(terminal.ApproveTx{Token: token, Amount: big.NewInt(5)}, p)
	if err != nil || *tx.To() != token || !bytes.Equal(tx.Data()[16:36], contract.Bytes()) {
		t.Fatalf("approve: %v to %v", err, tx.To())
	}
}
