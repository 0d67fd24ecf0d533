package sim

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// child is one restartable process of a multiproc fault run.
type child struct {
	name    string
	binary  string
	args    func(incarnation int) []string
	onEvent func(procEvent)

	mu          sync.Mutex
	cmd         *exec.Cmd
	stdin       io.WriteCloser
	exited      chan struct{}
	incarnation int
	counts      actors.FaultCounts // the running incarnation's last report
	past        actors.FaultCounts // the incarnations before it
}

// helloLine is a child's first line (or an event: then Address is empty).
type helloLine struct {
	Address     string   `json:"address"`
	Coordinator string   `json:"coordinator"`
	Terminals   []string `json:"terminals"`
	IDs         []string `json:"ids"`
	procEvent
}

// start runs the next incarnation and returns its hello.
func (c *child) start(ctx context.Context) (*helloLine, error) {
	c.mu.Lock()
	args := c.args(c.incarnation)
	c.incarnation++
	c.past = addCounts(c.past, c.counts)
	c.counts = actors.FaultCounts{}
	c.mu.Unlock()
	cmd := exec.CommandContext(ctx, c.binary, args...)
	var errBuf strings.Builder
	cmd.Stderr = &limitedWriter{w: &errBuf, n: 4096}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("sim: start %s: %w", c.name, err)
	}
	exited := make(chan struct{})
	hello := make(chan *helloLine, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		sent := false
		for sc.Scan() {
			var l helloLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			if l.Address != "" && !sent {
				sent = true
				hello <- &l
				continue
			}
			if l.Faults != nil {
				c.mu.Lock()
				c.counts = *l.Faults
				c.mu.Unlock()
			}
			if c.onEvent != nil {
				c.onEvent(l.procEvent)
			}
		}
		_ = cmd.Wait()
	}()
	c.mu.Lock()
	c.cmd, c.stdin, c.exited = cmd, stdin, exited
	c.mu.Unlock()
	select {
	case h := <-hello:
		return h, nil
	case <-exited:
		return nil, fmt.Errorf("sim: %s exited at start: %s", c.name, strings.TrimSpace(errBuf.String()))
	case <-time.After(2 * time.Minute):
		c.kill()
		return nil, fmt.Errorf("sim: %s said nothing for 2 minutes: %s", c.name, strings.TrimSpace(errBuf.String()))
	}
}

// kill SIGKILLs the running incarnation and waits until it is gone (its
// last events read).
func (c *child) kill() {
	c.mu.Lock()
	cmd, exited := c.cmd, c.exited
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// stop closes stdin (the child stops on its own), then kills it if it
// has not within 5 seconds.
func (c *child) stop() {
	c.mu.Lock()
	cmd, stdin, exited := c.cmd, c.stdin, c.exited
	c.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = stdin.Close()
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// send writes a command line to the child (lost if it is down).
func (c *child) send(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stdin != nil {
		_, _ = io.WriteString(c.stdin, line+"\n")
	}
}

func (c *child) pid() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}

func (c *child) faultCounts() actors.FaultCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return addCounts(c.past, c.counts)
}

func addCounts(a, b actors.FaultCounts) actors.FaultCounts {
	return actors.FaultCounts{Dropped: a.Dropped + b.Dropped, Duplicated: a.Duplicated + b.Duplicated,
		Delayed: a.Delayed + b.Delayed, Partitioned: a.Partitioned + b.Partitioned}
}

// protocolEvents counts what the children report, so that kills can wait
// for the k-th decision or applied outcome.
type protocolEvents struct {
	decided, applied atomic.Int64
}

