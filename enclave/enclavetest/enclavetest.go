package enclavetest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
)

// TestBackend runs the conformance suite. newBackend must return a fresh
// backend; two backends from it must share sealing keys (as two processes of
// one enclave, or two sim backends with the same seal key, do) so that
// persistence across restarts is tested.
func TestBackend(t *testing.T, newBackend func(t *testing.T) enclave.Backend) {
	t.Helper()
	t.Run("Kind", func(t *testing.T) {
		b := newBackend(t)
		if k := b.Kind(); k != enclave.KindSGX && k != enclave.KindSimulation {
			t.Fatalf("Kind() = %v", k)
		}
	})
	t.Run("KeysAreDistinct", func(t *testing.T) { testDistinctKeys(t, newBackend(t)) })
	t.Run("SignaturesRecover", func(t *testing.T) { testSignRecover(t, newBackend(t)) })
	t.Run("KeyHandleCannotSign", func(t *testing.T) { testHandleCannotSign(t, newBackend(t)) })
	t.Run("SealedKeyRoundTrip", func(t *testing.T) { testSealedKey(t, newBackend(t), newBackend(t)) })
	t.Run("SealUnseal", func(t *testing.T) { testSealUnseal(t, newBackend(t)) })
	t.Run("UnsealRejectsTampering", func(t *testing.T) { testTamper(t, newBackend(t)) })
	t.Run("UnsealCannotOpenKeys", func(t *testing.T) { testKeyDomain(t, newBackend(t)) })
	t.Run("Report", func(t *testing.T) { testReport(t, newBackend(t)) })
	t.Run("BindsOnlyKeysItHolds", func(t *testing.T) { testBindsOnlyHeldKeys(t, newBackend(t), newBackend(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newBackend(t)) })
}

func digestOf(s string) [32]byte { return sha256.Sum256([]byte(s)) }

// sign signs through the enclave-internal signer, as the protocol machines
// do: the key handle itself has no signing method.
func sign(k enclave.Key, d [32]byte) ([]byte, error) { return keys.Signer(k).Sign(d) }

// SigningMethods lists the methods of v's dynamic type (pointer and value
// receivers) through which a holder could sign a digest of its choosing or
// reach key material: a method taking a [32]byte, common.Hash or []byte, or
// returning an *ecdsa.PrivateKey. A key handle the host holds must have none.
func SigningMethods(v any) []string {
	if v == nil {
		return nil
	}
	var out []string
	t := reflect.TypeOf(v)
	for _, typ := range []reflect.Type{t, reflect.PointerTo(t)} {
		for m := range typ.Methods() {
			if suspicious(m.Type) {
				out = append(out, typ.String()+"."+m.Name)
			}
		}
	}
	return out
}

var (
	digestType  = reflect.TypeFor[[32]byte]()
	hashType    = reflect.TypeFor[common.Hash]()
	bytesType   = reflect.TypeFor[[]byte]()
	privKeyType = reflect.TypeFor[*ecdsa.PrivateKey]()
)

func suspicious(f reflect.Type) bool {
	for i := range f.NumIn() {
		if in := f.In(i); in == digestType || in == hashType || in == bytesType {
			return true
		}
	}
	for i := range f.NumOut() {
		if out := f.Out(i); out == privKeyType || out == privKeyType.Elem() {
			return true
		}
	}
	return false
}

// testHandleCannotSign: the handles a backend gives the host (new and
// loaded keys) sign nothing and expose no key material, whatever the host
// type-asserts them to.
func testHandleCannotSign(t *testing.T, b enclave.Backend) {
	k := mustKey(t, b)
	sealed, err := k.Sealed()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := b.LoadKey(sealed)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []enclave.Key{k, loaded} {
		if bad := SigningMethods(h); len(bad) > 0 {
			t.Fatalf("the key handle %T can sign or leak: %v", h, bad)
		}
		if _, ok := h.(interface {
			Sign([32]byte) ([]byte, error)
		}); ok {
			t.Fatalf("the key handle %T signs digests", h)
		}
	}
}

func mustKey(t *testing.T, b enclave.Backend) enclave.Key {
	t.Helper()
	k, err := b.NewKey()
	if err != nil {
		t.Fatalf("NewKey: %v", err)
	}
	return k
}

func testDistinctKeys(t *testing.T, b enclave.Backend) {
	seen := map[common.Address]bool{}
	for range 16 {
		a := mustKey(t, b).Address()
		if a == (common.Address{}) {
			t.Fatal("zero address")
		}
		if seen[a] {
			t.Fatalf("address %s generated twice", a)
		}
		seen[a] = true
	}
}

// CheckSignature asserts that sig is a 65-byte [R||S||V] signature by addr
// over digest, with V in {0,1}.
func CheckSignature(t testing.TB, addr common.Address, digest [32]byte, sig []byte) {
	t.Helper()
	if len(sig) != crypto.SignatureLength {
		t.Fatalf("signature length %d, want %d", len(sig), crypto.SignatureLength)
	}
	if v := sig[crypto.RecoveryIDOffset]; v > 1 {
		t.Fatalf("V = %d, want 0 or 1", v)
	}
	pub, err := crypto.SigToPub(digest[:], sig)
	if err != nil {
		t.Fatalf("SigToPub: %v", err)
	}
	if got := crypto.PubkeyToAddress(*pub); got != addr {
		t.Fatalf("signature recovers to %s, want %s", got, addr)
	}
	raw, err := crypto.Ecrecover(digest[:], sig)
	if err != nil {
		t.Fatalf("Ecrecover: %v", err)
	}
	if !crypto.VerifySignature(raw, digest[:], sig[:64]) {
		t.Fatal("VerifySignature rejects the signature")
	}
}

func testSignRecover(t *testing.T, b enclave.Backend) {
	k := mustKey(t, b)
	for _, msg := range []string{"", "a", "teeswap"} {
		d := digestOf(msg)
		sig, err := sign(k, d)
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		CheckSignature(t, k.Address(), d, sig)
		again, err := sign(k, d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sig, again) {
			t.Fatal("signing is not deterministic (want RFC 6979)")
		}
		other := mustKey(t, b)
		if s2, _ := sign(other, d); bytes.Equal(s2, sig) {
			t.Fatal("two keys gave the same signature")
		}
	}
}

func testSealedKey(t *testing.T, b, restarted enclave.Backend) {
	k := mustKey(t, b)
	sealed, err := k.Sealed()
	if err != nil {
		t.Fatalf("Sealed: %v", err)
	}
	d := digestOf("persisted")
	want, err := sign(k, d)
	if err != nil {
		t.Fatal(err)
	}
	for name, be := range map[string]enclave.Backend{"same backend": b, "restarted backend": restarted} {
		k2, err := be.LoadKey(sealed)
		if err != nil {
			t.Fatalf("%s: LoadKey: %v", name, err)
		}
		if k2.Address() != k.Address() {
			t.Fatalf("%s: loaded %s, want %s", name, k2.Address(), k.Address())
		}
		got, err := sign(k2, d)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: loaded key signs differently", name)
		}
		// Resealing must also round-trip.
		resealed, err := k2.Sealed()
		if err != nil {
			t.Fatal(err)
		}
		k3, err := be.LoadKey(resealed)
		if err != nil || k3.Address() != k.Address() {
			t.Fatalf("%s: reseal round trip: %v", name, err)
		}
	}
	bad := bytes.Clone(sealed)
	bad[len(bad)-1] ^= 1
	if _, err := b.LoadKey(bad); err == nil {
		t.Fatal("LoadKey accepted a tampered sealed key")
	}
	if _, err := b.LoadKey(nil); err == nil {
		t.Fatal("LoadKey accepted nil")
	}
}

