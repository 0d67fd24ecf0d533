package enclave

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/edgelesssys/ego/attestation"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave/internal/simreport"
)

// Policy says which reports a Verifier accepts. The zero Policy accepts only
// non-debug SGX reports, of any measurement; production policies should pin
// UniqueID or (SignerID, ProductID, MinSecurityVersion).
type Policy struct {
	// AllowSimulation accepts simulated reports. Leave false in production.
	AllowSimulation bool
	// Expected identities; empty means "any". For simulated reports SignerID is
	// the 20-byte address of the sim backend's attestation key.
	UniqueID  []byte
	SignerID  []byte
	ProductID []byte
	// MinSecurityVersion is the lowest accepted ISVSVN (SGX only).
	MinSecurityVersion uint
	// AllowDebug accepts SGX debug enclaves (whose memory the host can read).
	AllowDebug bool
}

// SGXReportVerifier checks the signature chain of a raw SGX remote report and
// returns its parsed, now trusted, contents.
type SGXReportVerifier func(raw []byte) (attestation.Report, error)

// Verifier checks reports against a Policy.
type Verifier struct {
	Policy Policy
	// SGX verifies raw SGX reports. Nil uses the build default: eclient with
	// -tags ego_eclient, EGo's in-enclave verifier inside SGX, otherwise every
	// SGX report fails with ErrSGXVerifierUnavailable.
	SGX SGXReportVerifier
}

// NewVerifier returns a Verifier with the default SGX verification.
func NewVerifier(p Policy) *Verifier { return &Verifier{Policy: p} }

// Verify checks that report is genuine evidence under v.Policy and binds
// expectedAddr (see BindAddress). Errors wrap the package's sentinel errors.
func (v *Verifier) Verify(report Report, expectedAddr common.Address) error {
	trusted, err := v.Check(report.Kind, report.Raw)
	if err != nil {
		return err
	}
	// The parsed fields travel next to Raw; edited fields mean tampering.
	if !sameBytes(report.ReportData, trusted.ReportData) ||
		report.Simulated != trusted.Simulated ||
		report.Debug != trusted.Debug ||
		report.SecurityVersion != trusted.SecurityVersion ||
		!sameBytes(report.UniqueID, trusted.UniqueID) ||
		!sameBytes(report.SignerID, trusted.SignerID) ||
		!sameBytes(report.ProductID, trusted.ProductID) {
		return fmt.Errorf("%w: report fields disagree with its raw evidence", ErrInvalidReport)
	}
	if !bytes.Equal(trusted.ReportData, BindAddress(expectedAddr)) {
		return fmt.Errorf("%w: want %s", ErrReportDataMismatch, expectedAddr)
	}
	return nil
}

// Check verifies raw evidence of the given kind against the policy (all but
// the address binding) and returns the report parsed from the evidence alone.
// Use it when only Kind and Raw were transported.
func (v *Verifier) Check(kind Kind, raw []byte) (Report, error) {
	var r Report
	switch kind {
	case KindSimulation:
		if !v.Policy.AllowSimulation {
			return Report{}, ErrSimulationNotAllowed
		}
		data, signer, err := simreport.Decode(raw)
		if err != nil {
			return Report{}, fmt.Errorf("%w: %v", ErrInvalidReport, err)
		}
		r = Report{Kind: KindSimulation, ReportData: data, Raw: raw, SignerID: signer.Bytes(), Simulated: true}
	case KindSGX:
		verify := v.SGX
		if verify == nil {
			verify = defaultSGXVerifier()
		}
		if len(raw) == 0 {
			return Report{}, fmt.Errorf("%w: empty SGX report", ErrInvalidReport)
		}
		ar, err := verify(raw)
		if err != nil {
			if errors.Is(err, ErrSGXVerifierUnavailable) {
				return Report{}, err
			}
			// Includes attestation.ErrTCBLevelInvalid: an out-of-date platform.
			return Report{}, fmt.Errorf("%w: %w", ErrInvalidReport, err)
		}
		data, err := PadReportData(ar.Data)
		if err != nil {
			return Report{}, fmt.Errorf("%w: %w", ErrInvalidReport, err)
		}
		r = Report{
			Kind: KindSGX, ReportData: data, Raw: raw,
			UniqueID: ar.UniqueID, SignerID: ar.SignerID, ProductID: ar.ProductID,
			SecurityVersion: ar.SecurityVersion, Debug: ar.Debug,
		}
	default:
		return Report{}, fmt.Errorf("%w: unknown kind %v", ErrInvalidReport, kind)
	}
	if err := v.Policy.check(r); err != nil {
		return Report{}, err
	}
	return r, nil
}

func (p Policy) check(r Report) error {
	for _, m := range []struct {
		name        string
		want, found []byte
	}{
		{"unique id", p.UniqueID, r.UniqueID},
		{"signer id", p.SignerID, r.SignerID},
		{"product id", p.ProductID, r.ProductID},
	} {
		if len(m.want) > 0 && !bytes.Equal(m.want, m.found) {
			return fmt.Errorf("%w: %s is %x, want %x", ErrMeasurementMismatch, m.name, m.found, m.want)
		}
	}
	if r.SecurityVersion < p.MinSecurityVersion {
		return fmt.Errorf("%w: %d < %d", ErrSecurityVersionTooLow, r.SecurityVersion, p.MinSecurityVersion)
	}
	if r.Debug && !p.AllowDebug {
		return ErrDebugNotAllowed
	}
	return nil
}
