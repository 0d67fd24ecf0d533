//go:build ego_eclient

package enclave_test

import "github.com/teeswap/teeswap/enclave"

// With eclient, a junk quote fails quote verification.
var errUnverifiableSGX = enclave.ErrInvalidReport