// newMultiProcessFaultWorld runs the coordinator and the terminals in
// child processes with data directories of their own (a temporary
// folder), the directory, the load and the fault schedule here.
func newMultiProcessFaultWorld(ctx context.Context, cfg Config, log *slog.Logger) (*world, error) {
	if cfg.Binary == "" {
		var err error
		if cfg.Binary, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	w := &world{cfg: cfg, log: log, remote: true, applied: &appliedLog{m: map[[32]byte]*applied{}}}
	root, err := os.MkdirTemp("", "teeswap-sim-faults-")
	if err != nil {
		return nil, err
	}
	var stopping atomic.Bool
	// Killed peers make remoting report lost connections: expected here.
	quiet := slog.New(killNoise{muteHandler{log.Handler(), &stopping}})
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler)})
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
	var children []*child
	w.shutdown = func() {
		stopping.Store(true)
		rem.Shutdown(true)
		for _, c := range children {
			c.stop()
		}
		sys.Shutdown()
		os.RemoveAll(root)
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
	events := &protocolEvents{}
	plain := fmt.Sprint("--insecure-plaintext-loopback=", cfg.InsecurePlaintext)
	childFlags := func(inc int) []string {
		return []string{"--retry", cfg.RetryInterval.String(), "--fault-rate", strconv.FormatFloat(cfg.FaultRate, 'g', -1, 64),
			"--seed", strconv.FormatInt(cfg.Seed, 10), "--incarnation", strconv.Itoa(inc), plain}
	}

	// The coordinator first: the terminals need its address, the channels
	// its key.
	coordPort, err := freePort()
	if err != nil {
		return fail(err)
	}
	coordDir := filepath.Join(root, "coordinator")
	loaded := make(chan struct{}, 1)
	coord := &child{name: "coordinator process", binary: cfg.Binary,
		args: func(inc int) []string {
			return append([]string{"sim", "coordinator", "--data-dir", coordDir, "--port", strconv.Itoa(coordPort)}, childFlags(inc)...)
		},
		onEvent: func(ev procEvent) {
			if ev.ChannelsLoaded > 0 {
				select {
				case loaded <- struct{}{}:
				default:
				}
			}
			if ev.Transfer == nil {
				return
			}
			var n messages.Network
			if proto.Unmarshal(ev.Transfer.Network, &n) != nil {
				return
			}
			events.decided.Add(1)
			w.routes.record(&n)
		}}
	children = append(children, coord)
	hello, err := coord.start(ctx)
	if err != nil {
		return fail(err)
	}
	coordAddr := hello.Address
	w.system, w.coord, w.coordKey = sys, actor.NewPID(coordAddr, "coordinator"), common.HexToAddress(hello.Coordinator)

	onOutcome := func(ev procEvent) {
		o := ev.Outcome
		if o == nil {
			return
		}
		id, err := hex.DecodeString(o.Instance)
		if err != nil || len(id) != 32 {
			return
		}
		events.applied.Add(1)
		w.applied.record(common.HexToAddress(o.Terminal), [32]byte(id), o.Network, messages.TerminalPhase(o.Phase))
	}
	var (
		oc        *onChain
		chainArgs []string
	)
	if cfg.OnChain {
		if oc, chainArgs, err = startSharedChains(ctx, cfg, backend, w); err != nil {
			return fail(err)
		}
		prev := w.shutdown
		w.shutdown = func() {
			prev()
			oc.close()
		}
	}
	total := cfg.Chains * cfg.Terminals
	pids := map[common.Address]*actor.PID{}
	var order []common.Address
	var termProcs []*child
	var termDirs []string
	for p := range cfg.Processes {
		count := total/cfg.Processes + btoi(p < total%cfg.Processes)
		if count == 0 {
			continue
		}
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		dir := filepath.Join(root, fmt.Sprint("terminals-p", p))
		c := &child{name: fmt.Sprint("terminal process ", p), binary: cfg.Binary, onEvent: onOutcome,
			args: func(inc int) []string {
				return append([]string{"sim", "terminals", "--coordinator", coordAddr, "--watcher", sys.Address(),
					"--count", strconv.Itoa(count), "--name", fmt.Sprint("p", p), "--data-dir", dir, "--port", strconv.Itoa(port)}, append(childFlags(inc), chainArgs...)...)
			}}
		children = append(children, c)
		termProcs = append(termProcs, c)
		termDirs = append(termDirs, dir)
		h, err := c.start(ctx)
		if err != nil {
			return fail(err)
		}
		for i, t := range h.Terminals {
			addr := common.HexToAddress(t)
			pids[addr] = actor.NewPID(h.Address, h.IDs[i])
			order = append(order, addr)
		}
	}
	w.addrs = spreadRoundRobin(order, cfg.Chains, cfg.Terminals)
	w.reachTerminals(sys, pids)
	w.childUsage = func() usage {
		var ps []int
		for _, c := range children {
			if p := c.pid(); p != 0 {
				ps = append(ps, p)
			}
		}
		return procUsage(ps)
	}
	w.childFaults = func() actors.FaultCounts {
		var sum actors.FaultCounts
		for _, c := range children {
			sum = addCounts(sum, c.faultCounts())
		}
		return sum
	}
	if err := w.waitRegistered(order, time.Minute); err != nil {
		return fail(err)
	}
	if oc != nil {
		setup := time.Now()
		// The channels on chain: every terminal funded, its counterparties
		// known (cooperative closes), a watcher per chain here.
		for _, d := range termDirs {
			if err := writePeers(filepath.Join(d, simPeersFile), pids); err != nil {
				return fail(err)
			}
		}
		for _, c := range termProcs {
			c.send("peers")
		}
		if err := w.fundAndWatch(ctx, oc, order, peerFunc(w.peer)); err != nil {
			return fail(err)
		}
		if err := w.openChannelsOnChain(oc); err != nil {
			return fail(err)
		}
		oc.summary.SetupS = round3(time.Since(setup).Seconds())
		w.onChain = oc
	} else if err := w.openChannels(); err != nil {
		return fail(err)
	}
	// The coordinator's directory: written where its restarts read it.
	if err := writeChannels(filepath.Join(coordDir, simChannelsFile), w); err != nil {
		return fail(err)
	}
	coord.send("channels")
	// Requests sent before the coordinator has its channels would be
	// refused as unroutable.
	select {
	case <-loaded:
	case <-time.After(time.Minute):
		return fail(errors.New("sim: the coordinator process did not load its channels"))
	}
	w.runFaults = func(stop <-chan struct{}, done chan<- struct{}) {
		w.runProcessChaos(ctx, stop, done, coord, termProcs, children, events)
	}
	return w, nil
}

