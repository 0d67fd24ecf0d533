// Package keys is the in-memory secp256k1 key shared by the enclave backends,
// and the only way to sign a digest with it.
//
// A Key keeps the private key in an unexported field and prints only the
// address, so neither the API nor fmt/slog output can leak it. It has no
// signing method: a host holding the handle (as an enclave.Key) cannot sign
// with it, not even by a type assertion to an interface it declares itself.
// Signing goes through Signer, which only packages under enclave/ can call
// (Go's internal rule), and those hand the signer to the protocol machines
// and the purpose-built entry points, which sign only digests they built.
// Backends plug in their own sealing function.
package keys

import (
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
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
	// signed, if set, counts this key's signatures (the load sim's budget).
	signed *atomic.Int64
	// owner is the backend that made or loaded the key (Owned); only it
	// makes reports binding the key's address (HeldBy).
	owner any
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

// Sealed seals the key for persistence.
func (k *Key) Sealed() ([]byte, error) {
	d := crypto.FromECDSA(k.priv)
	defer clear(d)
	return k.seal(d, KeyAD())
}

// Counted makes k count its signatures in n (nil: stop counting) and
// returns it.
func Counted(k *Key, n *atomic.Int64) *Key {
	k.signed = n
	return k
}

// Owned records that backend owner made or loaded k, and returns k.
// Backends call it on every key they hand out; owner must be a pointer.
func Owned(k *Key, owner any) *Key {
	k.owner = owner
	return k
}

// HeldBy returns the backend key behind handle h if owner made or loaded
// it, and otherwise an error wrapping enclave.ErrKeyNotHeld: a key in the
// clear, a handle of the host's own type, or another backend's key. A
// backend checks it before a report binds the key's address.
func HeldBy(h enclave.Key, owner any) (*Key, error) {
	k, ok := h.(*Key)
	if !ok || k == nil {
		return nil, fmt.Errorf("%w: a %T", enclave.ErrKeyNotHeld, h)
	}
	if owner == nil || k.owner != owner {
		return nil, fmt.Errorf("%w: %s belongs to another backend", enclave.ErrKeyNotHeld, k.addr)
	}
	return k, nil
}

// DigestSigner signs 32-byte digests: 65 bytes [R || S || V] with V in
// {0, 1}, exactly what go-ethereum's crypto.Sign returns (deterministic,
// RFC 6979), so crypto.Ecrecover on the digest gives back Address(). It is
// messages.Signer, the interface the protocol machines sign through.
type DigestSigner interface {
	Address() common.Address
	Sign(digest [32]byte) ([]byte, error)
}

// digestSigner signs with a backend key. Only enclave code ever holds one.
type digestSigner struct{ k *Key }

func (s digestSigner) Address() common.Address { return s.k.addr }

func (s digestSigner) Sign(digest [32]byte) ([]byte, error) {
	if s.k.signed != nil {
		s.k.signed.Add(1)
	}
	return crypto.Sign(digest[:], s.k.priv)
}

// failingSigner stands for a handle that holds no key this package knows:
// every signature fails with enclave.ErrNotEnclaveKey.
type failingSigner struct{ addr common.Address }

func (s failingSigner) Address() common.Address { return s.addr }

func (s failingSigner) Sign([32]byte) ([]byte, error) {
	return nil, fmt.Errorf("%w: %s", enclave.ErrNotEnclaveKey, s.addr)
}

// Signer returns the signer of the key behind handle k:
//   - a backend key (*Key) signs inside the enclave;
//   - a handle that already signs by itself (a test key, which holds its
//     private key in the clear by construction) signs as itself: no backend
//     key is involved, so this gives nobody a signature they could not make;
//   - anything else (including nil) gives a signer whose every signature
//     fails with enclave.ErrNotEnclaveKey, so a step that needs to sign
//     returns an error instead of panicking.
func Signer(k enclave.Key) DigestSigner {
	switch k := k.(type) {
	case *Key:
		if k != nil {
			return digestSigner{k}
		}
	case DigestSigner:
		return k
	case nil:
	default:
		return failingSigner{k.Address()}
	}
	return failingSigner{}
}

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

// Scalar returns a copy of k's 32-byte private scalar, for enclave code that
// hands the key to another enclave under attestation (enclave/provision).
// Callers clear it after use.
func Scalar(k *Key) []byte { return crypto.FromECDSA(k.priv) }

// Sibling returns a key holding scalar d that belongs to the same backend as
// k: sealed by its sealing function, counted by its counter and owned by
// its owner.
func Sibling(k *Key, d []byte) (*Key, error) {
	s, err := FromBytes(d, k.seal)
	if err != nil {
		return nil, err
	}
	s.signed = k.signed
	s.owner = k.owner
	return s, nil
}
