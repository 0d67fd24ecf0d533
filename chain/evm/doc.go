// Package evm implements chain.Chain with go-ethereum: NewSimulated runs
// in-process chains (ethclient/simulated), each with its own chain id, and
// Dial connects to a real node over JSON-RPC (http://, ws://, or an IPC path).
//
// Both share Client, which adds what go-ethereum's clients leave to the
// caller: per-address nonce tracking safe for concurrent senders (resynced
// from the node on nonce errors and timeouts), EIP-1559 fee selection, gas
// estimation with a margin, receipt polling at a configurable interval with a
// configurable confirmation depth, and typed errors (chain.RevertError with
// the decoded revert reason, chain.ErrInsufficientFunds, chain.ErrTimeout).
package evm
