package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Every teeswap wire type lives in package messages; importing it
	// registers them all with the protobuf registry, which the remote's
	// deserializer looks names up in.
	_ "github.com/teeswap/teeswap/messages"
)

// Remoting defaults. gRPC drops a whole batch, silently, once it exceeds
// the server's receive limit (4 MiB by default), so the limit is raised
// and batches are kept small: DefaultMaxMessageBytes/DefaultBatchSize is
// the largest average message a full batch can carry (640 KiB here;
// teeswap's largest, a COMMIT carrying every PREPARED ack of a network,
// is a few KiB).
const (
	DefaultMaxMessageBytes = 128 << 20
	DefaultBatchSize       = 200
	// DefaultConnectRetries bounds how long messages to a dead peer are
	// held: protoactor sleeps 2 s after each failed connect, then drops
	// everything queued for the peer (a DeadLetterResponse for requests)
	// and reconnects on the next send. Actors retry on their own timers.
	DefaultConnectRetries = 2
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
	Logger         *slog.Logger
}

// ErrRemoteListen is returned when the remote cannot bind its address.
var ErrRemoteListen = errors.New("actors: remote cannot listen")

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
	opts := []remote.ConfigOption{
		remote.WithServerOptions(
			grpc.MaxRecvMsgSize(cfg.MaxMessageBytes),
			grpc.StreamInterceptor(knownTypesOnly(cfg.Logger)),
		),
		remote.WithDialOptions(
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(cfg.MaxMessageBytes), grpc.MaxCallSendMsgSize(cfg.MaxMessageBytes)),
		),
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

// knownTypesOnly drops, before protoactor sees them, remote envelopes
// whose protobuf type is not linked into this binary (or that name a
// serializer or type index out of range). protoactor's deserializer would
// panic on them and take the whole node down; here they are an error in
// the log and the rest of the batch is delivered.
func knownTypesOnly(logger *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		return handler(srv, &filteredStream{ServerStream: ss, logger: logger})
	}
}

type filteredStream struct {
	grpc.ServerStream
	logger *slog.Logger
}

// protoSerializer and jsonSerializer are protoactor's built-in
// serializer ids; the JSON one tolerates unknown types.
const (
	protoSerializer int32 = 0
	jsonSerializer  int32 = 1
)

func (s *filteredStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	rm, ok := m.(*remote.RemoteMessage)
	if !ok || rm.GetMessageBatch() == nil {
		return nil
	}
	batch := rm.GetMessageBatch()
	known := make([]bool, len(batch.TypeNames))
	for i, name := range batch.TypeNames {
		_, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
		known[i] = err == nil
	}
	kept := batch.Envelopes[:0]
	for _, env := range batch.Envelopes {
		ok := env.TypeId >= 0 && int(env.TypeId) < len(known)
		switch {
		case !ok:
			s.logger.Error("remote message with a bad type index dropped", "type_id", env.TypeId)
		case env.SerializerId == jsonSerializer:
		case env.SerializerId != protoSerializer:
			ok = false
			s.logger.Error("remote message with an unknown serializer dropped", "serializer", env.SerializerId, "type", batch.TypeNames[env.TypeId])
		case !known[env.TypeId]:
			ok = false
			s.logger.Error("remote message of a type this node does not know dropped", "type", batch.TypeNames[env.TypeId])
		}
		if ok {
			kept = append(kept, env)
		}
	}
	batch.Envelopes = kept
	return nil
}
