//go:build !race

package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
)

// connect dials addr with opts and reports whether the connection became
// ready (the TLS handshake and HTTP/2 preface passed both ways) or failed.
func connect(t *testing.T, addr string, opts ...grpc.DialOption) connectivity.State {
	t.Helper()
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn.Connect()
	for {
		s := conn.GetState()
		if s == connectivity.Ready || s == connectivity.TransientFailure {
			return s
		}
		if !conn.WaitForStateChange(ctx, s) {
			t.Fatalf("dial %s: still %v after 20s", addr, s)
		}
	}
}

// Role: an outsider reaching a member's port. A member over TLS admits a
// peer whose certificate binds the coordinator key the members share, and
// refuses one bound to any other enclave key, and one in plain text
// (TestNodeRefusesPlaintextOffLoopback: without TLS, loopback only).
func TestMemberRefusesPeerWithoutEnclaveBoundCertificate(t *testing.T) {
	backend, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	coordKey, err := backend.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := backend.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	verifier := enclave.NewVerifier(enclave.Policy{AllowSimulation: true})
	tlsFor := func(k enclave.Key) *actors.TLSConfig {
		return &actors.TLSConfig{Backend: backend, Key: k, Verifier: verifier, Enclaves: []common.Address{coordKey.Address()}}
	}
	prefix := fmt.Sprintf("/t/tls-%d/", time.Now().UnixNano())
	n, err := StartNode(NodeConfig{Member: join(t, prefix, "m0", 5, true), Signer: coordKey, Provider: test.NewTestProvider(test.NewInMemAgent()),
		TLS: tlsFor(coordKey), Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop(true)

	self := func() string { return "127.0.0.1:1" }
	_, member := actors.MutualTLSOptions(*tlsFor(coordKey), self)
	if s := connect(t, n.Address(), member...); s != connectivity.Ready {
		t.Fatalf("a peer holding the coordinator key: %v, want READY", s)
	}
	_, outsider := actors.MutualTLSOptions(*tlsFor(stranger), self)
	if s := connect(t, n.Address(), outsider...); s != connectivity.TransientFailure {
		t.Fatalf("a peer bound to another enclave key: %v, want refused", s)
	}
	if s := connect(t, n.Address(), grpc.WithTransportCredentials(insecure.NewCredentials())); s != connectivity.TransientFailure {
		t.Fatalf("a plain-text peer: %v, want refused", s)
	}
}
