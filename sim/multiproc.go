package sim

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// TerminalsConfig configures a terminal process of the multiproc mode.
type TerminalsConfig struct {
	Coordinator   string // host:port of the coordinator's actor system
	Count         int
	Name          string // prefix of the terminals' actor names
	RetryInterval time.Duration
	// InsecurePlaintext runs remoting without TLS (loopback only).
	InsecurePlaintext bool

	// Fault runs (multiproc_faults.go): DataDir keeps each terminal's
	// sealed key and bbolt store (subfolder t<i>), so a SIGKILLed process
	// restarts on them; Port is fixed across restarts; Watcher is the
	// address whose chain events the terminals take (default the
	// coordinator's); the terminals print every outcome they apply and
	// fault envelopes at FaultRate, partitions on command.
	DataDir     string
	Port        int
	Watcher     string
	FaultRate   float64
	Seed        int64
	Incarnation int
	// Chains ("RPC-URL=contract" each) give the terminals chain access
	// (the sim's chains over HTTP); their counterparties' actors are
	// read from peers.json in DataDir (the "peers" command reloads it).
	Chains []string
}

// remoteConfig is the loopback remoting of a multiproc sim process: TLS
// bound to a simulation enclave key of its own, unless plaintext.
func remoteConfig(backend enclave.Backend, plaintext bool, log *slog.Logger) (actors.RemoteConfig, error) {
	cfg := actors.RemoteConfig{Host: "127.0.0.1", Logger: log, InsecurePlaintext: plaintext}
	if plaintext {
		return cfg, nil
	}
	key, err := backend.NewKey()
	if err != nil {
		return cfg, err
	}
	cfg.TLS = &actors.TLSConfig{Backend: backend, Key: key, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true})}
	return cfg, nil
}

// terminalsHello is the one JSON line a terminal process prints once its
// terminals run.
type terminalsHello struct {
	Address   string   `json:"address"`
	Terminals []string `json:"terminals"` // chain address per terminal
	IDs       []string `json:"ids"`       // actor id per terminal
}

// ServeTerminals runs cfg.Count terminals in this process, reachable over
// loopback remoting, registered with the coordinator at cfg.Coordinator.
// It prints one JSON line describing them to out, then serves until ctx
// ends or stdin closes (the parent sim went away).
func ServeTerminals(ctx context.Context, cfg TerminalsConfig, in io.Reader, out io.Writer, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var backend enclave.Backend
	var err error
	if cfg.DataDir != "" {
		backend, err = childBackend(cfg.DataDir)
	} else {
		backend, err = simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler)})
	}
	if err != nil {
		return err
	}
	rcfg, err := remoteConfig(backend, cfg.InsecurePlaintext, log)
	if err != nil {
		return err
	}
	rcfg.Port = cfg.Port
	watcher := cfg.Coordinator
	if cfg.Watcher != "" {
		watcher = cfg.Watcher
	}
	var (
		inj *actors.FaultInjector
		ev  *eventWriter
	)
	if cfg.DataDir != "" {
		// One injector for the process: a partition command reaches all.
		inj = childInjector(cfg.Seed, cfg.Name, cfg.Incarnation, cfg.FaultRate, 2*cfg.RetryInterval)
		ev = &eventWriter{enc: json.NewEncoder(out)}
	}
	sys := actors.NewSystem(log)
	if _, _, err := actors.StartRemote(sys, rcfg); err != nil {
		return err
	}
	defer sys.Shutdown()
	var deps []actors.Deployment
	peers := &filePeers{path: filepath.Join(cfg.DataDir, simPeersFile)}
	if len(cfg.Chains) > 0 {
		var closeChains func()
		if deps, closeChains, err = dialChains(ctx, cfg.Chains); err != nil {
			return err
		}
		defer closeChains()
		if err := peers.load(); err != nil {
			return err
		}
	}
	verify := actors.ReportVerifier(enclave.NewVerifier(enclave.Policy{AllowSimulation: true}))
	coord := actor.NewPID(cfg.Coordinator, "coordinator")
	hello := terminalsHello{Address: sys.Address()}
	for i := range cfg.Count {
		name := fmt.Sprintf("terminal-%s-%d", cfg.Name, i)
		var (
			key   enclave.Key
			store actors.Store = actors.NewMemStore()
		)
		if cfg.DataDir != "" {
			k, st, err := childKeyAndStore(backend, filepath.Join(cfg.DataDir, fmt.Sprint("t", i)))
			if err != nil {
				return err
			}
			defer st.Close()
			key, store = k, st
		} else if key, err = backend.NewKey(); err != nil {
			return err
		}
		report, err := enclave.ReportFor(backend, key)
		if err != nil {
			return err
		}
		tc := actors.TerminalConfig{Signer: key, Store: store, VerifyReport: verify,
			Coordinator: coord, Report: actors.FrameReport(report), RetryInterval: cfg.RetryInterval, Logger: log,
			// The sim's process announces the channels, as a watcher node would.
			Watchers: []string{watcher}}
		if len(deps) > 0 {
			ops, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps, Timeout: time.Minute})
			if err != nil {
				return err
			}
			tc.Chain, tc.Peers = ops, peers
		}
		if ev != nil {
			addr := key.Address().Hex()
			tc.OnOutcome = func(id [32]byte, net uint32, phase messages.TerminalPhase) {
				ev.emit(procEvent{Outcome: &outcomeLine{Terminal: addr, Instance: hex.EncodeToString(id[:]), Network: net, Phase: int32(phase)}})
			}
		}
		props, err := actors.NewTerminal(tc)
		if err != nil {
			return err
		}
		if inj != nil {
			props = props.Configure(actor.WithReceiverMiddleware(inj.MiddlewareAt(name, key.Address())))
		}
		pid, err := sys.Root.SpawnNamed(props, name)
		if err != nil {
			return err
		}
		hello.Terminals = append(hello.Terminals, key.Address().Hex())
		hello.IDs = append(hello.IDs, pid.Id)
	}
	if ev != nil {
		ev.mu.Lock()
		err := ev.enc.Encode(hello)
		ev.mu.Unlock()
		if err != nil {
			return err
		}
		serveControl(ctx, in, inj, ev, map[string]func(){"peers": func() {
			if err := peers.load(); err != nil {
				log.Error("load peers", "err", err)
			}
		}})
		return nil
	}
	if err := json.NewEncoder(out).Encode(hello); err != nil {
		return err
	}
	closed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, in)
		close(closed)
	}()
	select {
	case <-ctx.Done():
	case <-closed:
	}
	return nil
}

