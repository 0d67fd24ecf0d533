package chaintest

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/messages"
)

// testPaymentChannels exercises teeswap's own contract through its abigen v2
// bindings: deploy, a revert reason, an open, its event and its state.
func testPaymentChannels(t *testing.T, c chain.Chain, funded chain.TxSigner) {
	pc := contracts.NewPaymentChannels()
	ctx := ctxFor(t)
	addr, _, err := chain.Deploy(ctx, c, funded, common.FromHex(contracts.PaymentChannelsMetaData.Bin), pc.PackConstructor(60))
	if err != nil {
		t.Fatalf("deploy PaymentChannels: %v", err)
	}
	b, coord := NewRandomSigner().Address(), NewRandomSigner().Address()

	_, err = c.Transact(ctx, funded, &addr, pc.PackOpen(b, common.Address{}, new(big.Int), coord), nil)
	wantRevert(t, err, "zero amount")
	_, err = c.Transact(ctx, funded, &addr, pc.PackOpen(b, common.Address{}, big.NewInt(10), coord), big.NewInt(9))
	wantRevert(t, err, "value does not match amount")

	deposit := big.NewInt(1000)
	r, err := c.Transact(ctx, funded, &addr, pc.PackOpen(b, common.Address{}, deposit, coord), deposit)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var opened *contracts.PaymentChannelsChannelOpened
	for _, l := range r.Logs {
		if ev, err := pc.UnpackChannelOpenedEvent(l); err == nil {
			opened = ev
		}
	}
	if opened == nil || opened.A != funded.Address() || opened.B != b || opened.Coordinator != coord ||
		opened.DepositA.Cmp(deposit) != 0 || opened.Token != (common.Address{}) {
		t.Fatalf("ChannelOpened %+v", opened)
	}
	out, err := c.Call(ctx, ethereum.CallMsg{To: &addr, Data: pc.PackGetChannel(opened.ChannelId)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := pc.UnpackGetChannel(out)
	if err != nil || ch.A != funded.Address() || ch.B != b || ch.DepositA.Cmp(deposit) != 0 {
		t.Fatalf("getChannel %+v (%v)", ch, err)
	}
	if got := balance(t, c, addr); got.Cmp(deposit) != 0 {
		t.Fatalf("contract holds %v, want %v", got, deposit)
	}
	// The event by its indexed channel id.
	ev := pc.GetABI().Events[contracts.PaymentChannelsChannelOpenedEventName]
	logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: r.BlockNumber, ToBlock: r.BlockNumber, Addresses: []common.Address{addr},
		Topics: [][]common.Hash{{ev.ID}, {opened.ChannelId}},
	})
	if err != nil || len(logs) != 1 || logs[0].TxHash != r.TxHash {
		t.Fatalf("FilterLogs by channel id: %v (%v)", logs, err)
	}
	// Top-up by a stranger reverts with its reason, on chain too.
	stranger := Fund(t, c, funded, Ether(1))
	_, err = c.Transact(ctx, stranger, &addr, pc.PackTopUp(opened.ChannelId, big.NewInt(1)), big.NewInt(1))
	wantRevert(t, err, "not a party")
	if r.Status != types.ReceiptStatusSuccessful {
		t.Fatal("open failed")
	}
}

// disputePeriod is the challenge period of testPaymentChannelsDispute: long
// enough for a close, a challenge and an outcome to land on a loaded real
// node, short enough to wait out.
const disputePeriod = 6

