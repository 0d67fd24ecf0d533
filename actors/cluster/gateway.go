package cluster

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/ethereum/go-ethereum/common"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
	clusterpb "github.com/teeswap/teeswap/messages/cluster"
)

// relayName is the actor on every member's cluster system that takes
// envelopes for the terminals registered with that member's gateway.
const relayName = "teeswap-relay"

// GatewayConfig configures StartGateway.
type GatewayConfig struct {
	// Node is the member the gateway runs in (or a client node).
	Node *Node
	// System is the gateway's actor system: node remoting with the
	// coordinator's guard allowlist, where terminals and clients connect.
	System *actor.ActorSystem
	// Coordinator configures the coordinator actor in front of the
	// cluster: Signer (the shared identity), Routes, the reports, the
	// credential, retry intervals. Its Store and Instances are set here.
	Coordinator actors.CoordinatorConfig
	// SweepInterval is how often the gateway sweeps the store for
	// undecided instances besides on every membership change (default 10s).
	SweepInterval time.Duration
	// Name of the coordinator actor (default "coordinator").
	Name string
}

// Gateway is a member's coordinator-facing actor: the coordinator actor
// of package actors, with its instances run as grains of the cluster. It
// holds the route finder and the request queue of the requests it took
// (docs/SCALING.md says why they live here); terminal registrations are
// shared through etcd, so any member can reach any terminal.
type Gateway struct {
	node  *Node
	sys   *actor.ActorSystem
	pid   *actor.PID
	relay *actor.PID
	log   *slog.Logger
	cli   *clientv3.Client
	key   string // peers prefix

	mu    sync.Mutex
	peers map[common.Address]peerRecord

	stop context.CancelFunc
	done chan struct{}
}

// peerRecord is where a terminal registered: its actor, and the cluster
// address of the member whose gateway it registered with.
type peerRecord struct {
	Address string `json:"address"`
	ID      string `json:"id"`
	Gateway string `json:"gateway"`
}

// StartGateway spawns the coordinator actor on cfg.System, driving its
// instances through cfg.Node, and the relay on the node's cluster system.
func StartGateway(cfg GatewayConfig) (*Gateway, error) {
	if cfg.Node == nil || cfg.System == nil {
		return nil, errors.New("cluster: StartGateway needs a node and an actor system")
	}
	if cfg.SweepInterval <= 0 {
		cfg.SweepInterval = 10 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = "coordinator"
	}
	log := cfg.Coordinator.Logger
	if log == nil {
		log = cfg.Node.cfg.Logger
	}
	m := cfg.Node.cfg.Member
	g := &Gateway{node: cfg.Node, sys: cfg.System, log: log, cli: m.cli, key: m.prefix + "peers/",
		peers: map[common.Address]peerRecord{}, done: make(chan struct{})}
	if err := g.loadPeers(); err != nil {
		return nil, err
	}
	relay, err := cfg.Node.sys.Root.SpawnNamed(actor.PropsFromFunc(g.receiveRelay), relayName)
	if err != nil {
		return nil, fmt.Errorf("cluster: relay: %w", err)
	}
	g.relay = relay
	cc := cfg.Coordinator
	cc.Store = &gatewayStore{Store: actors.NewMemStore(), g: g}
	cc.Instances = g
	props, err := actors.NewCoordinator(cc)
	if err != nil {
		return nil, err
	}
	if g.pid, err = cfg.System.Root.SpawnNamed(props, cfg.Name); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stop = cancel
	go g.watchPeers(ctx)
	go g.sweeper(ctx, cfg.SweepInterval)
	return g, nil
}

// PID is the coordinator actor terminals and clients talk to.
func (g *Gateway) PID() *actor.PID { return g.pid }

// Stop stops the sweeper and the coordinator actor (not the node).
func (g *Gateway) Stop() {
	g.stop()
	<-g.done
	_ = g.sys.Root.StopFuture(g.pid).Wait()
	g.node.sys.Root.Stop(g.relay)
}

// Create, Deliver, Tick and Forward make the gateway the coordinator
// actor's actors.InstanceDriver.
func (g *Gateway) Create(ctx context.Context, req *messages.SwapRequest, routes []*messages.Network, nowMs int64) (*coordinator.Instance, []coordinator.Outbound, error) {
	in, send, err := g.node.CreateInstance(ctx, req, routes, nowMs, g.node.Address())
	var ran *RequestRan
	if errors.As(err, &ran) {
		return nil, nil, &actors.RanElsewhere{Instance: ran.Instance, Same: ran.Same}
	}
	return in, send, err
}

func (g *Gateway) Deliver(env *messages.Envelope, nowMs int64) (actors.DriverStep, error) {
	s, err := g.node.Deliver(env, nowMs)
	return driverStep(s), err
}

func (g *Gateway) Tick(id [32]byte, nowMs int64) (actors.DriverStep, error) {
	s, err := g.node.Tick(id, nowMs)
	return driverStep(s), err
}

func driverStep(s *clusterpb.Step) actors.DriverStep {
	if s == nil {
		return actors.DriverStep{}
	}
	d := actors.DriverStep{Phase: s.Phase, Decided: s.Decided, Delivered: s.Delivered, RequestID: s.RequestId, RefundReason: s.RefundReason}
	for _, o := range s.Send {
		d.Send = append(d.Send, coordinator.Outbound{To: common.BytesToAddress(o.To), Env: o.Envelope})
	}
	return d
}

