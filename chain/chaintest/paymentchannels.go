package chaintest

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/contracts"
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
