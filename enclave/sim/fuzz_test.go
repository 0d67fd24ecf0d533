package sim_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
)

// FuzzUnseal: Unseal and LoadKey must never panic and must only accept what
// Seal produced.
func FuzzUnseal(f *testing.F) {
	key := bytes.Repeat([]byte{3}, sim.SealKeySize)
	b := newSim(f, key)
	good, _ := b.Seal([]byte("state"), []byte("ad"))
	k, _ := b.NewKey()
	sealedKey, _ := k.Sealed()
	f.Add(good, []byte("ad"))
	f.Add(good, []byte{})
	f.Add(sealedKey, []byte(nil))
	f.Add([]byte{}, []byte{})
	f.Add([]byte{1}, []byte("ad"))
	f.Add(good[:13], []byte("ad"))
	f.Add(append([]byte{2}, good[1:]...), []byte("ad"))
	f.Fuzz(func(t *testing.T, blob, ad []byte) {
		pt, err := b.Unseal(blob, ad)
		if err != nil {
			if !errors.Is(err, enclave.ErrUnseal) {
				t.Fatalf("error %v is not ErrUnseal", err)
			}
		} else if !bytes.Equal(blob, good) || string(ad) != "ad" || string(pt) != "state" {
			t.Fatalf("Unseal accepted a blob Seal did not make: %x -> %q", blob, pt)
		}
		if _, err := b.LoadKey(blob); err == nil && !bytes.Equal(blob, sealedKey) {
			t.Fatalf("LoadKey accepted %x", blob)
		}
	})
}
