//go:build !ego_eclient

package enclave_test

import "github.com/teeswap/teeswap/enclave"

// Without eclient, SGX reports cannot be verified outside SGX at all.
var errUnverifiableSGX = enclave.ErrSGXVerifierUnavailable
