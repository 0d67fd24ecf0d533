package sim

import (
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// FirstChainID is the id of the sim's first chain; chain i is FirstChainID+i.
const FirstChainID = 1337

// channel is one channel of the sim's graph and its expected balances.
type channel struct {
	chain  uint64
	id     [32]byte
	a, b   common.Address
	ai, bi int // terminal indices on the chain
	balA   *big.Int
	balB   *big.Int
}

// world is a running deployment: coordinator, terminals, channels.
type world struct {
	cfg      Config
	log      *slog.Logger
	system   *actor.ActorSystem
	coord    *actor.PID
	coordKey common.Address
	router   *directory.Router
	routes   *ledgerRoutes
	chains   []uint64
	graphs   []*graph
	addrs    [][]common.Address // [chain][terminal index]
	channels map[[32]byte]*channel
	contract map[uint64]common.Address
	signs    atomic.Int64 // signatures made by every enclave key
	applied  *appliedLog

	remote     bool         // terminals run in other processes
	childUsage func() usage // their CPU and peak RSS

	// channelsOf queries a terminal's channels.
	channelsOf func(addr common.Address, timeout time.Duration) (*messages.ChannelList, error)
	tell       func(addr common.Address, msg any)
	// peer finds a terminal's actor, to ask it for its order.
	peer     func(addr common.Address) *actor.PID
	shutdown func()

	// settle and clusterSummary are the cluster mode's (cluster.go):
	// the ledger from etcd before verify, and the cluster's figures.
	settle         func()
	clusterSummary func(ended int) *ClusterSummary
	// entryFor picks the coordinator a submission goes to (default coord).
	entryFor func(in *Instance) *actor.PID

	local  *actors.Local         // in process
	faults *actors.FaultInjector // with Config.Faults
	chaos  *chaosStats
	// Multiproc fault runs (multiproc_faults.go): the children's fault
	// counts and the process chaos.
	childFaults func() actors.FaultCounts
	runFaults   func(stop <-chan struct{}, done chan<- struct{})
	onChain     *onChain // Config.OnChain: faults_onchain.go
}

// ledgerRoutes is the directory's route finder; it also keeps the
// expected channel balances from the coordinator's confirmed transfers.
type ledgerRoutes struct {
	actors.DirectoryRoutes
	mu        sync.Mutex
	transfers map[[32]byte][]transfer
	seen      map[versionKey]bool
}

type transfer struct {
	payer  common.Address
	amount *big.Int
}

// Transferred records a confirmed network (called by the coordinator).
func (l *ledgerRoutes) Transferred(n *messages.Network) {
	l.DirectoryRoutes.Transferred(n)
	l.record(n)
}

// Replayed records a confirmed network a restarted coordinator reports
// again: the ledger keeps each channel version once, since the first
// report may have died with the coordinator.
func (l *ledgerRoutes) Replayed(n *messages.Network) { l.record(n) }

func (l *ledgerRoutes) record(n *messages.Network) {
	amount := new(big.Int).SetBytes(n.Amount)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, h := range n.Hops {
		id := [32]byte(h.ChannelId)
		k := versionKey{id, h.Version}
		if l.seen[k] {
			continue
		}
		l.seen[k] = true
		l.transfers[id] = append(l.transfers[id], transfer{common.BytesToAddress(h.Payer), amount})
	}
}

type versionKey struct {
	ch      [32]byte
	version uint64
}

// appliedLog records terminals applying outcomes (in process only).
type appliedLog struct {
	mu sync.Mutex
	m  map[[32]byte]*applied
}

type applied struct {
	parties   map[common.Address]messages.TerminalPhase
	nets      map[uint32]int // terminals that applied, per network
	last      time.Time
	conflicts int
}

func (l *appliedLog) record(t common.Address, id [32]byte, net uint32, phase messages.TerminalPhase) {
	now := time.Now()
	l.mu.Lock()
	a := l.m[id]
	if a == nil {
		a = &applied{parties: make(map[common.Address]messages.TerminalPhase, 6), nets: map[uint32]int{}}
		l.m[id] = a
	}
	if old, ok := a.parties[t]; ok && old != phase {
		a.conflicts++
	} else if !ok {
		a.nets[net]++
	}
	a.parties[t] = phase
	a.last = now
	l.mu.Unlock()
}

func (l *appliedLog) get(id [32]byte) (applied, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a := l.m[id]
	if a == nil {
		return applied{}, false
	}
	return *a, true
}

// newLocalWorld starts everything in this process.
func newLocalWorld(cfg Config, log *slog.Logger) (*world, error) {
	w := &world{cfg: cfg, log: log, applied: &appliedLog{m: map[[32]byte]*applied{}}}
	// The backend counts every signature its keys make, for the report.
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler), Signatures: &w.signs})
	if err != nil {
		return nil, err
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		return nil, err
	}
	w.router = router
	w.routes = &ledgerRoutes{DirectoryRoutes: actors.DirectoryRoutes{Router: router}, transfers: map[[32]byte][]transfer{}, seen: map[versionKey]bool{}}
	newStore, closeStores, err := storeFactory(cfg.Store, backend)
	if err != nil {
		return nil, err
	}
	lc := actors.LocalConfig{
		Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: w.routes, RetryInterval: cfg.RetryInterval, Linger: 2 * cfg.RetryInterval, ForgetDecided: true,
		NewStore: newStore, Logger: log, OnOutcome: w.applied.record,
	}
	w.injectFaults(&lc)
	local, err := actors.NewLocal(lc)
	if err != nil {
		closeStores()
		return nil, err
	}
	w.local = local
	w.system, w.coord, w.coordKey = local.System, local.Coordinator, local.CoordKey.Address()
	w.channelsOf, w.tell, w.peer = local.Channels, local.Tell, local.Peer
	w.shutdown = func() {
		local.Shutdown()
		closeStores()
	}
	w.childUsage = func() usage { return usage{} }
	w.addrs = make([][]common.Address, cfg.Chains)
	for c := range cfg.Chains {
		for i := range cfg.Terminals {
			key, err := local.NewKey()
			if err != nil {
				w.shutdown()
				return nil, err
			}
			if _, err := local.AddTerminal(fmt.Sprintf("c%d-t%d", c, i), key); err != nil {
				w.shutdown()
				return nil, err
			}
			w.addrs[c] = append(w.addrs[c], key.Address())
		}
	}
	if err := local.WaitRegistered(time.Minute); err != nil {
		w.shutdown()
		return nil, err
	}
	if err := w.openChannels(); err != nil {
		w.shutdown()
		return nil, err
	}
	return w, nil
}