// newMultiProcessWorld runs the coordinator, the directory and the load
// here and the terminals in cfg.Processes child processes (`teeswap sim
// terminals`), all over loopback remoting.
func newMultiProcessWorld(ctx context.Context, cfg Config, log *slog.Logger) (*world, error) {
	if cfg.Binary == "" {
		var err error
		if cfg.Binary, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	w := &world{cfg: cfg, log: log, remote: true, applied: &appliedLog{m: map[[32]byte]*applied{}}}
	var stopping atomic.Bool
	quiet := slog.New(muteHandler{log.Handler(), &stopping})
	// The backend counts every signature its keys make, for the report.
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler), Signatures: &w.signs})
	if err != nil {
		return nil, err
	}
	rcfg, err := remoteConfig(backend, cfg.InsecurePlaintext, quiet)
	if err != nil {
		return nil, err
	}
	sys := actors.NewSystem(quiet)
	rem, _, err := actors.StartRemote(sys, rcfg)
	if err != nil {
		return nil, err
	}
	var children []*exec.Cmd
	var stdins []io.Closer
	w.shutdown = func() {
		// Connections close now: that is no news.
		stopping.Store(true)
		rem.Shutdown(true)
		for _, s := range stdins {
			_ = s.Close()
		}
		for _, c := range children {
			done := make(chan struct{})
			go func() { _ = c.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = c.Process.Kill()
				<-done
			}
		}
		sys.Shutdown()
	}
	fail := func(err error) (*world, error) {
		w.shutdown()
		return nil, err
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		return fail(err)
	}
	w.router = router
	w.routes = &ledgerRoutes{DirectoryRoutes: actors.DirectoryRoutes{Router: router}, transfers: map[[32]byte][]transfer{}, seen: map[versionKey]bool{}}
	local, err := actors.NewLocal(actors.LocalConfig{System: sys,
		Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: w.routes, RetryInterval: cfg.RetryInterval, Linger: 2 * cfg.RetryInterval, ForgetDecided: true, Logger: log})
	if err != nil {
		return fail(err)
	}
	w.system, w.coord, w.coordKey = sys, local.Coordinator, local.CoordKey.Address()

	total := cfg.Chains * cfg.Terminals
	pids := map[common.Address]*actor.PID{}
	var order []common.Address
	for p := range cfg.Processes {
		count := total/cfg.Processes + btoi(p < total%cfg.Processes)
		if count == 0 {
			continue
		}
		cmd := exec.CommandContext(ctx, cfg.Binary, "sim", "terminals", "--coordinator", sys.Address(),
			"--count", strconv.Itoa(count), "--name", fmt.Sprint("p", p), "--retry", cfg.RetryInterval.String(),
			fmt.Sprint("--insecure-plaintext-loopback=", cfg.InsecurePlaintext))
		var errBuf strings.Builder
		cmd.Stderr = &limitedWriter{w: &errBuf, n: 4096}
		stdin, err := cmd.StdinPipe()
		if err != nil {
			return fail(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			return fail(err)
		}
		if err := cmd.Start(); err != nil {
			return fail(fmt.Errorf("sim: start terminal process: %w", err))
		}
		children, stdins = append(children, cmd), append(stdins, stdin)
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err != nil {
			_ = cmd.Wait()
			return fail(fmt.Errorf("sim: terminal process %d: %w: %s", p, err, errBuf.String()))
		}
		var hello terminalsHello
		if err := json.Unmarshal([]byte(line), &hello); err != nil {
			return fail(fmt.Errorf("sim: terminal process %d said %q: %w", p, strings.TrimSpace(line), err))
		}
		for i, t := range hello.Terminals {
			addr := common.HexToAddress(t)
			pids[addr] = actor.NewPID(hello.Address, hello.IDs[i])
			order = append(order, addr)
		}
	}
	// Chain c's terminals are spread over the processes round robin, so
	// every instance crosses processes.
	w.addrs = spreadRoundRobin(order, cfg.Chains, cfg.Terminals)
	w.reachTerminals(sys, pids)
	childPIDs := make([]int, len(children))
	for i, c := range children {
		childPIDs[i] = c.Process.Pid
	}
	w.childUsage = func() usage { return procUsage(childPIDs) }
	if err := w.waitRegistered(order, time.Minute); err != nil {
		return fail(err)
	}
	if err := w.openChannels(); err != nil {
		return fail(err)
	}
	return w, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// procUsage sums the CPU time and peak RSS of processes from /proc.
func procUsage(pids []int) usage {
	var u usage
	for _, pid := range pids {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			// Fields after the command (which may hold spaces) in ")".
			s := string(b)
			if i := strings.LastIndexByte(s, ')'); i >= 0 {
				f := strings.Fields(s[i+1:])
				if len(f) > 13 {
					ut, _ := strconv.ParseInt(f[11], 10, 64)
					st, _ := strconv.ParseInt(f[12], 10, 64)
					u.cpu += time.Duration(ut+st) * (time.Second / 100) // USER_HZ
				}
			}
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, "VmHWM:") {
					if f := strings.Fields(line); len(f) >= 2 {
						kb, _ := strconv.ParseUint(f[1], 10, 64)
						u.rss += kb * 1024
					}
				}
			}
		}
	}
	return u
}

