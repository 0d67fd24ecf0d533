package provision

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
)

// recordsDomain derives the cluster's record-sealing key from the shared
// coordinator key.
const recordsDomain = "teeswap/cluster/records/v1"

// RecordSealer seals records for every enclave that holds one provisioned
// key: members whose own sealing keys differ (SGX on different machines)
// still read each other's records. It has Backend.Seal's and Unseal's
// contract (tampered input, another key or other additional data fail with
// enclave.ErrUnseal) and shares no key with signing.
type RecordSealer struct{ aead cipher.AEAD }

// NewRecordSealer derives the record sealer of key k.
func NewRecordSealer(k enclave.Key) (*RecordSealer, error) {
	held, ok := k.(*keys.Key)
	if !ok || held == nil {
		return nil, fmt.Errorf("%w: %T", ErrNotProvisionable, k)
	}
	d := keys.Scalar(held)
	defer clear(d)
	key, err := hkdf.Key(sha256.New, d, nil, recordsDomain, 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	a, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &RecordSealer{aead: a}, nil
}

// Seal encrypts and authenticates plaintext, binding additionalData.
func (s *RecordSealer) Seal(plaintext, additionalData []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	nonce := make([]byte, ns, ns+len(plaintext)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return s.aead.Seal(nonce, nonce, plaintext, additionalData), nil
}

// Unseal reverses Seal.
func (s *RecordSealer) Unseal(sealed, additionalData []byte) ([]byte, error) {
	ns := s.aead.NonceSize()
	if len(sealed) < ns+s.aead.Overhead() {
		return nil, fmt.Errorf("%w: malformed sealed record", enclave.ErrUnseal)
	}
	pt, err := s.aead.Open(nil, sealed[:ns], sealed[ns:], additionalData)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", enclave.ErrUnseal, err)
	}
	return pt, nil
}
