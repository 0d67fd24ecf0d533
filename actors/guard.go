package actors

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The remoting guard stands between the network and protoactor's endpoint
// reader, which trusts its input: it indexes a batch's tables without
// bounds checks, panics in its unary RPCs, delivers system messages
// (Stop, PoisonPill) from anyone, and relays envelopes addressed to other
// nodes. Every envelope the guard lets through names a local target, a
// type on the node's allowlist, and a sender on the connection's own node.

// Which message types a node takes from the network (protobuf full names).
// A type missing here is dropped at the door, so a new wire type must be
// added to the role that receives it.
var (
	// CoordinatorAccepts: the coordinator and its route service.
	CoordinatorAccepts = []string{
		"teeswap.v1.Envelope", "teeswap.v1.RegisterTerminal", "teeswap.v1.AttestationRequest",
		"teeswap.v1.SubmitSwap", "teeswap.v1.RouteRequest", "teeswap.v1.NodeStatusRequest",
		"teeswap.v1.AssetInfoRequest",
	}
	// TerminalAccepts: a terminal, and the answers to its own requests
	// (peer discovery, close co-signatures), and its counterparties'
	// settled states.
	TerminalAccepts = []string{
		"teeswap.v1.Envelope", "teeswap.v1.Registered", "teeswap.v1.ChainEvent",
		"teeswap.v1.ChannelListRequest", "teeswap.v1.ChannelOpen", "teeswap.v1.ChannelClose",
		"teeswap.v1.CloseSignature", "teeswap.v1.SignOrder", "teeswap.v1.AttestationRequest",
		"teeswap.v1.ChannelList", "teeswap.v1.CloseSigned", "teeswap.v1.RegistrationRequest",
		"teeswap.v1.ChannelTopUp", "teeswap.v1.NodeStatusRequest", "teeswap.v1.AssetInfoRequest",
		"teeswap.v1.SettledState", // from a channel's counterparty (issue 9)
	}
	// WatcherAccepts: a watcher node (subscriptions and routes).
	WatcherAccepts = []string{"teeswap.v1.Subscribe", "teeswap.v1.RouteRequest", "teeswap.v1.NodeStatusRequest", "teeswap.v1.AssetInfoRequest"}
	// ClientAccepts: a CLI client, which only waits for answers.
	ClientAccepts = []string{
		"teeswap.v1.SwapResult", "teeswap.v1.Registered", "teeswap.v1.ChannelOpened",
		"teeswap.v1.ChannelClosed", "teeswap.v1.ChannelList", "teeswap.v1.RouteResponse",
		"teeswap.v1.OrderSigned", "teeswap.v1.ChannelToppedUp", "teeswap.v1.NodeStatus",
		"teeswap.v1.AssetInfo",
	}
)

// AllAccepts is the union of every role's list: a process that hosts
// several roles (the in-process demo, the sim).
func AllAccepts() []string {
	var all []string
	for _, l := range [][]string{CoordinatorAccepts, TerminalAccepts, WatcherAccepts, ClientAccepts} {
		all = append(all, l...)
	}
	return all
}

// deadLetterResponse is protoactor's "no such actor" answer to a request:
// the one actor.* type let through, and only to a future, so a client
// learns at once that it named the wrong actor.
const deadLetterResponse = "actor.DeadLetterResponse"

// anonymousID names the sender the guard gives to a remote envelope that
// came without one: the connection's node is still known, so an actor can
// tell a remote message from an in-process one (nil sender).
const anonymousID = "$anonymous"

// RemoteStats counts what the guard refused. All fields are safe to read
// while the node runs.
type RemoteStats struct {
	Panics        atomic.Int64 // panics in protoactor's reader, recovered
	RefusedRPCs   atomic.Int64 // unary RPCs and unknown methods
	RefusedConns  atomic.Int64 // streams over the per-IP or global limit
	BadIndex      atomic.Int64 // target, sender or type index out of range
	System        atomic.Int64 // actor.* system messages
	Disallowed    atomic.Int64 // types not on the node's allowlist
	Unknown       atomic.Int64 // types not linked into this binary, or not protobuf
	Spoofed       atomic.Int64 // a sender on another node than the connection's
	ForeignTarget atomic.Int64 // a target on another node (relay)
	NoHandshake   atomic.Int64 // a batch before the connection said who it is
	RateLimited   atomic.Int64 // envelopes over the connection's rate
	Delivered     atomic.Int64
}

// Dropped is the total of refused envelopes.
func (s *RemoteStats) Dropped() int64 {
	return s.BadIndex.Load() + s.System.Load() + s.Disallowed.Load() + s.Unknown.Load() + s.Spoofed.Load() +
		s.ForeignTarget.Load() + s.NoHandshake.Load() + s.RateLimited.Load()
}

