package sim_test

import (
	"crypto/sha256"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave/internal/keys"
)

// BenchmarkSign measures one enclave signature with the sim backend (the cost
// of crypto.Sign plus the interface call).
func BenchmarkSign(b *testing.B) {
	h, err := newSim(b, nil).NewKey()
	if err != nil {
		b.Fatal(err)
	}
	k := keys.Signer(h)
	d := sha256.Sum256([]byte("bench"))
	for b.Loop() {
		if _, err := k.Sign(d); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerify measures checking a signature the way the protocol does:
// recover the signer (ecrecover) and compare it with the expected address.
func BenchmarkVerify(b *testing.B) {
	h, err := newSim(b, nil).NewKey()
	if err != nil {
		b.Fatal(err)
	}
	k := keys.Signer(h)
	d := sha256.Sum256([]byte("bench"))
	sig, err := k.Sign(d)
	if err != nil {
		b.Fatal(err)
	}
	want := k.Address()
	for b.Loop() {
		pub, err := crypto.SigToPub(d[:], sig)
		if err != nil || crypto.PubkeyToAddress(*pub) != want {
			b.Fatal("verify failed", err)
		}
	}
}

// BenchmarkSeal measures sealing a 256-byte state blob.
func BenchmarkSeal(b *testing.B) {
	s := newSim(b, nil)
	pt := make([]byte, 256)
	for b.Loop() {
		if _, err := s.Seal(pt, nil); err != nil {
			b.Fatal(err)
		}
	}
}
