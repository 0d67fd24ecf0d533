package messages

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"
)

// Signer signs 32-byte digests; its signature is 65 bytes [R || S || V]
// with V in {0, 1}, as go-ethereum's crypto.Sign. The protocol machines sign
// through it; an enclave key's Signer exists only inside enclave code
// (enclave/internal/keys), never in the host's hands.
type Signer interface {
	Address() common.Address
	Sign(digest [32]byte) ([]byte, error)
}

// envelopeDomain separates teeswap envelope signatures from every other
// use of the same key (transactions, EIP-712 states).
const envelopeDomain = "teeswap/v1"

// Errors returned when an envelope does not check out.
var (
	ErrMalformed      = errors.New("messages: malformed message")
	ErrWrongKind      = errors.New("messages: unexpected message kind")
	ErrBadSignature   = errors.New("messages: bad signature")
	ErrSignerMismatch = errors.New("messages: signature does not recover to the named signer")
)

// EnvelopeDigest is the digest an envelope's signature covers.
func EnvelopeDigest(kind Kind, payload []byte) [32]byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(kind))
	h := crypto.NewKeccakState()
	h.Write([]byte(envelopeDomain))
	h.Write([]byte{0})
	h.Write(k[:])
	h.Write(payload)
	var out [32]byte
	h.Read(out[:])
	return out
}

// Digest is the signing digest of this envelope.
func (e *Envelope) Digest() [32]byte { return EnvelopeDigest(e.GetKind(), e.GetPayload()) }

// deterministic marshalling keeps digests stable for equal messages.
var marshalOpts = proto.MarshalOptions{Deterministic: true}

// Seal marshals msg, signs it with s and returns the envelope.
func Seal(s Signer, kind Kind, msg proto.Message) (*Envelope, error) {
	payload, err := marshalOpts.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("messages: marshal %v: %w", kind, err)
	}
	sig, err := s.Sign(EnvelopeDigest(kind, payload))
	if err != nil {
		return nil, fmt.Errorf("messages: sign %v: %w", kind, err)
	}
	addr := s.Address()
	return &Envelope{Kind: kind, Payload: payload, Signer: addr.Bytes(), Signature: sig}, nil
}

// Verify checks the envelope's shape and signature and returns its signer.
// It does not decide whether that signer is trusted: callers do.
func (e *Envelope) Verify() (common.Address, error) {
	signer, _, err := e.verify()
	return signer, err
}

// verify is Verify that also returns the signing digest it computed.
func (e *Envelope) verify() (common.Address, [32]byte, error) {
	if e == nil || len(e.Signer) != common.AddressLength {
		return common.Address{}, [32]byte{}, fmt.Errorf("%w: envelope signer must be %d bytes", ErrMalformed, common.AddressLength)
	}
	d := e.Digest()
	signer := common.BytesToAddress(e.Signer)
	got, err := RecoverAddress(d, e.Signature)
	if err != nil {
		return common.Address{}, d, err
	}
	if got != signer {
		return common.Address{}, d, fmt.Errorf("%w: %s, recovered %s", ErrSignerMismatch, signer, got)
	}
	return signer, d, nil
}

// Open verifies the envelope, checks its kind and decodes the payload into
// msg. It returns the signer.
func (e *Envelope) Open(kind Kind, msg proto.Message) (common.Address, error) {
	signer, _, err := e.OpenDigest(kind, msg)
	return signer, err
}

// OpenDigest is Open that also returns the envelope's signing digest, which
// callers record to recognise the envelope again: computing it twice hashes
// the payload twice.
func (e *Envelope) OpenDigest(kind Kind, msg proto.Message) (common.Address, [32]byte, error) {
	if e == nil {
		return common.Address{}, [32]byte{}, fmt.Errorf("%w: nil envelope", ErrMalformed)
	}
	if e.Kind != kind {
		return common.Address{}, [32]byte{}, fmt.Errorf("%w: got %v, want %v", ErrWrongKind, e.Kind, kind)
	}
	signer, d, err := e.verify()
	if err != nil {
		return common.Address{}, d, err
	}
	if err := proto.Unmarshal(e.Payload, msg); err != nil {
		return common.Address{}, d, fmt.Errorf("%w: %v payload: %v", ErrMalformed, kind, err)
	}
	return signer, d, nil
}

// RecoverAddress recovers the address that produced sig over digest,
// rejecting malleable (high-S) and malformed signatures.
func RecoverAddress(digest [32]byte, sig []byte) (common.Address, error) {
	if len(sig) != crypto.SignatureLength {
		return common.Address{}, fmt.Errorf("%w: length %d, want %d", ErrBadSignature, len(sig), crypto.SignatureLength)
	}
	if sig[64] > 1 {
		return common.Address{}, fmt.Errorf("%w: recovery id %d", ErrBadSignature, sig[64])
	}
	r, s := sig[:32], sig[32:64]
	if !crypto.ValidateSignatureValues(sig[64], bigFrom(r), bigFrom(s), true) {
		return common.Address{}, fmt.Errorf("%w: r or s out of range", ErrBadSignature)
	}
	// Ecrecover's raw 65-byte key hashes straight to the address; SigToPub
	// would decode it into big.Int coordinates and check the curve again,
	// a sixth of a recovery's cost on every message.
	pub, err := crypto.Ecrecover(digest[:], sig)
	if err != nil {
		return common.Address{}, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if len(pub) != 65 || pub[0] != 4 {
		return common.Address{}, fmt.Errorf("%w: recovered key is malformed", ErrBadSignature)
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), nil
}
