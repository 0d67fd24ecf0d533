//go:build !race

// The multi-process test runs teeswap as the issue describes it in
// production shape: two real geth --dev chains with their own chain ids,
// a coordinator node and six terminal nodes, each its own OS process,
// talking protoactor remoting over loopback; every action goes through the
// teeswap CLI. It stays out of -race runs (the build tag): the race
// detector would only slow the child processes' peers down, and the
// in-process remoting races live inside protoactor itself.

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// mpChain is one geth --dev chain of the test.
type mpChain struct {
	id           uint64
	dir, ws      string
	httpURL      string
	client       *ethclient.Client
	rpc          *rpc.Client
	dev          common.Address // the node's unlocked account
	contract     common.Address
	deployBlock  uint64
	startBlock   uint64 // balances were read at this block
	terminals    []string
	contractInit *big.Int
}

// mpProc is one teeswap node process.
type mpProc struct {
	name string
	cmd  *exec.Cmd
	info nodeInfo
	log  string
	done chan struct{}
}

type mpHarness struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	bin    string
	script string
	geth   string
	chains map[string]*mpChain // "A", "B"

	mu    sync.Mutex
	procs map[string]*mpProc
	ports map[string]int
	cfgs  map[string]string // node name -> config path
}

func findGeth() string {
	if g := os.Getenv("GETH"); g != "" {
		return g
	}
	if p, err := exec.LookPath("geth"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "geth")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// childEnv is the test's environment without any TEESWAP_* setting, so
// a developer's own node settings cannot leak into the children; extra
// settings are appended.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TEESWAP_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newMPHarness(t *testing.T) *mpHarness {
	if testing.Short() {
		t.Skip("multi-process test skipped under -short: it builds teeswap and runs two geth --dev chains and seven node processes")
	}
	geth := findGeth()
	if geth == "" {
		t.Skip("multi-process test skipped: geth not found (GETH, PATH or $(go env GOPATH)/bin/geth); install it with: go install github.com/ethereum/go-ethereum/cmd/geth@v1.17.10")
	}
	for _, tool := range []string{"go", "curl", "bash"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("multi-process test skipped: %s not on PATH", tool)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	t.Cleanup(cancel)
	dir := t.TempDir()
	h := &mpHarness{t: t, ctx: ctx, dir: dir, geth: geth, bin: filepath.Join(dir, "teeswap"),
		script: filepath.Join("..", "..", "chain", "chaintest", "geth-dev.sh"),
		chains: map[string]*mpChain{}, procs: map[string]*mpProc{}, ports: map[string]int{}, cfgs: map[string]string{}}
	t.Cleanup(h.killAll)
	start := time.Now()
	build := exec.CommandContext(ctx, "go", "build", "-o", h.bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build teeswap: %v\n%s", err, out)
	}
	t.Logf("built teeswap in %v", time.Since(start).Round(time.Millisecond))
	return h
}

// startChains starts two geth --dev nodes with their own chain ids, side
// by side, through chain/chaintest/geth-dev.sh.
func (h *mpHarness) startChains() {
	t := h.t
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for name, id := range map[string]uint64{"A": 31001, "B": 31002} {
		c := &mpChain{id: id, dir: filepath.Join(h.dir, "geth"+name)}
		h.chains[name] = c
		httpPort, wsPort := freePort(t), freePort(t)
		c.ws, c.httpURL = fmt.Sprintf("ws://127.0.0.1:%d", wsPort), fmt.Sprintf("http://127.0.0.1:%d", httpPort)
		env := childEnv("GETH="+h.geth, "TEESWAP_GETH_DIR="+c.dir, fmt.Sprintf("TEESWAP_GETH_HTTP_PORT=%d", httpPort),
			fmt.Sprintf("TEESWAP_GETH_WS_PORT=%d", wsPort), fmt.Sprintf("TEESWAP_GETH_CHAIN_ID=%d", id))
		t.Cleanup(func() {
			stop := exec.Command("bash", h.script, "stop")
			stop.Env = env
			_ = stop.Run()
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.CommandContext(h.ctx, "bash", h.script, "start")
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				errs <- fmt.Errorf("geth-dev.sh start (chain %d): %v\n%s", id, err, stderr.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, c := range h.chains {
		var err error
		if c.rpc, err = rpc.DialContext(h.ctx, c.ws); err != nil {
			t.Fatal(err)
		}
		c.client = ethclient.NewClient(c.rpc)
		t.Cleanup(c.rpc.Close)
		id, err := c.client.ChainID(h.ctx)
		if err != nil || id.Uint64() != c.id {
			t.Fatalf("chain at %s has id %v (%v), want %d", c.ws, id, err, c.id)
		}
		var accounts []common.Address
		if err := c.rpc.CallContext(h.ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
			t.Fatalf("dev account on chain %d: %v %v", c.id, accounts, err)
		}
		c.dev = accounts[0]
	}
}

// teeswap runs a client command and returns its stdout and exit code.
func (h *mpHarness) teeswap(args ...string) (string, int) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	// The nodes run simulation enclaves; the client checks their
	// certificates' reports.
	cmd.Env = childEnv("TEESWAP_ALLOW_SIMULATION=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		h.t.Fatalf("teeswap %v: %v", args, err)
	}
	if code != 0 {
		h.t.Logf("teeswap %s: exit %d: %s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	}
	return stdout.String(), code
}

// mustJSON runs a client command with --json, wants exit code want, and
// decodes its output into v.
func (h *mpHarness) mustJSON(v any, want int, args ...string) {
	h.t.Helper()
	if err := h.tryJSON(v, want, args...); err != nil {
		h.t.Fatal(err)
	}
}

// tryJSON is mustJSON for other goroutines than the test's.
func (h *mpHarness) tryJSON(v any, want int, args ...string) error {
	out, code := h.teeswap(append([]string{"--json"}, args...)...)
	if code != want {
		return fmt.Errorf("teeswap %s: exit %d, want %d", strings.Join(args, " "), code, want)
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), v); err != nil {
		return fmt.Errorf("teeswap %s: output %q: %v", strings.Join(args, " "), out, err)
	}
	return nil
}

// deploy puts PaymentChannels on a chain through `teeswap deploy`.
func (h *mpHarness) deploy(c *mpChain) {
	var out deployOutput
	h.mustJSON(&out, 0, "deploy", "--rpc", c.ws, "--dev-unlocked", "--chain", fmt.Sprint(c.id), "--challenge-period", "60s")
	if out.ChainID != c.id || !common.IsHexAddress(out.Contract) {
		h.t.Fatalf("deploy on chain %d: %+v", c.id, out)
	}
	c.contract, c.deployBlock = common.HexToAddress(out.Contract), out.Block
}

func (h *mpHarness) addr(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fmt.Sprintf("127.0.0.1:%d", h.ports[name])
}

// dataDir is a node's data directory: its control credential is there.
func (h *mpHarness) dataDir(name string) string { return filepath.Join(h.dir, "data", name) }

// writeNodeConfig writes a node's JSON config file; the rest of its
// settings come from the environment (start), exercising the layering.
func (h *mpHarness) writeNodeConfig(name string, cfg nodeConfig) {
	h.mu.Lock()
	if h.ports[name] == 0 {
		h.ports[name] = freePort(h.t)
	}
	cfg.Listen = fmt.Sprintf("127.0.0.1:%d", h.ports[name])
	h.mu.Unlock()
	cfg.Name, cfg.DataDir = name, h.dataDir(name)
	cfg.PollInterval, cfg.RetryInterval = duration(100*time.Millisecond), duration(200*time.Millisecond)
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		h.t.Fatal(err)
	}
	path := filepath.Join(h.dir, name+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		h.t.Fatal(err)
	}
	h.mu.Lock()
	h.cfgs[name] = path
	h.mu.Unlock()
}

func (c *mpChain) config() chainConfig {
	return chainConfig{ID: c.id, RPC: c.ws, Contract: c.contract.Hex(), StartBlock: c.deployBlock}
}

// start runs `teeswap node` for a written config and waits for its
// start-up line.
func (h *mpHarness) start(name string) *mpProc {
	t := h.t
	t.Helper()
	h.mu.Lock()
	cfgPath := h.cfgs[name]
	h.mu.Unlock()
	logPath := filepath.Join(h.dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(h.bin, "--json", "--log-level", "info", "node")
	// The role-independent settings come from the environment.
	cmd.Env = childEnv("TEESWAP_CONFIG="+cfgPath, "TEESWAP_ALLOW_SIMULATION=true", "TEESWAP_ENCLAVE=simulation")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &mpProc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	h.mu.Lock()
	h.procs[name] = p
	h.mu.Unlock()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		for sc.Scan() {
		}
	}()
	go func() { _ = cmd.Wait(); logf.Close(); close(p.done) }()
	select {
	case line, ok := <-lines:
		if !ok {
			<-p.done
			t.Fatalf("node %s exited before it was up: %v\n%s", name, cmd.ProcessState, h.tail(logPath))
		}
		if err := json.Unmarshal([]byte(line), &p.info); err != nil {
			t.Fatalf("node %s start-up line %q: %v", name, line, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("node %s did not come up in 60s\n%s", name, h.tail(logPath))
	}
	return p
}

// grepLog returns the lines of a node's log that contain s.
func (h *mpHarness) grepLog(name, s string) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, name+".log"))
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (h *mpHarness) tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// kill SIGKILLs a node and waits until it is gone.
func (h *mpHarness) kill(name string) {
	h.mu.Lock()
	p := h.procs[name]
	delete(h.procs, name)
	h.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (h *mpHarness) killAll() {
	h.mu.Lock()
	var names []string
	for n := range h.procs {
		names = append(names, n)
	}
	h.mu.Unlock()
	for _, n := range names {
		h.kill(n)
	}
	if h.t.Failed() {
		for _, n := range names {
			h.t.Logf("---- log of %s ----\n%s", n, h.tail(filepath.Join(h.dir, n+".log")))
		}
	}
}

// fund sends wei from the chain's dev account to each address and waits.
func (h *mpHarness) fund(c *mpChain, wei *big.Int, to ...common.Address) {
	var hashes []common.Hash
	for _, a := range to {
		var hash common.Hash
		if err := c.rpc.CallContext(h.ctx, &hash, "eth_sendTransaction", map[string]any{"from": c.dev, "to": a, "value": (*hexutil.Big)(wei)}); err != nil {
			h.t.Fatalf("fund %s on chain %d: %v", a, c.id, err)
		}
		hashes = append(hashes, hash)
	}
	for _, hash := range hashes {
		h.receipt(c, hash)
	}
}

func (h *mpHarness) receipt(c *mpChain, hash common.Hash) *types.Receipt {
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := c.client.TransactionReceipt(h.ctx, hash)
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("no receipt for %s on chain %d: %v", hash, c.id, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *mpHarness) balance(c *mpChain, a common.Address, block uint64) *big.Int {
	b, err := c.client.BalanceAt(h.ctx, a, new(big.Int).SetUint64(block))
	if err != nil {
		h.t.Fatal(err)
	}
	return b
}

// gasPaid sums gasUsed × effective gas price over every transaction each
// address sent after block from, from the receipts.
func (h *mpHarness) gasPaid(c *mpChain, from, to uint64, addrs map[common.Address]bool) map[common.Address]*big.Int {
	paid := map[common.Address]*big.Int{}
	signer := types.LatestSignerForChainID(new(big.Int).SetUint64(c.id))
	for n := from + 1; n <= to; n++ {
		blk, err := c.client.BlockByNumber(h.ctx, new(big.Int).SetUint64(n))
		if err != nil {
			h.t.Fatal(err)
		}
		for _, tx := range blk.Transactions() {
			sender, err := types.Sender(signer, tx)
			if err != nil || !addrs[sender] {
				continue
			}
			r := h.receipt(c, tx.Hash())
			fee := new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
			if paid[sender] == nil {
				paid[sender] = new(big.Int)
			}
			paid[sender].Add(paid[sender], fee)
		}
	}
	return paid
}

type listOutput struct {
	Terminal     string        `json:"terminal"`
	Coordinators []string      `json:"coordinators"`
	Channels     []channelJSON `json:"channels"`
}

func (h *mpHarness) channels(name string) listOutput {
	var l listOutput
	h.mustJSON(&l, 0, "channel", "list", "--terminal", h.addr(name), "--data-dir", h.dataDir(name), "--wait", "10s")
	return l
}

// holds is what name holds in its channel with peer, as its enclave says,
// and the channel's phase there.
func (h *mpHarness) holds(name, peer string) (*big.Int, string) {
	l := h.channels(name)
	me, them := h.chainAddr(name), h.chainAddr(peer)
	for _, c := range l.Channels {
		if c.Closed {
			continue
		}
		switch {
		case strings.EqualFold(c.PartyA, me) && strings.EqualFold(c.PartyB, them):
			v, _ := new(big.Int).SetString(c.BalanceA, 10)
			return v, c.Phase
		case strings.EqualFold(c.PartyB, me) && strings.EqualFold(c.PartyA, them):
			v, _ := new(big.Int).SetString(c.BalanceB, 10)
			return v, c.Phase
		}
	}
	h.t.Fatalf("%s has no open channel with %s: %+v", name, peer, l)
	return nil, ""
}

func (h *mpHarness) chainAddr(name string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if p := h.procs[name]; p != nil {
		return p.info.ChainAddress
	}
	h.t.Fatalf("node %s is not running", name)
	return ""
}

// eventually retries cond until it holds or timeout passes.
func (h *mpHarness) eventually(what string, timeout time.Duration, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("%s: not reached in %v", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestMultiProcessSwapsRefundRestartAndClose(t *testing.T) {
	began := time.Now()
	h := newMPHarness(t)
	h.startChains()
	for _, c := range h.chains {
		h.deploy(c)
	}
	t.Logf("chains up and contracts deployed at %v", time.Since(began).Round(time.Millisecond))
	A, B := h.chains["A"], h.chains["B"]
	A.terminals, B.terminals = []string{"sA", "iA", "rA"}, []string{"sB", "iB", "rB"}
	all := append(append([]string{}, A.terminals...), B.terminals...)

	// Ports first, so every terminal can name all others as peers.
	for _, n := range append([]string{"coordinator", "watcher"}, all...) {
		h.ports[n] = freePort(t)
	}
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	h.writeNodeConfig("coordinator", nodeConfig{Role: roleCoordinator, Chains: []chainConfig{A.config(), B.config()}, Metrics: metricsAddr})
	// A stand-alone watcher node keeps its own directory; rA subscribes
	// to it on top of following chain A itself.
	h.writeNodeConfig("watcher", nodeConfig{Role: roleWatcher, Chains: []chainConfig{A.config(), B.config()}})
	for _, c := range []*mpChain{A, B} {
		for _, n := range c.terminals {
			var peers []string
			for _, p := range all {
				if p != n {
					peers = append(peers, h.addr(p))
				}
			}
			cfg := nodeConfig{Role: roleTerminal, Coordinator: h.addr("coordinator"), Peers: peers, Chains: []chainConfig{c.config()}}
			if n == "rA" {
				cfg.Watchers = []string{h.addr("watcher")}
			}
			h.writeNodeConfig(n, cfg)
		}
	}
	coord := h.start("coordinator")
	if coord.info.Address != h.addr("coordinator") || coord.info.Enclave != "simulation" {
		t.Fatalf("coordinator info %+v", coord.info)
	}
	h.start("watcher")
	var wg sync.WaitGroup
	for _, n := range all {
		wg.Add(1)
		go func() { defer wg.Done(); h.start(n) }()
	}
	wg.Wait()
	addr := func(n string) common.Address { return common.HexToAddress(h.chainAddr(n)) }

	// Fund the terminals' enclave addresses, then read the start balances.
	fund := new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1))
	for _, c := range []*mpChain{A, B} {
		var as []common.Address
		for _, n := range c.terminals {
			as = append(as, addr(n))
		}
		h.fund(c, fund, as...)
		head, err := c.client.BlockNumber(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.startBlock = head
		c.contractInit = h.balance(c, c.contract, head)
	}
	start := map[string]*big.Int{}
	for _, c := range []*mpChain{A, B} {
		for _, n := range c.terminals {
			start[n] = h.balance(c, addr(n), c.startBlock)
		}
	}

	// Every terminal registers with the coordinator and trusts its report.
	for _, n := range all {
		h.eventually(n+" registered", 20*time.Second, func() bool { return len(h.channels(n).Coordinators) == 1 })
	}
	// status shows the address to fund and its balance on its chain.
	var st statusJSON
	h.mustJSON(&st, 0, "status", "--node", h.addr("sA"), "--data-dir", h.dataDir("sA"), "--wait", "10s")
	if st.Role != roleTerminal || !strings.EqualFold(st.ChainAddress, h.chainAddr("sA")) || !st.Registered ||
		len(st.Chains) != 1 || st.Chains[0].ChainID != A.id || st.Chains[0].Balance != start["sA"].String() {
		t.Fatalf("status of sA: %+v, want balance %s", st, start["sA"])
	}

	// Fig. 1: per chain sender -> intermediary -> receiver, opened on chain
	// by the payers' enclaves, all four at once.
	const deposit = 1_000_000
	type open struct {
		chain    *mpChain
		from, to string
	}
	opens := []open{{A, "sA", "iA"}, {A, "iA", "rA"}, {B, "sB", "iB"}, {B, "iB", "rB"}}
	channelOf := map[string]string{} // "from-to" -> channel id
	var mu sync.Mutex
	for _, o := range opens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				ChannelID string `json:"channel_id"`
				Tracked   bool   `json:"tracked"`
			}
			if err := h.tryJSON(&out, 0, "channel", "open", "--terminal", h.addr(o.from), "--data-dir", h.dataDir(o.from), "--chain", fmt.Sprint(o.chain.id),
				"--counterparty", addr(o.to).Hex(), "--amount", fmt.Sprint(deposit), "--wait", "60s"); err != nil {
				t.Error(err)
				return
			}
			if !out.Tracked {
				t.Errorf("channel %s-%s not tracked", o.from, o.to)
			}
			mu.Lock()
			channelOf[o.from+"-"+o.to] = out.ChannelID
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// The counterparties' enclaves and the coordinator's directory follow
	// the chain too.
	for _, o := range opens {
		h.eventually(o.to+" sees its channel", 20*time.Second, func() bool {
			for _, c := range h.channels(o.to).Channels {
				if c.ChannelID == channelOf[o.from+"-"+o.to] {
					return true
				}
			}
			return false
		})
	}
	for _, c := range []*mpChain{A, B} {
		for _, dir := range []string{"coordinator", "watcher"} {
			h.eventually(fmt.Sprintf("route on chain %d at the %s", c.id, dir), 20*time.Second, func() bool {
				var route struct {
					Hops []map[string]string `json:"hops"`
				}
				err := h.tryJSON(&route, 0, "route", "--node", h.addr(dir), "--data-dir", h.dataDir(dir), "--chain", fmt.Sprint(c.id),
					"--from", addr(c.terminals[0]).Hex(), "--to", addr(c.terminals[2]).Hex(), "--amount", "1", "--wait", "5s")
				return err == nil && len(route.Hops) == 2
			})
		}
	}
	t.Logf("8 nodes up (coordinator, watcher, 6 terminals), 4 channels open at %v", time.Since(began).Round(time.Millisecond))
	// Strangers on the network are refused; the swaps below still confirm.
	h.strangerAttacks("coordinator", "watcher", A.terminals[0])

	leg := func(c *mpChain, amount int) string {
		return fmt.Sprintf("chain=%d,from=%s,to=%s,amount=%d", c.id, addr(c.terminals[0]).Hex(), addr(c.terminals[2]).Hex(), amount)
	}
	// Net transfer per terminal from confirmed instances.
	net := map[string]int64{}
	confirmed := func(c *mpChain, amount int64) {
		net[c.terminals[0]] -= amount
		net[c.terminals[2]] += amount
	}

	// 1. A cross-chain swap.
	var res swapOutput
	h.mustJSON(&res, 0, "swap", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--leg", leg(A, 100), "--leg", leg(B, 40), "--id", "swap-1")
	if !res.Confirmed || res.Phase != "INSTANCE_PHASE_COMMITTED" {
		t.Fatalf("swap-1: %+v", res)
	}
	confirmed(A, 100)
	confirmed(B, 40)
	t.Logf("swap-1 confirmed: %+v", res.Times)

	// 2. A same-chain multi-hop payment.
	h.mustJSON(&res, 0, "pay", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--chain", fmt.Sprint(A.id),
		"--from", addr("sA").Hex(), "--to", addr("rA").Hex(), "--amount", "50wei", "--id", "pay-1")
	if !res.Confirmed {
		t.Fatalf("pay-1: %+v", res)
	}
	confirmed(A, 50)
	h.eventually("transfers applied", 10*time.Second, func() bool {
		a, _ := h.holds("rA", "iA")
		b, _ := h.holds("rB", "iB")
		return a.Int64() == 150 && b.Int64() == 40
	})

	// 3. rB dies mid-swap: it is frozen (SIGSTOP), the swap starts, the
	// others prepare, then rB is SIGKILLed. The coordinator must authorize
	// the refund at the deadline, and nothing moves anywhere.
	h.mu.Lock()
	rBProc := h.procs["rB"]
	h.mu.Unlock()
	if err := rBProc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	swapDone := make(chan swapOutput, 1)
	go func() {
		var out swapOutput
		if err := h.tryJSON(&out, 1, "swap", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--leg", leg(A, 10), "--leg", leg(B, 10),
			"--id", "swap-killed", "--timeout-ms", "4000"); err != nil {
			t.Error(err)
		}
		swapDone <- out
	}()
	h.eventually("sB prepared for swap-killed", 10*time.Second, func() bool {
		_, phase := h.holds("sB", "iB")
		return phase == "PREPARED"
	})
	rBAddr := h.chainAddr("rB")
	h.kill("rB")
	t.Log("rB SIGKILLed mid-swap")
	var killed swapOutput
	select {
	case killed = <-swapDone:
	case <-time.After(60 * time.Second):
		t.Fatal("swap-killed: no outcome")
	}
	if killed.Outcome != "REFUNDED" || killed.Phase != "INSTANCE_PHASE_REFUND_AUTHORIZED" || killed.Confirmed {
		t.Fatalf("swap-killed: %+v", killed)
	}
	for _, p := range [][2]string{{"sA", "iA"}, {"iA", "rA"}, {"sB", "iB"}} {
		want := map[string]int64{"sA": deposit - 150, "iA": deposit - 150, "sB": deposit - 40}[p[0]]
		h.eventually(p[0]+" rolled back", 10*time.Second, func() bool {
			v, phase := h.holds(p[0], p[1])
			return v.Int64() == want && phase == "IDLE"
		})
	}

	// 4. rB comes back from its data directory: same sealed key, same
	// chain address, its channel intact; it takes part again.
	rB := h.start("rB")
	if rB.info.ChainAddress != rBAddr || !rB.info.Restored {
		t.Fatalf("restarted rB: %+v, want chain address %s restored", rB.info, rBAddr)
	}
	h.eventually("rB re-registered with its channel", 30*time.Second, func() bool {
		l := h.channels("rB")
		if len(l.Coordinators) != 1 {
			return false
		}
		v, phase := h.holds("rB", "iB")
		return v.Int64() == 40 && phase == "IDLE"
	})
	h.eventually("swap after restart", 30*time.Second, func() bool {
		out, code := h.teeswap("--json", "swap", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--leg", leg(A, 10), "--leg", leg(B, 10),
			"--id", fmt.Sprint("swap-after-", time.Now().UnixNano()), "--timeout-ms", "5000")
		if code != 0 {
			return false
		}
		_ = json.Unmarshal([]byte(out), &res)
		return res.Confirmed
	})
	confirmed(A, 10)
	confirmed(B, 10)
	h.eventually("swap after restart applied", 10*time.Second, func() bool {
		a, pa := h.holds("rA", "iA")
		b, pb := h.holds("rB", "iB")
		return a.Int64() == 160 && b.Int64() == 50 && pa == "IDLE" && pb == "IDLE"
	})
	t.Logf("refund, restart and another swap done at %v", time.Since(began).Round(time.Millisecond))

	// 5. Close every channel cooperatively on chain; the restarted rB
	// closes its own.
	closes := []struct{ by, from, to string }{{"sA", "sA", "iA"}, {"iA", "iA", "rA"}, {"sB", "sB", "iB"}, {"rB", "iB", "rB"}}
	payouts := map[string][2]int64{}
	for _, c := range closes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				PayoutA string `json:"payout_a"`
				PayoutB string `json:"payout_b"`
			}
			if err := h.tryJSON(&out, 0, "channel", "close", "--terminal", h.addr(c.by), "--data-dir", h.dataDir(c.by), "--channel", channelOf[c.from+"-"+c.to], "--wait", "60s"); err != nil {
				t.Errorf("%s closing %s-%s: %v\n%s", c.by, c.from, c.to, err, h.grepLog(c.by, "peer"))
				return
			}
			a, _ := new(big.Int).SetString(out.PayoutA, 10)
			b, _ := new(big.Int).SetString(out.PayoutB, 10)
			mu.Lock()
			payouts[c.from+"-"+c.to] = [2]int64{a.Int64(), b.Int64()}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for ch, want := range map[string][2]int64{"sA-iA": {deposit - 160, 160}, "iA-rA": {deposit - 160, 160}, "sB-iB": {deposit - 50, 50}, "iB-rB": {deposit - 50, 50}} {
		if payouts[ch] != want {
			t.Errorf("channel %s paid out %v, want %v", ch, payouts[ch], want)
		}
	}

	// A second close is refused by the node, without a transaction (the
	// balances below would show its gas).
	if out, code := h.teeswap("channel", "close", "--terminal", h.addr("sA"), "--data-dir", h.dataDir("sA"), "--channel", channelOf["sA-iA"][:12], "--wait", "30s"); code != 1 {
		t.Errorf("second close: exit %d: %s", code, out)
	}
	// The coordinator's metrics show the decided instances.
	h.eventually("metrics", 10*time.Second, func() bool {
		out, code := h.teeswap("status", "--node", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--wait", "10s")
		body := scrapeMetrics("http://" + metricsAddr + "/metrics")
		return code == 0 && strings.Contains(out, "coordinator node") &&
			strings.Contains(body, `teeswap_instances_total{outcome="confirmed"}`) &&
			strings.Contains(body, `teeswap_instances_total{outcome="refunded"}`) &&
			strings.Contains(body, `teeswap_chain_head{chain="`+fmt.Sprint(A.id)+`"}`)
	})

	// 6. On-chain balances, exactly: start + net confirmed transfers - gas
	// from the receipts of every transaction each terminal sent.
	for _, c := range []*mpChain{A, B} {
		head, err := c.client.BlockNumber(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		mine := map[common.Address]bool{}
		for _, n := range c.terminals {
			mine[addr(n)] = true
		}
		gas := h.gasPaid(c, c.startBlock, head, mine)
		for _, n := range c.terminals {
			got := h.balance(c, addr(n), head)
			g := gas[addr(n)]
			if g == nil || g.Sign() == 0 {
				g = new(big.Int)
				if n != c.terminals[2] { // receivers send nothing when others close
					t.Errorf("%s paid no gas, yet opened a channel", n)
				}
			}
			want := new(big.Int).Add(start[n], big.NewInt(net[n]))
			want.Sub(want, g)
			if got.Cmp(want) != 0 {
				t.Errorf("%s on chain %d: balance %s, want start %s %+d - gas %s = %s (off by %s)",
					n, c.id, got, start[n], net[n], g, want, new(big.Int).Sub(got, want))
			}
		}
		if left := h.balance(c, c.contract, head); left.Cmp(c.contractInit) != 0 {
			t.Errorf("contract on chain %d holds %s after every close, want %s", c.id, left, c.contractInit)
		}
	}
	t.Logf("multi-process run done in %v", time.Since(began).Round(time.Millisecond))
}