// openChannels builds every chain's graph from the seed and announces its
// channels off chain, as a chain watcher would: to both parties and to the
// directory.
func (w *world) openChannels() error {
	cfg := w.cfg
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6772617068))
	w.channels = map[[32]byte]*channel{}
	w.contract = map[uint64]common.Address{}
	token := make([]byte, 20)
	dep := big.NewInt(cfg.Deposit)
	for c := range cfg.Chains {
		chainID := uint64(FirstChainID + c)
		w.chains = append(w.chains, chainID)
		contract := common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprint("teeswap-sim/contract/", chainID))))
		w.contract[chainID] = contract
		g, err := newGraph(cfg.Graph, cfg.Terminals, cfg.Hops, cfg.Degree, cfg.Parallel, rng)
		if err != nil {
			return err
		}
		w.graphs = append(w.graphs, g)
		for k, e := range g.edges {
			id := crypto.Keccak256Hash([]byte(fmt.Sprintf("teeswap-sim/%d/%d/%d/%d", cfg.Seed, chainID, k, e[0])))
			a, b := w.addrs[c][e[0]], w.addrs[c][e[1]]
			ch := &channel{chain: chainID, id: id, a: a, b: b, ai: e[0], bi: e[1], balA: new(big.Int).Set(dep), balB: new(big.Int).Set(dep)}
			w.channels[id] = ch
			for _, ev := range []*messages.ChainEvent{
				{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED, ChainId: chainID, Contract: contract.Bytes(),
					ChannelId: id[:], PartyA: a.Bytes(), PartyB: b.Bytes(), Token: token,
					Coordinator: w.coordKey.Bytes(), DepositA: dep.Bytes()},
				{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP, ChainId: chainID, ChannelId: id[:], DepositA: dep.Bytes(), DepositB: dep.Bytes()},
			} {
				w.tell(a, ev)
				w.tell(b, ev)
			}
			err := w.router.Put(directory.Channel{ChainID: chainID, Contract: contract, ID: directory.ChannelID(id),
				A: a, B: b, BalanceA: new(big.Int).Set(dep), BalanceB: new(big.Int).Set(dep), Status: directory.StatusOpen,
				Coordinator: w.coordKey})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// storeFactory returns how the run's actors get their stores, and what
// closes them (and removes a log store's folder) at the end.
func storeFactory(kind string, sealer actors.Sealer) (func(name string) (actors.Store, error), func(), error) {
	if kind != StoreLog {
		return func(string) (actors.Store, error) { return actors.NewMemStore(), nil }, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "teeswap-sim-store-")
	if err != nil {
		return nil, nil, fmt.Errorf("sim: store folder: %w", err)
	}
	var (
		mu     sync.Mutex
		opened []*actors.LogStore
	)
	open := func(name string) (actors.Store, error) {
		s, err := actors.OpenLog(filepath.Join(dir, name+".log"), sealer, false)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		opened = append(opened, s)
		mu.Unlock()
		return s, nil
	}
	closeAll := func() {
		mu.Lock()
		defer mu.Unlock()
		for _, s := range opened {
			s.Close()
		}
		opened = nil
		os.RemoveAll(dir)
	}
	return open, closeAll, nil
}

// injectFaults, in a fault run, gives the in-process actors a fault
// injector from the seed (drop, duplicate, delay at the actor boundary)
// and seeded randomness.
func (w *world) injectFaults(lc *actors.LocalConfig) {
	cfg := w.cfg
	if !cfg.Faults {
		return
	}
	w.faults = actors.NewFaultInjector(uint64(cfg.Seed))
	w.faults.Drop, w.faults.Duplicate, w.faults.Delay = cfg.FaultRate, cfg.FaultRate, cfg.FaultRate
	w.faults.MaxDelay = 2 * cfg.RetryInterval
	lc.Faults = w.faults
	lc.Rand = rand.NewChaCha8(seed32(cfg.Seed))
}
