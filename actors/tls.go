package actors

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/messages"
)

// Remoting over mutual TLS. Each process makes a fresh TLS key when it
// starts (under SGX, inside the enclave) and binds it in a certificate
// extension to the remoting address it serves:
//   - a node with an enclave key signs the binding with that key and adds
//     an attestation report whose report data binds both the enclave
//     address and the binding (hostapi.TLSReportData; the backend makes it
//     only for a key it holds; EGo's report under SGX, the simulation's
//     self-signed one, accepted only when the verifier allows simulation);
//   - a client without an enclave (the CLI, an exchange) MACs the binding
//     with the control credential of the node it talks to.
// A peer whose certificate carries neither, or a wrong one, is refused at
// the handshake; the remoting guard then holds each connection to the
// address its certificate binds.

// tlsExtension is the certificate extension carrying the binding (a
// private-arc OID: teeswap, remoting binding, version 1).
var tlsExtension = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 61_234, 8, 1}

// ErrBadPeerCertificate wraps every reason a peer's certificate is refused.
var ErrBadPeerCertificate = errors.New("actors: peer certificate refused")

// tlsBinding is the extension's content.
type tlsBinding struct {
	Address string `json:"address"`           // remoting host:port
	Chain   []byte `json:"chain,omitempty"`   // enclave address (nodes)
	Sig     []byte `json:"sig,omitempty"`     // enclave signature over the binding digest
	Kind    int    `json:"kind,omitempty"`    // report kind
	Report  []byte `json:"report,omitempty"`  // raw attestation report
	MAC     []byte `json:"mac,omitempty"`     // clients: HMAC(credential, digest)
	Version int    `json:"version,omitempty"` // 1
}

// bindingDigest binds a TLS public key to a remoting address (the
// enclave builds and signs it: hostapi.SignTLSBinding).
func bindingDigest(spki []byte, address string) [32]byte {
	return hostapi.TLSBindingDigest(spki, address)
}

// TLSConfig configures mutual TLS for StartRemote.
type TLSConfig struct {
	// Backend and Key are this node's enclave and key; leave both nil for
	// a client, which then authenticates with Credential.
	Backend enclave.Backend
	Key     enclave.Key
	// Credential is, for a client, the control credential of the node it
	// talks to.
	Credential string
	// Verifier checks peers' reports; its policy says whether simulation
	// reports pass.
	Verifier *enclave.Verifier
	// ClientCredentials are the credentials whose holders may connect
	// without an enclave (a node's own control credential).
	ClientCredentials []string
	// Enclaves, when set, are the only enclave addresses whose
	// certificates are taken (the members of a coordinator cluster bind
	// their certificates to the coordinator key they share).
	Enclaves []common.Address
}

// tlsIdentity is a running remote's TLS state.
type tlsIdentity struct {
	cfg  TLSConfig
	self func() string

	once sync.Once
	cert tls.Certificate
	err  error
}

func (t *tlsIdentity) certificate() (*tls.Certificate, error) {
	t.once.Do(func() { t.cert, t.err = t.make(t.self()) })
	if t.err != nil {
		return nil, t.err
	}
	return &t.cert, nil
}

// make builds this process's certificate for address.
func (t *tlsIdentity) make(address string) (tls.Certificate, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	digest := bindingDigest(spki, address)
	b := tlsBinding{Address: address, Version: 1}
	switch {
	case t.cfg.Key != nil && t.cfg.Backend != nil:
		b.Chain = t.cfg.Key.Address().Bytes()
		if b.Sig, err = hostapi.SignTLSBinding(t.cfg.Key, spki, address); err != nil {
			return tls.Certificate{}, err
		}
		r, err := hostapi.TLSReport(t.cfg.Backend, t.cfg.Key, spki, address)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("attest the TLS key: %w", err)
		}
		b.Kind, b.Report = int(r.Kind), r.Raw
	case t.cfg.Credential != "":
		m := hmac.New(sha256.New, []byte(t.cfg.Credential))
		m.Write(digest[:])
		b.MAC = m.Sum(nil)
	default:
		return tls.Certificate{}, errors.New("actors: TLS needs an enclave key or a credential")
	}
	ext, err := json.Marshal(b)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "teeswap " + address},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtKeyUsage:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		ExtraExtensions: []pkix.Extension{{Id: tlsExtension, Value: ext}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: priv}, nil
}

