//go:build !race

package actors_test

import (
	"context"
	"errors"
	"math/big"
	"math/rand"
	"net"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// remoteWorld is the off-chain world with its actor system reachable over
// loopback remoting, as a node's would be.
func remoteWorld(t *testing.T, cfg actors.RemoteConfig) (*offChainWorld, string) {
	t.Helper()
	sys := actors.NewSystem(testLogger())
	cfg.Host, cfg.InsecurePlaintext, cfg.Logger = "127.0.0.1", true, testLogger()
	r, addr, err := actors.StartRemote(sys, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false) })
	w := newOffChainWorld(t, 1000, func(c *actors.LocalConfig) { c.System = sys })
	return w, addr
}

// stranger is a raw protoactor remoting client that writes whatever
// batches it likes.
type stranger struct {
	t      *testing.T
	conn   *grpc.ClientConn
	stream remote.Remoting_ReceiveClient
}

func dialStranger(t *testing.T, addr, announce string) *stranger {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	stream, err := remote.NewRemotingClient(conn).Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "stranger", Address: announce}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	return &stranger{t: t, conn: conn, stream: stream}
}

func (s *stranger) send(b *remote.MessageBatch) error {
	return s.stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: b}})
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitCount waits until a guard counter moved.
func waitCount(t *testing.T, what string, c interface{ Load() int64 }) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the guard never counted %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRemotingStrangerCannotCrashOrStopANode sends a node the inputs that
// used to kill or stop it; each is refused or dropped and counted, the
// node stays up, and a swap afterwards confirms.
func TestRemotingStrangerCannotCrashOrStopANode(t *testing.T) {
	stats := &actors.RemoteStats{}
	w, addr := remoteWorld(t, actors.RemoteConfig{Stats: stats, Rate: 1000, Burst: 200})
	coord := actor.NewPID(addr, w.local.Coordinator.Id)
	rng := rand.New(rand.NewSource(8))

	// Random bytes on the port: no HTTP/2 preface, the connection ends.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, 4096)
	rng.Read(junk)
	_, _ = c.Write(junk)
	c.Close()

	// A gRPC client that is not protoactor, and protoactor's unary RPCs
	// that are panic("implement me").
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := conn.Invoke(ctx, "/nosuch.Service/Method", &emptypb.Empty{}, &emptypb.Empty{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("unknown method: %v", err)
	}
	rc := remote.NewRemotingClient(conn)
	if _, err := rc.ListProcesses(ctx, &remote.ListProcessesRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("ListProcesses: %v", err)
	}
	if _, err := rc.GetProcessDiagnostics(ctx, &remote.GetProcessDiagnosticsRequest{}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("GetProcessDiagnostics: %v", err)
	}
	if stats.RefusedRPCs.Load() != 3 {
		t.Fatalf("refused RPCs counted %d, want 3", stats.RefusedRPCs.Load())
	}

	s := dialStranger(t, addr, "127.0.0.1:1")
	// A ~40-byte batch whose target and sender indexes are out of range.
	small := &remote.MessageBatch{TypeNames: []string{"teeswap.v1.ChainEvent"},
		Envelopes: []*remote.MessageEnvelope{{TypeId: 0, Target: 5, Sender: 9}, {TypeId: 3}, {Sender: -2}}}
	if n := proto.Size(small); n > 48 {
		t.Fatalf("the small batch is %d bytes", n)
	}
	if err := s.send(small); err != nil {
		t.Fatal(err)
	}
	waitCount(t, "bad indexes", &stats.BadIndex)

	// Unknown types, a type no teeswap node takes, and system messages
	// that would stop the coordinator.
	if err := s.send(&remote.MessageBatch{
		TypeNames: []string{"nosuch.v1.Unknown", "teeswap.v1.Prepare", "actor.Stop", "actor.PoisonPill"},
		Targets:   []*actor.PID{coord},
		Envelopes: []*remote.MessageEnvelope{
			{TypeId: 0, MessageData: []byte{1, 2, 3}},
			{TypeId: 1, MessageData: mustMarshal(t, &messages.Prepare{})},
			{TypeId: 2, MessageData: mustMarshal(t, &actor.Stop{})},
			{TypeId: 3, MessageData: mustMarshal(t, &actor.PoisonPill{})},
		},
	}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, "unknown types", &stats.Unknown)
	waitCount(t, "types off the allowlist", &stats.Disallowed)
	waitCount(t, "system messages", &stats.System)

	// A sender on another node than the connection's, and a target on
	// another node (the node would relay it, under its own name).
	if err := s.send(&remote.MessageBatch{
		TypeNames: []string{"teeswap.v1.AttestationRequest"},
		Targets:   []*actor.PID{coord, actor.NewPID("127.0.0.1:3", "terminal")},
		Senders:   []*actor.PID{actor.NewPID(addr, "coordinator")},
		Envelopes: []*remote.MessageEnvelope{{TypeId: 0, Target: 0, Sender: 1}, {TypeId: 0, Target: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, "spoofed senders", &stats.Spoofed)
	waitCount(t, "foreign targets", &stats.ForeignTarget)

	// A connection that claims to be this node is not believed.
	self := dialStranger(t, addr, addr)
	if err := self.send(&remote.MessageBatch{TypeNames: []string{"teeswap.v1.AttestationRequest"}, Targets: []*actor.PID{coord},
		Envelopes: []*remote.MessageEnvelope{{TypeId: 0}}}); err != nil {
		t.Fatal(err)
	}
	waitCount(t, "batches before a believable connect request", &stats.NoHandshake)

	// A flood: the connection's rate caps what reaches the actors.
	flood := &remote.MessageBatch{TypeNames: []string{"teeswap.v1.AttestationRequest"}, Targets: []*actor.PID{actor.NewPID(addr, "nobody")}}
	for range 500 {
		flood.Envelopes = append(flood.Envelopes, &remote.MessageEnvelope{TypeId: 0})
	}
	for range 10 {
		if err := s.send(flood); err != nil {
			t.Fatal(err)
		}
	}
	waitCount(t, "envelopes over the rate", &stats.RateLimited)

	// A message over the size limit ends that stream only.
	big := dialStranger(t, addr, "127.0.0.1:4")
	if err := big.send(&remote.MessageBatch{TypeNames: []string{"teeswap.v1.AttestationRequest"}, Targets: []*actor.PID{coord},
		Envelopes: []*remote.MessageEnvelope{{TypeId: 0, MessageData: make([]byte, actors.DefaultMaxMessageBytes)}}}); err != nil && !errors.Is(err, context.Canceled) {
		t.Logf("send: %v", err)
	}
	if _, err := big.stream.Recv(); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("an oversized batch: %v, want ResourceExhausted", err)
	}

	if p := stats.Panics.Load(); p != 0 {
		t.Fatalf("%d panics reached the recover: a check is missing", p)
	}
	// The node is up, the coordinator was not stopped, and a swap confirms.
	res, err := w.local.Submit(&messages.SwapRequest{RequestId: "after-attacks", Legs: []*messages.Leg{w.leg(1, 100), w.leg(2, 40)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap after the attacks: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1100 && w.own(t, "r2", "i2") == 1040 })
}

// TestRemotingStreamsPerPeerAreBounded: a peer over its stream budget is
// refused; its other streams and other peers are served.
func TestRemotingStreamsPerPeerAreBounded(t *testing.T) {
	stats := &actors.RemoteStats{}
	sys := actors.NewSystem(nil)
	r, addr, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true, Stats: stats, MaxStreamsPerIP: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Shutdown(false); sys.Shutdown() }()
	dialStranger(t, addr, "127.0.0.1:1")
	dialStranger(t, addr, "127.0.0.1:2")
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := remote.NewRemotingClient(conn).Receive(context.Background())
	if err == nil {
		_, err = stream.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third stream: %v, want ResourceExhausted", err)
	}
	if stats.RefusedConns.Load() != 1 {
		t.Fatalf("refused streams counted %d", stats.RefusedConns.Load())
	}
}

// TestLargestMessageFitsABatch: a full batch of the largest real message,
// a COMMIT with every PREPARED ack of a MaxRouteHops-hop network, fits
// the receive limit, so honest traffic is never refused for its size.
func TestLargestMessageFitsABatch(t *testing.T) {
	maxAmount := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)).Bytes()
	b32 := func(v byte) []byte { out := make([]byte, 32); out[0] = v; return out }
	sig := make([]byte, 65)
	state := func() *messages.SignedChannelState {
		return &messages.SignedChannelState{Signer: make([]byte, 20), Signature: sig, State: &messages.ChannelState{
			ChainId: ^uint64(0), Contract: make([]byte, 20), ChannelId: b32(1), Version: ^uint64(0),
			DepositA: maxAmount, DepositB: maxAmount, BalanceA: maxAmount, BalanceB: maxAmount,
			Lock: &messages.Lock{LockId: b32(2), Amount: maxAmount, AToB: true, Stage: messages.LockStage_LOCK_STAGE_PREPARED, CrossChain: true},
		}}
	}
	commit := &messages.Commit{InstanceId: b32(3), NetworkIndex: ^uint32(0)}
	for i := 0; i <= actors.MaxRouteHops; i++ {
		ack := &messages.Prepared{InstanceId: b32(3), NetworkIndex: ^uint32(0), Terminal: make([]byte, 20), PrepareDigest: b32(4),
			ChannelStates: []*messages.SignedChannelState{state(), state()}}
		commit.PreparedAcks = append(commit.PreparedAcks, &messages.Envelope{Kind: messages.Kind_KIND_PREPARED,
			Payload: mustMarshal(t, ack), Signer: make([]byte, 20), Signature: sig})
	}
	env := &messages.Envelope{Kind: messages.Kind_KIND_COMMIT, Payload: mustMarshal(t, commit), Signer: make([]byte, 20), Signature: sig}
	size := proto.Size(env) + 64 // the batch envelope, type id, target and sender
	t.Logf("largest COMMIT: %d bytes; a batch of %d: %d bytes of %d", size, actors.DefaultBatchSize, size*actors.DefaultBatchSize, actors.DefaultMaxMessageBytes)
	if size*actors.DefaultBatchSize > actors.DefaultMaxMessageBytes {
		t.Fatalf("a batch of %d COMMITs of %d bytes exceeds the %d-byte limit", actors.DefaultBatchSize, size, actors.DefaultMaxMessageBytes)
	}
}
