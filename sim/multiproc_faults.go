package sim

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/enclave"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// The processes of `sim --faults --mode multiproc` (issue 11): the
// coordinator runs in a child process of its own, like the terminals, so
// that both can be SIGKILLed; every child keeps its sealed key and its
// bbolt store in a data directory of its own and is restarted on it, on
// the same port. Children talk to the sim over pipes: after a hello line
// they print events (outcomes applied, transfers decided, fault counts)
// as JSON lines, and they read commands ("partition", "heal",
// "channels") from stdin; stdin closing means the sim went away.

// Files in a sim child's data directory.
const (
	simSealKeyFile  = "sim-seal.key"
	simKeyFile      = "key.sealed"
	simStateFile    = "state.db"
	simChannelsFile = "channels.json"
	simPeersFile    = "peers.json"
)

// filePeers resolves terminals' actors from a file the sim writes
// (peers.json: chain address to host:port and actor id), for cooperative
// closes across processes.
type filePeers struct {
	path string
	mu   sync.Mutex
	m    map[common.Address]*actor.PID
}

func (p *filePeers) load() error {
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var raw map[string][2]string
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("sim: %s: %w", p.path, err)
	}
	m := make(map[common.Address]*actor.PID, len(raw))
	for a, pid := range raw {
		m[common.HexToAddress(a)] = actor.NewPID(pid[0], pid[1])
	}
	p.mu.Lock()
	p.m = m
	p.mu.Unlock()
	return nil
}

// Peer implements actors.PeerResolver.
func (p *filePeers) Peer(addr common.Address) *actor.PID {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[addr]
}

