// Package enclave is the narrow API between teeswap's untrusted code and its
// trusted code: key generation, signing, sealed storage and remote attestation.
//
// The private keys live inside a Backend and never leave it through an exported
// API. The host holds a Key handle, which cannot sign: the protocol machines
// and enclave/hostapi sign, each only digests it builds itself (their signer
// comes from enclave/internal/keys, which only code under enclave/ imports).
// Two backends exist:
//
//   - enclave/ego: Intel SGX through EGo. Keys are generated and used inside the
//     enclave; sealing uses SGX seal keys; reports are SGX remote reports.
//   - enclave/sim: a simulation for machines without SGX. It is NOT secure: keys
//     sit in ordinary process memory and the sealing key is held by the process.
//     It says so in its logs and in every report it produces (Simulated=true).
//
// Backends register themselves when their package is imported; Open picks one
// ("auto", "sgx" or "simulation"). Import both backends in a main package:
//
//	import (
//		_ "github.com/teeswap/teeswap/enclave/ego"
//		_ "github.com/teeswap/teeswap/enclave/sim"
//	)
//
// A Verifier checks a Report against a Policy and the signing address the report
// must bind (see BindAddress). The zero Policy accepts only genuine SGX reports.
// Only ReportFor makes a report binding an address, and only for a key the
// backend holds (ErrKeyNotHeld); Backend.Report refuses that report data.
package enclave