// limitedWriter keeps the first n bytes a child process writes to stderr
// (its start-up errors) and drops the rest (remoting noise at shutdown).
type limitedWriter struct {
	mu sync.Mutex
	w  io.Writer
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n > 0 {
		k := min(l.n, len(p))
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// muteHandler drops every record once mute is set (remoting's reports of
// closed connections while the sim shuts down).
type muteHandler struct {
	slog.Handler
	mute *atomic.Bool
}

func (h muteHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return !h.mute.Load() && h.Handler.Enabled(ctx, l)
}

func (h muteHandler) Handle(ctx context.Context, r slog.Record) error {
	if h.mute.Load() {
		return nil
	}
	return h.Handler.Handle(ctx, r)
}

func (h muteHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return muteHandler{h.Handler.WithAttrs(a), h.mute}
}

func (h muteHandler) WithGroup(n string) slog.Handler {
	return muteHandler{h.Handler.WithGroup(n), h.mute}
}

// reachTerminals points the world's tell, peer and channelsOf at terminal
// actors found by address in pids (read at each call, so a restarted
// terminal's new PID is used once pids has it).
func (w *world) reachTerminals(sys *actor.ActorSystem, pids map[common.Address]*actor.PID) {
	w.tell = func(addr common.Address, msg any) {
		if pid := pids[addr]; pid != nil {
			sys.Root.Send(pid, msg)
		}
	}
	w.peer = func(addr common.Address) *actor.PID { return pids[addr] }
	w.channelsOf = func(addr common.Address, timeout time.Duration) (*messages.ChannelList, error) {
		pid := pids[addr]
		if pid == nil {
			return nil, fmt.Errorf("no terminal %s", addr)
		}
		res, err := sys.Root.RequestFuture(pid, &messages.ChannelListRequest{}, timeout).Result()
		if err != nil {
			return nil, fmt.Errorf("terminal %s: %w", addr, err)
		}
		list, ok := res.(*messages.ChannelList)
		if !ok {
			return nil, fmt.Errorf("terminal %s answered %T", addr, res)
		}
		return list, nil
	}
}

// spreadRoundRobin gives each chain perChain terminals from order, round
// robin over the chains, so that terminals of one process serve every
// chain and every instance crosses processes.
func spreadRoundRobin(order []common.Address, chains, perChain int) [][]common.Address {
	addrs := make([][]common.Address, chains)
	for i := range perChain {
		for c := range chains {
			addrs[c] = append(addrs[c], order[(i*chains+c)%len(order)])
		}
	}
	return addrs
}
