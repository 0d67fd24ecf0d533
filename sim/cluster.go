package sim

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/actors/cluster"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/provision"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// The cluster mode (--cluster N): the coordinator is N `teeswap cluster
// member` processes sharing an etcd embedded in this process; terminals
// and the client run here, over loopback remoting (enclave-bound mutual
// TLS between members and to the gateways, unless InsecurePlaintext).
// Terminal i registers with member i mod N's gateway; the client submits
// through member 0 (a repeat through the next member). With KillMember, the last member gets
// SIGKILL a third of the way into the run and is restarted on the same
// ports once its lease and protoactor registration have lapsed; a request
// its gateway took and did not answer is sent again to the next member.

// ClusterSummary is the cluster's part of a run's summary.
type ClusterSummary struct {
	Members int `json:"members"`
	// CPUPerMemberS is each member process's CPU time over the whole run
	// (start-up included; a killed member's incarnations summed).
	CPUPerMemberS []float64 `json:"cpu_per_member_s"`
	// MemberCPUPerInstanceMs is the members' CPU over ended instances.
	MemberCPUPerInstanceMs float64 `json:"member_cpu_per_instance_ms"`
	// EtcdWritesPerInstance is etcd revisions during the load (each
	// successful write transaction makes one, from every source:
	// instances, allocator, claims, registrations, membership) over ended
	// instances.
	EtcdWritesPerInstance float64 `json:"etcd_writes_per_instance"`
	// Killed names the member killed mid-run, KilledAt its time into the
	// run and RestartedAt when it served again.
	Killed       string  `json:"killed,omitempty"`
	KilledAtS    float64 `json:"killed_at_s,omitempty"`
	RestartedAtS float64 `json:"restarted_at_s,omitempty"`
	// RequestsRunTwice counts request ids with more than one instance in
	// etcd (must be 0).
	RequestsRunTwice int `json:"requests_run_twice"`
}

// memberProc is one member process of the sim's cluster.
type clusterMember struct {
	name         string
	port, gwPort int
	cmd          *exec.Cmd
	exited       chan struct{} // closed once cmd was waited for
	gateway      string
	deadCPU      time.Duration
	incarnations int
}

type clusterRun struct {
	cfg                   Config
	log                   *slog.Logger
	dir                   string
	etcd                  *cluster.Embedded
	cli                   *clientv3.Client
	prefix                string
	sealFile              string
	probe                 *cluster.Member
	mu                    sync.Mutex
	members               []*clusterMember
	rev0                  int64
	start                 time.Time
	killed                string
	killedAt, restartedAt time.Duration
	runTwice              int
	stopKill              chan struct{}
	killDone              chan struct{}
	stopProvisioning      context.CancelFunc
}