// writePeers writes the terminals' actors where filePeers reads them.
func writePeers(path string, pids map[common.Address]*actor.PID) error {
	raw := make(map[string][2]string, len(pids))
	for a, pid := range pids {
		raw[a.Hex()] = [2]string{pid.Address, pid.Id}
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// dialChains connects a terminal process to the sim's chains
// ("RPC-URL=contract" each).
func dialChains(ctx context.Context, specs []string) ([]actors.Deployment, func(), error) {
	var deps []actors.Deployment
	closeAll := func() {
		for _, d := range deps {
			_ = d.Chain.Close()
		}
	}
	for _, spec := range specs {
		url, contract, ok := strings.Cut(spec, "=")
		if !ok || !common.IsHexAddress(contract) {
			closeAll()
			return nil, nil, fmt.Errorf("sim: chain %q: want RPC-URL=contract", spec)
		}
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		c, err := evm.Dial(dctx, url, evm.Config{Logger: slog.New(slog.DiscardHandler)})
		cancel()
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		deps = append(deps, actors.Deployment{Chain: c, Contract: common.HexToAddress(contract)})
	}
	return deps, closeAll, nil
}

// procEvent is one line a child prints after its hello.
type procEvent struct {
	Outcome  *outcomeLine        `json:"outcome,omitempty"`
	Transfer *transferLine       `json:"transfer,omitempty"`
	Faults   *actors.FaultCounts `json:"faults,omitempty"`
	// ChannelsLoaded: the coordinator loaded its channel list (the
	// "channels" command), so requests can be routed.
	ChannelsLoaded int `json:"channels_loaded,omitempty"`
}

// outcomeLine: a terminal applied and persisted an instance's outcome.
type outcomeLine struct {
	Terminal string `json:"terminal"`
	Instance string `json:"instance"`
	Network  uint32 `json:"network"`
	Phase    int32  `json:"phase"`
}

// transferLine: the coordinator decided a network COMMITTED (Replay: a
// restarted coordinator reports it again).
type transferLine struct {
	Network []byte `json:"network"` // protobuf messages.Network
	Replay  bool   `json:"replay,omitempty"`
}

// eventWriter prints a child's events, one JSON line each.
type eventWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (e *eventWriter) emit(ev procEvent) {
	e.mu.Lock()
	defer e.mu.Unlock()
	_ = e.enc.Encode(ev)
}

// childBackend opens the simulation backend of a child's data directory:
// the same sealing key at every start, so its sealed key and store open.
func childBackend(dir string) (enclave.Backend, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	sk, err := simenclave.SealKeyFile(filepath.Join(dir, simSealKeyFile))
	if err != nil {
		return nil, err
	}
	return simenclave.New(simenclave.Options{SealKey: sk, Logger: slog.New(slog.DiscardHandler)})
}

// childKeyAndStore opens (or makes, on first start) the sealed key and the
// bbolt store in dir. A key that existed with a missing or emptied store
// is refused, as a node refuses it. The store is not fsynced: the sim
// kills processes, not machines, and the page cache survives a SIGKILL.
func childKeyAndStore(backend enclave.Backend, dir string) (enclave.Key, *actors.BoltStore, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, err
	}
	keyPath, statePath := filepath.Join(dir, simKeyFile), filepath.Join(dir, simStateFile)
	var key enclave.Key
	sealed, err := os.ReadFile(keyPath)
	switch {
	case err == nil:
		if key, err = backend.LoadKey(sealed); err != nil {
			return nil, nil, fmt.Errorf("sim: sealed key %s: %w", keyPath, err)
		}
		if err := actors.CheckStoreFile(statePath); err != nil {
			return nil, nil, err
		}
	case errors.Is(err, fs.ErrNotExist):
		if key, err = backend.NewKey(); err != nil {
			return nil, nil, err
		}
		if sealed, err = key.Sealed(); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(keyPath+".tmp", sealed, 0o600); err != nil {
			return nil, nil, err
		}
		if err := os.Rename(keyPath+".tmp", keyPath); err != nil {
			return nil, nil, err
		}
	default:
		return nil, nil, err
	}
	st, err := actors.OpenBolt(statePath, backend, true)
	if err != nil {
		return nil, nil, err
	}
	return key, st, nil
}

// childInjector faults what a child's actors receive: envelopes dropped,
// duplicated and delayed at rate, and partitions on command. Each start
// (incarnation) of each child draws from a seed of its own.
func childInjector(seed int64, name string, incarnation int, rate float64, maxDelay time.Duration) *actors.FaultInjector {
	h := uint64(seed)*0x9e3779b97f4a7c15 + uint64(incarnation)
	for _, c := range name {
		h = h*31 + uint64(c)
	}
	f := actors.NewFaultInjector(h)
	f.Drop, f.Duplicate, f.Delay, f.MaxDelay = rate, rate, rate, maxDelay
	return f
}

// serveControl reads commands from in until it closes or ctx ends, and
// reports the injector's counts every second. Commands other than
// partition and heal go to their handler.
func serveControl(ctx context.Context, in io.Reader, inj *actors.FaultInjector, ev *eventWriter, handlers map[string]func()) {
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	report := func() {
		if inj != nil && ev != nil {
			c := inj.Counts()
			ev.emit(procEvent{Faults: &c})
		}
	}
	defer report()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			report()
		case line, ok := <-lines:
			if !ok {
				return
			}
			cmd, arg, _ := strings.Cut(strings.TrimSpace(line), " ")
			switch cmd {
			case "partition":
				var side []common.Address
				for _, a := range strings.Split(arg, ",") {
					if common.IsHexAddress(a) {
						side = append(side, common.HexToAddress(a))
					}
				}
				if inj != nil {
					inj.Partition(side)
				}
			case "heal":
				if inj != nil {
					inj.Heal()
				}
			default:
				if h := handlers[cmd]; h != nil {
					h()
				}
			}
		}
	}
}

// CoordinatorProcConfig configures the coordinator process of a multiproc
// fault run (`teeswap sim coordinator`).
type CoordinatorProcConfig struct {
	DataDir       string
	Port          int
	RetryInterval time.Duration
	FaultRate     float64
	Seed          int64
	Incarnation   int // how many times the sim started it before
	// InsecurePlaintext runs remoting without TLS (loopback only).
	InsecurePlaintext bool
}

// coordinatorHello is the line the coordinator process prints once up.
type coordinatorHello struct {
	Address     string `json:"address"`
	Coordinator string `json:"coordinator"` // its chain address
}

// simChannel is a channel as the sim announces it to the coordinator
// process (channels.json in its data directory).
type simChannel struct {
	Chain    uint64 `json:"chain"`
	Contract string `json:"contract"`
	ID       string `json:"id"`
	A        string `json:"a"`
	B        string `json:"b"`
	BalanceA string `json:"balance_a"`
	BalanceB string `json:"balance_b"`
}

// emitRoutes is the coordinator process's route finder: it prints every
// decided transfer for the sim's ledger.
type emitRoutes struct {
	actors.DirectoryRoutes
	ev *eventWriter
}