// waitRegistered waits until every terminal trusts the coordinator.
func (w *world) waitRegistered(order []common.Address, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, addr := range order {
		for {
			list, err := w.channelsOf(addr, 2*time.Second)
			if err == nil && len(list.Coordinators) > 0 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sim: terminal %s did not register: %v", addr, err)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

func writeChannels(path string, w *world) error {
	var out []simChannel
	for id, ch := range w.channels {
		out = append(out, simChannel{Chain: ch.chain, Contract: w.contract[ch.chain].Hex(), ID: hex.EncodeToString(id[:]),
			A: ch.a.Hex(), B: ch.b.Hex(), BalanceA: ch.balA.String(), BalanceB: ch.balB.String()})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path+".tmp", b, 0o600); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// runProcessChaos SIGKILLs and restarts the coordinator's and the
// terminals' processes at points drawn from the seed, and partitions
// terminals off, until stop is closed. A kill waits for a seeded trigger:
// the k-th decision (COMMITTED) from now, the k-th outcome applied by a
// terminal from now, or a seeded time; the process stays down for up to
// two retry intervals and restarts on its data directory.
func (w *world) runProcessChaos(ctx context.Context, stop <-chan struct{}, done chan<- struct{}, coord *child, terms, all []*child, ev *protocolEvents) {
	defer close(done)
	rng := rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x6b696c6c))
	var addrs []common.Address
	for _, a := range w.addrs {
		addrs = append(addrs, a...)
	}
	part := &partitioner{rng: rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x706172746974)), every: w.cfg.FaultInterval,
		cut: func(side []common.Address) {
			hexes := make([]string, len(side))
			for i, a := range side {
				hexes[i] = a.Hex()
			}
			for _, c := range all {
				c.send("partition " + strings.Join(hexes, ","))
			}
		},
		heal: func() {
			for _, c := range all {
				c.send("heal")
			}
		},
		started: func() { w.chaos.partitions.Add(1) }}
	defer part.stop()
	sleep := func(d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-time.After(d):
			return true
		}
	}
	kills, firstCoord := 0, false
	for {
		// The trigger.
		wait := time.Duration(1+rng.IntN(4)) * w.cfg.FaultInterval / 2
		k := int64(1 + rng.IntN(20))
		var counter *atomic.Int64
		switch rng.IntN(3) {
		case 0:
			counter = &ev.decided
		case 1:
			counter = &ev.applied
		}
		if !sleep(wait) {
			return
		}
		part.step(addrs)
		if counter != nil {
			// Bounded: the load may be draining.
			target, until := counter.Load()+k, time.Now().Add(10*w.cfg.FaultInterval)
			for counter.Load() < target && time.Now().Before(until) {
				if !sleep(5 * time.Millisecond) {
					return
				}
			}
		}
		// The victim and how long it stays down.
		// The first two kills are one of each, in a seeded order, so that
		// even a short run kills both kinds; then a quarter are the
		// coordinator's.
		victim := coord
		switch kills++; {
		case kills == 1:
			firstCoord = rng.IntN(2) == 0
			if !firstCoord {
				victim = terms[rng.IntN(len(terms))]
			}
		case kills == 2:
			if firstCoord {
				victim = terms[rng.IntN(len(terms))]
			}
		case rng.Float64() >= 0.25:
			victim = terms[rng.IntN(len(terms))]
		}
		down := time.Duration(rng.Int64N(int64(2*w.cfg.RetryInterval) + 1))
		victim.kill()
		if victim == coord {
			w.chaos.coordinatorKills.Add(1)
		} else {
			w.chaos.terminalKills.Add(1)
		}
		time.Sleep(down)
		var err error
		for range 5 { // the port may take a moment to be free again
			if _, err = victim.start(ctx); err == nil {
				break
			}
			time.Sleep(time.Second)
		}
		if err != nil {
			w.log.Error("chaos: restart", "process", victim.name, "err", err)
			return
		}
		if victim == coord {
			w.chaos.coordinatorRestarts.Add(1)
		} else {
			w.chaos.terminalRestarts.Add(1)
		}
		if part.active {
			// The restarted process missed the cut.
			part.cut(part.side)
		}
	}
}

// killNoise lowers remoting's reports of lost and refused connections to
// info: in a run that kills processes they are the expected news.
type killNoise struct{ inner slog.Handler }

func (h killNoise) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= slog.LevelWarn || h.inner.Enabled(ctx, lv)
}

func (h killNoise) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && strings.HasPrefix(r.Message, "Endpoint") {
		r.Level = slog.LevelInfo
	}
	if !h.inner.Enabled(ctx, r.Level) {
		return nil
	}
	return h.inner.Handle(ctx, r)
}

func (h killNoise) WithAttrs(a []slog.Attr) slog.Handler { return killNoise{h.inner.WithAttrs(a)} }
func (h killNoise) WithGroup(n string) slog.Handler      { return killNoise{h.inner.WithGroup(n)} }
