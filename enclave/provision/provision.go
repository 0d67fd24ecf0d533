package provision

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
)

// Domains of the report data and of the key derivation.
const (
	offerDomain  = "teeswap/provision/offer/v1"
	answerDomain = "teeswap/provision/answer/v1"
	aeadDomain   = "teeswap/provision/aead/v1"
)

// InsecureWarning is logged whenever a simulation enclave takes part.
const InsecureWarning = "SIMULATION key provisioning: reports are simulated and anyone can forge them; the key is not protected"

// Errors. Refusals wrap the enclave package's verifier errors as well, so
// errors.Is(err, enclave.ErrMeasurementMismatch) and the like work too.
var (
	// ErrMalformed: an offer or answer is missing fields or has wrong sizes.
	ErrMalformed = errors.New("provision: malformed offer or answer")
	// ErrOfferRefused: the joiner's report fails the holder's policy or does
	// not bind the offered key.
	ErrOfferRefused = errors.New("provision: offer refused")
	// ErrAnswerRefused: the holder's report fails the joiner's policy, does
	// not bind this exchange, or the sealed key does not open (tampered, or
	// an answer to another offer).
	ErrAnswerRefused = errors.New("provision: answer refused")
	// ErrNotProvisionable: the key or backend is not an enclave backend's.
	ErrNotProvisionable = errors.New("provision: not an enclave backend's key")
)

// Offer is a joiner's request for the key.
type Offer struct {
	Public []byte       `json:"public"` // X25519 public key
	Kind   enclave.Kind `json:"kind"`   // report kind
	Report []byte       `json:"report"` // raw report binding Public
}

// Answer is a holder's reply to one Offer.
type Answer struct {
	Address common.Address `json:"address"` // the provisioned key's address
	Public  []byte         `json:"public"`  // the holder's X25519 public key
	Kind    enclave.Kind   `json:"kind"`
	Report  []byte         `json:"report"` // raw report binding the transcript
	Sealed  []byte         `json:"sealed"` // nonce || AES-256-GCM(scalar)
}

func offerData(pub []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(offerDomain))
	h.Write([]byte{0})
	h.Write(pub)
	return [32]byte(h.Sum(nil))
}

func answerData(joiner, holder []byte, addr common.Address) [32]byte {
	h := sha256.New()
	h.Write([]byte(answerDomain))
	h.Write([]byte{0})
	h.Write(joiner)
	h.Write(holder)
	h.Write(addr.Bytes())
	return [32]byte(h.Sum(nil))
}

// reporter is a backend that makes reports over reserved report data
// (enclave/internal/reportdata): its exported Report refuses that data, so
// only enclave code can have a key of its own vouched for in this exchange.
type reporter interface {
	ReservedReport(t reportdata.Token) (enclave.Report, error)
}

func reservedReport(b enclave.Backend, digest [32]byte) (enclave.Report, error) {
	r, ok := b.(reporter)
	if !ok {
		return enclave.Report{}, fmt.Errorf("%w: backend %T makes no reserved reports", ErrNotProvisionable, b)
	}
	return r.ReservedReport(reportdata.Grant(digest))
}