// newClusterWorld starts etcd, the members and the terminals.
func newClusterWorld(ctx context.Context, cfg Config, log *slog.Logger) (*world, error) {
	if cfg.Binary == "" {
		var err error
		if cfg.Binary, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	dir, err := os.MkdirTemp("", "teeswap-sim-cluster-")
	if err != nil {
		return nil, err
	}
	c := &clusterRun{cfg: cfg, log: log, dir: dir, prefix: "/teeswap-sim/", sealFile: filepath.Join(dir, "seal.key"),
		stopKill: make(chan struct{}), killDone: make(chan struct{})}
	w := &world{cfg: cfg, log: log, applied: &appliedLog{m: map[[32]byte]*applied{}}}
	var sys *actor.ActorSystem
	w.shutdown = func() {
		c.stopKiller()
		if c.stopProvisioning != nil {
			c.stopProvisioning()
		}
		c.mu.Lock()
		for _, m := range c.members {
			c.stopMember(m)
		}
		c.mu.Unlock()
		if sys != nil {
			sys.Shutdown()
		}
		if c.cli != nil {
			c.cli.Close()
		}
		if c.etcd != nil {
			c.etcd.Close()
		}
		os.RemoveAll(dir)
	}
	fail := func(err error) (*world, error) {
		w.shutdown()
		return nil, err
	}
	if c.etcd, err = cluster.StartEmbedded(filepath.Join(dir, "etcd"), true); err != nil {
		return fail(err)
	}
	if c.cli, err = clientv3.New(clientv3.Config{Endpoints: []string{c.etcd.Endpoint}, DialTimeout: 5 * time.Second}); err != nil {
		return fail(err)
	}
	// SIMULATION key provisioning, as the members do it: the sim asks
	// first, so it creates the coordinator key and answers the members'
	// attested offers (simulated reports, forgeable: labelled insecure).
	sealKey, err := simenclave.SealKeyFile(c.sealFile)
	if err != nil {
		return fail(err)
	}
	sealer, err := simenclave.New(simenclave.Options{SealKey: sealKey, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fail(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	pcfg := cluster.ProvisionConfig{Client: c.cli, Prefix: c.prefix, Member: "sim-probe", Backend: sealer,
		Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}), Logger: slog.New(slog.DiscardHandler)}
	coordKey, err := cluster.ProvisionKey(cctx, pcfg)
	if err != nil {
		return fail(err)
	}
	serveCtx, stopServing := context.WithCancel(context.Background())
	c.stopProvisioning = stopServing
	go func() { _ = cluster.ServeProvisioning(serveCtx, pcfg, coordKey) }()
	records, err := provision.NewRecordSealer(coordKey)
	if err != nil {
		return fail(err)
	}
	if c.probe, err = cluster.Join(cctx, cluster.MemberConfig{Client: c.cli, Prefix: c.prefix, Name: "sim-probe", TTL: 10, Sealer: records}); err != nil {
		return fail(err)
	}
	w.coordKey = coordKey.Address()
	for i := range cfg.Cluster {
		m := &clusterMember{name: fmt.Sprint("m", i)}
		if m.port, err = freeLoopbackPort(); err != nil {
			return fail(err)
		}
		if m.gwPort, err = freeLoopbackPort(); err != nil {
			return fail(err)
		}
		m.gateway = fmt.Sprintf("127.0.0.1:%d", m.gwPort)
		c.members = append(c.members, m)
	}

	// Terminals, here, each registered with its member's gateway.
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler), Signatures: &w.signs})
	if err != nil {
		return fail(err)
	}
	rcfg, err := remoteConfig(backend, cfg.InsecurePlaintext, log)
	if err != nil {
		return fail(err)
	}
	sys = actors.NewSystem(log)
	if _, _, err := actors.StartRemote(sys, rcfg); err != nil {
		return fail(err)
	}
	w.system = sys
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		return fail(err)
	}
	w.router = router
	w.routes = &ledgerRoutes{DirectoryRoutes: actors.DirectoryRoutes{Router: router}, transfers: map[[32]byte][]transfer{}, seen: map[versionKey]bool{}}
	verify := actors.ReportVerifier(enclave.NewVerifier(enclave.Policy{AllowSimulation: true}))
	pids := map[common.Address]*actor.PID{}
	w.addrs = make([][]common.Address, cfg.Chains)
	n := 0
	for ch := range cfg.Chains {
		for i := range cfg.Terminals {
			key, err := backend.NewKey()
			if err != nil {
				return fail(err)
			}
			report, err := enclave.ReportFor(backend, key)
			if err != nil {
				return fail(err)
			}
			addr := key.Address()
			gw := actor.NewPID(c.members[n%cfg.Cluster].gateway, "coordinator")
			n++
			props, err := actors.NewTerminal(actors.TerminalConfig{Signer: key, Store: actors.NewMemStore(), VerifyReport: verify,
				Coordinator: gw, TrustedCoordinator: w.coordKey, Report: actors.FrameReport(report), RetryInterval: cfg.RetryInterval,
				Logger: log, OnOutcome: func(id [32]byte, net uint32, ph messages.TerminalPhase) { w.applied.record(addr, id, net, ph) }})
			if err != nil {
				return fail(err)
			}
			pid, err := sys.Root.SpawnNamed(props, fmt.Sprintf("c%d-t%d", ch, i))
			if err != nil {
				return fail(err)
			}
			pids[key.Address()] = pid
			w.addrs[ch] = append(w.addrs[ch], key.Address())
		}
	}
	w.reachTerminals(sys, pids)
	for _, m := range c.members {
		if err := c.startMember(ctx, m); err != nil {
			return fail(err)
		}
	}
	w.coord = actor.NewPID(c.members[0].gateway, "coordinator")
	// The client submits through member 0, and a repeat of a request (no
	// answer in time: its gateway died) through the next member. Not
	// through every member in turn: each gateway keeps its own busy set,
	// so gateways routing at once collide on channels (docs/SCALING.md).
	w.entryFor = func(in *Instance) *actor.PID {
		return actor.NewPID(c.members[max(in.submissions-1, 0)%len(c.members)].gateway, "coordinator")
	}
	if err := w.waitRegistered(slices.Concat(w.addrs...), time.Minute); err != nil {
		return fail(err)
	}
	if err := w.openChannels(); err != nil {
		return fail(err)
	}
	// The members' route finders learn the channels from etcd.
	for _, ch := range w.channels {
		dep := big.NewInt(cfg.Deposit)
		if err := cluster.PutChannel(cctx, c.cli, c.prefix, directory.Channel{ChainID: ch.chain, Contract: w.contract[ch.chain], ID: directory.ChannelID(ch.id),
			A: ch.a, B: ch.b, BalanceA: dep, BalanceB: dep, Status: directory.StatusOpen, Coordinator: w.coordKey}); err != nil {
			return fail(err)
		}
	}
	if err := c.waitDirectory(ctx, len(w.channels)); err != nil {
		return fail(err)
	}
	w.childUsage = c.usage
	w.settle = c.settle(w)
	w.clusterSummary = c.summary
	r, err := c.cli.Get(cctx, c.prefix+"meta")
	if err != nil {
		return fail(err)
	}
	c.rev0, c.start = r.Header.Revision, time.Now()
	if cfg.KillMember {
		go c.killer(w)
	} else {
		close(c.killDone)
	}
	return w, nil
}

