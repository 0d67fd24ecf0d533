package hostapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
	"github.com/teeswap/teeswap/messages"
)

// Domains of the digests built here.
const (
	registrationDomain = "teeswap/register-terminal/v1"
	tlsDomain          = "teeswap/remoting-tls/v1"
	tlsReportDomain    = "teeswap/enclave/tls-report/v1"
)

// Errors of the entry points. Wrapped errors keep these identities.
var (
	// ErrNotDeployment: the deployer was asked to sign something other than
	// a contract creation of the PaymentChannels bytecode.
	ErrNotDeployment = errors.New("hostapi: the deployer signs PaymentChannels contract creations only")
	// ErrBadTLSKey: the TLS binding names no parseable public key.
	ErrBadTLSKey = errors.New("hostapi: not a PKIX public key")
	// ErrBadRequest: a required input is missing.
	ErrBadRequest = errors.New("hostapi: malformed request")
)

// RegistrationDigest is what a terminal signs to register peer as the
// actor of addr at timestampMs.
func RegistrationDigest(addr common.Address, peer *messages.Peer, timestampMs int64) [32]byte {
	h := crypto.NewKeccakState()
	h.Write([]byte(registrationDomain))
	h.Write([]byte{0})
	h.Write(addr.Bytes())
	for _, s := range []string{peer.GetAddress(), peer.GetId()} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], uint64(timestampMs))
	h.Write(ts[:])
	var out [32]byte
	h.Read(out[:])
	return out
}

// SignRegistration signs k's registration of peer at timestampMs.
func SignRegistration(k enclave.Key, peer *messages.Peer, timestampMs int64) ([]byte, error) {
	if peer.GetAddress() == "" || peer.GetId() == "" {
		return nil, fmt.Errorf("%w: registration without a peer", ErrBadRequest)
	}
	s := keys.Signer(k)
	return s.Sign(RegistrationDigest(s.Address(), peer, timestampMs))
}

// TLSBindingDigest binds a TLS public key (its DER SubjectPublicKeyInfo) to
// a remoting address.
func TLSBindingDigest(spki []byte, address string) [32]byte {
	key := sha256.Sum256(spki)
	return crypto.Keccak256Hash([]byte(tlsDomain), []byte{0}, key[:], []byte(address))
}

// SignTLSBinding signs the binding of the TLS public key spki to address.
func SignTLSBinding(k enclave.Key, spki []byte, address string) ([]byte, error) {
	if _, err := x509.ParsePKIXPublicKey(spki); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadTLSKey, err)
	}
	if address == "" {
		return nil, fmt.Errorf("%w: TLS binding without an address", ErrBadRequest)
	}
	return keys.Signer(k).Sign(TLSBindingDigest(spki, address))
}

// TLSReportData is the report data of a node's TLS certificate: the
// reserved report data (enclave/internal/reportdata) over
// sha256(domain || 0 || chain || TLSBindingDigest(spki, address)), so one
// report binds both the enclave address chain and the TLS binding.
// Backend.Report refuses it; only TLSReport makes it. Verifiers recompute it.
func TLSReportData(chain common.Address, spki []byte, address string) []byte {
	return reportdata.Reserved(tlsReportDigest(TLSBindingDigest(spki, address))(chain))
}

func tlsReportDigest(binding [32]byte) func(common.Address) [32]byte {
	return func(chain common.Address) [32]byte {
		h := sha256.New()
		h.Write([]byte(tlsReportDomain))
		h.Write([]byte{0})
		h.Write(chain.Bytes())
		h.Write(binding[:])
		return [32]byte(h.Sum(nil))
	}
}

// keyReporter is a backend that makes reports binding the address of a key
// it holds (see enclave.ReportFor).
type keyReporter interface {
	KeyReport(tok reportdata.KeyToken, k enclave.Key) (enclave.Report, error)
}

// TLSReport is b's report over TLSReportData(k's address, spki, address),
// for a key k that b made or loaded; any other key (one the host holds in
// the clear, say) gets enclave.ErrKeyNotHeld.
func TLSReport(b enclave.Backend, k enclave.Key, spki []byte, address string) (enclave.Report, error) {
	if _, err := x509.ParsePKIXPublicKey(spki); err != nil {
		return enclave.Report{}, fmt.Errorf("%w: %v", ErrBadTLSKey, err)
	}
	if address == "" {
		return enclave.Report{}, fmt.Errorf("%w: TLS binding without an address", ErrBadRequest)
	}
	kr, ok := b.(keyReporter)
	if !ok {
		return enclave.Report{}, fmt.Errorf("%w: backend %T binds no addresses", enclave.ErrKeyNotHeld, b)
	}
	return kr.KeyReport(reportdata.GrantKey(tlsReportDigest(TLSBindingDigest(spki, address))), k)
}

// paymentChannelsBin is the creation code the deployer accepts; one 32-byte
// constructor word (the challenge period, a uint64) follows it.
var paymentChannelsBin = common.FromHex(contracts.PaymentChannelsMetaData.Bin)

// Deployer signs contract creations of the PaymentChannels bytecode with an
// enclave key, for `teeswap deploy` and test set-ups. It refuses every
// transaction with a recipient, with value, or with other code, so it
// cannot move funds or call a contract. It implements chain.TxSigner.
type Deployer struct{ key enclave.Key }

// NewDeployer returns k's deployer.
func NewDeployer(k enclave.Key) *Deployer { return &Deployer{key: k} }

// Address is the deployer's address.
func (d *Deployer) Address() common.Address { return keys.Signer(d.key).Address() }

// SignTx signs tx for chainID if it deploys PaymentChannels. The host chose
// nonce, gas and fees; the enclave checks everything else.
func (d *Deployer) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	if tx == nil || chainID == nil || chainID.Sign() <= 0 {
		return nil, fmt.Errorf("%w: no transaction or chain id", ErrBadRequest)
	}
	if err := checkDeployment(tx); err != nil {
		return nil, err
	}
	signer := types.LatestSignerForChainID(chainID)
	sig, err := keys.Signer(d.key).Sign(signer.Hash(tx))
	if err != nil {
		return nil, err
	}
	return tx.WithSignature(signer, sig)
}

func checkDeployment(tx *types.Transaction) error {
	switch tx.Type() {
	case types.LegacyTxType, types.AccessListTxType, types.DynamicFeeTxType:
	default:
		return fmt.Errorf("%w: transaction type %d", ErrNotDeployment, tx.Type())
	}
	if tx.To() != nil {
		return fmt.Errorf("%w: a call to %s", ErrNotDeployment, tx.To())
	}
	if tx.Value().Sign() != 0 {
		return fmt.Errorf("%w: value %s", ErrNotDeployment, tx.Value())
	}
	data := tx.Data()
	if len(data) != len(paymentChannelsBin)+32 || !bytes.Equal(data[:len(paymentChannelsBin)], paymentChannelsBin) {
		return fmt.Errorf("%w: other creation code", ErrNotDeployment)
	}
	if word := data[len(paymentChannelsBin):]; !bytes.Equal(word[:24], make([]byte, 24)) {
		return fmt.Errorf("%w: the challenge period is not a uint64", ErrNotDeployment)
	}
	return nil
}
