package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// Files in a node's data directory.
const (
	fileSealedKey  = "key.sealed"   // the enclave key, sealed by the backend
	fileSimSealKey = "sim-seal.key" // the simulation backend's sealing key (no SGX only)
	fileState      = "state.db"     // the actors' sealed write-ahead store
	fileDirectory  = "directory.db" // the channel directory (coordinator, watcher)
	// fileCredential is the control credential, made at first start: the
	// owner's CLI (terminal) or the exchange (coordinator) sends it.
	fileCredential  = "control.cookie"
	dataDirFileMode = 0o700
)

func init() {
	var f nodeFlags
	cmd := &cobra.Command{
		Use:   "node",
		Short: "Run a coordinator, terminal or watcher as its own process",
		Long: `Run one teeswap node until SIGINT or SIGTERM. The node listens for protoactor
remoting on --listen and prints its address, its actor's PID and (for the
coordinator and terminals) its enclave's chain address.

The configuration comes from a JSON file (--config), environment variables
(TEESWAP_*) and flags, in increasing priority. See docs/OPERATIONS.md.

  coordinator  runs the coordinator actor ("coordinator"), the channel
               directory with a watcher per chain, and a route service
               ("directory").
  terminal     runs one terminal ("terminal") around its enclave key,
               follows its chains for its channels' events, and registers
               with the coordinator.
  watcher      runs a watcher per chain ("watcher-<chain id>") into its own
               directory, answers routes ("directory") and forwards chain
               events to terminals that subscribe.

A restarted node resumes from its data directory: the same enclave key
(hence the same chain address) and every instance it had in flight.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadNodeConfig(&f, cmd.Flags(), os.Getenv)
			if err != nil {
				return usageError("%v", err)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runNode(ctx, cfg, cmd.OutOrStdout(), logger())
		},
	}
	f.register(cmd.Flags())
	rootCmd.AddCommand(cmd)
}

// nodeInfo is what a node prints once it is up.
type nodeInfo struct {
	Role         string          `json:"role"`
	Name         string          `json:"name"`
	Address      string          `json:"address"` // remoting host:port
	Actor        string          `json:"actor"`   // the main actor's id
	PID          pidJSON         `json:"pid"`     // Address + Actor: what clients dial
	ChainAddress string          `json:"chain_address,omitempty"`
	Enclave      string          `json:"enclave,omitempty"`
	DataDir      string          `json:"data_dir"`
	Credential   string          `json:"credential_file,omitempty"` // the control credential's file
	Chains       []nodeChainInfo `json:"chains"`
	Restored     bool            `json:"restored"` // the key came from the data directory
	Metrics      string          `json:"metrics,omitempty"`
}

type pidJSON struct {
	Address string `json:"address"`
	ID      string `json:"id"`
}

type nodeChainInfo struct {
	ID       uint64 `json:"id"`
	Contract string `json:"contract"`
	RPC      string `json:"rpc"`
}

// node is a running teeswap node.
type node struct {
	cfg    nodeConfig
	log    *slog.Logger
	sys    *actor.ActorSystem
	remote *remote.Remote
	chains []actors.Deployment
	info   nodeInfo
	// backend and key are the node's enclave (nil for a watcher on plain
	// text); cred its control credential.
	backend enclave.Backend
	key     enclave.Key
	cred    string
	pids    []*actor.PID   // spawned actors, stopped first on close
	cancel  []func()       // background goroutines, stopped before the actors
	closers []func() error // stores and chains, closed after the actors
}

func (n *node) onClose(f func() error) { n.closers = append(n.closers, f) }

// spawn starts a named actor the node stops on close.
func (n *node) spawn(props *actor.Props, name string) (*actor.PID, error) {
	pid, err := n.sys.Root.SpawnNamed(props, name)
	if err != nil {
		return nil, err
	}
	n.pids = append(n.pids, pid)
	return pid, nil
}

// close stops background work, then the actors (so nothing writes any
// more), then remoting, then releases stores and chains.
func (n *node) close() {
	for _, c := range n.cancel {
		c()
	}
	for i := len(n.pids) - 1; i >= 0; i-- {
		if err := n.sys.Root.StopFuture(n.pids[i]).Wait(); err != nil {
			n.log.Warn("stop actor", "actor", n.pids[i].Id, "err", err)
		}
	}
	if n.remote != nil {
		n.remote.Shutdown(false)
	}
	if n.sys != nil {
		n.sys.Shutdown()
	}
	for i := len(n.closers) - 1; i >= 0; i-- {
		if err := n.closers[i](); err != nil {
			n.log.Warn("shutdown", "err", err)
		}
	}
}

// runNode starts the node, prints its nodeInfo and runs until ctx ends.
func runNode(ctx context.Context, cfg nodeConfig, stdout io.Writer, log *slog.Logger) (err error) {
	n := &node{cfg: cfg, log: log.With("node", cfg.Name)}
	defer n.close()
	if err := n.start(ctx); err != nil {
		return err
	}
	if err := n.startStatus(); err != nil {
		return err
	}
	n.info.PID = pidJSON{Address: n.info.Address, ID: n.info.Actor}
	if flagJSON {
		b, _ := json.Marshal(n.info)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "teeswap %s %q listening on %s, actor %q", n.info.Role, n.info.Name, n.info.Address, n.info.Actor)
		if n.info.ChainAddress != "" {
			fmt.Fprintf(stdout, ", chain address %s", n.info.ChainAddress)
		}
		if n.info.Enclave != "" {
			fmt.Fprintf(stdout, ", %s enclave", n.info.Enclave)
		}
		fmt.Fprintln(stdout)
		for _, c := range n.info.Chains {
			fmt.Fprintf(stdout, "  chain %d: contract %s at %s\n", c.ID, c.Contract, c.RPC)
		}
		if n.info.Metrics != "" {
			fmt.Fprintf(stdout, "  metrics at %s\n", n.info.Metrics)
		}
	}
	<-ctx.Done()
	n.log.Info("stopping")
	return nil
}

func (n *node) start(ctx context.Context) error {
	cfg := n.cfg
	if err := os.MkdirAll(cfg.DataDir, dataDirFileMode); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	n.info = nodeInfo{Role: cfg.Role, Name: cfg.Name, DataDir: cfg.DataDir}
	if err := n.dialChains(ctx); err != nil {
		return err
	}
	var err error
	if n.cred, err = n.credential(); err != nil {
		return err
	}
	// A watcher needs an enclave key only to authenticate itself on TLS.
	if cfg.Role != roleWatcher || !cfg.InsecurePlaintextLoopback {
		if n.backend, n.key, err = n.openEnclave(); err != nil {
			return err
		}
	}
	n.sys = actors.NewSystem(quietRemote(n.log))
	host, port, _ := actors.SplitHostPort(cfg.Listen)
	accept := map[string][]string{roleCoordinator: actors.CoordinatorAccepts, roleTerminal: actors.TerminalAccepts, roleWatcher: actors.WatcherAccepts}[cfg.Role]
	rcfg := actors.RemoteConfig{Host: host, Port: port, AdvertisedHost: cfg.Advertise, Logger: n.log, Accept: accept}
	if cfg.InsecurePlaintextLoopback {
		rcfg.InsecurePlaintext = true
	} else {
		rcfg.TLS = &actors.TLSConfig{Backend: n.backend, Key: n.key, Verifier: n.verifier(), ClientCredentials: []string{n.cred}}
	}
	r, addr, err := actors.StartRemote(n.sys, rcfg)
	if err != nil {
		return err
	}
	n.remote = r
	n.info.Address = addr
	if err := n.serveMetrics(); err != nil {
		return err
	}
	switch cfg.Role {
	case roleCoordinator:
		return n.startCoordinator()
	case roleTerminal:
		return n.startTerminal(ctx)
	default:
		return n.startWatcherNode()
	}
}

// dialChains connects to every configured chain and checks its id.
func (n *node) dialChains(ctx context.Context) error {
	deps, info, err := dialChains(ctx, n.cfg.Chains, n.log, n.onClose)
	n.chains, n.info.Chains = deps, info
	return err
}

// dialChains connects to each chain and checks its id and contract code;
// onClose takes each connection's closer. 'teeswap node' and 'teeswap
// cluster member' both use it.
func dialChains(ctx context.Context, chains []chainConfig, log *slog.Logger, onClose func(func() error)) ([]actors.Deployment, []nodeChainInfo, error) {
	var (
		deps []actors.Deployment
		info []nodeChainInfo
		seen = map[uint64]bool{}
	)
	for _, c := range chains {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cl, err := evm.Dial(dctx, c.RPC, evm.Config{Logger: log})
		cancel()
		if err != nil {
			return deps, info, fmt.Errorf("cannot reach the chain node at %s: %w", c.RPC, err)
		}
		onClose(cl.Close)
		if c.ID != 0 && cl.ChainID() != c.ID {
			return deps, info, fmt.Errorf("the node at %s serves chain %d, the config says %d", c.RPC, cl.ChainID(), c.ID)
		}
		if seen[cl.ChainID()] {
			return deps, info, fmt.Errorf("chain %d is configured twice", cl.ChainID())
		}
		seen[cl.ChainID()] = true
		if c.Contract != "" {
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := checkContractCode(cctx, cl.Backend(), cl.ChainID(), common.HexToAddress(c.Contract))
			cancel()
			if err != nil {
				return deps, info, err
			}
		}
		deps = append(deps, actors.Deployment{Chain: cl, Contract: common.HexToAddress(c.Contract)})
		info = append(info, nodeChainInfo{ID: cl.ChainID(), Contract: common.HexToAddress(c.Contract).Hex(), RPC: c.RPC})
	}
	return deps, info, nil
}

// errNoContractCode: the configured contract address holds no code, so a
// deposit sent there would be lost (issue 11).
var errNoContractCode = errors.New("no contract code at the configured address")

// checkContractCode refuses a contract address with no code on the chain.
func checkContractCode(ctx context.Context, b interface {
	CodeAt(ctx context.Context, a common.Address, block *big.Int) ([]byte, error)
}, chainID uint64, contract common.Address) error {
	code, err := b.CodeAt(ctx, contract, nil)
	if err != nil {
		return fmt.Errorf("read the contract's code at %s on chain %d: %w", contract, chainID, err)
	}
	if len(code) == 0 {
		return fmt.Errorf("%w: %s on chain %d (wrong address, or not deployed on this chain?)", errNoContractCode, contract, chainID)
	}
	return nil
}

// openEnclave opens the backend and the node's key: sealed in the data
// directory, or created and sealed there on first start.
func (n *node) openEnclave() (enclave.Backend, enclave.Key, error) {
	backend, err := openBackend(n.cfg.Enclave, n.cfg.AllowSimulation, filepath.Join(n.cfg.DataDir, fileSimSealKey), n.cfg.Role, n.log)
	if err != nil {
		return nil, nil, err
	}
	key, restored, err := loadOrCreateKey(backend, filepath.Join(n.cfg.DataDir, fileSealedKey))
	if err != nil {
		return nil, nil, err
	}
	n.info.Enclave = backend.Kind().String()
	n.info.ChainAddress = key.Address().Hex()
	n.info.Restored = restored
	return backend, key, nil
}

// openBackend opens the enclave backend the setting names (auto, sgx or
// simulation). A simulation needs allowSimulation, and keeps its sealing
// key in the plain file simSealKeyPath; what names the process in the
// refusal. 'teeswap node' and 'teeswap cluster member' both use it.
func openBackend(setting string, allowSimulation bool, simSealKeyPath, what string, log *slog.Logger) (enclave.Backend, error) {
	kind := enclave.KindSimulation
	switch setting {
	case enclave.BackendSGX:
		kind = enclave.KindSGX
	case enclave.BackendAuto:
		kind = enclave.Detect()
	}
	opts := enclave.Options{Backend: setting, Logger: log}
	if kind == enclave.KindSimulation {
		if !allowSimulation {
			return nil, usageError("no SGX here, so the %s would run in a SIMULATION enclave that protects nothing; "+
				"allow it with allow_simulation: true, TEESWAP_ALLOW_SIMULATION=1 or --allow-simulation", what)
		}
		if simSealKeyPath == "" {
			return nil, usageError("the %s runs a SIMULATION enclave and needs a file for its sealing key (--sim-seal-key-file)", what)
		}
		// The simulation's sealing key is a plain file: sealed state
		// survives restarts, and protects nothing (see enclave/sim).
		sk, err := sim.SealKeyFile(simSealKeyPath)
		if err != nil {
			return nil, fmt.Errorf("simulation sealing key: %w", err)
		}
		opts.SimulationSealKey = sk
	}
	backend, err := enclave.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("enclave: %w", err)
	}
	return backend, nil
}

// credential reads the node's control credential, making it on first
// start.
func (n *node) credential() (string, error) {
	path := filepath.Join(n.cfg.DataDir, fileCredential)
	cred, created, err := actors.LoadOrCreateCredential(path)
	if err != nil {
		return "", err
	}
	if created {
		n.log.Info("made the control credential; clients on this machine use it with --data-dir or --credential", "file", path)
	}
	n.info.Credential = path
	return cred, nil
}

// loadOrCreateKey unseals the key at path, or makes a new one and seals
// it there (atomically: a crash leaves no half-written key).
func loadOrCreateKey(b enclave.Backend, path string) (enclave.Key, bool, error) {
	sealed, err := os.ReadFile(path)
	if err == nil {
		k, err := b.LoadKey(sealed)
		if err != nil {
			return nil, false, fmt.Errorf("the sealed key %s cannot be opened by this enclave (another machine, enclave or sealing key?): %w", path, err)
		}
		return k, true, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	k, err := b.NewKey()
	if err != nil {
		return nil, false, fmt.Errorf("new enclave key: %w", err)
	}
	if sealed, err = k.Sealed(); err != nil {
		return nil, false, fmt.Errorf("seal key: %w", err)
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, sealed, 0o600); err != nil {
		return nil, false, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, false, err
	}
	return k, false, nil
}

// openStore opens the sealed write-ahead store.
// A node whose sealed key already existed refuses a missing or empty store:
// starting afresh would forget what it decided and signed (issue 11).
func (n *node) openStore(b enclave.Backend) (actors.Store, error) {
	path := filepath.Join(n.cfg.DataDir, fileState)
	if n.info.Restored {
		if err := actors.CheckStoreFile(path); err != nil {
			return nil, fmt.Errorf("%w; restore it from a backup no older than its high-water mark, or start a new node with a new data directory", err)
		}
	}
	st, err := actors.OpenBolt(path, b, false)
	if err != nil {
		return nil, err
	}
	n.onClose(st.Close)
	return st, nil
}

// openDirectory opens the node's channel directory with its router.
func (n *node) openDirectory() (*directory.Router, error) {
	bs, err := directory.OpenBolt(filepath.Join(n.cfg.DataDir, fileDirectory))
	if err != nil {
		return nil, err
	}
	router, err := directory.NewRouter(bs)
	if err != nil {
		bs.Close()
		return nil, err
	}
	n.onClose(router.Close)
	return router, nil
}

// spawnWatchers starts one watcher actor per chain into store.
func (n *node) spawnWatchers(store directory.Store, peers actors.PeerResolver) error {
	return spawnWatchers(n.spawn, n.chains, n.cfg.Chains, time.Duration(n.cfg.PollInterval), store, peers, n.log)
}

// spawnWatchers starts one watcher actor per chain (deps[i] configured by
// chains[i]) into store, through spawn. 'teeswap node' and 'teeswap
// cluster member' both use it.
func spawnWatchers(spawn func(*actor.Props, string) (*actor.PID, error), deps []actors.Deployment, chains []chainConfig,
	poll time.Duration, store directory.Store, peers actors.PeerResolver, log *slog.Logger) error {
	for i, d := range deps {
		props, err := actors.NewWatcher(actors.WatcherConfig{
			Source: d.Chain, Store: store, ChainID: d.Chain.ChainID(), Contract: d.Contract,
			StartBlock: chains[i].StartBlock, Depth: chains[i].FinalityDepth,
			Interval: poll, Peers: peers, Logger: log,
		})
		if err != nil {
			return err
		}
		if _, err := spawn(props, watcherActor(d.Chain.ChainID())); err != nil {
			return err
		}
	}
	return nil
}

// verifier checks peers' attestation reports under the node's policy.
func (n *node) verifier() *enclave.Verifier {
	return enclave.NewVerifier(enclave.Policy{AllowSimulation: n.cfg.AllowSimulation})
}

func (n *node) startCoordinator() error {
	backend, key := n.backend, n.key
	store, err := n.openStore(backend)
	if err != nil {
		return err
	}
	router, err := n.openDirectory()
	if err != nil {
		return err
	}
	report, err := enclave.ReportFor(backend, key)
	if err != nil {
		return err
	}
	routes := actors.DirectoryRoutes{Router: router}
	props, err := actors.NewCoordinator(actors.CoordinatorConfig{
		Signer: key, Store: store, Routes: routes, ReportKind: report.Kind.String(), Report: actors.FrameReport(report),
		VerifyReport:     actors.ReportVerifier(n.verifier()),
		ClientCredential: n.cred,
		RetryInterval:    time.Duration(n.cfg.RetryInterval), Logger: n.log,
		DefaultTimeout: time.Duration(n.cfg.RefundDeadline),
	})
	if err != nil {
		return err
	}
	if _, err := n.spawn(props, actorCoordinator); err != nil {
		return err
	}
	n.info.Actor = actorCoordinator
	if _, err := n.spawn(actor.PropsFromProducer(func() actor.Actor { return &actors.DirectoryActor{Routes: routes} }), actorDirectory); err != nil {
		return err
	}
	// The watchers keep the directory current; the terminals follow their
	// chains themselves, so the coordinator forwards nothing.
	return n.spawnWatchers(router, nil)
}

func (n *node) startWatcherNode() error {
	router, err := n.openDirectory()
	if err != nil {
		return err
	}
	if _, err := n.spawn(actor.PropsFromProducer(func() actor.Actor {
		return &actors.DirectoryActor{Routes: actors.DirectoryRoutes{Router: router}}
	}), actorDirectory); err != nil {
		return err
	}
	n.info.Actor = actorDirectory
	return n.spawnWatchers(router, nil)
}

func (n *node) startTerminal(ctx context.Context) error {
	backend, key := n.backend, n.key
	store, err := n.openStore(backend)
	if err != nil {
		return err
	}
	ops, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: n.chains})
	if err != nil {
		return err
	}
	peers := newRemotePeers(n.sys, n.log)
	for _, p := range n.cfg.Peers {
		addr, hostPort, _ := parsePeer(p)
		peers.add(addr, hostPort)
	}
	report, err := enclave.ReportFor(backend, key)
	if err != nil {
		return err
	}
	props, err := actors.NewTerminal(actors.TerminalConfig{
		Signer: key, Store: store, Report: actors.FrameReport(report),
		VerifyReport:       actors.ReportVerifier(n.verifier()),
		Coordinator:        actor.NewPID(n.cfg.Coordinator, actorCoordinator),
		TrustedCoordinator: common.HexToAddress(n.cfg.TrustedCoordinator), Watchers: n.cfg.Watchers, Credential: n.cred,
		RetryInterval: time.Duration(n.cfg.RetryInterval), Chain: ops, Peers: peers, Logger: n.log,
	})
	if err != nil {
		return err
	}
	pid, err := n.spawn(props, actorTerminal)
	if err != nil {
		return err
	}
	n.info.Actor = actorTerminal
	// The terminal follows its chains itself. The watchers' directory is
	// in memory: after a restart they replay the contract's events from
	// its start block and the enclave ignores what it already applied, so
	// no event can be lost between a cursor write and the terminal.
	if err := n.spawnWatchers(directory.NewMemStore(), selfPeer{addr: key.Address(), pid: pid}); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	n.cancel = append(n.cancel, func() { cancel(); wg.Wait() })
	wg.Add(1)
	go func() { defer wg.Done(); peers.learn(wctx) }()
	if len(n.cfg.Watchers) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); n.subscribe(wctx, key.Address(), pid) }()
	}
	return nil
}

// subscribe keeps this terminal subscribed at remote watcher nodes (a
// restarted watcher forgets its subscribers, so it is repeated).
func (n *node) subscribe(ctx context.Context, self common.Address, pid *actor.PID) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		for _, w := range n.cfg.Watchers {
			for _, d := range n.chains {
				n.sys.Root.Send(actor.NewPID(w, watcherActor(d.Chain.ChainID())), &messages.Subscribe{Address: self.Bytes(), Peer: &messages.Peer{Address: pid.Address, Id: pid.Id}})
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// selfPeer resolves only the node's own terminal (its watchers tell no
// one else).
type selfPeer struct {
	addr common.Address
	pid  *actor.PID
}

func (s selfPeer) Peer(a common.Address) *actor.PID {
	if a == s.addr {
		return s.pid
	}
	return nil
}

// remotePeers resolves other terminals' actors by chain address, for
// cooperative closes. Peers given as host:port are asked for their
// address (ChannelListRequest) until they answer.
type remotePeers struct {
	sys *actor.ActorSystem
	log *slog.Logger

	mu      sync.RWMutex
	known   map[common.Address]*actor.PID
	pending []string
}

func newRemotePeers(sys *actor.ActorSystem, log *slog.Logger) *remotePeers {
	return &remotePeers{sys: sys, log: log, known: map[common.Address]*actor.PID{}}
}

func (p *remotePeers) add(addr common.Address, hostPort string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if addr != (common.Address{}) {
		p.known[addr] = actor.NewPID(hostPort, actorTerminal)
		return
	}
	p.pending = append(p.pending, hostPort)
}

// Peer implements actors.PeerResolver.
func (p *remotePeers) Peer(a common.Address) *actor.PID {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.known[a]
}

// learn asks pending peers for their chain address until all answered.
func (p *remotePeers) learn(ctx context.Context) {
	for {
		p.mu.RLock()
		pending := append([]string(nil), p.pending...)
		p.mu.RUnlock()
		if len(pending) == 0 {
			return
		}
		var still []string
		for _, hp := range pending {
			pid := actor.NewPID(hp, actorTerminal)
			res, err := p.sys.Root.RequestFuture(pid, &messages.ChannelListRequest{}, 2*time.Second).Result()
			list, ok := res.(*messages.ChannelList)
			if err != nil || !ok || len(list.Terminal) != common.AddressLength {
				p.log.Info("peer terminal not answering yet", "at", hp, "err", err)
				still = append(still, hp)
				continue
			}
			addr := common.BytesToAddress(list.Terminal)
			p.log.Info("peer terminal", "address", addr, "at", hp)
			p.mu.Lock()
			p.known[addr] = pid
			p.mu.Unlock()
		}
		p.mu.Lock()
		p.pending = still
		p.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// quietRemote lowers protoactor's remoting chatter about peers coming
// and going (every client command that exits, every restarted terminal)
// from error to info: actors retry on their own, and an operator sees
// these with --log-level info.
func quietRemote(l *slog.Logger) *slog.Logger { return slog.New(remoteNoise{l.Handler()}) }

type remoteNoise struct{ inner slog.Handler }

func (h remoteNoise) Enabled(ctx context.Context, lv slog.Level) bool {
	// Let warnings and errors through to Handle, which may lower them.
	return lv >= slog.LevelWarn || h.inner.Enabled(ctx, lv)
}

func (h remoteNoise) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && (strings.HasPrefix(r.Message, "EndpointWriter") || strings.HasPrefix(r.Message, "EndpointReader") ||
		strings.HasPrefix(r.Message, "EndpointWatcher")) {
		r.Level = slog.LevelInfo
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h remoteNoise) WithAttrs(a []slog.Attr) slog.Handler { return remoteNoise{h.inner.WithAttrs(a)} }
func (h remoteNoise) WithGroup(n string) slog.Handler      { return remoteNoise{h.inner.WithGroup(n)} }
