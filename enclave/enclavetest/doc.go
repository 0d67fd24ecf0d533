// Package enclavetest is the conformance suite every enclave.Backend must pass
// (modelled on go-perun's channel/test GenericBackendTest). A backend's tests
// call TestBackend with a constructor for fresh backends.
package enclavetest