func (r emitRoutes) Transferred(n *messages.Network) {
	r.DirectoryRoutes.Transferred(n)
	r.emit(n, false)
}

func (r emitRoutes) Replayed(n *messages.Network) { r.emit(n, true) }

func (r emitRoutes) emit(n *messages.Network, replay bool) {
	b, err := proto.Marshal(n)
	if err != nil {
		return
	}
	r.ev.emit(procEvent{Transfer: &transferLine{Network: b, Replay: replay}})
}

// loadChannels puts the channels of path into router (a missing file is
// no channel yet).
func loadChannels(router *directory.Router, path string, coordinator common.Address) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var chans []simChannel
	if err := json.Unmarshal(b, &chans); err != nil {
		return fmt.Errorf("sim: %s: %w", path, err)
	}
	for _, c := range chans {
		id, err := hex.DecodeString(c.ID)
		if err != nil || len(id) != 32 {
			return fmt.Errorf("sim: %s: channel id %q", path, c.ID)
		}
		a, _ := new(big.Int).SetString(c.BalanceA, 10)
		bb, _ := new(big.Int).SetString(c.BalanceB, 10)
		if a == nil || bb == nil {
			return fmt.Errorf("sim: %s: balances of channel %s", path, c.ID)
		}
		if err := router.Put(directory.Channel{ChainID: c.Chain, Contract: common.HexToAddress(c.Contract), ID: directory.ChannelID(id),
			A: common.HexToAddress(c.A), B: common.HexToAddress(c.B), BalanceA: a, BalanceB: bb, Status: directory.StatusOpen,
			Coordinator: coordinator}); err != nil {
			return err
		}
	}
	return nil
}

// ServeCoordinator runs the coordinator of a multiproc fault run in this
// process, from its data directory (a restart resumes from its sealed key
// and store), on a fixed port so that terminals reach it again after a
// restart. It prints a coordinatorHello line, then events, until ctx ends
// or stdin closes.
func ServeCoordinator(ctx context.Context, cfg CoordinatorProcConfig, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	backend, err := childBackend(cfg.DataDir)
	if err != nil {
		return err
	}
	key, store, err := childKeyAndStore(backend, cfg.DataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		return err
	}
	chanPath := filepath.Join(cfg.DataDir, simChannelsFile)
	if err := loadChannels(router, chanPath, key.Address()); err != nil {
		return err
	}
	rcfg, err := remoteConfig(backend, cfg.InsecurePlaintext, log)
	if err != nil {
		return err
	}
	rcfg.Port = cfg.Port
	sys := actors.NewSystem(log)
	if _, _, err := actors.StartRemote(sys, rcfg); err != nil {
		return err
	}
	defer sys.Shutdown()
	report, err := enclave.ReportFor(backend, key)
	if err != nil {
		return err
	}
	ev := &eventWriter{enc: json.NewEncoder(out)}
	props, err := actors.NewCoordinator(actors.CoordinatorConfig{Signer: key, Store: store,
		Routes:     emitRoutes{actors.DirectoryRoutes{Router: router}, ev},
		ReportKind: report.Kind.String(), Report: actors.FrameReport(report),
		VerifyReport:  actors.ReportVerifier(enclave.NewVerifier(enclave.Policy{AllowSimulation: true})),
		RetryInterval: cfg.RetryInterval, Linger: 2 * cfg.RetryInterval, ForgetDecided: true, Logger: log})
	if err != nil {
		return err
	}
	inj := childInjector(cfg.Seed, "coordinator", cfg.Incarnation, cfg.FaultRate, 2*cfg.RetryInterval)
	props = props.Configure(actor.WithReceiverMiddleware(inj.MiddlewareAt("coordinator", key.Address())))
	if _, err := sys.Root.SpawnNamed(props, "coordinator"); err != nil {
		return err
	}
	ev.mu.Lock()
	err = ev.enc.Encode(coordinatorHello{Address: sys.Address(), Coordinator: key.Address().Hex()})
	ev.mu.Unlock()
	if err != nil {
		return err
	}
	serveControl(ctx, in, inj, ev, map[string]func(){"channels": func() {
		if err := loadChannels(router, chanPath, key.Address()); err != nil {
			log.Error("load channels", "err", err)
			return
		}
		ev.emit(procEvent{ChannelsLoaded: 1})
	}})
	return nil
}

// freePort asks the kernel for a free loopback port (a child keeps it
// across restarts).
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
