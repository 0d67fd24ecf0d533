package keys

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
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
