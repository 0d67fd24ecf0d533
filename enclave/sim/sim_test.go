package sim_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/enclavetest"
	"github.com/teeswap/teeswap/enclave/sim"
)

var quiet = slog.New(slog.DiscardHandler)

func newSim(t testing.TB, key []byte) *sim.Backend {
	t.Helper()
	b, err := sim.New(sim.Options{SealKey: key, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	// One sealing key for all backends of the suite: they act as restarts of
	// one process.
	key := bytes.Repeat([]byte{7}, sim.SealKeySize)
	enclavetest.TestBackend(t, func(t *testing.T) enclave.Backend { return newSim(t, key) })
}

func TestRandomKeyDoesNotSurviveRestart(t *testing.T) {
	a, b := newSim(t, nil), newSim(t, nil)
	s, err := a.Seal([]byte("x"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal(s, nil); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("another process's blob: err = %v, want ErrUnseal", err)
	}
	k, _ := a.NewKey()
	sk, _ := k.Sealed()
	if _, err := b.LoadKey(sk); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("another process's key: err = %v, want ErrUnseal", err)
	}
}

func TestBadSealKey(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := sim.New(sim.Options{SealKey: make([]byte, n), Logger: quiet}); !errors.Is(err, sim.ErrBadSealKey) {
			t.Errorf("%d-byte key: err = %v, want ErrBadSealKey", n, err)
		}
	}
}

func TestLogsWarning(t *testing.T) {
	var buf bytes.Buffer
	if _, err := sim.New(sim.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, sim.Warning) {
		t.Fatalf("log = %q, want a WARN with %q", out, sim.Warning)
	}
}

func TestIdentityFollowsSealKey(t *testing.T) {
	key := bytes.Repeat([]byte{1}, sim.SealKeySize)
	a, b, c := newSim(t, key), newSim(t, key), newSim(t, nil)
	if a.AttestationAddress() != b.AttestationAddress() {
		t.Fatal("same seal key, different attestation identity")
	}
	if a.AttestationAddress() == c.AttestationAddress() {
		t.Fatal("different seal keys, same attestation identity")
	}
	r, err := a.Report(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.SignerID, a.AttestationAddress().Bytes()) || !r.Simulated || r.Kind != enclave.KindSimulation {
		t.Fatalf("report = %+v", r)
	}
}

func TestSealKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	k1, err := sim.SealKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := sim.SealKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != sim.SealKeySize || !bytes.Equal(k1, k2) {
		t.Fatalf("keys %x / %x", k1, k2)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v, mode %v", err, fi.Mode())
	}
	// State sealed before a "restart" opens after it.
	s, _ := newSim(t, k1).Seal([]byte("state"), nil)
	if pt, err := newSim(t, k2).Unseal(s, nil); err != nil || string(pt) != "state" {
		t.Fatalf("Unseal after restart = %q, %v", pt, err)
	}
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SealKeyFile(path); !errors.Is(err, sim.ErrBadSealKey) {
		t.Fatalf("corrupt key file: err = %v, want ErrBadSealKey", err)
	}
}

func TestVerifierPolicies(t *testing.T) {
	b := newSim(t, nil)
	k, _ := b.NewKey()
	r, err := enclave.ReportFor(b, k)
	if err != nil {
		t.Fatal(err)
	}
	strict := enclave.NewVerifier(enclave.Policy{})
	if err := strict.Verify(r, k.Address()); !errors.Is(err, enclave.ErrSimulationNotAllowed) {
		t.Fatalf("strict policy: err = %v, want ErrSimulationNotAllowed", err)
	}
	allow := enclave.NewVerifier(enclave.Policy{AllowSimulation: true})
	if err := allow.Verify(r, k.Address()); err != nil {
		t.Fatalf("AllowSimulation: %v", err)
	}
	if err := allow.Verify(r, common.HexToAddress("0x1234")); !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("other address: err = %v, want ErrReportDataMismatch", err)
	}
	pinned := enclave.NewVerifier(enclave.Policy{AllowSimulation: true, SignerID: b.AttestationAddress().Bytes()})
	if err := pinned.Verify(r, k.Address()); err != nil {
		t.Fatalf("pinned to own identity: %v", err)
	}
	otherSim := newSim(t, nil)
	if _, err := enclave.ReportFor(otherSim, k); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("another sim vouching for this key's address: err = %v, want ErrKeyNotHeld", err)
	}
	k2, _ := otherSim.NewKey()
	r2, _ := enclave.ReportFor(otherSim, k2)
	if err := pinned.Verify(r2, k2.Address()); !errors.Is(err, enclave.ErrMeasurementMismatch) {
		t.Fatalf("other sim identity: err = %v, want ErrMeasurementMismatch", err)
	}
	if err := allow.Verify(r, k.Address()); err != nil {
		t.Fatal("Verify mutated state")
	}

	// Checking from transported evidence alone.
	got, err := allow.Check(r.Kind, r.Raw)
	if err != nil || !bytes.Equal(got.ReportData, enclave.BindAddress(k.Address())) || !got.Simulated {
		t.Fatalf("Check = %+v, %v", got, err)
	}
	// Relabelling a sim report as SGX does not help: SGX verification fails.
	relabelled := r
	relabelled.Kind, relabelled.Simulated = enclave.KindSGX, false
	if err := allow.Verify(relabelled, k.Address()); err == nil {
		t.Fatal("sim report relabelled as SGX was accepted")
	}
}

