package protocoltest

import (
	"crypto/ecdsa"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// ErrTestKey: a test key cannot be sealed; it lives in the clear.
var ErrTestKey = errors.New("protocoltest: a test key cannot be sealed")

// Key is a test-only signer over a raw key derived from a name and seed.
// Production keys live only inside an enclave backend. A Key is also an
// enclave.Key handle, so the protocol machines can run on it; since it
// signs by itself, they sign through its own Sign (enclave/internal/keys).
type Key struct {
	priv *ecdsa.PrivateKey
	addr common.Address
}

// NewKey derives a deterministic key from seed and name.
func NewKey(seed int64, name string) *Key {
	for i := 0; ; i++ {
		d := crypto.Keccak256([]byte(fmt.Sprintf("teeswap-test/%d/%s/%d", seed, name, i)))
		priv, err := crypto.ToECDSA(d)
		if err == nil {
			return &Key{priv: priv, addr: crypto.PubkeyToAddress(priv.PublicKey)}
		}
	}
}

// Raw is the private scalar (32 bytes), for importing the same test key
// into a simulation backend (enclave/sim Backend.ImportKey).
func (k *Key) Raw() []byte { return crypto.FromECDSA(k.priv) }

// Address is the key's address.
func (k *Key) Address() common.Address { return k.addr }

// Sign signs a digest.
func (k *Key) Sign(digest [32]byte) ([]byte, error) { return crypto.Sign(digest[:], k.priv) }

// Sealed fails with ErrTestKey: nothing seals a test key.
func (k *Key) Sealed() ([]byte, error) { return nil, ErrTestKey }

// CountingSigner counts signatures, for the benchmark's signature budget.
type CountingSigner struct {
	Inner interface {
		Address() common.Address
		Sign([32]byte) ([]byte, error)
	}
	Count *int64
}

// Address is the inner signer's address.
func (c CountingSigner) Address() common.Address { return c.Inner.Address() }

// Sign signs and counts.
func (c CountingSigner) Sign(d [32]byte) ([]byte, error) {
	*c.Count++
	return c.Inner.Sign(d)
}

// Sealed fails with ErrTestKey.
func (c CountingSigner) Sealed() ([]byte, error) { return nil, ErrTestKey }
