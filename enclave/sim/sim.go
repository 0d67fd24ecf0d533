package sim

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
	"github.com/teeswap/teeswap/enclave/internal/simreport"
)

// SealKeySize is the length of a simulation sealing key (AES-256).
const SealKeySize = 32

// sealVersion prefixes every sealed blob so the format can change later.
const sealVersion byte = 1

// Warning is the message logged when a simulation backend is opened.
const Warning = "SIMULATION enclave: no SGX, keys are not protected"

// ErrBadSealKey: a supplied sealing key does not have SealKeySize bytes.
var ErrBadSealKey = errors.New("sim: sealing key must be 32 bytes")

func init() {
	enclave.Register(enclave.KindSimulation, func(o enclave.Options) (enclave.Backend, error) {
		return New(Options{SealKey: o.SimulationSealKey, Logger: o.Logger})
	})
}

// Options configures New.
type Options struct {
	// SealKey is the AES-256 sealing key. Nil means a fresh random key, so
	// nothing sealed survives the process. The attestation identity is derived
	// from it, so a persisted key also keeps the report SignerID stable.
	SealKey []byte
	// Logger receives the simulation warning; nil means slog.Default().
	Logger *slog.Logger
	// Signatures, if set, counts every signature this backend's keys make
	// (the load sim's signature budget).
	Signatures *atomic.Int64
}

// Backend is the simulation backend. It is safe for concurrent use.
type Backend struct {
	aead   cipher.AEAD
	attest *ecdsa.PrivateKey
	signs  *atomic.Int64
}

var _ enclave.Backend = (*Backend)(nil)

// New opens a simulation backend and logs Warning.
func New(opts Options) (*Backend, error) {
	sealKey := opts.SealKey
	if sealKey == nil {
		sealKey = make([]byte, SealKeySize)
		if _, err := rand.Read(sealKey); err != nil {
			return nil, err
		}
	}
	if len(sealKey) != SealKeySize {
		return nil, fmt.Errorf("%w: got %d", ErrBadSealKey, len(sealKey))
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	attest, err := attestationKey(sealKey)
	if err != nil {
		return nil, err
	}
	b := &Backend{aead: aead, attest: attest, signs: opts.Signatures}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Warn(Warning, "backend", enclave.KindSimulation.String(), "report_signer", b.AttestationAddress())
	return b, nil
}

// attestationKey derives the report-signing key from the sealing key, so a
// persisted sealing key gives a stable, pinnable sim identity.
func attestationKey(sealKey []byte) (*ecdsa.PrivateKey, error) {
	for ctr := byte(0); ; ctr++ {
		h := sha256.New()
		h.Write([]byte("teeswap/enclave/sim/attestation-key/v1"))
		h.Write(sealKey)
		h.Write([]byte{ctr})
		k, err := crypto.ToECDSA(h.Sum(nil))
		if err == nil {
			return k, nil
		}
		if ctr == 255 { // unreachable in practice: needs 256 invalid scalars
			return nil, err
		}
	}
}

// AttestationAddress is the address that signs this backend's reports; it is
// the reports' SignerID, which a Policy may pin.
func (b *Backend) AttestationAddress() common.Address {
	return crypto.PubkeyToAddress(b.attest.PublicKey)
}

// Kind returns enclave.KindSimulation.
func (b *Backend) Kind() enclave.Kind { return enclave.KindSimulation }

// NewKey generates a key held in process memory.
func (b *Backend) NewKey() (enclave.Key, error) {
	k, err := keys.Generate(b.seal)
	if err != nil {
		return nil, err
	}
	return keys.Owned(keys.Counted(k, b.signs), b), nil
}

// LoadKey opens a key sealed by a backend with the same sealing key.
func (b *Backend) LoadKey(sealed []byte) (enclave.Key, error) {
	d, err := b.open(sealed, keys.KeyAD())
	if err != nil {
		return nil, err
	}
	defer clear(d)
	k, err := keys.FromBytes(d, b.seal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrInvalidKey, err)
	}
	return keys.Owned(keys.Counted(k, b.signs), b), nil
}

