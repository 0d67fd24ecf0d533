package enclave_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/edgelesssys/ego/attestation"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	_ "github.com/teeswap/teeswap/enclave/ego"
	"github.com/teeswap/teeswap/enclave/sim"
)

func TestKindString(t *testing.T) {
	for k, want := range map[enclave.Kind]string{enclave.KindSGX: "sgx", enclave.KindSimulation: "simulation", 0: "Kind(0)"} {
		if got := k.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestBindAddress(t *testing.T) {
	a, b := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	if len(enclave.BindAddress(a)) != enclave.ReportDataSize {
		t.Fatal("BindAddress is not 64 bytes")
	}
	if bytes.Equal(enclave.BindAddress(a), enclave.BindAddress(b)) {
		t.Fatal("distinct addresses bind to the same report data")
	}
	if !bytes.Equal(enclave.BindAddress(a), enclave.BindAddress(a)) {
		t.Fatal("BindAddress is not deterministic")
	}
}

func TestOpen(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	for _, name := range []string{"", enclave.BackendAuto, enclave.BackendSimulation} {
		if name != enclave.BackendSimulation && enclave.Detect() == enclave.KindSGX {
			continue
		}
		logs.Reset()
		b, err := enclave.Open(enclave.Options{Backend: name, Logger: logger})
		if err != nil {
			t.Fatalf("Open(%q): %v", name, err)
		}
		if b.Kind() != enclave.KindSimulation {
			t.Fatalf("Open(%q).Kind() = %v", name, b.Kind())
		}
		if !strings.Contains(logs.String(), sim.Warning) {
			t.Fatalf("Open(%q) did not log the simulation warning: %q", name, logs.String())
		}
		k, err := b.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		r, err := enclave.ReportFor(b, k)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Simulated || r.Kind != enclave.KindSimulation {
			t.Fatalf("report does not say it is simulated: %+v", r)
		}
	}
	if _, err := enclave.Open(enclave.Options{Backend: "tpm"}); !errors.Is(err, enclave.ErrUnknownBackend) {
		t.Fatalf("Open(tpm): err = %v, want ErrUnknownBackend", err)
	}
	if enclave.Detect() != enclave.KindSGX {
		if _, err := enclave.Open(enclave.Options{Backend: enclave.BackendSGX}); !errors.Is(err, enclave.ErrNotInEnclave) {
			t.Fatalf("Open(sgx) outside SGX: err = %v, want ErrNotInEnclave", err)
		}
	}
}

func TestOpenPersistentSimulation(t *testing.T) {
	key := bytes.Repeat([]byte{9}, sim.SealKeySize)
	open := func() enclave.Backend {
		b, err := enclave.Open(enclave.Options{Backend: "simulation", SimulationSealKey: key, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	k, _ := open().NewKey()
	sealed, _ := k.Sealed()
	k2, err := open().LoadKey(sealed)
	if err != nil || k2.Address() != k.Address() {
		t.Fatalf("key did not survive a restart: %v", err)
	}
}

func TestDefaultVerifierRejectsUnverifiableSGX(t *testing.T) {
	if enclave.Detect() == enclave.KindSGX {
		t.Skip("inside SGX the default verifier can verify")
	}
	v := enclave.NewVerifier(enclave.Policy{})
	r := enclave.Report{Kind: enclave.KindSGX, Raw: []byte("quote"), ReportData: enclave.BindAddress(common.Address{})}
	if err := v.Verify(r, common.Address{}); !errors.Is(err, errUnverifiableSGX) {
		t.Fatalf("err = %v, want %v", err, errUnverifiableSGX)
	}
	r.Raw = nil
	if err := v.Verify(r, common.Address{}); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("empty raw: err = %v, want ErrInvalidReport", err)
	}
	if err := v.Verify(enclave.Report{Kind: 42, Raw: []byte{1}}, common.Address{}); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("unknown kind: err = %v, want ErrInvalidReport", err)
	}
}

// The SGX policy checks, with a stand-in for the quote verification.
func TestSGXPolicy(t *testing.T) {
	addr := common.HexToAddress("0xabc")
	good := attestation.Report{
		Data:     enclave.BindAddress(addr),
		UniqueID: bytes.Repeat([]byte{1}, 32), SignerID: bytes.Repeat([]byte{2}, 32), ProductID: []byte{3},
		SecurityVersion: 2,
	}
	raw := []byte("genuine quote")
	fake := func(ar attestation.Report) enclave.SGXReportVerifier {
		return func(b []byte) (attestation.Report, error) {
			if !bytes.Equal(b, raw) {
				return attestation.Report{}, errors.New("bad quote signature")
			}
			return ar, nil
		}
	}
	report := func(ar attestation.Report) enclave.Report {
		return enclave.Report{Kind: enclave.KindSGX, Raw: raw, ReportData: enclave.BindAddress(addr),
			UniqueID: ar.UniqueID, SignerID: ar.SignerID, ProductID: ar.ProductID, SecurityVersion: ar.SecurityVersion, Debug: ar.Debug}
	}
	pin := enclave.Policy{SignerID: good.SignerID, ProductID: []byte{3}, MinSecurityVersion: 2}
	debug := good
	debug.Debug = true
	other := good
	other.SignerID = bytes.Repeat([]byte{9}, 32)
	cases := []struct {
		name   string
		policy enclave.Policy
		ar     attestation.Report
		edit   func(*enclave.Report)
		addr   common.Address
		want   error
	}{
		{"pinned ok", pin, good, nil, addr, nil},
		{"zero policy ok", enclave.Policy{}, good, nil, addr, nil},
		{"unique id pinned", enclave.Policy{UniqueID: good.UniqueID}, good, nil, addr, nil},
		{"other signer", pin, other, nil, addr, enclave.ErrMeasurementMismatch},
		{"other unique id", enclave.Policy{UniqueID: []byte{7}}, good, nil, addr, enclave.ErrMeasurementMismatch},
		{"old svn", enclave.Policy{MinSecurityVersion: 3}, good, nil, addr, enclave.ErrSecurityVersionTooLow},
		{"debug refused", pin, debug, nil, addr, enclave.ErrDebugNotAllowed},
		{"debug allowed", enclave.Policy{AllowDebug: true}, debug, nil, addr, nil},
		{"other address", pin, good, nil, common.HexToAddress("0xdef"), enclave.ErrReportDataMismatch},
		{"forged quote", pin, good, func(r *enclave.Report) { r.Raw = []byte("forged") }, addr, enclave.ErrInvalidReport},
		{"claims simulated", pin, good, func(r *enclave.Report) { r.Simulated = true }, addr, enclave.ErrInvalidReport},
		{"edited svn", pin, good, func(r *enclave.Report) { r.SecurityVersion = 5 }, addr, enclave.ErrInvalidReport},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := &enclave.Verifier{Policy: c.policy, SGX: fake(c.ar)}
			r := report(c.ar)
			if c.edit != nil {
				c.edit(&r)
			}
			err := v.Verify(r, c.addr)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	tcb := &enclave.Verifier{SGX: func([]byte) (attestation.Report, error) { return good, attestation.ErrTCBLevelInvalid }}
	if err := tcb.Verify(report(good), addr); !errors.Is(err, enclave.ErrInvalidReport) || !errors.Is(err, attestation.ErrTCBLevelInvalid) {
		t.Fatalf("out-of-date TCB: err = %v", err)
	}
}