func testSealUnseal(t *testing.T, b enclave.Backend) {
	for _, pt := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("state"), 1000)} {
		for _, ad := range [][]byte{nil, []byte("channel 7")} {
			s, err := b.Seal(pt, ad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if len(pt) > 4 && bytes.Contains(s, pt) {
				t.Fatal("sealed blob contains the plaintext")
			}
			got, err := b.Unseal(s, ad)
			if err != nil {
				t.Fatalf("Unseal: %v", err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("Unseal = %q, want %q", got, pt)
			}
		}
	}
	s1, _ := b.Seal([]byte("same"), nil)
	s2, _ := b.Seal([]byte("same"), nil)
	if bytes.Equal(s1, s2) {
		t.Fatal("sealing is deterministic (nonce reuse?)")
	}
}

func testTamper(t *testing.T, b enclave.Backend) {
	pt, ad := []byte("balance=100"), []byte("ad")
	s, err := b.Seal(pt, ad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Unseal(s, []byte("other ad")); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("wrong additional data: err = %v, want ErrUnseal", err)
	}
	if _, err := b.Unseal(s, nil); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("missing additional data: err = %v, want ErrUnseal", err)
	}
	for i := range s {
		bad := bytes.Clone(s)
		bad[i] ^= 0x80
		if got, err := b.Unseal(bad, ad); err == nil {
			t.Fatalf("flipping byte %d: Unseal succeeded with %q", i, got)
		}
	}
	for _, bad := range [][]byte{nil, {}, s[:1], s[:len(s)-1], append(bytes.Clone(s), 0)} {
		if _, err := b.Unseal(bad, ad); err == nil {
			t.Fatalf("Unseal accepted %d-byte truncated/extended blob", len(bad))
		}
	}
}

