package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
	clusterpb "github.com/teeswap/teeswap/messages/cluster"
)

// ClusterName is the protoactor cluster name of coordinator members.
const ClusterName = "teeswap-coordinators"

// NodeConfig configures one coordinator member.
type NodeConfig struct {
	// Member is this member's fenced handle on etcd.
	Member *Member
	// Signer is the coordinator identity all members share, an enclave key
	// handle (see docs/OPERATIONS.md, "Coordinator cluster", for its
	// provisioning); only the instance machines sign with it.
	Signer enclave.Key
	// Provider finds the other members: protoactor's etcd provider across
	// processes, its test provider in one process.
	Provider cluster.ClusterProvider
	// Host and Port of this member's remote (default 127.0.0.1, port 0).
	Host string
	Port int
	// Idle is how long an instance grain stays without messages before it
	// passivates and releases its claim (default 30s).
	Idle time.Duration
	// CallTimeout bounds one grain call (default 5s).
	CallTimeout time.Duration
	// TLS runs the members' remote over the enclave-bound mutual TLS of
	// node remoting (actors.StartRemote): each member binds its
	// certificate to an enclave key, and admits only peers whose
	// certificate binds one of TLS.Enclaves (normally the coordinator key
	// the members share, which only members hold).
	TLS *actors.TLSConfig
	// InsecurePlaintextLoopback is the explicit opt-out of TLS: members
	// talk plain gRPC, and may then only listen on loopback.
	InsecurePlaintextLoopback bool
	// Client joins as a client: it calls grains but hosts none (a
	// gateway in front of the members, or a test driver).
	Client bool
	Logger *slog.Logger
}

// Node is one coordinator member of the cluster.
type Node struct {
	cfg     NodeConfig
	sys     *actor.ActorSystem
	cl      *cluster.Cluster
	stopped chan struct{}
	once    sync.Once
}

// maxMessageBytes is the remote's message limit: grain steps carry signed
// envelopes of a few KB; above gRPC's 4 MiB default a batch is dropped.
const maxMessageBytes = 64 << 20

// StartNode joins the protoactor cluster as a member hosting Instance
// grains.
func StartNode(cfg NodeConfig) (*Node, error) {
	if cfg.Member == nil || cfg.Signer == nil || cfg.Provider == nil {
		return nil, errors.New("cluster: StartNode needs a member, a signer and a provider")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if ip := net.ParseIP(cfg.Host); cfg.TLS == nil && (!cfg.InsecurePlaintextLoopback || ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%w: cluster members need TLS, or plain text on a loopback address with InsecurePlaintextLoopback (host %q)", actors.ErrNoTransportSecurity, cfg.Host)
	}
	if cfg.TLS != nil && (cfg.TLS.Key == nil || cfg.TLS.Backend == nil || len(cfg.TLS.Enclaves) == 0) {
		return nil, fmt.Errorf("%w: member TLS needs an enclave key and the enclaves it admits", actors.ErrNoTransportSecurity)
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Second
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	quiet := cfg.Logger.With("lib", "protoactor")
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
	serverOpts := []grpc.ServerOption{grpc.MaxRecvMsgSize(maxMessageBytes)}
	dialOpts := []grpc.DialOption{grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes))}
	if cfg.TLS != nil {
		so, do := actors.MutualTLSOptions(*cfg.TLS, sys.Address)
		serverOpts, dialOpts = append(serverOpts, so...), append(dialOpts, do...)
	} else {
		cfg.Logger.Warn("cluster member remoting runs in INSECURE PLAIN TEXT on loopback", "host", cfg.Host)
		dialOpts = append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	}
	rc := remote.Configure(cfg.Host, cfg.Port, remote.WithServerOptions(serverOpts...), remote.WithDialOptions(dialOpts...))
	kind := clusterpb.NewInstanceKind(func() clusterpb.Instance { return &instanceGrain{} }, cfg.Idle)
	cc := cluster.Configure(ClusterName, cfg.Provider, disthash.New(), rc,
		cluster.WithKinds(kind), cluster.WithRequestTimeout(cfg.CallTimeout))
	cl := cluster.New(sys, cc)
	members.Store(cl, &deps{member: cfg.Member, signer: cfg.Signer, logger: cfg.Logger, timeout: cfg.CallTimeout})
	if cfg.Client {
		cl.StartClient()
	} else {
		cl.StartMember()
	}
	n := &Node{cfg: cfg, sys: sys, cl: cl, stopped: make(chan struct{})}
	go func() {
		// A lost lease cannot be renewed: every write of this member is
		// refused from now on (fenced), so its instances must move.
		select {
		case <-cfg.Member.Lost():
			cfg.Logger.Error("cluster member lost its etcd lease; its writes are fenced, restart it to rejoin", "member", cfg.Member.ID())
		case <-n.stopped:
		}
	}()
	return n, nil
}

// Address is this member's remote address.
func (n *Node) Address() string { return n.sys.Address() }

// Name is the member's name in etcd.
func (n *Node) Name() string { return n.cfg.Member.Name() }

