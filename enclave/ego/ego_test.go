package ego_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"log/slog"
	"testing"

	"github.com/edgelesssys/ego/ecrypto"
	egoenclave "github.com/edgelesssys/ego/enclave"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/ego"
	"github.com/teeswap/teeswap/enclave/enclavetest"
	"github.com/teeswap/teeswap/enclave/hostapi"
)

func inSGX() bool { return enclave.Detect() == enclave.KindSGX }

func TestConformance(t *testing.T) {
	if !inSGX() {
		t.Skip("not inside an SGX enclave (EGo GetSelfReport fails): the EGo conformance run needs SGX hardware and `ego run`")
	}
	enclavetest.TestBackend(t, func(t *testing.T) enclave.Backend {
		b, err := ego.New(ego.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	})
}

// The trap this backend exists to close: outside SGX, EGo's own sealing
// "works" with an all-zero key that anyone can use to decrypt.
func TestEGoSealsWithZeroKeyOutsideSGX(t *testing.T) {
	if inSGX() {
		t.Skip("inside SGX: no zero-key fallback to demonstrate")
	}
	id, err := egoenclave.GetSealKeyID()
	if err != nil {
		t.Fatalf("GetSealKeyID: %v", err)
	}
	if !bytes.Equal(id, make([]byte, len(id))) {
		t.Fatalf("seal key id %x, expected EGo's all-zero fallback", id)
	}
	blob, err := ecrypto.SealWithProductKey([]byte("secret"), nil)
	if err != nil {
		t.Skipf("this EGo build refuses to seal outside SGX (%v); nothing to demonstrate", err)
	}
	// Layout: keyInfoLen (4) || keyInfo || AES-GCM(nonce || ct). Decrypt with zeros.
	n := int(binary.LittleEndian.Uint32(blob))
	pt, err := ecrypto.Decrypt(blob[4+n:], make([]byte, 16), nil)
	if err != nil || string(pt) != "secret" {
		t.Fatalf("zero-key decrypt = %q, %v; the fallback changed, review ego backend", pt, err)
	}
}

// Sealed state must never be sealed with EGo's zero-key fallback outside SGX.
func TestRefusesOutsideSGX(t *testing.T) {
	if inSGX() {
		t.Skip("inside SGX")
	}
	if _, err := ego.New(ego.Options{}); !errors.Is(err, ego.ErrNotInEnclave) {
		t.Fatalf("New: err = %v, want ErrNotInEnclave", err)
	}
	var b ego.Backend // the zero value must not bypass the check
	if _, err := b.Seal([]byte("state"), nil); !errors.Is(err, ego.ErrNotInEnclave) {
		t.Fatalf("Seal: err = %v, want ErrNotInEnclave", err)
	}
	if _, err := b.Unseal(make([]byte, 2000), nil); !errors.Is(err, ego.ErrNotInEnclave) {
		t.Fatalf("Unseal: err = %v, want ErrNotInEnclave", err)
	}
	if _, err := b.NewKey(); !errors.Is(err, ego.ErrNotInEnclave) {
		t.Fatalf("NewKey: err = %v, want ErrNotInEnclave", err)
	}
	if _, err := b.LoadKey([]byte{1, 2, 3}); !errors.Is(err, ego.ErrNotInEnclave) {
		t.Fatalf("LoadKey: err = %v, want ErrNotInEnclave", err)
	}
	for _, data := range [][]byte{nil, {}, make([]byte, 64)} {
		if _, err := b.Report(data); !errors.Is(err, ego.ErrNotInEnclave) {
			t.Fatalf("Report(%d bytes): err = %v, want ErrNotInEnclave", len(data), err)
		}
	}
	if !errors.Is(ego.ErrNotInEnclave, enclave.ErrNotInEnclave) {
		t.Fatal("ego.ErrNotInEnclave is not enclave.ErrNotInEnclave")
	}
}

func TestOpenSGXOutsideSGX(t *testing.T) {
	if inSGX() {
		t.Skip("inside SGX")
	}
	if _, err := enclave.Open(enclave.Options{Backend: enclave.BackendSGX}); !errors.Is(err, enclave.ErrNotInEnclave) {
		t.Fatalf("Open(sgx): err = %v, want ErrNotInEnclave", err)
	}
}

// Inside SGX, malformed blobs must fail cleanly (ecrypto itself can panic on
// short key infos).
func TestUnsealMalformedInSGX(t *testing.T) {
	if !inSGX() {
		t.Skip("needs SGX")
	}
	b, err := ego.New(ego.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, blob := range [][]byte{nil, {1, 0, 0, 0, 9, 9, 9, 9, 9}, make([]byte, 2000)} {
		if _, err := b.Unseal(blob, nil); !errors.Is(err, enclave.ErrUnseal) {
			t.Fatalf("Unseal(%d bytes) err = %v, want ErrUnseal", len(blob), err)
		}
	}
}

// TestRoleHostCannotBindAKeyInTheClear: a host holding a key in the clear
// asks the SGX backend for a report binding its address, directly or
// through the entry points; every path is refused with a typed error,
// before the backend even needs SGX (the conformance subtest
// BindsOnlyKeysItHolds covers the rest inside SGX).
func TestRoleHostCannotBindAKeyInTheClear(t *testing.T) {
	var b ego.Backend
	k := enclavetest.NewClearKey(t)
	spki := p256SPKI(t)
	if _, err := enclave.ReportFor(&b, k); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("ReportFor: err = %v, want ErrKeyNotHeld", err)
	}
	if _, err := hostapi.TLSReport(&b, k, spki, "10.0.0.7:8090"); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("TLSReport: err = %v, want ErrKeyNotHeld", err)
	}
	for name, data := range map[string][]byte{
		"address binding": enclave.BindAddress(k.Address()),
		"TLS binding":     hostapi.TLSReportData(k.Address(), spki, "10.0.0.7:8090"),
	} {
		if _, err := b.Report(data); !errors.Is(err, enclave.ErrReservedReportData) {
			t.Fatalf("Report(%s): err = %v, want ErrReservedReportData", name, err)
		}
	}
}

func p256SPKI(t *testing.T) []byte {
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
