package actors

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/terminal"
)

// FrameReport puts an enclave report on the wire: one kind byte, then the
// raw evidence. The verifier re-derives every other field from the raw.
func FrameReport(r enclave.Report) []byte {
	return append([]byte{byte(r.Kind)}, r.Raw...)
}

// ErrNoReport is returned for an empty framed report.
var ErrNoReport = errors.New("actors: no attestation report")

// ReportVerifier checks framed reports with v: the report must pass v's
// policy and bind the coordinator's address.
func ReportVerifier(v *enclave.Verifier) terminal.ReportVerifier {
	return func(framed []byte, addr common.Address) error {
		if len(framed) < 2 {
			return ErrNoReport
		}
		r, err := v.Check(enclave.Kind(framed[0]), framed[1:])
		if err != nil {
			return err
		}
		if err := v.Verify(r, addr); err != nil {
			return fmt.Errorf("report for %s: %w", addr, err)
		}
		return nil
	}
}
