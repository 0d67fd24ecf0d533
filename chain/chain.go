package chain

import (
	"context"
	"math/big"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
)

// TxSigner signs transactions for one address. Implementations hold the key
// elsewhere (an enclave); the adapter never sees it.
type TxSigner interface {
	// Address is the account the signer signs for; transactions are sent from it.
	Address() common.Address
	// SignTx returns tx signed for chainID (EIP-155 / typed transactions).
	SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error)
}

// Backend is what abigen v2 bindings and bind.WaitMined/WaitDeployed need.
type Backend interface {
	bind.ContractBackend
	bind.DeployBackend
}

// Chain is one EVM chain. Implementations are safe for concurrent use; in
// particular concurrent Transact/Send calls from the same signer get distinct,
// gap-free nonces.
type Chain interface {
	// ChainID is the chain's EIP-155 id.
	ChainID() uint64

	// Transact builds a transaction from signer to `to` (nil deploys a
	// contract, data then being bytecode plus constructor arguments) carrying
	// data and value (nil means zero), estimates its gas, signs it through
	// signer, sends it and waits until it is buried under the configured
	// confirmation depth. A revert, at estimation or on chain, returns
	// *RevertError (for a mined revert together with the receipt).
	Transact(ctx context.Context, signer TxSigner, to *common.Address, data []byte, value *big.Int) (*types.Receipt, error)
	// Send is Transact without the wait: it returns once the node accepted
	// the signed transaction.
	Send(ctx context.Context, signer TxSigner, to *common.Address, data []byte, value *big.Int) (*types.Transaction, error)
	// WaitReceipt waits until txHash is mined and has at least confirmations
	// blocks on top of it counting its own (0 means the configured default),
	// and returns its receipt as of the canonical chain at that time. A mined
	// revert returns the receipt and a *RevertError.
	WaitReceipt(ctx context.Context, txHash common.Hash, confirmations uint64) (*types.Receipt, error)

	// Call executes a read-only call at block (nil = latest). A revert
	// returns *RevertError.
	Call(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error)
	// BalanceAt returns addr's balance in wei at block (nil = latest).
	BalanceAt(ctx context.Context, addr common.Address, block *big.Int) (*big.Int, error)
	// HeaderByNumber returns the canonical header at number (nil = latest).
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	// FilterLogs runs a one-off log query.
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
	// SubscribeNewHead notifies ch of new canonical heads. Real nodes need a
	// ws:// endpoint for this; over HTTP it returns an error (poll instead).
	SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error)

	// Backend exposes the underlying client for abigen v2 bindings. Sending
	// through it bypasses the adapter's nonce tracking: prefer Transact.
	Backend() Backend
	// Close releases the connection (and stops an embedded chain).
	Close() error
}

// Deploy deploys a contract with Transact (to = nil) and returns its address
// from the receipt. constructorArgs is the ABI-encoded constructor input, as
// produced by a binding's PackConstructor (may be nil).
func Deploy(ctx context.Context, c Chain, signer TxSigner, bytecode, constructorArgs []byte) (common.Address, *types.Receipt, error) {
	data := make([]byte, 0, len(bytecode)+len(constructorArgs))
	data = append(append(data, bytecode...), constructorArgs...)
	rcpt, err := c.Transact(ctx, signer, nil, data, nil)
	if err != nil {
		return common.Address{}, rcpt, err
	}
	return rcpt.ContractAddress, rcpt, nil
}
