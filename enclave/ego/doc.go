// Package ego is the Intel SGX enclave backend, built on EGo
// (github.com/edgelesssys/ego). Under EGo the whole binary runs inside SGX;
// keys are generated and used there, sealing uses SGX seal keys (EGETKEY), and
// reports are SGX remote reports whose report data binds a signing address.
//
// The zero-key trap: outside SGX, EGo's seal-key functions do not fail. Its
// runtime syscalls return ENOSYS and GetSealKey then returns an all-zero key,
// so ecrypto.Seal* "succeeds" with a key everyone knows. This backend refuses
// every operation with enclave.ErrNotInEnclave unless EGo's GetSelfReport
// succeeds AND the CPU seal-key ID is non-zero, checked before first use.
//
// Importing the package registers it with enclave.Open as "sgx".
package ego