// waitDirectory waits until etcd holds all n channels; the members'
// gateways follow the prefix.
func (c *clusterRun) waitDirectory(ctx context.Context, n int) error {
	deadline := time.Now().Add(time.Minute)
	for {
		r, err := c.cli.Get(ctx, c.prefix+"directory/", clientv3.WithPrefix(), clientv3.WithCountOnly())
		if err == nil && int(r.Count) == n {
			// Members watch the prefix; a moment for the last events.
			time.Sleep(200 * time.Millisecond)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sim: directory in etcd has %d of %d channels", r.Count, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startMember runs one `teeswap cluster member` and waits for its JSON
// hello line.
func (c *clusterRun) startMember(ctx context.Context, m *clusterMember) error {
	m.incarnations++
	logf, err := os.Create(filepath.Join(c.dir, fmt.Sprintf("%s-%d.log", m.name, m.incarnations)))
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, c.cfg.Binary, "cluster", "member", "--json", "--etcd", c.etcd.Endpoint, "--name", m.name,
		"--prefix", c.prefix, "--enclave", "simulation", "--allow-simulation", "--sim-seal-key-file", c.sealFile, "--ttl", "2", "--port", strconv.Itoa(m.port),
		"--gateway-port", strconv.Itoa(m.gwPort), "--retry", c.cfg.RetryInterval.String(),
		fmt.Sprint("--insecure-plaintext-loopback=", c.cfg.InsecurePlaintext))
	cmd.Stderr = logf
	out, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("sim: start member %s: %w", m.name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(exited) }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("sim: member %s: %w (log: %s)", m.name, err, logf.Name())
	}
	var hello struct{ Gateway string }
	if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Gateway != m.gateway {
		_ = cmd.Process.Kill()
		return fmt.Errorf("sim: member %s said %q (want gateway %s)", m.name, strings.TrimSpace(line), m.gateway)
	}
	m.cmd, m.exited = cmd, exited
	return nil
}

// stopMember ends a member process: SIGTERM, then SIGKILL after 5 s.
func (c *clusterRun) stopMember(m *clusterMember) {
	if m.cmd == nil || m.cmd.Process == nil {
		return
	}
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-m.exited:
	case <-time.After(5 * time.Second):
		_ = m.cmd.Process.Kill()
		<-m.exited
	}
}