// Stop leaves the cluster; graceful also releases the member's lease.
func (n *Node) Stop(graceful bool) {
	n.once.Do(func() { close(n.stopped) })
	if n.cfg.Client {
		// protoactor's Shutdown assumes a member's gossip; a client has none.
		_ = n.cfg.Provider.Shutdown(graceful)
		n.sys.Shutdown()
		n.cl.Remote.Shutdown(graceful)
	} else {
		n.cl.Shutdown(graceful)
	}
	members.Delete(n.cl)
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
		defer cancel()
		_ = n.cfg.Member.Close(ctx)
	}
}

// crash stops the member as a SIGKILL would, for tests in one process:
// the lease is left to expire and no grain releases its claim.
func (n *Node) crash() {
	n.once.Do(func() { close(n.stopped) })
	if v, ok := members.Load(n.cl); ok {
		v.(*deps).dead.Store(true)
	}
	n.cfg.Member.Abandon()
	n.Stop(false)
}

// MaxAllocRetries bounds Create's compare-and-swap loop on the allocator.
const MaxAllocRetries = 64

// Create allocates a new instance from the shared allocator, persists it
// with the allocator (compare-and-swap, retried when another member
// allocated first), and returns its id and the PREPAREs to send. No
// envelope exists before the record is in etcd.
func (n *Node) Create(ctx context.Context, req *messages.SwapRequest, routes []*messages.Network, nowMs int64) ([32]byte, []coordinator.Outbound, error) {
	in, send, err := n.CreateInstance(ctx, req, routes, nowMs, "")
	if err != nil {
		return [32]byte{}, nil, err
	}
	return in.ID(), send, nil
}

// CreateInstance is Create, returning the new instance (its record names
// its networks) instead of its id. A gateway passes its relay's address
// as notify: the instance's grain tells it when the instance is decided.
func (n *Node) CreateInstance(ctx context.Context, req *messages.SwapRequest, routes []*messages.Network, nowMs int64, notify string) (*coordinator.Instance, []coordinator.Outbound, error) {
	for range MaxAllocRetries {
		meta, rev, err := n.cfg.Member.LoadMeta(ctx)
		if err != nil {
			return nil, nil, err
		}
		alloc, err := coordinator.NewAllocator(n.cfg.Signer, meta)
		if err != nil {
			return nil, nil, err
		}
		in, out, err := alloc.Create(req, routes, nowMs)
		if err != nil {
			return nil, nil, err
		}
		if _, err := n.cfg.Member.CreateNotify(ctx, out.Meta, rev, out.Instance, notify, requestDigest(req)); errors.Is(err, ErrStale) {
			continue
		} else if err != nil {
			return nil, nil, err
		}
		return in, out.Send, nil
	}
	return nil, nil, fmt.Errorf("%w: allocator contended %d times", ErrStale, MaxAllocRetries)
}

// client is the typed grain client of one instance.
func (n *Node) client(id [32]byte) *clusterpb.InstanceGrainClient {
	return clusterpb.GetInstanceGrainClient(n.cl, hex.EncodeToString(id[:]))
}

// Deliver routes a terminal's envelope to its instance's grain, wherever
// it lives, and returns the step: what to send to which terminal.
func (n *Node) Deliver(env *messages.Envelope, nowMs int64) (*clusterpb.Step, error) {
	id, ok := messages.InstanceOf(env)
	if !ok {
		return nil, fmt.Errorf("%w: envelope without an instance id", coordinator.ErrMalformed)
	}
	s, err := n.client(id).Deliver(&clusterpb.Deliver{Envelope: env, NowMs: nowMs}, cluster.WithTimeout(n.cfg.CallTimeout))
	return s, fromWire(err)
}

// Tick asks an instance to apply its deadline and resend its phase.
func (n *Node) Tick(id [32]byte, nowMs int64) (*clusterpb.Step, error) {
	s, err := n.client(id).Tick(&clusterpb.Tick{NowMs: nowMs}, cluster.WithTimeout(n.cfg.CallTimeout))
	return s, fromWire(err)
}

// Status reports an instance's phase (activating it if needed).
func (n *Node) Status(id [32]byte) (*clusterpb.Step, error) {
	s, err := n.client(id).Status(&clusterpb.StatusRequest{}, cluster.WithTimeout(n.cfg.CallTimeout))
	return s, fromWire(err)
}

// Sweep ticks every undecided instance in the store, wherever its grain
// lives: after a member died, this resends each orphaned instance's
// current phase (and applies deadlines) without waiting for a terminal's
// retry. It returns the steps whose envelopes the caller must forward; an
// instance still fenced by a dead member's lease is skipped until the next
// sweep.
func (n *Node) Sweep(ctx context.Context, nowMs int64) ([]*clusterpb.Step, error) {
	ids, err := n.cfg.Member.Undecided(ctx)
	if err != nil {
		return nil, err
	}
	var steps []*clusterpb.Step
	for _, id := range ids {
		step, err := n.Tick([32]byte(id), nowMs)
		if err != nil {
			n.cfg.Logger.Info("sweep: instance not ready", "id", hex.EncodeToString(id[:6]), "err", err)
			continue
		}
		steps = append(steps, step)
	}
	return steps, nil
}

// requestDigest tells a repeated request from a different one reusing its
// id (the digest the single coordinator keeps per request id).
func requestDigest(req *messages.SwapRequest) []byte {
	b, _ := proto.MarshalOptions{Deterministic: true}.Marshal(req)
	return crypto.Keccak256(b)
}