// aead derives the exchange's cipher from the shared secret and both keys.
func aead(secret, joiner, holder []byte) (cipher.AEAD, error) {
	info := append(append([]byte(aeadDomain), joiner...), holder...)
	key, err := hkdf.Key(sha256.New, secret, nil, string(info), 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// checkReport verifies raw evidence under v and that it carries digest as
// reserved report data.
func checkReport(v *enclave.Verifier, kind enclave.Kind, raw []byte, digest [32]byte) (enclave.Report, error) {
	if v == nil {
		return enclave.Report{}, fmt.Errorf("%w: no verifier", ErrMalformed)
	}
	r, err := v.Check(kind, raw)
	if err != nil {
		return enclave.Report{}, err
	}
	if string(r.ReportData) != string(reportdata.Reserved(digest)) {
		return enclave.Report{}, fmt.Errorf("%w: the report does not bind this exchange", enclave.ErrReportDataMismatch)
	}
	return r, nil
}

func warnIfSimulated(log *slog.Logger, kinds ...enclave.Kind) {
	for _, k := range kinds {
		if k == enclave.KindSimulation {
			if log == nil {
				log = slog.Default()
			}
			log.Warn(InsecureWarning)
			return
		}
	}
}

// Joiner is one enclave's side of an exchange. Make a fresh one per attempt.
type Joiner struct {
	backend enclave.Backend
	priv    *ecdh.PrivateKey
	offer   Offer
	log     *slog.Logger
}

// NewJoiner makes an ephemeral key pair in b and the Offer for it.
func NewJoiner(b enclave.Backend, log *slog.Logger) (*Joiner, error) {
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	pub := priv.PublicKey().Bytes()
	r, err := reservedReport(b, offerData(pub))
	if err != nil {
		return nil, fmt.Errorf("provision: report for the offer: %w", err)
	}
	warnIfSimulated(log, r.Kind)
	return &Joiner{backend: b, priv: priv, offer: Offer{Public: pub, Kind: r.Kind, Report: r.Raw}, log: log}, nil
}

// Offer is what the joiner publishes for a holder.
func (j *Joiner) Offer() Offer { return j.offer }

// Accept checks a holder's answer under v and returns the provisioned key,
// held by the joiner's backend.
func (j *Joiner) Accept(a Answer, v *enclave.Verifier) (enclave.Key, error) {
	holder, err := ecdh.X25519().NewPublicKey(a.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %w: holder key: %v", ErrAnswerRefused, ErrMalformed, err)
	}
	if _, err := checkReport(v, a.Kind, a.Report, answerData(j.offer.Public, a.Public, a.Address)); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAnswerRefused, err)
	}
	warnIfSimulated(j.log, a.Kind)
	secret, err := j.priv.ECDH(holder)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAnswerRefused, err)
	}
	c, err := aead(secret, j.offer.Public, a.Public)
	if err != nil {
		return nil, err
	}
	ns := c.NonceSize()
	if len(a.Sealed) < ns+c.Overhead() {
		return nil, fmt.Errorf("%w: %w: sealed key too short", ErrAnswerRefused, ErrMalformed)
	}
	d, err := c.Open(nil, a.Sealed[:ns], a.Sealed[ns:], a.Address.Bytes())
	if err != nil {
		return nil, fmt.Errorf("%w: the sealed key does not open: %v", ErrAnswerRefused, err)
	}
	defer clear(d)
	priv, err := crypto.ToECDSA(d)
	if err != nil || crypto.PubkeyToAddress(priv.PublicKey) != a.Address {
		return nil, fmt.Errorf("%w: the sealed key is not %s's", ErrAnswerRefused, a.Address)
	}
	// A key of the joiner's backend: make one to learn its sealing, then
	// hold the provisioned scalar in its place.
	tmpl, err := j.backend.NewKey()
	if err != nil {
		return nil, err
	}
	t, ok := tmpl.(*keys.Key)
	if !ok {
		return nil, fmt.Errorf("%w: backend key %T", ErrNotProvisionable, tmpl)
	}
	return keys.Sibling(t, d)
}

// Provide answers offer o with key k, held by backend b, if o's report
// passes v's policy and binds the offered public key.
func Provide(b enclave.Backend, k enclave.Key, o Offer, v *enclave.Verifier, log *slog.Logger) (Answer, error) {
	joiner, err := ecdh.X25519().NewPublicKey(o.Public)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %w: offered key: %v", ErrOfferRefused, ErrMalformed, err)
	}
	if _, err := checkReport(v, o.Kind, o.Report, offerData(o.Public)); err != nil {
		return Answer{}, fmt.Errorf("%w: %w", ErrOfferRefused, err)
	}
	held, ok := k.(*keys.Key)
	if !ok || held == nil {
		return Answer{}, fmt.Errorf("%w: %T", ErrNotProvisionable, k)
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return Answer{}, err
	}
	pub := priv.PublicKey().Bytes()
	addr := held.Address()
	r, err := reservedReport(b, answerData(o.Public, pub, addr))
	if err != nil {
		return Answer{}, fmt.Errorf("provision: report for the answer: %w", err)
	}
	warnIfSimulated(log, o.Kind, r.Kind)
	secret, err := priv.ECDH(joiner)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: %v", ErrOfferRefused, err)
	}
	c, err := aead(secret, o.Public, pub)
	if err != nil {
		return Answer{}, err
	}
	nonce := make([]byte, c.NonceSize(), c.NonceSize()+32+c.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return Answer{}, err
	}
	d := keys.Scalar(held)
	defer clear(d)
	return Answer{Address: addr, Public: pub, Kind: r.Kind, Report: r.Raw, Sealed: c.Seal(nonce, nonce, d, addr.Bytes())}, nil
}