// killer SIGKILLs the last member once a third of the instances were
// applied, and restarts it on the same ports after its lease (2 s) and
// its protoactor registration (3 s) lapsed.
func (c *clusterRun) killer(w *world) {
	defer close(c.killDone)
	victim := c.members[len(c.members)-1]
	for {
		w.applied.mu.Lock()
		n := len(w.applied.m)
		w.applied.mu.Unlock()
		if n >= max(1, c.cfg.Instances/3) {
			break
		}
		select {
		case <-c.stopKill:
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.mu.Lock()
	cmd, exited := victim.cmd, victim.exited
	_ = cmd.Process.Signal(syscall.SIGKILL)
	c.killed, c.killedAt = victim.name, time.Since(c.start)
	c.mu.Unlock()
	<-exited
	c.mu.Lock()
	victim.deadCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	victim.cmd = nil
	c.mu.Unlock()
	c.log.Info("sim: member killed (SIGKILL)", "member", victim.name)
	select {
	case <-c.stopKill:
		return
	case <-time.After(5 * time.Second):
	}
	if err := c.startMember(context.Background(), victim); err != nil {
		c.log.Error("sim: restart member", "member", victim.name, "err", err)
		return
	}
	c.mu.Lock()
	c.restartedAt = time.Since(c.start)
	c.mu.Unlock()
	c.log.Info("sim: member restarted", "member", victim.name)
}

func (c *clusterRun) stopKiller() {
	select {
	case <-c.stopKill:
	default:
		close(c.stopKill)
	}
	<-c.killDone
}

// usage is the members' CPU (killed incarnations included).
func (c *clusterRun) usage() usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	var u usage
	for _, m := range c.members {
		u.cpu += m.deadCPU
		if m.cmd != nil && m.cmd.Process != nil {
			x := procUsage([]int{m.cmd.Process.Pid})
			u.cpu += x.cpu
			u.rss += x.rss
		}
	}
	return u
}

// settle builds the ledger the sim checks the terminals against from what
// the cluster decided: every committed instance record in etcd. It also
// counts request ids that ran as more than one instance.
func (c *clusterRun) settle(w *world) func() {
	return func() {
		c.stopKiller()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		recs, err := c.probe.Instances(ctx)
		if err != nil {
			c.log.Error("sim: read instance records from etcd", "err", err)
			return
		}
		byRequest := map[string]int{}
		for _, rec := range recs {
			if rec.RequestId != "" {
				if byRequest[rec.RequestId]++; byRequest[rec.RequestId] == 2 {
					c.runTwice++
				}
			}
			if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
				continue
			}
			for _, np := range rec.Networks {
				w.routes.record(np.Network)
			}
		}
	}
}

func (c *clusterRun) summary(ended int) *ClusterSummary {
	s := &ClusterSummary{Members: len(c.members), Killed: c.killed, KilledAtS: round3(c.killedAt.Seconds()),
		RestartedAtS: round3(c.restartedAt.Seconds()), RequestsRunTwice: c.runTwice}
	var total time.Duration
	c.mu.Lock()
	for _, m := range c.members {
		cpu := m.deadCPU
		if m.cmd != nil && m.cmd.Process != nil {
			cpu += procUsage([]int{m.cmd.Process.Pid}).cpu
		}
		total += cpu
		s.CPUPerMemberS = append(s.CPUPerMemberS, round3(cpu.Seconds()))
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ended > 0 {
		s.MemberCPUPerInstanceMs = round3(float64(total.Microseconds()) / 1000 / float64(ended))
		if r, err := c.cli.Get(ctx, c.prefix+"meta"); err == nil {
			s.EtcdWritesPerInstance = round3(float64(r.Header.Revision-c.rev0) / float64(ended))
		}
	}
	return s
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// entry is the coordinator an instance's submission goes to.
func (w *world) entry(in *Instance) *actor.PID {
	if w.entryFor != nil {
		return w.entryFor(in)
	}
	return w.coord
}
