package actors

import (
	"context"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// txRecorder collects the receipts of the transactions one owner request
// caused (approve and open, a top-up, a close), so the reply can say what
// was sent, where it landed and what it cost. It travels in the context
// of the chain call, which keeps the ChainOps interfaces as they are.
type txRecorder struct {
	mu  sync.Mutex
	txs []*messages.TxReceipt
}

type txRecorderKey struct{}

// withTxRecorder returns ctx carrying a fresh recorder.
func withTxRecorder(ctx context.Context) (context.Context, *txRecorder) {
	r := &txRecorder{}
	return context.WithValue(ctx, txRecorderKey{}, r), r
}

// recordTx notes a mined receipt (reverted or not) in ctx's recorder, if any.
func recordTx(ctx context.Context, chainID uint64, req terminal.TxRequest, r *types.Receipt) {
	rec, ok := ctx.Value(txRecorderKey{}).(*txRecorder)
	if !ok || r == nil {
		return
	}
	tx := &messages.TxReceipt{Action: txAction(req), ChainId: chainID, TxHash: r.TxHash.Bytes(),
		GasUsed: r.GasUsed, Reverted: r.Status != types.ReceiptStatusSuccessful}
	if r.BlockNumber != nil {
		tx.Block = r.BlockNumber.Uint64()
	}
	rec.mu.Lock()
	rec.txs = append(rec.txs, tx)
	rec.mu.Unlock()
}

// receipts returns what was recorded so far (nil for no recorder).
func (r *txRecorder) receipts() []*messages.TxReceipt {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*messages.TxReceipt(nil), r.txs...)
}

// txAction names a transaction request the way replies show it.
func txAction(req terminal.TxRequest) string {
	switch req.(type) {
	case terminal.ApproveTx:
		return "approve"
	case terminal.OpenTx:
		return "open"
	case terminal.TopUpTx:
		return "topup"
	case terminal.CooperativeCloseTx:
		return "close"
	case terminal.CloseUnilateralTx:
		return "close_unilateral"
	case terminal.ChallengeTx:
		return "challenge"
	case terminal.SubmitOutcomeTx:
		return "submit_outcome"
	case terminal.FinalizeTx:
		return "finalize"
	case terminal.WithdrawTx:
		return "withdraw"
	}
	return fmt.Sprintf("%T", req)
}
