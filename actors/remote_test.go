//go:build !race

// Two actor systems with remoting in one process race inside protoactor
// itself (see docs/ARCHITECTURE.md), so these tests stay out of -race runs.

package actors_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// echo answers ChannelListRequest with its own terminal field set.
type echo struct{ got chan any }

func (e *echo) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.ChannelListRequest:
		ctx.Respond(&messages.ChannelList{Terminal: []byte("echo")})
	case *messages.ChannelList:
		e.got <- m
	}
}

func startNode(t *testing.T) (*actor.ActorSystem, string) {
	t.Helper()
	sys := actors.NewSystem(nil)
	r, addr, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false); sys.Shutdown() })
	return sys, addr
}

func TestRemoteRoundTripAndBoundAddress(t *testing.T) {
	server, addr := startNode(t)
	if _, port, err := actors.SplitHostPort(addr); err != nil || port == 0 {
		t.Fatalf("bound address %q (%v)", addr, err)
	}
	got := make(chan any, 1)
	if _, err := server.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &echo{got: got} }), "echo"); err != nil {
		t.Fatal(err)
	}
	client, _ := startNode(t)
	res, err := client.Root.RequestFuture(actor.NewPID(addr, "echo"), &messages.ChannelListRequest{}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if l, ok := res.(*messages.ChannelList); !ok || string(l.Terminal) != "echo" {
		t.Fatalf("answer %T %v", res, res)
	}
}

func TestRemoteListenErrorIsAnError(t *testing.T) {
	_, addr := startNode(t)
	host, port, _ := actors.SplitHostPort(addr)
	sys := actors.NewSystem(nil)
	defer sys.Shutdown()
	if _, _, err := actors.StartRemote(sys, actors.RemoteConfig{Host: host, Port: port, InsecurePlaintext: true}); err == nil {
		t.Fatal("second listen on a bound port succeeded")
	}
}

func TestRemoteSendToDeadPeerDoesNotBlock(t *testing.T) {
	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	client, _ := startNode(t)
	pid := actor.NewPID(dead, "terminal")
	start := time.Now()
	for i := 0; i < 1000; i++ {
		client.Root.Send(pid, &messages.ChannelListRequest{})
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("1000 sends to a dead peer took %v", d)
	}
	start = time.Now()
	if _, err := client.Root.RequestFuture(pid, &messages.ChannelListRequest{}, 300*time.Millisecond).Result(); err == nil {
		t.Fatal("request to a dead peer answered")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("request to a dead peer took %v", d)
	}
}

// A peer sending a type this node does not know must not crash it: the
// envelope is dropped and the rest of the batch is delivered.
func TestRemoteUnknownTypeIsDroppedNotFatal(t *testing.T) {
	server, addr := startNode(t)
	got := make(chan any, 1)
	if _, err := server.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &echo{got: got} }), "echo"); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stream, err := remote.NewRemotingClient(conn).Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_ConnectRequest{ConnectRequest: &remote.ConnectRequest{
		ConnectionType: &remote.ConnectRequest_ServerConnection{ServerConnection: &remote.ServerConnection{SystemId: "raw", Address: "127.0.0.1:1"}},
	}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Recv(); err != nil {
		t.Fatal(err)
	}
	good, _ := proto.Marshal(&messages.ChannelList{Terminal: []byte("x"), Error: "y"})
	batch := &remote.MessageBatch{
		TypeNames: []string{"nosuch.v1.Unknown", "teeswap.v1.ChannelList"},
		Targets:   []*actor.PID{actor.NewPID(addr, "echo")},
		Envelopes: []*remote.MessageEnvelope{
			{TypeId: 0, MessageData: []byte{1, 2, 3}, Target: 0, Sender: 0},
			{TypeId: 7, MessageData: good, Target: 0, Sender: 0},
			{TypeId: 1, MessageData: good, Target: 0, Sender: 0, SerializerId: 9},
			{TypeId: 1, MessageData: good, Target: 0, Sender: 0},
		},
	}
	if err := stream.Send(&remote.RemoteMessage{MessageType: &remote.RemoteMessage_MessageBatch{MessageBatch: batch}}); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if p := m.(*messages.ChannelList); string(p.Terminal) != "x" || p.Error != "y" {
			t.Fatalf("delivered %v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the known message of the batch was not delivered")
	}
	// The node still serves others.
	client, _ := startNode(t)
	if _, err := client.Root.RequestFuture(actor.NewPID(addr, "echo"), &messages.ChannelListRequest{}, 5*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
}
