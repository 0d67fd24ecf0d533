package actors

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/messages"
)

// LocalConfig configures a Local deployment: one process, one
// coordinator, any number of terminals.
type LocalConfig struct {
	System        *actor.ActorSystem // nil: a new quiet system
	Backend       enclave.Backend
	Verifier      *enclave.Verifier
	Routes        Routes
	Chain         func(key enclave.Key) ChainOps // optional, per terminal
	NewStore      func(name string) (Store, error)
	RetryInterval time.Duration
	Linger        time.Duration
	ForgetDecided bool
	// Credential, when set, is every node's control credential: the
	// terminals' and the coordinator's client credential (tests of the
	// control API over remoting).
	Credential string
	Clock      Clock
	Logger     *slog.Logger
	// OnOutcome, when set, is called by each terminal after it applied and
	// persisted an instance's outcome (the sim counts and times these).
	OnOutcome func(terminal common.Address, id [32]byte, network uint32, phase messages.TerminalPhase)
	// Faults, when set, faults the envelopes every actor receives (its
	// Filter picks which); the coordinator is named "coordinator" and a
	// terminal by its name.
	Faults *FaultInjector
	// Middleware wraps every actor's receive (fuzzing watches for panics).
	Middleware []actor.ReceiverMiddleware
	// QueueTTL and Rand go to the coordinator (see CoordinatorConfig).
	QueueTTL time.Duration
	Rand     io.Reader
}

// Local runs teeswap's actors in one process: the embedded default of the
// demo, the sim and the end-to-end tests.
type Local struct {
	cfg         LocalConfig
	System      *actor.ActorSystem
	Coordinator *actor.PID
	CoordKey    enclave.Key
	coordCfg    CoordinatorConfig

	mu        sync.Mutex
	terminals map[common.Address]*actor.PID
	keys      map[common.Address]enclave.Key
	stores    map[common.Address]Store
	names     map[common.Address]string
}

// NewLocal starts the coordinator.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.NewStore == nil {
		cfg.NewStore = func(string) (Store, error) { return NewMemStore(), nil }
	}
	if cfg.System == nil {
		cfg.System = NewSystem(cfg.Logger)
	}
	key, err := cfg.Backend.NewKey()
	if err != nil {
		return nil, fmt.Errorf("coordinator key: %w", err)
	}
	report, err := enclave.ReportFor(cfg.Backend, key)
	if err != nil {
		return nil, fmt.Errorf("coordinator report: %w", err)
	}
	store, err := cfg.NewStore("coordinator")
	if err != nil {
		return nil, err
	}
	l := &Local{cfg: cfg, System: cfg.System, CoordKey: key,
		coordCfg: CoordinatorConfig{
			Signer: key, Store: store, Routes: cfg.Routes, ReportKind: report.Kind.String(), Report: FrameReport(report),
			VerifyReport: ReportVerifier(cfg.Verifier), ClientCredential: cfg.Credential,
			Clock: cfg.Clock, RetryInterval: cfg.RetryInterval, Linger: cfg.Linger, ForgetDecided: cfg.ForgetDecided, Logger: cfg.Logger,
			QueueTTL: cfg.QueueTTL, Rand: cfg.Rand,
		},
		terminals: map[common.Address]*actor.PID{}, keys: map[common.Address]enclave.Key{},
		stores: map[common.Address]Store{}, names: map[common.Address]string{}}
	if err := l.startCoordinator(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *Local) startCoordinator() error {
	props, err := NewCoordinator(l.coordCfg)
	if err != nil {
		return err
	}
	if l.cfg.Faults != nil {
		props = props.Configure(actor.WithReceiverMiddleware(l.cfg.Faults.MiddlewareAt("coordinator", l.CoordKey.Address())))
	}
	if len(l.cfg.Middleware) > 0 {
		props = props.Configure(actor.WithReceiverMiddleware(l.cfg.Middleware...))
	}
	pid, err := l.System.Root.SpawnNamed(props, "coordinator")
	if err != nil {
		return err
	}
	l.Coordinator = pid
	return nil
}

// RestartCoordinator stops the coordinator, as if its process died, and
// starts it again from its sealed store under the same name: instances in
// flight resume and end as they would have.
func (l *Local) RestartCoordinator() error {
	l.stopCoordinator()
	return l.startCoordinator()
}

