package keys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
)

func noSeal(p, ad []byte) ([]byte, error) { return bytes.Clone(p), nil }

func TestFormattingNeverShowsPrivateKey(t *testing.T) {
	k, err := Generate(noSeal)
	if err != nil {
		t.Fatal(err)
	}
	secret := hex.EncodeToString(crypto.FromECDSA(k.priv))
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("k", "key", k)
	outs := []string{
		fmt.Sprintf("%v %+v %#v %s %x %d", k, k, k, k, k, k),
		fmt.Sprintf("%v %+v", *k, []*Key{k}),
		logBuf.String(),
	}
	for _, out := range outs[:1] {
		if !strings.Contains(out, k.addr.Hex()) {
			t.Errorf("output %q lacks the address", out)
		}
	}
	for i, out := range outs {
		if strings.Contains(out, secret) {
			t.Fatalf("output %d leaks the private key: %q", i, out)
		}
	}
}

func TestDomainsAreDisjoint(t *testing.T) {
	for _, ad := range [][]byte{nil, {}, KeyAD(), []byte("teeswap/enclave/key/v1")} {
		if bytes.Equal(DataAD(ad), KeyAD()) {
			t.Fatalf("DataAD(%q) equals KeyAD", ad)
		}
	}
}

func TestSealedPassesKeyAD(t *testing.T) {
	var gotAD []byte
	k, err := Generate(func(p, ad []byte) ([]byte, error) { gotAD = ad; return bytes.Clone(p), nil })
	if err != nil {
		t.Fatal(err)
	}
	blob, err := k.Sealed()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(gotAD, KeyAD()) {
		t.Fatalf("sealed with ad %q", gotAD)
	}
	k2, err := FromBytes(blob, noSeal)
	if err != nil {
		t.Fatal(err)
	}
	if k2.Address() != k.Address() {
		t.Fatalf("round trip changed address")
	}
}

// foreignHandle is an enclave.Key no backend made.
type foreignHandle struct{}

func (foreignHandle) Address() common.Address { return common.HexToAddress("0xf0") }
func (foreignHandle) Sealed() ([]byte, error) { return nil, nil }

func TestSignerOfForeignHandlesFails(t *testing.T) {
	for _, h := range []enclave.Key{nil, foreignHandle{}, (*Key)(nil)} {
		sig, err := Signer(h).Sign([32]byte{1})
		if !errors.Is(err, enclave.ErrNotEnclaveKey) || sig != nil {
			t.Fatalf("%T signed: %x %v", h, sig, err)
		}
	}
	k, err := Generate(noSeal)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Signer(k).Sign([32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := crypto.SigToPub(make32(1), sig); err != nil || crypto.PubkeyToAddress(*pub) != k.Address() {
		t.Fatalf("signature recovers to another key: %v", err)
	}
}

func make32(b byte) []byte { d := make([]byte, 32); d[0] = b; return d }
