//go:build !ego_eclient

package enclave

import (
	"github.com/edgelesssys/ego/attestation"
	egoenclave "github.com/edgelesssys/ego/enclave"
)

// defaultSGXVerifier: without eclient (which needs Open Enclave libraries) only
// code running inside SGX can verify SGX reports, through the EGo runtime.
func defaultSGXVerifier() SGXReportVerifier {
	if Detect() != KindSGX {
		return func([]byte) (attestation.Report, error) {
			return attestation.Report{}, ErrSGXVerifierUnavailable
		}
	}
	return egoenclave.VerifyRemoteReport
}
