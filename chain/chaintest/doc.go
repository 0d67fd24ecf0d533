// Package chaintest is the chain.Chain conformance suite and its test
// helpers. TestChain runs the same checks against any implementation: the
// embedded simulated chains and a real node (see RealNode and geth-dev.sh).
//
// KeySigner holds a raw private key and is for tests only: production
// signers live in an enclave.
package chaintest
