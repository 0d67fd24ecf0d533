package chaintest

import (
	"crypto/ecdsa"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/chain"
)

// KeySigner is a test-only chain.TxSigner over a raw key.
type KeySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

var _ chain.TxSigner = (*KeySigner)(nil)

// NewKeySigner wraps key.
func NewKeySigner(key *ecdsa.PrivateKey) *KeySigner {
	return &KeySigner{key: key, addr: crypto.PubkeyToAddress(key.PublicKey)}
}

// NewRandomSigner returns a signer for a fresh random key.
func NewRandomSigner() *KeySigner {
	key, err := crypto.GenerateKey()
	if err != nil {
		panic(err)
	}
	return NewKeySigner(key)
}

// Address implements chain.TxSigner.
func (k *KeySigner) Address() common.Address { return k.addr }

// SignTx implements chain.TxSigner.
func (k *KeySigner) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return types.SignTx(tx, types.LatestSignerForChainID(chainID), k.key)
}

// Ether returns n ether in wei.
func Ether(n int64) *big.Int {
	return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18))
}

// signDigest signs a 32-byte digest (EIP-712 states and outcomes).
func (k *KeySigner) signDigest(t *testing.T, d [32]byte) []byte {
	t.Helper()
	sig, err := crypto.Sign(d[:], k.key)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}
