// Package keys is the in-memory secp256k1 key shared by the enclave backends.
//
// It keeps the private key in an unexported field and prints only the address,
// so neither the API nor fmt/slog output can leak it. Backends plug in their
// own sealing function.
package keys

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// Additional-data domains. Data sealed through Backend.Seal always carries the
// data prefix and keys always carry keyAD, so Backend.Unseal can never open a
// sealed key (which would hand out the private key).
const (
	keyAD      = "teeswap/enclave/key/v1"
	dataPrefix = "teeswap/enclave/data/v1\x00"
)

// KeyAD is the additional data that sealed keys are bound to.
func KeyAD() []byte { return []byte(keyAD) }

// DataAD maps caller additional data into the data domain.
func DataAD(ad []byte) []byte {
	out := make([]byte, 0, len(dataPrefix)+len(ad))
	return append(append(out, dataPrefix...), ad...)
}

// SealFunc seals raw key bytes under KeyAD.
type SealFunc func(plaintext, additionalData []byte) ([]byte, error)

// Key implements enclave.Key.
type Key struct {
	priv *ecdsa.PrivateKey
	addr common.Address
	seal SealFunc
}

// Generate makes a fresh key.
func Generate(seal SealFunc) (*Key, error) {
	priv, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return wrap(priv, seal), nil
}

// FromBytes rebuilds a key from the 32-byte scalar (an unsealed key).
func FromBytes(d []byte, seal SealFunc) (*Key, error) {
	priv, err := crypto.ToECDSA(d)
	if err != nil {
		return nil, err
	}
	return wrap(priv, seal), nil
}

func wrap(priv *ecdsa.PrivateKey, seal SealFunc) *Key {
	return &Key{priv: priv, addr: crypto.PubkeyToAddress(priv.PublicKey), seal: seal}
}

// Address is the Ethereum address of the key.
func (k *Key) Address() common.Address { return k.addr }

// Sign signs a digest: 65 bytes [R || S || V], V in {0, 1}.
func (k *Key) Sign(digest [32]byte) ([]byte, error) {
	return crypto.Sign(digest[:], k.priv)
}

// Sealed seals the key for persistence.
func (k *Key) Sealed() ([]byte, error) {
	d := crypto.FromECDSA(k.priv)
	defer clear(d)
	return k.seal(d, KeyAD())
}

// PrivateKey gives the backend that owns the key access to it (for example
// the sim backend's attestation key). It is not reachable through enclave.Key.
func (k *Key) PrivateKey() *ecdsa.PrivateKey { return k.priv }

// String, GoString, Format and LogValue print only the address, on values
// and pointers alike: fmt would otherwise print the private key's fields
// through reflection.
func (k Key) String() string { return "enclave key " + k.addr.Hex() }

// GoString implements fmt.GoStringer.
func (k Key) GoString() string { return k.String() }

// Format implements fmt.Formatter so that every verb (%v, %+v, %#v, %x, ...)
// prints only the address.
func (k Key) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(k.String())) }

// LogValue implements slog.LogValuer.
func (k Key) LogValue() slog.Value { return slog.StringValue(k.String()) }