// guard holds one remote's policy.
type guard struct {
	log   *slog.Logger
	stats *RemoteStats
	// self is this node's address, read once remoting started.
	self func() string
	// accept is the allowlist.
	accept map[string]bool
	// rate and burst bound envelopes per second per connection.
	rate, burst float64
	// maxPerIP and maxStreams bound concurrent streams.
	maxPerIP, maxStreams int
	// peerAddress, when set, returns the remoting address the connection's
	// TLS certificate binds; a connection must announce that address.
	peerAddress func(ctx context.Context) (string, error)

	mu      sync.Mutex
	streams int
	perIP   map[string]int
}

const receiveMethod = "/remote.Remoting/Receive"

// unary refuses every unary RPC: protoactor's ListProcesses and
// GetProcessDiagnostics are panic("implement me").
func (g *guard) unary(ctx context.Context, _ any, info *grpc.UnaryServerInfo, _ grpc.UnaryHandler) (any, error) {
	g.stats.RefusedRPCs.Add(1)
	g.log.Warn("remoting: unary RPC refused", "method", info.FullMethod, "peer", peerIP(ctx))
	return nil, status.Error(codes.Unimplemented, "not served")
}

// unknown answers methods of no registered service (a non-protoactor
// gRPC client).
func (g *guard) unknown(_ any, ss grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(ss)
	g.stats.RefusedRPCs.Add(1)
	g.log.Warn("remoting: unknown method refused", "method", method, "peer", peerIP(ss.Context()))
	return status.Error(codes.Unimplemented, "not served")
}

// stream admits protoactor's Receive stream within the stream limits and
// filters what it reads; a panic in the reader ends only this stream.
func (g *guard) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	if info.FullMethod != receiveMethod {
		return g.unknown(srv, ss)
	}
	ip := peerIP(ss.Context())
	if !g.admit(ip) {
		g.stats.RefusedConns.Add(1)
		g.log.Warn("remoting: stream refused, too many from this peer or in all", "peer", ip)
		return status.Error(codes.ResourceExhausted, "too many streams")
	}
	defer g.release(ip)
	fs := &filteredStream{ServerStream: ss, g: g, tokens: g.burst, last: time.Now()}
	if g.peerAddress != nil {
		a, err := g.peerAddress(ss.Context())
		if err != nil {
			g.log.Warn("remoting: peer certificate", "peer", ip, "err", err)
			return status.Error(codes.Unauthenticated, "no valid peer certificate")
		}
		fs.certAddr = a
	}
	defer func() {
		if p := recover(); p != nil {
			g.stats.Panics.Add(1)
			g.log.Error("remoting: recovered a panic in the endpoint reader; stream closed", "peer", ip, "panic", p)
			err = status.Error(codes.Internal, "bad input")
		}
	}()
	return handler(srv, fs)
}

func (g *guard) admit(ip string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.streams >= g.maxStreams || g.perIP[ip] >= g.maxPerIP {
		return false
	}
	g.streams++
	g.perIP[ip]++
	return true
}

func (g *guard) release(ip string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.streams--
	if g.perIP[ip]--; g.perIP[ip] <= 0 {
		delete(g.perIP, ip)
	}
}

func peerIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return "unknown"
	}
	if host, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		return host
	}
	return p.Addr.String()
}

// filteredStream filters every batch read from one connection.
type filteredStream struct {
	grpc.ServerStream
	g *guard
	// from is the address the connection announced (ConnectRequest);
	// certAddr the one its certificate binds, when TLS is on.
	from, certAddr string
	// A token bucket: envelopes per second.
	tokens float64
	last   time.Time
}

// protoSerializer is protoactor's protobuf serializer id; the JSON one
// is not accepted.
const protoSerializer int32 = 0

func (s *filteredStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	rm, ok := m.(*remote.RemoteMessage)
	if !ok {
		return nil
	}
	if c := rm.GetConnectRequest(); c != nil {
		sc := c.GetServerConnection()
		switch {
		case sc == nil || sc.Address == "":
			s.g.log.Warn("remoting: connect request without an address", "peer", peerIP(s.Context()))
		case sc.Address == s.g.self():
			s.g.stats.Spoofed.Add(1)
			s.g.log.Warn("remoting: a peer claims this node's own address", "peer", peerIP(s.Context()), "claimed", sc.Address)
		case s.certAddr != "" && sc.Address != s.certAddr:
			s.g.stats.Spoofed.Add(1)
			s.g.log.Warn("remoting: a peer claims another address than its certificate's", "peer", peerIP(s.Context()),
				"claimed", sc.Address, "certificate", s.certAddr)
		default:
			s.from = sc.Address
		}
		return nil
	}
	if batch := rm.GetMessageBatch(); batch != nil {
		s.filter(batch)
	}
	return nil
}