func testKeyDomain(t *testing.T, b enclave.Backend) {
	k := mustKey(t, b)
	sealed, err := k.Sealed()
	if err != nil {
		t.Fatal(err)
	}
	for _, ad := range [][]byte{nil, []byte("teeswap/enclave/key/v1")} {
		if pt, err := b.Unseal(sealed, ad); err == nil {
			t.Fatalf("Unseal opened a sealed key (%d bytes): the private key would leave the backend", len(pt))
		}
	}
	data, err := b.Seal(make([]byte, 32), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.LoadKey(data); err == nil {
		t.Fatal("LoadKey accepted data sealed by Seal")
	}
}

// PolicyFor returns the policy under which b's own reports must verify: it
// allows simulation only for a simulation backend and pins b's SignerID.
func PolicyFor(b enclave.Backend, r enclave.Report) enclave.Policy {
	return enclave.Policy{
		AllowSimulation: b.Kind() == enclave.KindSimulation,
		SignerID:        r.SignerID,
		UniqueID:        r.UniqueID,
		AllowDebug:      r.Debug,
	}
}

func testReport(t *testing.T, b enclave.Backend) {
	if _, err := b.Report(reportdata.Reserved([32]byte{1})); !errors.Is(err, enclave.ErrReservedReportData) {
		t.Fatalf("Report made report data reserved for enclave code: %v", err)
	}
	k := mustKey(t, b)
	r, err := enclave.ReportFor(b, k)
	if err != nil {
		t.Fatalf("ReportFor: %v", err)
	}
	if r.Kind != b.Kind() {
		t.Fatalf("report kind %v, backend kind %v", r.Kind, b.Kind())
	}
	if r.Simulated != (b.Kind() == enclave.KindSimulation) {
		t.Fatalf("Simulated = %v for a %v backend", r.Simulated, b.Kind())
	}
	if !bytes.Equal(r.ReportData, enclave.BindAddress(k.Address())) {
		t.Fatal("report data does not bind the key's address")
	}
	v := enclave.NewVerifier(PolicyFor(b, r))
	if err := v.Verify(r, k.Address()); err != nil {
		t.Fatalf("Verify own report: %v", err)
	}
	other := mustKey(t, b)
	if err := v.Verify(r, other.Address()); !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("Verify for another address: err = %v, want ErrReportDataMismatch", err)
	}
	if _, err := b.Report(make([]byte, enclave.ReportDataSize+1)); !errors.Is(err, enclave.ErrReportDataTooLong) {
		t.Fatalf("65-byte report data: err = %v, want ErrReportDataTooLong", err)
	}
	short, err := b.Report([]byte{1, 2, 3})
	if err != nil {
		t.Fatalf("short report data: %v", err)
	}
	if want := append([]byte{1, 2, 3}, make([]byte, 61)...); !bytes.Equal(short.ReportData, want) {
		t.Fatalf("short report data not zero-padded: %x", short.ReportData)
	}
	if _, err := b.Report(nil); err != nil {
		t.Fatalf("nil report data: %v", err)
	}
}

// ClearKey is a key the host holds in the clear (generated outside any
// backend) behind an enclave.Key handle of its own type: what a malicious
// host would like a backend to vouch for.
type ClearKey struct{ priv *ecdsa.PrivateKey }

// NewClearKey generates a ClearKey.
func NewClearKey(t testing.TB) *ClearKey {
	t.Helper()
	priv, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &ClearKey{priv}
}

// Address is the key's address.
func (k *ClearKey) Address() common.Address { return crypto.PubkeyToAddress(k.priv.PublicKey) }

// Sealed returns the scalar itself: the host has it anyway.
func (k *ClearKey) Sealed() ([]byte, error) { return crypto.FromECDSA(k.priv), nil }