// verify checks a peer's leaf certificate and returns the remoting
// address it binds.
func (t *tlsIdentity) verify(leaf *x509.Certificate) (string, error) {
	var raw []byte
	for _, e := range leaf.Extensions {
		if e.Id.Equal(tlsExtension) {
			raw = e.Value
		}
	}
	if raw == nil {
		return "", fmt.Errorf("%w: no teeswap binding", ErrBadPeerCertificate)
	}
	var b tlsBinding
	if err := json.Unmarshal(raw, &b); err != nil || b.Version != 1 || b.Address == "" {
		return "", fmt.Errorf("%w: malformed binding", ErrBadPeerCertificate)
	}
	digest := bindingDigest(leaf.RawSubjectPublicKeyInfo, b.Address)
	if len(b.MAC) > 0 {
		for _, c := range t.cfg.ClientCredentials {
			m := hmac.New(sha256.New, []byte(c))
			m.Write(digest[:])
			if hmac.Equal(m.Sum(nil), b.MAC) {
				return b.Address, nil
			}
		}
		return "", fmt.Errorf("%w: a client certificate without this node's credential", ErrBadPeerCertificate)
	}
	chain, err := messages.Address(b.Chain)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadPeerCertificate, err)
	}
	if signer, err := messages.RecoverAddress(digest, b.Sig); err != nil || signer != chain {
		return "", fmt.Errorf("%w: the binding is not signed by %s", ErrBadPeerCertificate, chain)
	}
	if len(t.cfg.Enclaves) > 0 && !slices.Contains(t.cfg.Enclaves, chain) {
		return "", fmt.Errorf("%w: enclave %s is not one this node admits", ErrBadPeerCertificate, chain)
	}
	if t.cfg.Verifier == nil {
		return "", fmt.Errorf("%w: no verifier for enclave reports", ErrBadPeerCertificate)
	}
	r, err := t.cfg.Verifier.Check(enclave.Kind(b.Kind), b.Report)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadPeerCertificate, err)
	}
	if !bytes.Equal(r.ReportData, hostapi.TLSReportData(chain, leaf.RawSubjectPublicKeyInfo, b.Address)) {
		return "", fmt.Errorf("%w: the report does not bind this key", ErrBadPeerCertificate)
	}
	return b.Address, nil
}

func (t *tlsIdentity) verifyRaw(rawCerts [][]byte, _ [][]*x509.Certificate) error {
	if len(rawCerts) == 0 {
		return fmt.Errorf("%w: none", ErrBadPeerCertificate)
	}
	leaf, err := x509.ParseCertificate(rawCerts[0])
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadPeerCertificate, err)
	}
	_, err = t.verify(leaf)
	return err
}

func (t *tlsIdentity) serverCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		MinVersion:            tls.VersionTLS13,
		ClientAuth:            tls.RequireAnyClientCert,
		GetCertificate:        func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return t.certificate() },
		VerifyPeerCertificate: t.verifyRaw,
	})
}

func (t *tlsIdentity) clientCredentials() credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		MinVersion: tls.VersionTLS13,
		// The chain is checked by VerifyPeerCertificate against the
		// enclave binding, not against a CA.
		InsecureSkipVerify:    true, //nolint:gosec // verified below
		GetClientCertificate:  func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return t.certificate() },
		VerifyPeerCertificate: t.verifyRaw,
	})
}

// peerAddress is the remoting address a connection's certificate binds
// (already verified at the handshake).
func (t *tlsIdentity) peerAddress(ctx context.Context) (string, error) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return "", fmt.Errorf("%w: no peer", ErrBadPeerCertificate)
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok || len(info.State.PeerCertificates) == 0 {
		return "", fmt.Errorf("%w: not TLS", ErrBadPeerCertificate)
	}
	return t.verify(info.State.PeerCertificates[0])
}

// MutualTLSOptions are the gRPC server and dial options of StartRemote's
// enclave-bound mutual TLS, for a protoactor remote configured elsewhere
// (the coordinator cluster's members, actors/cluster). self is the
// remoting address the certificate binds, asked once the remote runs.
func MutualTLSOptions(cfg TLSConfig, self func() string) ([]grpc.ServerOption, []grpc.DialOption) {
	id := &tlsIdentity{cfg: cfg, self: self}
	return []grpc.ServerOption{grpc.Creds(id.serverCredentials())}, []grpc.DialOption{grpc.WithTransportCredentials(id.clientCredentials())}
}
