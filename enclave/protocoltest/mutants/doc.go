// Package mutants is a hand-written semantic mutation run over the
// protocol's checks: each Mutant removes or weakens one verification,
// comparison or bound in enclave/terminal, enclave/coordinator, enclave
// or messages, and names the tests that must then fail. TestMutants
// (behind TEESWAP_MUTANTS=1) applies them one at a time with go test
// -overlay, so no file of the module is touched.
package mutants
