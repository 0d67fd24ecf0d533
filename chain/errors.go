package chain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// Sentinel errors; adapter errors wrap them (test with errors.Is).
var (
	// ErrReverted is matched by every *RevertError.
	ErrReverted = errors.New("chain: execution reverted")
	// ErrInsufficientFunds: the sender cannot pay value + gas.
	ErrInsufficientFunds = errors.New("chain: insufficient funds for gas * price + value")
	// ErrTimeout: a transaction was not mined/confirmed in time (the context
	// expired or the adapter's receipt timeout passed). The transaction may
	// still be mined later.
	ErrTimeout = errors.New("chain: timed out waiting for transaction")
	// ErrNonce: the node kept rejecting the transaction's nonce even after
	// the adapter resynchronised it.
	ErrNonce = errors.New("chain: nonce rejected")
	// ErrSigner: the TxSigner failed or signed for another address.
	ErrSigner = errors.New("chain: signer failed")
	// ErrClosed: the chain adapter was closed.
	ErrClosed = errors.New("chain: closed")
)

// RevertError is an EVM revert. Reason is the decoded Error(string) message
// or a Panic(uint256) description; for custom errors it is empty and Data
// holds the raw revert data (decode it with the contract binding).
type RevertError struct {
	Reason string
	Data   []byte
	// TxHash and Receipt are set when the revert happened in a mined
	// transaction (not at gas estimation or in a call).
	TxHash  common.Hash
	Receipt *types.Receipt
}

// NewRevertError decodes revert data into a RevertError.
func NewRevertError(data []byte) *RevertError {
	e := &RevertError{Data: data}
	if reason, err := abi.UnpackRevert(data); err == nil {
		e.Reason = reason
	}
	return e
}

func (e *RevertError) Error() string {
	msg := "execution reverted"
	switch {
	case e.Reason != "":
		msg += ": " + e.Reason
	case len(e.Data) > 0:
		msg += fmt.Sprintf(" (data 0x%x)", e.Data)
	}
	if e.TxHash != (common.Hash{}) {
		msg += " in tx " + e.TxHash.Hex()
	}
	return "chain: " + msg
}

// Is makes errors.Is(err, ErrReverted) true for every RevertError.
func (e *RevertError) Is(target error) bool { return target == ErrReverted }
