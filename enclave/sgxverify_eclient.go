//go:build ego_eclient

package enclave

import "github.com/edgelesssys/ego/eclient"

// defaultSGXVerifier uses eclient, which verifies SGX quotes outside an enclave.
// It needs the Open Enclave host-verify libraries at build time.
func defaultSGXVerifier() SGXReportVerifier {
	return eclient.VerifyRemoteReport
}
