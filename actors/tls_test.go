//go:build !race

package actors_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// tlsNode starts an actor system on TLS remoting with its own simulation
// enclave key, serving the echo actor.
func tlsNode(t *testing.T, cfg actors.TLSConfig, stats *actors.RemoteStats) (*actor.ActorSystem, string) {
	t.Helper()
	if cfg.Key == nil && cfg.Credential == "" {
		backend, err := sim.New(sim.Options{})
		if err != nil {
			t.Fatal(err)
		}
		key, err := backend.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		cfg.Backend, cfg.Key = backend, key
	}
	if cfg.Verifier == nil {
		cfg.Verifier = enclave.NewVerifier(enclave.Policy{AllowSimulation: true})
	}
	sys := actors.NewSystem(testLogger())
	r, addr, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", TLS: &cfg, Stats: stats, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false); sys.Shutdown() })
	if _, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &echo{got: make(chan any, 1)} }), "echo"); err != nil {
		t.Fatal(err)
	}
	return sys, addr
}

func roundTrip(sys *actor.ActorSystem, addr string) error {
	_, err := sys.Root.RequestFuture(actor.NewPID(addr, "echo"), &messages.ChannelListRequest{}, 3*time.Second).Result()
	return err
}

// handshake opens a raw remoting stream with creds and reports whether
// the server took it.
func handshake(t *testing.T, addr string, creds credentials.TransportCredentials) error {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	stream, err := remote.NewRemotingClient(conn).Receive(ctx)
	if err != nil {
		return err
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "x", Address: "127.0.0.1:1"}},
	}}}); err != nil {
		return err
	}
	_, err = stream.Recv()
	return err
}

// TestTLSRemotingTakesOnlyBoundCertificates: enclave-bound nodes talk;
// a plain-text peer, a peer with an unbound certificate, a simulation
// enclave where simulation is not allowed, and a client with a wrong
// credential are refused at the handshake; a client with the node's
// credential is served.
func TestTLSRemotingTakesOnlyBoundCertificates(t *testing.T) {
	const cred = "owner-credential"
	server, addr := tlsNode(t, actors.TLSConfig{ClientCredentials: []string{cred}}, nil)
	_ = server
	peer, _ := tlsNode(t, actors.TLSConfig{}, nil)
	if err := roundTrip(peer, addr); err != nil {
		t.Fatalf("enclave-bound peers: %v", err)
	}

	if err := handshake(t, addr, insecure.NewCredentials()); err == nil {
		t.Fatal("a plain-text peer was served")
	}
	// A self-signed certificate with no enclave binding.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	bare := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
	if err := handshake(t, addr, bare); err == nil {
		t.Fatal("a peer with an unbound certificate was served")
	}

	// A node that does not allow simulation refuses a simulation enclave.
	strict, strictAddr := tlsNode(t, actors.TLSConfig{Verifier: enclave.NewVerifier(enclave.Policy{})}, nil)
	_ = strict
	if err := roundTrip(peer, strictAddr); err == nil {
		t.Fatal("a simulation enclave was taken by a node that does not allow simulation")
	}

	// Clients without an enclave: the node's credential is the key.
	wrong, _ := tlsNode(t, actors.TLSConfig{Credential: "guess"}, nil)
	if err := roundTrip(wrong, addr); err == nil {
		t.Fatal("a client with a wrong credential was served")
	}
	owner, _ := tlsNode(t, actors.TLSConfig{Credential: cred}, nil)
	if err := roundTrip(owner, addr); err != nil {
		t.Fatalf("a client with the node's credential: %v", err)
	}
}

// TestRoleTLSHostCannotPoseWithAKeyInTheClear: a malicious host holds a
// secp256k1 key in the clear and wants peers to take it for an
// enclave-backed node. Its enclave makes no TLS report for that key
// (enclave.ErrKeyNotHeld), so a node configured with it cannot complete a
// handshake; and the best certificate the host can forge, signed by its
// key and carrying a genuine report over the unreserved layout (the
// address binding's digest, then the TLS binding), is refused.
func TestRoleTLSHostCannotPoseWithAKeyInTheClear(t *testing.T) {
	server, addr := tlsNode(t, actors.TLSConfig{}, nil)
	_ = server
	backend, err := sim.New(sim.Options{Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	inClear := protocoltest.NewKey(1, "mallory")
	if _, err := hostapi.TLSReport(backend, inClear, p256SPKI(t), "127.0.0.1:1"); !errors.Is(err, enclave.ErrKeyNotHeld) {
		t.Fatalf("TLSReport for a key in the clear: err = %v, want ErrKeyNotHeld", err)
	}
	poser, _ := tlsNode(t, actors.TLSConfig{Backend: backend, Key: inClear}, nil)
	if err := roundTrip(poser, addr); err == nil {
		t.Fatal("a node whose key is in the clear completed a handshake")
	}

	// The forged certificate.
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	const address = "127.0.0.1:1"
	digest := hostapi.TLSBindingDigest(spki, address)
	sig, err := inClear.Sign(digest)
	if err != nil {
		t.Fatal(err)
	}
	unreserved := append(enclave.BindAddress(inClear.Address())[:32:32], digest[:]...)
	report, err := backend.Report(unreserved)
	if err != nil {
		t.Fatalf("the unreserved layout: %v", err)
	}
	ext, _ := json.Marshal(map[string]any{"address": address, "chain": inClear.Address().Bytes(), "sig": sig,
		"kind": int(report.Kind), "report": report.Raw, "version": 1})
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mallory"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 61_234, 8, 1}, Value: ext}}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	forged := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
	if err := handshake(t, addr, forged); err == nil {
		t.Fatal("a certificate forged with a key in the clear was served")
	}
}

func p256SPKI(t *testing.T) []byte {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return spki
}
