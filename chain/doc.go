// Package chain is teeswap's chain adapter: the small interface the rest of
// the system uses to talk to one EVM chain (send signed transactions, read
// state, follow logs), plus its typed errors.
//
// The interface follows the shape of go-perun's adjudicator interfaces: a few
// methods, each doing one thing, so that an embedded simulated chain and a
// real JSON-RPC node are interchangeable (see package chain/evm) and one
// conformance suite (package chain/chaintest) covers both.
//
// Keys never appear in this API. A transaction is signed through a TxSigner,
// which in production is a terminal's or coordinator's enclave; the adapter
// only builds, sends and tracks the transaction. abigen v2 bindings are used
// on top: pack calldata with the binding, send it with Chain.Transact, decode
// receipts' logs with the binding's Unpack...Event functions. Chain.Backend
// gives bindings read access (calls, log filters) when needed.
//
// Errors: a reverted transaction or call returns *RevertError (use
// errors.As), which carries the decoded Error(string)/Panic(uint256) reason
// and the raw revert data for custom errors. Other failures wrap the sentinel
// errors ErrInsufficientFunds, ErrTimeout, ErrNonce and ErrClosed.
package chain