// ImportKey takes a raw secp256k1 private key (32 bytes) into this
// SIMULATION backend as if it had been made here. Only the simulation
// backend has it, and it adds nothing an attacker lacks: its sealing key is
// a plain file, so whoever holds that file can already forge a sealed key
// for LoadKey. Tests use it for a party that also signs outside the
// enclave (a counterparty running its own software, sending raw
// transactions). The EGo backend has no such method.
func (b *Backend) ImportKey(raw []byte) (enclave.Key, error) {
	k, err := keys.FromBytes(raw, b.seal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrInvalidKey, err)
	}
	return keys.Owned(keys.Counted(k, b.signs), b), nil
}

// Seal encrypts plaintext with AES-256-GCM, binding additionalData.
// Layout: version (1) || nonce (12) || ciphertext+tag.
func (b *Backend) Seal(plaintext, additionalData []byte) ([]byte, error) {
	return b.seal(plaintext, keys.DataAD(additionalData))
}

// Unseal reverses Seal. It never opens a sealed key.
func (b *Backend) Unseal(sealed, additionalData []byte) ([]byte, error) {
	return b.open(sealed, keys.DataAD(additionalData))
}

func (b *Backend) seal(plaintext, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+b.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return b.aead.Seal(out, out[1:], plaintext, ad), nil
}

func (b *Backend) open(sealed, ad []byte) ([]byte, error) {
	ns := b.aead.NonceSize()
	if len(sealed) < 1+ns+b.aead.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("%w: malformed sealed blob", enclave.ErrUnseal)
	}
	pt, err := b.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrUnseal, err)
	}
	return pt, nil
}

// Report returns a simulated report, self-signed by the attestation key.
// Report data reserved for enclave code is refused.
func (b *Backend) Report(reportData []byte) (enclave.Report, error) {
	data, err := enclave.PadHostReportData(reportData)
	if err != nil {
		return enclave.Report{}, err
	}
	return b.report(data)
}

// ReservedReport is the report enclave/provision asks for: the reserved
// report data its token was granted for. Only a Token from
// enclave/internal/reportdata opens it.
func (b *Backend) ReservedReport(t reportdata.Token) (enclave.Report, error) {
	data, ok := t.Data()
	if !ok {
		return enclave.Report{}, enclave.ErrReservedReportData
	}
	return b.report(data)
}

// KeyReport is the report binding the address of k, a key this backend
// made or loaded (enclave.ReportFor, hostapi.TLSReport); the token says
// which reserved report data. Any other key gets enclave.ErrKeyNotHeld.
func (b *Backend) KeyReport(t reportdata.KeyToken, k enclave.Key) (enclave.Report, error) {
	held, err := keys.HeldBy(k, b)
	if err != nil {
		return enclave.Report{}, err
	}
	data, ok := t.Data(held.Address())
	if !ok {
		return enclave.Report{}, enclave.ErrReservedReportData
	}
	return b.report(data)
}

func (b *Backend) report(data []byte) (enclave.Report, error) {
	raw, err := simreport.Encode(b.attest, data)
	if err != nil {
		return enclave.Report{}, err
	}
	return enclave.Report{
		Kind:       enclave.KindSimulation,
		ReportData: data,
		Raw:        raw,
		SignerID:   b.AttestationAddress().Bytes(),
		Simulated:  true,
	}, nil
}

// SealKeyFile returns the sealing key stored at path, creating the file with a
// fresh random key (mode 0600) if it does not exist. It is a convenience for
// tests and demos and gives no protection: the key is a plain file.
func SealKeyFile(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err == nil {
		if len(key) != SealKeySize {
			return nil, fmt.Errorf("%w: %s holds %d bytes", ErrBadSealKey, path, len(key))
		}
		return key, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	key = make([]byte, SealKeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	// Write a temporary file, then link it into place: the key file appears
	// whole or not at all, and if another process won the race we use its key.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sealkey-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(key); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return SealKeyFile(path)
		}
		return nil, err
	}
	return key, nil
}
