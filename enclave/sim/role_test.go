package sim_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/enclavetest"
	"github.com/teeswap/teeswap/enclave/provision"
)

// keyThief is a backend of the host's own that catches the token enclave
// code passes to KeyReport, forwards the call to the real backend and
// keeps the token. Go infers T (enclave/internal/reportdata.KeyToken)
// from the real backend's method value, so host code can declare this
// method without naming the internal type.
type keyThief[T any] struct {
	enclave.Backend
	real   func(T, enclave.Key) (enclave.Report, error)
	stolen *T
}

func (x keyThief[T]) KeyReport(t T, k enclave.Key) (enclave.Report, error) {
	*x.stolen = t
	return x.real(t, k)
}

func newKeyThief[T any](b enclave.Backend, real func(T, enclave.Key) (enclave.Report, error)) keyThief[T] {
	return keyThief[T]{Backend: b, real: real, stolen: new(T)}
}

// reservedThief does the same for the provisioning exchange's Token.
type reservedThief[T any] struct {
	enclave.Backend
	real   func(T) (enclave.Report, error)
	stolen *T
}

func (x reservedThief[T]) ReservedReport(t T) (enclave.Report, error) {
	*x.stolen = t
	return x.real(t)
}

func newReservedThief[T any](b enclave.Backend, real func(T) (enclave.Report, error)) reservedThief[T] {
	return reservedThief[T]{Backend: b, real: real, stolen: new(T)}
}

// TestRoleHostCannotBindAKeyInTheClear: a malicious host generates a key
// outside the enclave and wants a genuine report binding its address, to
// pose as an enclave-backed terminal or coordinator. Asking directly is
// refused (the conformance subtest BindsOnlyKeysItHolds); so the host
// hands enclave code a backend of its own to catch the token it passes,
// and replays that token on the real backend. A token carries what it
// authorises, so the replay gives nothing the host could not have had
// anyway: the key in the clear is still not held (ErrKeyNotHeld), and a
// provisioning token reports only the offer enclave code made.
func TestRoleHostCannotBindAKeyInTheClear(t *testing.T) {
	b := newSim(t, nil)
	inClear := enclavetest.NewClearKey(t)
	v := enclave.NewVerifier(enclave.Policy{AllowSimulation: true, SignerID: b.AttestationAddress().Bytes()})

	thief := newKeyThief(b, b.KeyReport)
	if _, err := enclave.ReportFor(thief, inClear); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("ReportFor through the thief: err = %v, want ErrKeyNotHeld", err)
	}
	if _, err := b.KeyReport(*thief.stolen, inClear); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("the stolen token on the real backend: err = %v, want ErrKeyNotHeld", err)
	}
	// The stolen token still binds only keys b holds, which is what
	// ReportFor gives anyway.
	held, err := b.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.KeyReport(*thief.stolen, held)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(r, held.Address()); err != nil {
		t.Fatalf("the honest binding: %v", err)
	}
	if err := v.Verify(r, inClear.Address()); !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("a held key's report passed for the key in the clear: %v", err)
	}

	// The provisioning token: the joiner's offer, and no other data.
	rt := newReservedThief(b, b.ReservedReport)
	j, err := provision.NewJoiner(rt, quiet)
	if err != nil {
		t.Fatal(err)
	}
	replayed, err := b.ReservedReport(*rt.stolen)
	if err != nil {
		t.Fatal(err)
	}
	offered, err := v.Check(j.Offer().Kind, j.Offer().Report)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(replayed.ReportData, offered.ReportData) {
		t.Fatalf("a replayed provisioning token reported other data: %x", replayed.ReportData)
	}
}
