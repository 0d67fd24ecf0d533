package enclave_test

import (
	"bytes"
	"errors"
	"log/slog"
	"testing"

	"github.com/edgelesssys/ego/attestation"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
)

// Every parsed field of a report is checked against its raw evidence,
// each edited alone; the mutation run removes each comparison in turn.
func TestVerifyRefusesEachEditedField(t *testing.T) {
	addr := common.HexToAddress("0xabc")
	ar := attestation.Report{Data: enclave.BindAddress(addr), UniqueID: []byte{1}, SignerID: []byte{2}, ProductID: []byte{3}, SecurityVersion: 2}
	raw := []byte("quote")
	v := &enclave.Verifier{Policy: enclave.Policy{AllowDebug: true}, SGX: func(b []byte) (attestation.Report, error) {
		if !bytes.Equal(b, raw) {
			return attestation.Report{}, errors.New("bad quote")
		}
		return ar, nil
	}}
	good := func() enclave.Report {
		return enclave.Report{Kind: enclave.KindSGX, Raw: raw, ReportData: enclave.BindAddress(addr),
			UniqueID: ar.UniqueID, SignerID: ar.SignerID, ProductID: ar.ProductID, SecurityVersion: ar.SecurityVersion}
	}
	if err := v.Verify(good(), addr); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(r *enclave.Report){
		"report data": func(r *enclave.Report) { r.ReportData = enclave.BindAddress(common.Address{}) },
		"simulated":   func(r *enclave.Report) { r.Simulated = true },
		"debug":       func(r *enclave.Report) { r.Debug = true },
		"svn":         func(r *enclave.Report) { r.SecurityVersion = 1 },
		"unique id":   func(r *enclave.Report) { r.UniqueID = []byte{9} },
		"signer id":   func(r *enclave.Report) { r.SignerID = []byte{9} },
		"product id":  func(r *enclave.Report) { r.ProductID = []byte{9} },
	} {
		r := good()
		edit(&r)
		if err := v.Verify(r, addr); !errors.Is(err, enclave.ErrInvalidReport) {
			t.Errorf("%s edited: %v", name, err)
		}
	}
	pinned := *v
	pinned.Policy = enclave.Policy{ProductID: []byte{4}}
	if err := pinned.Verify(good(), addr); !errors.Is(err, enclave.ErrMeasurementMismatch) {
		t.Fatalf("other product: %v", err)
	}
	pinned.Policy = enclave.Policy{MinSecurityVersion: 2}
	if err := pinned.Verify(good(), addr); err != nil {
		t.Fatalf("svn at the minimum: %v", err)
	}
	long := *v
	long.SGX = func([]byte) (attestation.Report, error) { r := ar; r.Data = make([]byte, 65); return r, nil }
	if err := long.Verify(good(), addr); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("report data over 64 bytes: %v", err)
	}
}

// Simulated reports are refused unless the policy allows them, and then
// bind exactly the key they were made for.
func TestVerifySimulationPolicy(t *testing.T) {
	b, err := enclave.Open(enclave.Options{Backend: enclave.BackendSimulation, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := b.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := enclave.ReportFor(b, k)
	if err != nil {
		t.Fatal(err)
	}
	if err := enclave.NewVerifier(enclave.Policy{}).Verify(r, k.Address()); !errors.Is(err, enclave.ErrSimulationNotAllowed) {
		t.Fatalf("simulation under the zero policy: %v", err)
	}
	v := enclave.NewVerifier(enclave.Policy{AllowSimulation: true})
	if err := v.Verify(r, k.Address()); err != nil {
		t.Fatalf("simulation allowed: %v", err)
	}
	if err := v.Verify(r, common.Address{1}); !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("another address: %v", err)
	}
	bad := r
	bad.Raw = append([]byte(nil), r.Raw...)
	bad.Raw[len(bad.Raw)/2] ^= 1
	if err := v.Verify(bad, k.Address()); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("tampered simulated report: %v", err)
	}
}
