//go:build !race

package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	mrand "math/rand"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// strangerAttacks sends real node processes what a stranger on the
// network can: random bytes, plain-text remoting, TLS with a certificate
// bound to no enclave, and the stock CLI without or with a wrong
// credential. Each is refused; the caller then checks that swaps still
// confirm.
func (h *mpHarness) strangerAttacks(nodes ...string) {
	t := h.t
	t.Helper()
	rng := mrand.New(mrand.NewSource(8))
	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "stranger"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	bare := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: priv}}})
	for _, name := range nodes {
		addr := h.addr(name)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		junk := make([]byte, 4096)
		rng.Read(junk)
		_, _ = c.Write(junk)
		c.Close()
		for what, creds := range map[string]credentials.TransportCredentials{"plain text": insecure.NewCredentials(), "an unbound certificate": bare} {
			conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(h.ctx, 5*time.Second)
			stream, err := remote.NewRemotingClient(conn).Receive(ctx)
			if err == nil {
				_, err = stream.Recv()
			}
			cancel()
			conn.Close()
			if err == nil {
				t.Fatalf("%s served a stream over %s", name, what)
			}
		}
	}
	// The stock CLI: without a credential it does not even dial; with a
	// wrong one the handshake fails and nothing is listed.
	if _, code := h.teeswap("channel", "list", "--terminal", h.addr(nodes[len(nodes)-1]), "--wait", "3s"); code != 2 {
		t.Fatalf("channel list without a credential: exit %d, want 2", code)
	}
	wrong := filepath.Join(h.dir, "wrong.cookie")
	if err := os.WriteFile(wrong, []byte("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, code := h.teeswap("channel", "list", "--terminal", h.addr(nodes[len(nodes)-1]), "--credential", wrong, "--wait", "3s"); code == 0 {
		t.Fatal("channel list with a wrong credential succeeded")
	}
	if _, code := h.teeswap("swap", "--coordinator", h.addr("coordinator"), "--credential", wrong, "--wait", "3s",
		"--leg", "chain=1,from=0x0000000000000000000000000000000000000001,to=0x0000000000000000000000000000000000000002,amount=1"); code == 0 {
		t.Fatal("swap with a wrong credential succeeded")
	}
}
