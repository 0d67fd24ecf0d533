package enclave

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave/internal/reportdata"
)

// ReportDataSize is the size of SGX report data.
const ReportDataSize = 64

// bindDomain separates address-binding report data from any other use of
// report data.
const bindDomain = "teeswap/enclave/bind-address/v1"

// Report is a remote attestation report.
//
// Only Kind and Raw are evidence; the other fields are a convenience parse and
// the Verifier checks them against Raw, so a report whose fields were edited is
// rejected.
type Report struct {
	Kind       Kind
	ReportData []byte // ReportDataSize bytes
	Raw        []byte // SGX remote report, or the simulation's self-signed statement

	UniqueID        []byte // MRENCLAVE (SGX only)
	SignerID        []byte // MRSIGNER; for simulation the 20-byte address of the sim attestation key
	ProductID       []byte // ISVPRODID (SGX only)
	SecurityVersion uint   // ISVSVN (SGX only)
	Debug           bool   // debug enclave (SGX only)

	// Simulated is true for reports of the simulation backend, which prove
	// nothing about the code that produced them.
	Simulated bool
}

// BindAddress returns the report data that binds a signing address: the
// reserved report data (enclave/internal/reportdata) over
// sha256(domain || address), i.e. that digest followed by a fixed mark. A
// verifier recomputes it for the address it expects. Backend.Report refuses
// it, so only ReportFor makes it, for a key the backend holds.
func BindAddress(addr common.Address) []byte {
	return reportdata.Reserved(bindDigest(addr))
}

func bindDigest(addr common.Address) [32]byte {
	h := sha256.New()
	h.Write([]byte(bindDomain))
	h.Write(addr.Bytes())
	return [32]byte(h.Sum(nil))
}

// keyReporter is a backend that makes reports binding the address of a key
// it holds, over reserved report data; tok says which data.
type keyReporter interface {
	KeyReport(tok reportdata.KeyToken, k Key) (Report, error)
}

// ReportFor asks b for a report binding k's address (BindAddress). b makes
// it only for a key it made or loaded itself; any other key, such as one
// the host holds in the clear, gets ErrKeyNotHeld.
func ReportFor(b Backend, k Key) (Report, error) {
	kr, ok := b.(keyReporter)
	if !ok {
		return Report{}, fmt.Errorf("report for a key: %w: backend %T binds no addresses", ErrKeyNotHeld, b)
	}
	r, err := kr.KeyReport(reportdata.GrantKey(bindDigest), k)
	if err != nil {
		return Report{}, fmt.Errorf("report for a key: %w", err)
	}
	return r, nil
}

// PadReportData checks and zero-pads report data to ReportDataSize bytes, as
// SGX does. Backends use it so both kinds treat short data identically.
func PadReportData(data []byte) ([]byte, error) {
	if len(data) > ReportDataSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrReportDataTooLong, len(data))
	}
	out := make([]byte, ReportDataSize)
	copy(out, data)
	return out, nil
}

// PadHostReportData is PadReportData for data a host asked for: it refuses
// report data reserved for enclave code (address and TLS bindings,
// enclave/provision's exchange), with ErrReservedReportData. Backends'
// Report use it.
func PadHostReportData(data []byte) ([]byte, error) {
	out, err := PadReportData(data)
	if err != nil {
		return nil, err
	}
	if reportdata.IsReserved(out) {
		return nil, ErrReservedReportData
	}
	return out, nil
}

func sameBytes(claimed, verified []byte) bool {
	// nil and empty are the same claim.
	return bytes.Equal(claimed, verified)
}