// testPaymentChannelsDispute runs the dispute path end to end: A closes on
// a stale state, a watchtower (no party) challenges with the newest state,
// which holds a lock, and submits the coordinator's CONFIRMED outcome;
// after the deadline anyone finalizes and the lock goes to B.
func testPaymentChannelsDispute(t *testing.T, c chain.Chain, funded chain.TxSigner) {
	pc := contracts.NewPaymentChannels()
	ctx := ctxFor(t)
	addr, _, err := chain.Deploy(ctx, c, funded, common.FromHex(contracts.PaymentChannelsMetaData.Bin), pc.PackConstructor(disputePeriod))
	if err != nil {
		t.Fatalf("deploy PaymentChannels: %v", err)
	}
	a := Fund(t, c, funded, Ether(2))
	b, coord, tower := NewRandomSigner(), NewRandomSigner(), Fund(t, c, funded, Ether(1))
	deposit := Ether(1)
	r, err := c.Transact(ctx, a, &addr, pc.PackOpen(b.Address(), common.Address{}, deposit, coord.Address()), deposit)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	var id [32]byte
	for _, l := range r.Logs {
		if ev, err := pc.UnpackChannelOpenedEvent(l); err == nil {
			id = ev.ChannelId
		}
	}
	chainID := new(big.Int).SetUint64(c.ChainID())
	instance := crypto.Keccak256Hash([]byte("conformance instance"))
	amt := func(n int64) *big.Int { return new(big.Int).Div(Ether(n), big.NewInt(10)) } // tenths of an ether
	stale := contracts.PaymentChannelsState{Version: 1, DepositA: deposit, DepositB: new(big.Int),
		BalanceA: deposit, BalanceB: new(big.Int), LockAmount: new(big.Int)}
	newest := contracts.PaymentChannelsState{Version: 2, DepositA: deposit, DepositB: new(big.Int),
		BalanceA: amt(7), BalanceB: new(big.Int), LockId: instance, LockAmount: amt(3), LockAToB: true, LockStage: 1}
	sigs := func(st contracts.PaymentChannelsState) (sa, sb []byte) {
		m := &messages.ChannelState{ChainId: chainID.Uint64(), Contract: addr.Bytes(), ChannelId: id[:], Version: st.Version,
			DepositA: messages.AmountBytes(st.DepositA), DepositB: messages.AmountBytes(st.DepositB),
			BalanceA: messages.AmountBytes(st.BalanceA), BalanceB: messages.AmountBytes(st.BalanceB)}
		if st.LockStage != 0 {
			m.Lock = &messages.Lock{LockId: st.LockId[:], Amount: messages.AmountBytes(st.LockAmount),
				AToB: st.LockAToB, Stage: messages.LockStage(st.LockStage)}
		}
		d, err := messages.ChannelStateDigest(m)
		if err != nil {
			t.Fatal(err)
		}
		return a.signDigest(t, d), b.signDigest(t, d)
	}

	sa, sb := sigs(stale)
	r, err = c.Transact(ctx, a, &addr, pc.PackCloseUnilateral(id, stale, sa, sb), nil)
	if err != nil {
		t.Fatalf("closeUnilateral: %v", err)
	}
	closeReq, err := pc.UnpackCloseRequestedEvent(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Transact(ctx, tower, &addr, pc.PackFinalize(id), nil)
	wantRevert(t, err, "challenge period not over")
	sa, sb = sigs(newest)
	if _, err = c.Transact(ctx, tower, &addr, pc.PackChallenge(id, newest, sa, sb), nil); err != nil {
		t.Fatalf("watchtower challenge: %v", err)
	}
	outcomeSig := coord.signDigest(t, messages.OutcomeDigest(chainID.Uint64(), addr, instance, true))
	if _, err = c.Transact(ctx, tower, &addr, pc.PackSubmitOutcome(instance, true, coord.Address(), outcomeSig), nil); err != nil {
		t.Fatalf("submitOutcome: %v", err)
	}

	// Wait for a block at or past the deadline; a dev node mines only on
	// transactions, so send some.
	for {
		h, err := c.HeaderByNumber(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Time >= closeReq.Deadline {
			break
		}
		if _, err := c.Transact(ctx, funded, ptr(funded.Address()), nil, big.NewInt(1)); err != nil {
			t.Fatalf("tick: %v", err)
		}
		select {
		case <-ctx.Done():
			t.Fatal("deadline never reached")
		case <-time.After(100 * time.Millisecond):
		}
	}
	r, err = c.Transact(ctx, tower, &addr, pc.PackFinalize(id), nil)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	var resolved *contracts.PaymentChannelsLockResolved
	var closed *contracts.PaymentChannelsChannelClosed
	for _, l := range r.Logs {
		if ev, err := pc.UnpackLockResolvedEvent(l); err == nil {
			resolved = ev
		}
		if ev, err := pc.UnpackChannelClosedEvent(l); err == nil {
			closed = ev
		}
	}
	if resolved == nil || !resolved.ToPayee || resolved.Outcome != 1 || resolved.LockId != instance {
		t.Fatalf("LockResolved %+v", resolved)
	}
	if closed == nil || closed.PayoutA.Cmp(amt(7)) != 0 || closed.PayoutB.Cmp(amt(3)) != 0 {
		t.Fatalf("ChannelClosed %+v", closed)
	}
	if got := balance(t, c, b.Address()); got.Cmp(amt(3)) != 0 {
		t.Fatalf("B holds %v, want %v", got, amt(3))
	}
	if got := balance(t, c, addr); got.Sign() != 0 {
		t.Fatalf("contract holds %v after the close", got)
	}
}
