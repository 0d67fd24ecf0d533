package sim_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
)

// Fixed blobs sealed under the fuzz key (bytes 0x03...): fuzz workers are
// separate processes, so the known-good inputs must not depend on a random
// nonce chosen at run time.
var (
	fuzzGood, _      = hex.DecodeString("01a46b0e47e89222ee4b7dfa5ec76991ae88856e63bfc5afd9b289f5be387421b40a") // Seal("state", "ad")
	fuzzSealedKey, _ = hex.DecodeString("01fa0ff5cd7cce7687e2fc564ae71cfb2b0a70ac5cbc1a3d9b9386cd9f7ca7b4871c3e2e68ccabca6f2a298a25285a57166747e4353d8ee37232ea7bff")
	fuzzKeyAddr      = common.HexToAddress("0x78B379A064C9af7B75A9013cF025C17E6218dA21")
)

// FuzzUnseal: Unseal and LoadKey must never panic and must accept only what
// the backend sealed.
func FuzzUnseal(f *testing.F) {
	b := newSim(f, bytes.Repeat([]byte{3}, sim.SealKeySize))
	if pt, err := b.Unseal(fuzzGood, []byte("ad")); err != nil || string(pt) != "state" {
		f.Fatalf("fixed blob does not unseal: %q, %v", pt, err)
	}
	if k, err := b.LoadKey(fuzzSealedKey); err != nil || k.Address() != fuzzKeyAddr {
		f.Fatalf("fixed sealed key does not load: %v", err)
	}
	f.Add(fuzzGood, []byte("ad"))
	f.Add(fuzzGood, []byte{})
	f.Add(fuzzSealedKey, []byte(nil))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("ad"))
	f.Add(fuzzGood[:13], []byte("ad"))
	f.Add(append([]byte{2}, fuzzGood[1:]...), []byte("ad"))
	f.Fuzz(func(t *testing.T, blob, ad []byte) {
		pt, err := b.Unseal(blob, ad)
		if err != nil {
			if !errors.Is(err, enclave.ErrUnseal) {
				t.Fatalf("error %v is not ErrUnseal", err)
			}
		} else if !bytes.Equal(blob, fuzzGood) || string(ad) != "ad" || string(pt) != "state" {
			t.Fatalf("Unseal accepted a blob Seal did not make: %x -> %q", blob, pt)
		}
		if _, err := b.LoadKey(blob); err == nil && !bytes.Equal(blob, fuzzSealedKey) {
			t.Fatalf("LoadKey accepted %x", blob)
		}
	})
}