// tlsSPKI is a fresh P-256 public key, DER SubjectPublicKeyInfo, as a
// remoting TLS key is.
func tlsSPKI(t *testing.T) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return spki
}

// testBindsOnlyHeldKeys: a report binding an address (enclave.BindAddress,
// hostapi.TLSReportData) comes only from a backend that made or loaded the
// key. A host holding a key in the clear, or another backend's key, gets a
// typed refusal on every path; the old, unreserved layout it can still have
// reported binds nothing a verifier accepts.
func testBindsOnlyHeldKeys(t *testing.T, b, other enclave.Backend) {
	inClear := NewClearKey(t)
	foreign := mustKey(t, other)
	spki := tlsSPKI(t)
	const remote = "10.0.0.7:8090"
	for name, k := range map[string]enclave.Key{"a key in the clear": inClear, "another backend's key": foreign, "nil": nil} {
		if _, err := enclave.ReportFor(b, k); !errors.Is(err, enclave.ErrKeyNotHeld) {
			t.Errorf("ReportFor(%s): err = %v, want ErrKeyNotHeld", name, err)
		}
		if _, err := hostapi.TLSReport(b, k, spki, remote); !errors.Is(err, enclave.ErrKeyNotHeld) {
			t.Errorf("TLSReport(%s): err = %v, want ErrKeyNotHeld", name, err)
		}
	}
	for name, data := range map[string][]byte{
		"address binding": enclave.BindAddress(inClear.Address()),
		"TLS binding":     hostapi.TLSReportData(inClear.Address(), spki, remote),
	} {
		if _, err := b.Report(data); !errors.Is(err, enclave.ErrReservedReportData) {
			t.Errorf("Report(%s of a key in the clear): err = %v, want ErrReservedReportData", name, err)
		}
	}

	// The honest path: b's own key, and the foreign key once b has loaded
	// it (two backends of this suite share sealing keys).
	sealed, err := foreign.Sealed()
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := b.LoadKey(sealed)
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range map[string]enclave.Key{"own key": mustKey(t, b), "loaded key": loaded} {
		r, err := enclave.ReportFor(b, k)
		if err != nil {
			t.Fatalf("ReportFor(%s): %v", name, err)
		}
		v := enclave.NewVerifier(PolicyFor(b, r))
		if err := v.Verify(r, k.Address()); err != nil {
			t.Fatalf("Verify(%s): %v", name, err)
		}
		tr, err := hostapi.TLSReport(b, k, spki, remote)
		if err != nil {
			t.Fatalf("TLSReport(%s): %v", name, err)
		}
		got, err := v.Check(tr.Kind, tr.Raw)
		if err != nil || !bytes.Equal(got.ReportData, hostapi.TLSReportData(k.Address(), spki, remote)) {
			t.Fatalf("TLS report of %s: %v, data %x", name, err, got.ReportData)
		}
		// A TLS report is no address binding, nor the reverse.
		if err := v.Verify(tr, k.Address()); !errors.Is(err, enclave.ErrReportDataMismatch) {
			t.Fatalf("a TLS report passed as an address binding: %v", err)
		}
	}

	// What the host can still have reported, the pre-reserved layout
	// (the digest zero-padded), binds no address.
	old := make([]byte, enclave.ReportDataSize)
	copy(old, enclave.BindAddress(inClear.Address())[:32])
	r, err := b.Report(old)
	if err != nil {
		t.Fatalf("unreserved report data: %v", err)
	}
	if err := enclave.NewVerifier(PolicyFor(b, r)).Verify(r, inClear.Address()); !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("the old layout still binds an address: %v", err)
	}
}

func testConcurrent(t *testing.T, b enclave.Backend) {
	k := mustKey(t, b)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			d := digestOf(fmt.Sprint(i))
			sig, err := sign(k, d)
			if err != nil {
				errs <- err
				return
			}
			pub, err := crypto.SigToPub(d[:], sig)
			if err != nil || crypto.PubkeyToAddress(*pub) != k.Address() {
				errs <- fmt.Errorf("bad concurrent signature: %v", err)
				return
			}
			s, err := b.Seal([]byte{byte(i)}, nil)
			if err != nil {
				errs <- err
				return
			}
			if pt, err := b.Unseal(s, nil); err != nil || !bytes.Equal(pt, []byte{byte(i)}) {
				errs <- fmt.Errorf("concurrent unseal: %v", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
