package ego

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"sync"

	"github.com/edgelesssys/ego/attestation"
	"github.com/edgelesssys/ego/ecrypto"
	egoenclave "github.com/edgelesssys/ego/enclave"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
)

// ErrNotInEnclave is enclave.ErrNotInEnclave: the process is not inside SGX,
// where EGo would seal with an all-zero key.
var ErrNotInEnclave = enclave.ErrNotInEnclave

func init() {
	enclave.Register(enclave.KindSGX, func(o enclave.Options) (enclave.Backend, error) {
		return New(Options{Logger: o.Logger})
	})
}

// SealPolicy selects the SGX seal key.
type SealPolicy int

const (
	// SealProduct derives the seal key from the enclave's signer and product
	// id, so newer versions of the same signed enclave can unseal (MRSIGNER).
	SealProduct SealPolicy = iota
	// SealUnique derives it from the exact enclave measurement (MRENCLAVE);
	// any code change makes old sealed data unreadable.
	SealUnique
)

// Options configures New.
type Options struct {
	SealPolicy SealPolicy
	Logger     *slog.Logger // nil means slog.Default()
}

// platform is what the backend asks the EGo runtime; tests replace it.
type platform interface {
	SelfReport() (attestation.Report, error)
	SealKeyID() ([]byte, error)
}

type egoPlatform struct{}

func (egoPlatform) SelfReport() (attestation.Report, error) { return egoenclave.GetSelfReport() }
func (egoPlatform) SealKeyID() ([]byte, error)              { return egoenclave.GetSealKeyID() }

// Backend is the EGo backend. The zero value uses SealProduct and checks for
// SGX on first use; New checks at once. It is safe for concurrent use.
type Backend struct {
	policy   SealPolicy
	platform platform // nil: the real EGo runtime

	once sync.Once
	self attestation.Report
	err  error
}

var _ enclave.Backend = (*Backend)(nil)

// New opens the EGo backend. Outside SGX it returns ErrNotInEnclave.
func New(opts Options) (*Backend, error) {
	b := &Backend{policy: opts.SealPolicy}
	if err := b.check(); err != nil {
		return nil, err
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Info("SGX enclave backend", "unique_id", fmt.Sprintf("%x", b.self.UniqueID),
		"signer_id", fmt.Sprintf("%x", b.self.SignerID), "debug", b.self.Debug)
	return b, nil
}

// check runs once: inside SGX is decided by a verified self report and a
// non-zero CPU seal-key ID (EGo's simulation fallback yields zeros).
func (b *Backend) check() error {
	b.once.Do(func() {
		p := b.platform
		if p == nil {
			p = egoPlatform{}
		}
		self, err := p.SelfReport()
		if err != nil {
			b.err = fmt.Errorf("%w: EGo self report: %v", ErrNotInEnclave, err)
			return
		}
		id, err := p.SealKeyID()
		if err != nil {
			b.err = fmt.Errorf("%w: seal key id: %v", ErrNotInEnclave, err)
			return
		}
		if len(id) == 0 || isZero(id) {
			b.err = fmt.Errorf("%w: SGX seal key is all zero (EGo simulation fallback)", ErrNotInEnclave)
			return
		}
		b.self = self
	})
	return b.err
}

func isZero(p []byte) bool { return bytes.Count(p, []byte{0}) == len(p) }

// Kind returns enclave.KindSGX.
func (b *Backend) Kind() enclave.Kind { return enclave.KindSGX }

// NewKey generates a key inside the enclave.
func (b *Backend) NewKey() (enclave.Key, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	k, err := keys.Generate(b.seal)
	if err != nil {
		return nil, err
	}
	return keys.Owned(k, b), nil
}

// LoadKey unseals a key sealed by this enclave (or, with SealProduct, by an
// enclave of the same signer and product).
func (b *Backend) LoadKey(sealed []byte) (enclave.Key, error) {
	d, err := b.unseal(sealed, keys.KeyAD())
	if err != nil {
		return nil, err
	}
	defer clear(d)
	k, err := keys.FromBytes(d, b.seal)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrInvalidKey, err)
	}
	return keys.Owned(k, b), nil
}

// Seal seals with a 256-bit SGX seal key (ecrypto.Seal*Key256).
func (b *Backend) Seal(plaintext, additionalData []byte) ([]byte, error) {
	return b.seal(plaintext, keys.DataAD(additionalData))
}

// Unseal reverses Seal. It never opens a sealed key.
func (b *Backend) Unseal(sealed, additionalData []byte) ([]byte, error) {
	return b.unseal(sealed, keys.DataAD(additionalData))
}

func (b *Backend) seal(plaintext, ad []byte) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	if b.policy == SealUnique {
		return ecrypto.SealWithUniqueKey256(plaintext, ad)
	}
	return ecrypto.SealWithProductKey256(plaintext, ad)
}

// EGo's blob: keyInfoLen (4, LE) || keyInfo (2 × 512) || nonce (12) || ct+tag (≥16).
const (
	keyInfoSize = 2 * 512
	minSealed   = 4 + keyInfoSize + 12 + 16
)

func (b *Backend) unseal(sealed, ad []byte) ([]byte, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	// Check the layout first: ecrypto.Unseal256 indexes into key infos it has
	// not length-checked and can panic on short ones.
	if len(sealed) < minSealed || binary.LittleEndian.Uint32(sealed) != keyInfoSize {
		return nil, fmt.Errorf("%w: malformed sealed blob", enclave.ErrUnseal)
	}
	pt, err := ecrypto.Unseal256(sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrUnseal, err)
	}
	return pt, nil
}

// Report returns an SGX remote report carrying reportData. The identity
// fields come from the enclave's verified self report. Reserved report data
// is refused before anything else, inside SGX or not.
func (b *Backend) Report(reportData []byte) (enclave.Report, error) {
	// Always a full 64-byte buffer: GetRemoteReport panics on nil or empty data.
	data, err := enclave.PadHostReportData(reportData)
	if err != nil {
		return enclave.Report{}, err
	}
	if err := b.check(); err != nil {
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
	if err := b.check(); err != nil {
		return enclave.Report{}, err
	}
	return b.report(data)
}

// KeyReport is the report binding the address of k, a key this backend
// made or loaded (enclave.ReportFor, hostapi.TLSReport); the token says
// which reserved report data. Any other key gets enclave.ErrKeyNotHeld,
// inside SGX or not.
func (b *Backend) KeyReport(t reportdata.KeyToken, k enclave.Key) (enclave.Report, error) {
	held, err := keys.HeldBy(k, b)
	if err != nil {
		return enclave.Report{}, err
	}
	data, ok := t.Data(held.Address())
	if !ok {
		return enclave.Report{}, enclave.ErrReservedReportData
	}
	if err := b.check(); err != nil {
		return enclave.Report{}, err
	}
	return b.report(data)
}

func (b *Backend) report(data []byte) (enclave.Report, error) {
	raw, err := egoenclave.GetRemoteReport(data)
	if err != nil {
		return enclave.Report{}, fmt.Errorf("SGX remote report: %w", err)
	}
	return enclave.Report{
		Kind:            enclave.KindSGX,
		ReportData:      data,
		Raw:             raw,
		UniqueID:        bytes.Clone(b.self.UniqueID),
		SignerID:        bytes.Clone(b.self.SignerID),
		ProductID:       bytes.Clone(b.self.ProductID),
		SecurityVersion: b.self.SecurityVersion,
		Debug:           b.self.Debug,
	}, nil
}