// stopCoordinator stops the coordinator and waits until its name is free
// (stopping thousands of children can outlast a stop future on a loaded
// machine).
func (l *Local) stopCoordinator() {
	_ = l.System.Root.StopFuture(l.Coordinator).Wait()
	for range 6000 {
		if _, ok := l.System.ProcessRegistry.GetLocal(l.Coordinator.Id); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// RestartCoordinatorOn restarts the coordinator on another store, as a
// host could (a restored copy, tests of stale stores).
func (l *Local) RestartCoordinatorOn(store Store) error {
	l.stopCoordinator()
	l.coordCfg.Store = store
	return l.startCoordinator()
}

// CoordinatorStore is the coordinator's store.
func (l *Local) CoordinatorStore() Store { return l.coordCfg.Store }

// TerminalStore is a terminal's store (nil when unknown).
func (l *Local) TerminalStore(addr common.Address) Store {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stores[addr]
}

// SetTerminalStore replaces a stopped terminal's store before a restart.
func (l *Local) SetTerminalStore(addr common.Address, s Store) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stores[addr] = s
}

// NewKey makes a terminal key in the backend.
func (l *Local) NewKey() (enclave.Key, error) { return l.cfg.Backend.NewKey() }

// AddTerminal starts (or restarts, from its store) a terminal actor.
func (l *Local) AddTerminal(name string, key enclave.Key) (*actor.PID, error) {
	addr := key.Address()
	l.mu.Lock()
	store := l.stores[addr]
	l.mu.Unlock()
	if store == nil {
		var err error
		if store, err = l.cfg.NewStore(name); err != nil {
			return nil, err
		}
	}
	var ops ChainOps
	if l.cfg.Chain != nil {
		ops = l.cfg.Chain(key)
	}
	var onOutcome func(id [32]byte, network uint32, phase messages.TerminalPhase)
	if f := l.cfg.OnOutcome; f != nil {
		onOutcome = func(id [32]byte, network uint32, phase messages.TerminalPhase) { f(addr, id, network, phase) }
	}
	report, err := enclave.ReportFor(l.cfg.Backend, key)
	if err != nil {
		return nil, err
	}
	props, err := NewTerminal(TerminalConfig{
		Signer: key, Store: store, VerifyReport: ReportVerifier(l.cfg.Verifier), Coordinator: l.Coordinator, Report: FrameReport(report), Credential: l.cfg.Credential,
		Clock: l.cfg.Clock, RetryInterval: l.cfg.RetryInterval, Chain: ops, Peers: l, Logger: l.cfg.Logger,
		OnOutcome: onOutcome,
	})
	if err != nil {
		return nil, err
	}
	if l.cfg.Faults != nil {
		props = props.Configure(actor.WithReceiverMiddleware(l.cfg.Faults.MiddlewareAt(name, addr)))
	}
	if len(l.cfg.Middleware) > 0 {
		props = props.Configure(actor.WithReceiverMiddleware(l.cfg.Middleware...))
	}
	pid, err := l.System.Root.SpawnNamed(props, "terminal-"+name)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.terminals[addr], l.keys[addr], l.stores[addr], l.names[addr] = pid, key, store, name
	l.mu.Unlock()
	return pid, nil
}

// StopTerminal stops a terminal's actor, as if its process died; its
// store survives for AddTerminal to restart it.
func (l *Local) StopTerminal(addr common.Address) error {
	l.mu.Lock()
	pid := l.terminals[addr]
	delete(l.terminals, addr)
	l.mu.Unlock()
	if pid == nil {
		return fmt.Errorf("no terminal %s", addr)
	}
	_ = l.System.Root.StopFuture(pid).Wait()
	for range 6000 { // a loaded machine may outlast the stop future
		if _, ok := l.System.ProcessRegistry.GetLocal(pid.Id); !ok {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("terminal %s did not stop", addr)
}

// RestartTerminal starts a stopped terminal again from its sealed store.
func (l *Local) RestartTerminal(addr common.Address) (*actor.PID, error) {
	l.mu.Lock()
	key, name := l.keys[addr], l.names[addr]
	l.mu.Unlock()
	if key == nil {
		return nil, fmt.Errorf("unknown terminal %s", addr)
	}
	return l.AddTerminal(name, key)
}

// Peer resolves a terminal's actor (PeerResolver).
func (l *Local) Peer(addr common.Address) *actor.PID {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.terminals[addr]
}

// Channels asks a terminal for its channels.
func (l *Local) Channels(addr common.Address, timeout time.Duration) (*messages.ChannelList, error) {
	pid := l.Peer(addr)
	if pid == nil {
		return nil, fmt.Errorf("no terminal %s", addr)
	}
	res, err := l.System.Root.RequestFuture(pid, &messages.ChannelListRequest{Credential: l.cfg.Credential}, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("terminal %s: %w", addr, err)
	}
	list, ok := res.(*messages.ChannelList)
	if !ok {
		return nil, fmt.Errorf("terminal %s answered %T", addr, res)
	}
	return list, nil
}

// WaitRegistered waits until every terminal trusts the coordinator.
func (l *Local) WaitRegistered(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	l.mu.Lock()
	var addrs []common.Address
	for a := range l.terminals {
		addrs = append(addrs, a)
	}
	l.mu.Unlock()
	for _, a := range addrs {
		for {
			list, err := l.Channels(a, time.Second)
			if err == nil && len(list.Coordinators) > 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("terminal %s did not register with the coordinator: %v", a, err)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return nil
}

// SignOrders has the local terminal of every payer of req sign its order,
// valid for ttl, and appends the orders to req.
func (l *Local) SignOrders(req *messages.SwapRequest, ttl time.Duration) error {
	return RequestOrders(l.System.Root, l.Peer, req, time.Now().Add(ttl).UnixMilli(), l.cfg.Credential, 5*time.Second)
}

// Submit runs a swap or payment and waits for its result.
func (l *Local) Submit(req *messages.SwapRequest, timeout time.Duration) (*messages.SwapResult, error) {
	res, err := l.System.Root.RequestFuture(l.Coordinator, &messages.SubmitSwap{Request: req, Credential: l.cfg.Credential}, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("swap %s: %w", req.RequestId, err)
	}
	r, ok := res.(*messages.SwapResult)
	if !ok {
		return nil, fmt.Errorf("coordinator answered %T", res)
	}
	if r.Error != "" {
		return r, fmt.Errorf("swap %s: %s", req.RequestId, r.Error)
	}
	return r, nil
}

// Tell sends a message to a terminal (chain events in tests).
func (l *Local) Tell(addr common.Address, msg any) {
	if pid := l.Peer(addr); pid != nil {
		l.System.Root.Send(pid, msg)
	}
}

// Shutdown stops every actor.
func (l *Local) Shutdown() { l.System.Shutdown() }
