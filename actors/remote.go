package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"

	// Every teeswap wire type lives in package messages; importing it
	// registers them all with the protobuf registry, which the remote's
	// deserializer looks names up in.
	_ "github.com/teeswap/teeswap/messages"
)

// Remoting defaults. gRPC refuses a whole batch once it exceeds the
// receive limit, so the limit and the batch size go together:
// DefaultMaxMessageBytes/DefaultBatchSize (21 KiB) is at least teeswap's
// largest message, a COMMIT carrying every PREPARED ack of a network of
// MaxRouteHops hops (TestLargestMessageFitsABatch). A small limit bounds
// what one stranger's frame costs the node.
const (
	DefaultMaxMessageBytes = 512 << 10
	DefaultBatchSize       = 24
	// DefaultConnectRetries bounds how long messages to a dead peer are
	// held: protoactor sleeps 2 s after each failed connect, then drops
	// everything queued for the peer (a DeadLetterResponse for requests)
	// and reconnects on the next send. Actors retry on their own timers.
	DefaultConnectRetries = 2
	// DefaultMaxStreamsPerIP and DefaultMaxStreams bound concurrent
	// remoting streams (one per connected node or client).
	DefaultMaxStreamsPerIP = 256
	DefaultMaxStreams      = 4096
	// DefaultRate and DefaultBurst bound the envelopes one connection
	// delivers per second; the excess is dropped (and retried by honest
	// actors on their own timers).
	DefaultRate  = 200_000
	DefaultBurst = 20_000
)

// RemoteConfig configures StartRemote.
type RemoteConfig struct {
	// Host and Port to listen on; port 0 picks a free one. Bind loopback
	// (127.0.0.1) unless peers are on other machines.
	Host string
	Port int
	// AdvertisedHost is the host:port peers should use, when it differs
	// from the bound address (NAT, containers). Empty: the bound address.
	AdvertisedHost string
	// MaxMessageBytes is gRPC's receive limit per batch
	// (default DefaultMaxMessageBytes).
	MaxMessageBytes int
	// BatchSize is how many messages one gRPC frame carries at most
	// (default DefaultBatchSize).
	BatchSize int
	// ConnectRetries is how many times a connection to a peer is tried
	// before its queued messages are dropped (default
	// DefaultConnectRetries).
	ConnectRetries int
	// Accept lists the message types (protobuf full names) this node
	// takes from the network: CoordinatorAccepts, TerminalAccepts... Nil
	// takes AllAccepts().
	Accept []string
	// MaxStreamsPerIP, MaxStreams, Rate and Burst are the per-peer limits
	// (defaults above).
	MaxStreamsPerIP, MaxStreams int
	Rate, Burst                 float64
	// Stats, when set, counts what the guard refused.
	Stats *RemoteStats
	// TLS, when set, runs remoting over mutual TLS with certificates
	// bound to enclaves (or, for clients, to a node's credential).
	TLS *TLSConfig
	// InsecurePlaintext must be set to run without TLS: anyone who
	// reaches the port can then read traffic and claim any node's address.
	InsecurePlaintext bool
	Logger            *slog.Logger
}

// ErrRemoteListen is returned when the remote cannot bind its address.
var ErrRemoteListen = errors.New("actors: remote cannot listen")

// ErrNoTransportSecurity is returned by StartRemote when neither TLS nor
// InsecurePlaintext is set: plain text must be asked for by name.
var ErrNoTransportSecurity = errors.New("actors: remoting needs TLS, or InsecurePlaintext set explicitly")

// StartRemote starts protoactor remoting on sys and returns it with the
// address peers reach it at (host:port, the real port when Port was 0).
// Each PID spawned on sys is then reachable as actor.NewPID(address, id).
func StartRemote(sys *actor.ActorSystem, cfg RemoteConfig) (r *remote.Remote, address string, err error) {
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.ConnectRetries <= 0 {
		cfg.ConnectRetries = DefaultConnectRetries
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.TLS == nil && !cfg.InsecurePlaintext {
		return nil, "", ErrNoTransportSecurity
	}
	g := newGuard(sys, cfg)
	serverOpts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
		grpc.MaxHeaderListSize(16 << 10),
		grpc.MaxConcurrentStreams(4),
		grpc.ConnectionTimeout(10 * time.Second),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.KeepaliveParams(keepalive.ServerParameters{Time: 30 * time.Second, Timeout: 10 * time.Second}),
		grpc.ChainUnaryInterceptor(g.unary),
		grpc.ChainStreamInterceptor(g.stream),
		grpc.UnknownServiceHandler(g.unknown),
	}
	dialOpts := []grpc.DialOption{
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageBytes), grpc.MaxCallSendMsgSize(cfg.MaxMessageBytes)),
		grpc.WithKeepaliveParams(keepalive.ClientParameters{Time: 30 * time.Second, Timeout: 10 * time.Second, PermitWithoutStream: true}),
	}
	if cfg.TLS != nil {
		id := &tlsIdentity{cfg: *cfg.TLS, self: sys.Address}
		serverOpts = append(serverOpts, grpc.Creds(id.serverCredentials()))
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(id.clientCredentials()))
		g.peerAddress = id.peerAddress
	} else {
		cfg.Logger.Warn("remoting runs in INSECURE PLAIN TEXT: anyone who reaches the port can read traffic and claim any node's address")
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	opts := []remote.ConfigOption{
		remote.WithServerOptions(serverOpts...),
		remote.WithDialOptions(dialOpts...),
		remote.WithEndpointWriterBatchSize(cfg.BatchSize),
		remote.WithEndpointManagerBatchSize(cfg.BatchSize),
	}
	if cfg.AdvertisedHost != "" {
		opts = append(opts, remote.WithAdvertisedHost(cfg.AdvertisedHost))
	}
	rc := remote.Configure(cfg.Host, cfg.Port, opts...)
	rc.MaxRetryCount = cfg.ConnectRetries
	r = remote.NewRemote(sys, rc)
	// Start panics when it cannot listen; turn that into an error.
	defer func() {
		if p := recover(); p != nil {
			r, address, err = nil, "", fmt.Errorf("%w on %s: %v", ErrRemoteListen, rc.Address(), p)
		}
	}()
	r.Start()
	return r, sys.Address(), nil
}

func newGuard(sys *actor.ActorSystem, cfg RemoteConfig) *guard {
	g := &guard{log: cfg.Logger, stats: cfg.Stats, self: sys.Address, rate: cfg.Rate, burst: cfg.Burst,
		maxPerIP: cfg.MaxStreamsPerIP, maxStreams: cfg.MaxStreams, perIP: map[string]int{}}
	if g.stats == nil {
		g.stats = &RemoteStats{}
	}
	if g.rate <= 0 {
		g.rate = DefaultRate
	}
	if g.burst <= 0 {
		g.burst = DefaultBurst
	}
	if g.maxPerIP <= 0 {
		g.maxPerIP = DefaultMaxStreamsPerIP
	}
	if g.maxStreams <= 0 {
		g.maxStreams = DefaultMaxStreams
	}
	accept := cfg.Accept
	if accept == nil {
		accept = AllAccepts()
	}
	g.accept = map[string]bool{}
	for _, name := range accept {
		g.accept[name] = true
	}
	return g
}

// SplitHostPort parses "host:port" for RemoteConfig.
func SplitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("address %q: bad port", addr)
	}
	return host, port, nil
}