func TestVerifierRejectsTampering(t *testing.T) {
	b := newSim(t, nil)
	k, _ := b.NewKey()
	r, _ := enclave.ReportFor(b, k)
	v := enclave.NewVerifier(enclave.Policy{AllowSimulation: true})

	// Flip every byte of the raw evidence.
	for i := range r.Raw {
		bad := r
		bad.Raw = bytes.Clone(r.Raw)
		bad.Raw[i] ^= 1
		if err := v.Verify(bad, k.Address()); err == nil {
			t.Fatalf("raw byte %d flipped: accepted", i)
		}
	}
	// Re-point the evidence to another address with a different signer: the
	// self-signature then no longer matches the claimed signer.
	forged := r
	forged.Raw = bytes.Clone(r.Raw)
	copy(forged.Raw[8:], enclave.BindAddress(common.HexToAddress("0xbeef")))
	if err := v.Verify(forged, common.HexToAddress("0xbeef")); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("forged report data: err = %v, want ErrInvalidReport", err)
	}
	// Editing the parsed fields without the evidence.
	edits := map[string]func(*enclave.Report){
		"ReportData": func(r *enclave.Report) { r.ReportData = enclave.BindAddress(common.HexToAddress("0xbeef")) },
		"Simulated":  func(r *enclave.Report) { r.Simulated = false },
		"SignerID":   func(r *enclave.Report) { r.SignerID = make([]byte, 20) },
		"Debug":      func(r *enclave.Report) { r.Debug = true },
		"UniqueID":   func(r *enclave.Report) { r.UniqueID = []byte{1} },
		"Security":   func(r *enclave.Report) { r.SecurityVersion = 9 },
	}
	for name, edit := range edits {
		bad := r
		edit(&bad)
		if err := v.Verify(bad, k.Address()); !errors.Is(err, enclave.ErrInvalidReport) {
			t.Errorf("%s edited: err = %v, want ErrInvalidReport", name, err)
		}
	}
	// A statement signed by an unrelated key but claiming the sim's SignerID.
	bad := r
	bad.Raw = bytes.Clone(r.Raw)
	other, _ := crypto.GenerateKey()
	sig, err := crypto.Sign(crypto.Keccak256(bad.Raw[:len(bad.Raw)-65]), other)
	if err != nil {
		t.Fatal(err)
	}
	copy(bad.Raw[len(bad.Raw)-65:], sig)
	if err := v.Verify(bad, k.Address()); !errors.Is(err, enclave.ErrInvalidReport) {
		t.Fatalf("foreign signature: err = %v, want ErrInvalidReport", err)
	}
	for _, raw := range [][]byte{nil, {}, r.Raw[:10], append(bytes.Clone(r.Raw), 0)} {
		if _, err := v.Check(enclave.KindSimulation, raw); !errors.Is(err, enclave.ErrInvalidReport) {
			t.Fatalf("%d-byte raw: err = %v, want ErrInvalidReport", len(raw), err)
		}
	}
}

// A key imported into the simulation backend is held by it: it can be
// attested like a key made there, and it signs as the raw key would.
func TestImportKeyIsHeldAndAttested(t *testing.T) {
	b, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := crypto.GenerateKey()
	k, err := b.ImportKey(crypto.FromECDSA(raw))
	if err != nil {
		t.Fatal(err)
	}
	if k.Address() != crypto.PubkeyToAddress(raw.PublicKey) {
		t.Fatalf("imported key has address %s, want %s", k.Address(), crypto.PubkeyToAddress(raw.PublicKey))
	}
	r, err := enclave.ReportFor(b, k)
	if err != nil {
		t.Fatalf("report for an imported key: %v", err)
	}
	if err := enclave.NewVerifier(enclave.Policy{AllowSimulation: true}).Verify(r, k.Address()); err != nil {
		t.Fatalf("the imported key's report does not verify: %v", err)
	}
	if _, err := b.ImportKey(make([]byte, 32)); !errors.Is(err, enclave.ErrInvalidKey) {
		t.Fatalf("importing the zero scalar: %v, want ErrInvalidKey", err)
	}
}
