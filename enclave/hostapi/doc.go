// Package hostapi holds the enclave's entry points for the signatures a host
// needs outside the protocol machines.
//
// A host holds only an enclave.Key handle, which cannot sign. Each function
// here takes typed inputs, builds its digest itself under a domain of its
// own, and signs that:
//
//   - SignRegistration: a terminal's proof that it runs at a remoting peer
//     (RegisterTerminal), over RegistrationDigest;
//   - SignTLSBinding: the binding of a remoting TLS public key to the
//     address it serves, over TLSBindingDigest, and TLSReport, the
//     attestation report over TLSReportData that goes with it (for a key
//     the backend holds only);
//   - Deployer: contract-creation transactions of the PaymentChannels
//     bytecode and nothing else.
//
// The digests are exported so verifiers recompute them; computing a digest
// is harmless, signing one is what this package restricts. Every other
// signature an enclave key makes comes from the protocol machines
// (enclave/terminal, enclave/coordinator), which sign only what they build.
// The domains are prefix-free with each other and with the envelope,
// EIP-712 and transaction digests (docs/ENCLAVE.md).
package hostapi
