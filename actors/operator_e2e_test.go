package actors_test

import (
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/messages"
)

func (w *onChainWorld) topUp(by string, id [32]byte, amount *big.Int) *messages.ChannelToppedUp {
	w.t.Helper()
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr(by)), &messages.ChannelTopUp{ChannelId: id[:], Amount: messages.AmountBytes(amount)}, 30*time.Second).Result()
	if err != nil {
		w.t.Fatal(err)
	}
	return res.(*messages.ChannelToppedUp)
}

func (w *onChainWorld) chain(id uint64) *evm.Simulated {
	for _, c := range w.chains {
		if c.ChainID() == id {
			return c
		}
	}
	w.t.Fatalf("no chain %d", id)
	return nil
}

// The B side of a channel tops it up through its terminal's control
// message, so value can flow both ways; both enclaves count the deposit.
// A top-up of a channel the terminal does not have, of nothing, or of a
// closed channel is refused, and a second close sends no transaction.
func TestOperatorTopUpAndCloseTwice(t *testing.T) {
	w := newOnChainWorld(t)
	const deposit, more = 1_000_000, 250_000
	id := w.open("s1", "i1", deposit)
	w.expect("s1", "i1", deposit, 0)

	got := w.topUp("i1", id, big.NewInt(more))
	if got.Error != "" || new(big.Int).SetBytes(got.DepositA).Int64() != deposit || new(big.Int).SetBytes(got.DepositB).Int64() != more ||
		got.ChainId != w.chainOf["s1"] || len(got.Asset) != 20 {
		t.Fatalf("top up: %+v", got)
	}
	w.expect("s1", "i1", deposit, more)
	w.checkTxs(w.chainOf["s1"], got.Txs, "topup")

	// A terminal that is no party to the channel has no such channel.
	if r := w.topUp("r1", id, big.NewInt(1)); !strings.Contains(r.Error, "unknown channel") {
		t.Fatalf("stranger's top-up: %+v", r)
	}
	if r := w.topUp("i1", id, big.NewInt(0)); !strings.Contains(r.Error, "positive") {
		t.Fatalf("zero top-up: %+v", r)
	}

	closeRes, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr("s1")), &messages.ChannelClose{ChannelId: id[:]}, 30*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	closed := closeRes.(*messages.ChannelClosed)
	if a, b := new(big.Int).SetBytes(closed.PayoutA).Int64(), new(big.Int).SetBytes(closed.PayoutB).Int64(); closed.Error != "" || a != deposit || b != more {
		t.Fatalf("close paid %d/%d (%s)", a, b, closed.Error)
	}
	w.checkTxs(w.chainOf["s1"], closed.Txs, "close")
	c := w.chain(w.chainOf["s1"])
	before, err := c.BalanceAt(context.Background(), w.addr("s1"), nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr("s1")), &messages.ChannelClose{ChannelId: id[:]}, 30*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if again := res.(*messages.ChannelClosed); !strings.Contains(again.Error, "already closed") || len(again.Txs) != 0 {
		t.Fatalf("second close: %q, %d transactions", again.Error, len(again.Txs))
	}
	after, _ := c.BalanceAt(context.Background(), w.addr("s1"), nil)
	if after.Cmp(before) != 0 {
		t.Fatalf("second close spent gas: %v -> %v", before, after)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := w.topUp("i1", id, big.NewInt(1))
		if strings.Contains(r.Error, "closed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("top-up of a closed channel: %+v", r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkTxs asserts that a reply names exactly the given transactions, in
// order, each with the hash, block and gas of its receipt on the chain.
func (w *onChainWorld) checkTxs(chainID uint64, txs []*messages.TxReceipt, actions ...string) {
	w.t.Helper()
	if len(txs) != len(actions) {
		w.t.Fatalf("reply names %d transactions %v, want %v", len(txs), txs, actions)
	}
	c := w.chain(chainID)
	for i, tx := range txs {
		r, err := c.WaitReceipt(context.Background(), common.BytesToHash(tx.TxHash), 0)
		if err != nil {
			w.t.Fatalf("%s tx %x: %v", tx.Action, tx.TxHash, err)
		}
		if tx.Action != actions[i] || tx.ChainId != chainID || tx.Block != r.BlockNumber.Uint64() || tx.GasUsed != r.GasUsed || tx.GasUsed == 0 || tx.Reverted {
			w.t.Fatalf("tx %d: %+v, receipt block %d gas %d, want action %s", i, tx, r.BlockNumber, r.GasUsed, actions[i])
		}
	}
}
