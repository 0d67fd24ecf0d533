package enclave

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// Key is the host's handle on a secp256k1 signing key held inside a
// Backend. It names the key and persists it, and nothing more: it cannot
// sign. The key signs only through enclave code that builds what it signs
// (the protocol machines in enclave/terminal and enclave/coordinator, and
// the purpose-built entry points of enclave/hostapi), which obtain its
// signer through enclave/internal/keys, a package only code under enclave/
// can import.
type Key interface {
	Address() common.Address
	// Sealed returns the key sealed by its backend, for persistence. Only the
	// backend's LoadKey can open it; Backend.Unseal refuses sealed keys.
	Sealed() ([]byte, error)
}

// Backend is the enclave API. No method returns a private key.
type Backend interface {
	Kind() Kind
	// NewKey generates a fresh secp256k1 key pair inside the backend.
	NewKey() (Key, error)
	// LoadKey opens a key produced by Key.Sealed on this (or an equally
	// measured/sealing) backend.
	LoadKey(sealed []byte) (Key, error)
	// Seal encrypts and authenticates plaintext, binding additionalData.
	Seal(plaintext, additionalData []byte) ([]byte, error)
	// Unseal reverses Seal; it fails (never panics) on tampered input or on
	// different additionalData.
	Unseal(sealed, additionalData []byte) ([]byte, error)
	// Report produces a remote attestation report carrying reportData
	// (at most ReportDataSize bytes; shorter data is zero-padded). It
	// refuses report data reserved for enclave code, which includes every
	// address binding (ErrReservedReportData): a report binding a key's
	// address comes only from ReportFor, for a key the backend holds.
	Report(reportData []byte) (Report, error)
}

// Kind names a backend type.
type Kind int

const (
	// KindSGX is a real Intel SGX enclave (EGo).
	KindSGX Kind = iota + 1
	// KindSimulation is the insecure simulation backend.
	KindSimulation
)

func (k Kind) String() string {
	switch k {
	case KindSGX:
		return "sgx"
	case KindSimulation:
		return "simulation"
	default:
		return fmt.Sprintf("Kind(%d)", int(k))
	}
}

// Errors returned by backends and the verifier. Wrapped errors keep these
// identities, so callers test them with errors.Is.
var (
	// ErrNotInEnclave: an SGX operation was asked for outside an SGX enclave.
	// EGo would silently seal with an all-zero key there; we refuse instead.
	ErrNotInEnclave = errors.New("enclave: not running inside an SGX enclave")
	// ErrUnseal: sealed data is malformed, tampered, sealed under another key,
	// or was sealed with different additional data.
	ErrUnseal = errors.New("enclave: cannot unseal")
	// ErrInvalidKey: an unsealed key is not a valid secp256k1 private key.
	ErrInvalidKey = errors.New("enclave: invalid key material")
	// ErrNotEnclaveKey: a key handle that no backend made (nor a test key
	// that signs by itself) was asked to sign.
	ErrNotEnclaveKey = errors.New("enclave: the key handle is not held by an enclave backend")
	// ErrReportDataTooLong: report data exceeds ReportDataSize bytes.
	ErrReportDataTooLong = errors.New("enclave: report data longer than 64 bytes")
	// ErrReservedReportData: report data of the class only enclave code may
	// have reported (address bindings, TLS bindings, key provisioning),
	// asked for through Backend.Report, or a reserved report asked for
	// without a valid token.
	ErrReservedReportData = errors.New("enclave: report data reserved for enclave code")
	// ErrKeyNotHeld: a report binding a key's address was asked of a
	// backend that did not make or load that key (a key in the clear, a
	// handle of the caller's own type, another backend's key), or of a
	// backend that binds no addresses.
	ErrKeyNotHeld = errors.New("enclave: the backend does not hold this key")

	// ErrUnknownBackend: Open was given a backend name it does not know.
	ErrUnknownBackend = errors.New("enclave: unknown backend name")
	// ErrBackendNotLinked: the chosen backend's package was not imported.
	ErrBackendNotLinked = errors.New("enclave: backend not linked into this binary")

	// ErrInvalidReport: the report is malformed, its signature does not verify,
	// or its fields disagree with its raw bytes (tampering).
	ErrInvalidReport = errors.New("enclave: invalid attestation report")
	// ErrSimulationNotAllowed: a simulated report under a policy that does not
	// allow simulation.
	ErrSimulationNotAllowed = errors.New("enclave: simulated report not allowed by policy")
	// ErrReportDataMismatch: the report does not bind the expected address.
	ErrReportDataMismatch = errors.New("enclave: report data does not bind the expected address")
	// ErrMeasurementMismatch: UniqueID, SignerID or ProductID differ from policy.
	ErrMeasurementMismatch = errors.New("enclave: enclave measurement does not match policy")
	// ErrSecurityVersionTooLow: the enclave's security version is below policy.
	ErrSecurityVersionTooLow = errors.New("enclave: security version below policy minimum")
	// ErrDebugNotAllowed: a debug enclave under a policy that forbids debug.
	ErrDebugNotAllowed = errors.New("enclave: debug enclave not allowed by policy")
	// ErrSGXVerifierUnavailable: this build cannot verify SGX remote reports
	// (no eclient, and not running inside SGX). Build with -tags ego_eclient.
	ErrSGXVerifierUnavailable = errors.New("enclave: SGX report verification unavailable in this build (build with -tags ego_eclient)")
)