// Forward sends an envelope to a terminal through the gateway it
// registered with: this one, or another member's (over the cluster
// remote). A terminal nobody registered is skipped; the instance's next
// resend tries again.
func (g *Gateway) Forward(to common.Address, env *messages.Envelope) {
	rec, ok := g.peer(to)
	if !ok {
		g.log.Warn("no gateway knows this terminal; it has not registered", "terminal", to)
		return
	}
	if rec.Gateway == g.node.Address() {
		g.sys.Root.Send(g.pid, &actors.RelayEnvelope{To: actor.NewPID(rec.Address, rec.ID), Env: env})
		return
	}
	g.node.sys.Root.Send(actor.NewPID(rec.Gateway, relayName), &clusterpb.Relay{Address: rec.Address, Id: rec.ID, Envelope: env})
}

// receiveRelay takes another member's envelope for one of this gateway's
// terminals. Members reach it over the cluster remote only.
// It also takes a grain's word that an instance this gateway created was
// decided or delivered.
func (g *Gateway) receiveRelay(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *clusterpb.Relay:
		if m.Envelope != nil && m.Id != "" {
			g.sys.Root.Send(g.pid, &actors.RelayEnvelope{To: actor.NewPID(m.Address, m.Id), Env: m.Envelope})
		}
	case *clusterpb.Step:
		if len(m.InstanceId) == 32 {
			g.sys.Root.Send(g.pid, &actors.DriverNotice{ID: [32]byte(m.InstanceId), Step: driverStep(m)})
		}
	}
}

func (g *Gateway) peer(addr common.Address) (peerRecord, bool) {
	g.mu.Lock()
	rec, ok := g.peers[addr]
	g.mu.Unlock()
	if ok {
		return rec, true
	}
	// Registered a moment ago elsewhere, before the watch told us.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r, err := g.cli.Get(ctx, g.key+hex.EncodeToString(addr.Bytes()))
	if err != nil || len(r.Kvs) == 0 || json.Unmarshal(r.Kvs[0].Value, &rec) != nil {
		return rec, false
	}
	g.setPeer(addr, rec)
	return rec, true
}

func (g *Gateway) setPeer(addr common.Address, rec peerRecord) {
	g.mu.Lock()
	g.peers[addr] = rec
	g.mu.Unlock()
}

func (g *Gateway) loadPeers() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := g.cli.Get(ctx, g.key, clientv3.WithPrefix())
	if err != nil {
		return fmt.Errorf("cluster: load terminal registrations: %w", err)
	}
	for _, kv := range r.Kvs {
		g.takePeer(kv.Key, kv.Value)
	}
	return nil
}

func (g *Gateway) takePeer(key, val []byte) {
	b, err := hex.DecodeString(strings.TrimPrefix(string(key), g.key))
	var rec peerRecord
	if err != nil || len(b) != common.AddressLength || json.Unmarshal(val, &rec) != nil {
		return
	}
	g.setPeer(common.BytesToAddress(b), rec)
}

func (g *Gateway) watchPeers(ctx context.Context) {
	for resp := range g.cli.Watch(ctx, g.key, clientv3.WithPrefix()) {
		for _, ev := range resp.Events {
			if ev.Type == clientv3.EventTypePut {
				g.takePeer(ev.Kv.Key, ev.Kv.Value)
			}
		}
	}
}

// savePeer records a terminal's registration with this gateway in etcd.
func (g *Gateway) savePeer(addr common.Address, p *messages.Peer) error {
	rec := peerRecord{Address: p.GetAddress(), ID: p.GetId(), Gateway: g.node.Address()}
	b, _ := json.Marshal(rec)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := g.cli.Put(ctx, g.key+hex.EncodeToString(addr.Bytes()), string(b)); err != nil {
		return err
	}
	g.setPeer(addr, rec)
	return nil
}

// sweeper resends the phase of every undecided instance on a timer and
// whenever the cluster's membership changes (a member died: its
// instances' messages in flight are lost), so orphans go on without
// waiting for a terminal's retry.
func (g *Gateway) sweeper(ctx context.Context, every time.Duration) {
	defer close(g.done)
	changed := make(chan struct{}, 1)
	sub := g.node.sys.EventStream.Subscribe(func(evt any) {
		if _, ok := evt.(*cluster.ClusterTopology); ok {
			select {
			case changed <- struct{}{}:
			default:
			}
		}
	})
	defer g.node.sys.EventStream.Unsubscribe(sub)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-changed:
		}
		steps, err := g.node.Sweep(ctx, time.Now().UnixMilli())
		if err != nil {
			g.log.Info("sweep", "err", err)
			continue
		}
		for _, s := range steps {
			for _, o := range s.Send {
				g.Forward(common.BytesToAddress(o.To), o.Envelope)
			}
		}
	}
}

// gatewayStore is the coordinator actor's store in a gateway: requests and
// the queue in memory (they belong to the gateway that took them), and
// terminal registrations in etcd, shared by every member.
type gatewayStore struct {
	actors.Store
	g *Gateway
}

func (s *gatewayStore) SavePeer(addr common.Address, p *messages.Peer) error {
	return s.g.savePeer(addr, p)
}

// LoadCoordinator gives a restarted gateway back the terminals that
// registered with it (at this member's address).
func (s *gatewayStore) LoadCoordinator() (actors.CoordinatorState, error) {
	st, err := s.Store.LoadCoordinator()
	if err != nil {
		return st, err
	}
	if st.Peers == nil {
		st.Peers = map[common.Address]*messages.Peer{}
	}
	s.g.mu.Lock()
	defer s.g.mu.Unlock()
	for addr, rec := range s.g.peers {
		if rec.Gateway == s.g.node.Address() {
			st.Peers[addr] = &messages.Peer{Address: rec.Address, Id: rec.ID}
		}
	}
	return st, nil
}
