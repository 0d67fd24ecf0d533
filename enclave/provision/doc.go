// Package provision hands a signing key from one enclave to another under
// mutual attestation, so that the coordinator enclaves of a cluster share
// one signing identity without the key ever leaving enclave code in the
// clear (docs/ENCLAVE.md, "Key provisioning").
//
// The exchange, between a joiner (an enclave without the key) and a holder:
//
//  1. The joiner makes an ephemeral X25519 key pair and an Offer: the
//     public key and its enclave's report whose report data is
//     sha256("teeswap/provision/offer/v1" || 0 || public key).
//  2. The holder checks the offer's report against its Verifier's policy
//     (measurement, signer, product, debug, simulation) and that it binds
//     the offered key, makes an ephemeral X25519 key pair of its own, and
//     answers with the key's scalar sealed by AES-256-GCM under
//     HKDF-SHA256(ECDH) — bound to both public keys and the key's address —
//     and its own report binding the same transcript.
//  3. The joiner checks the holder's report the same way, opens the
//     scalar, checks it is the named address's key, and gets an
//     enclave.Key handle of its own backend (which the host then seals
//     with its own sealing key).
//
// The ephemeral private keys and the scalar exist only inside this package
// and the backends; every refusal is a typed error. Each offer's key pair
// is fresh, so an answer to another offer (a replay) does not open.
//
// With the simulation backend the exchange runs the same, over simulated
// reports, which anyone can forge: it is labelled insecure in the logs and
// accepted only under a policy that allows simulation.
package provision
