// Package messages defines teeswap's protocol messages (generated from
// proto/teeswap.proto) and the signing rules that bind them: the signed
// Envelope for protocol messages, and EIP-712 typed data for the channel
// states and outcomes that a payment-channel contract verifies on chain.
//
// Nothing here holds a key. Signing goes through the Signer interface so
// that only an enclave ever touches private keys.
package messages