func (s *filteredStream) filter(batch *remote.MessageBatch) {
	g := s.g
	if s.from == "" {
		g.stats.NoHandshake.Add(int64(len(batch.Envelopes)))
		g.log.Warn("remoting: batch before a valid connect request dropped", "peer", peerIP(s.Context()), "envelopes", len(batch.Envelopes))
		batch.Envelopes = nil
		return
	}
	now := time.Now()
	s.tokens = min(g.burst, s.tokens+now.Sub(s.last).Seconds()*g.rate)
	s.last = now
	self := g.self()
	types := make([]int8, len(batch.TypeNames)) // 0 unchecked, 1 ok, 2 dropped
	anonymous := int32(0)
	kept := batch.Envelopes[:0]
	for _, env := range batch.Envelopes {
		if s.tokens < 1 {
			g.stats.RateLimited.Add(1)
			continue
		}
		s.tokens--
		if !s.check(batch, env, types, self) {
			continue
		}
		if env.Sender == 0 && !isFuture(batch.Targets[env.Target]) {
			if anonymous == 0 {
				batch.Senders = append(batch.Senders, actor.NewPID(s.from, anonymousID))
				anonymous = int32(len(batch.Senders))
			}
			env.Sender, env.SenderRequestId = anonymous, 0
		}
		g.stats.Delivered.Add(1)
		kept = append(kept, env)
	}
	if dropped := len(batch.Envelopes) - len(kept); dropped > 0 && s.tokens < 1 {
		g.log.Warn("remoting: peer over its rate; envelopes dropped", "peer", peerIP(s.Context()), "from", s.from)
	}
	batch.Envelopes = kept
}

// check reports whether one envelope may be delivered, logging why not.
func (s *filteredStream) check(batch *remote.MessageBatch, env *remote.MessageEnvelope, types []int8, self string) bool {
	g := s.g
	if env.TypeId < 0 || int(env.TypeId) >= len(types) || env.Target < 0 || int(env.Target) >= len(batch.Targets) ||
		env.Sender < 0 || int(env.Sender) > len(batch.Senders) || batch.Targets[env.Target] == nil ||
		(env.Sender > 0 && batch.Senders[env.Sender-1] == nil) {
		g.stats.BadIndex.Add(1)
		g.log.Warn("remoting: envelope with an index out of range dropped", "from", s.from,
			"type", env.TypeId, "target", env.Target, "sender", env.Sender)
		return false
	}
	name := batch.TypeNames[env.TypeId]
	target := batch.Targets[env.Target]
	if name == deadLetterResponse && isFuture(target) && env.SerializerId == protoSerializer {
		return target.Address == self
	}
	if types[env.TypeId] == 0 {
		types[env.TypeId] = s.classify(name)
	}
	switch {
	case types[env.TypeId] == 2:
		return false
	case env.SerializerId != protoSerializer:
		g.stats.Unknown.Add(1)
		g.log.Warn("remoting: envelope with a serializer other than protobuf dropped", "from", s.from, "serializer", env.SerializerId)
		return false
	case target.Address != self:
		g.stats.ForeignTarget.Add(1)
		g.log.Warn("remoting: envelope for another node dropped (no relaying)", "from", s.from, "target", target.Address)
		return false
	case env.Sender > 0 && batch.Senders[env.Sender-1].Address != s.from:
		g.stats.Spoofed.Add(1)
		g.log.Warn("remoting: envelope whose sender is not on the connection's node dropped", "from", s.from,
			"sender", batch.Senders[env.Sender-1].Address)
		return false
	}
	return true
}

// classify checks a type name once per batch: 1 to deliver, 2 to drop.
func (s *filteredStream) classify(name string) int8 {
	g := s.g
	if strings.HasPrefix(name, "actor.") {
		g.stats.System.Add(1)
		g.log.Warn("remoting: protoactor system message from the network dropped", "from", s.from, "type", name)
		return 2
	}
	if _, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name)); err != nil {
		g.stats.Unknown.Add(1)
		g.log.Warn("remoting: message type this node does not know dropped", "from", s.from, "type", name)
		return 2
	}
	if !g.accept[name] {
		g.stats.Disallowed.Add(1)
		g.log.Warn("remoting: message type this node does not take dropped", "from", s.from, "type", name)
		return 2
	}
	return 1
}

// isFuture reports whether pid is a protoactor future (a request's reply
// address), which takes answers without a sender.
func isFuture(pid *actor.PID) bool { return strings.HasPrefix(pid.GetId(), "future$") }
