//go:build !race

package main

import (
	"bytes"
	"fmt"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/ethereum/go-ethereum/rpc"
)

// startChain starts one geth --dev node (chain A) for the dispute test.
func (h *mpHarness) startChain(name string, id uint64) *mpChain {
	t := h.t
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
	cmd := exec.CommandContext(h.ctx, "bash", h.script, "start")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("geth-dev.sh start (chain %d): %v\n%s", id, err, stderr.String())
	}
	var err error
	if c.rpc, err = rpc.DialContext(h.ctx, c.ws); err != nil {
		t.Fatal(err)
	}
	c.client = ethclient.NewClient(c.rpc)
	t.Cleanup(c.rpc.Close)
	var accounts []common.Address
	if err := c.rpc.CallContext(h.ctx, &accounts, "eth_accounts"); err != nil || len(accounts) == 0 {
		t.Fatalf("dev account on chain %d: %v %v", c.id, accounts, err)
	}
	c.dev = accounts[0]
	return c
}

// poke mines a block (geth --dev seals one per transaction), so chain
// time follows the wall clock while the test waits for a deadline.
func (h *mpHarness) poke(c *mpChain) {
	var hash common.Hash
	_ = c.rpc.CallContext(h.ctx, &hash, "eth_sendTransaction", map[string]any{"from": c.dev, "to": c.dev, "value": (*hexutil.Big)(big.NewInt(0))})
}

// channelView is name's view of a channel, or nil.
func (h *mpHarness) channelView(name, id string) *channelJSON {
	var l listOutput
	h.mustJSON(&l, 0, "channel", "list", "--terminal", h.addr(name), "--data-dir", h.dataDir(name), "--all", "--wait", "10s")
	for _, c := range l.Channels {
		if c.ChannelID == id {
			return &c
		}
	}
	return nil
}

// TestMultiProcessDisputes runs terminal nodes against a real geth --dev
// chain and lets them defend themselves, through the CLI only:
//
//	(b) sA's node is rolled back to an old copy of its data directory and
//	    force-closes sA-iA on the stale state it now believes latest; iA's
//	    node challenges on its own with the newest state, submits the
//	    payment's outcome, finalizes and gets its due.
//	(a) rA's node is SIGKILLed; iA force-closes iA-rA without it, and
//	    after the challenge period its node finalizes on its own.
//
// Every account ends with exactly its start, plus its confirmed payments,
// minus the gas of the transactions it sent.
// disputeNodes starts a geth --dev chain with a 5 s challenge period, a
// coordinator and the named terminal nodes, funds the terminals and
// returns their addresses and start balances.
func disputeNodes(t *testing.T, chainID uint64, terminals []string) (*mpHarness, *mpChain, map[string]common.Address, map[string]*big.Int) {
	h := newMPHarness(t)
	A := h.startChain("A", chainID)
	var dep deployOutput
	h.mustJSON(&dep, 0, "deploy", "--rpc", A.ws, "--dev-unlocked", "--chain", fmt.Sprint(A.id), "--challenge-period", "5s")
	A.contract, A.deployBlock = common.HexToAddress(dep.Contract), dep.Block
	A.terminals = terminals
	for _, n := range append([]string{"coordinator"}, A.terminals...) {
		h.ports[n] = freePort(t)
	}
	h.writeNodeConfig("coordinator", nodeConfig{Role: roleCoordinator, Chains: []chainConfig{A.config()}})
	for _, n := range A.terminals {
		var peers []string
		for _, p := range A.terminals {
			if p != n {
				peers = append(peers, h.addr(p))
			}
		}
		h.writeNodeConfig(n, nodeConfig{Role: roleTerminal, Coordinator: h.addr("coordinator"), Peers: peers, Chains: []chainConfig{A.config()}})
	}
	h.start("coordinator")
	for _, n := range A.terminals {
		h.start(n)
	}
	addrs := map[string]common.Address{}
	var all []common.Address
	for _, n := range A.terminals {
		addrs[n] = common.HexToAddress(h.chainAddr(n))
		all = append(all, addrs[n])
	}
	h.fund(A, new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1)), all...)
	head, err := A.client.BlockNumber(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	A.startBlock, A.contractInit = head, h.balance(A, A.contract, head)
	start := map[string]*big.Int{}
	for _, n := range A.terminals {
		start[n] = h.balance(A, addrs[n], head)
		h.eventually(n+" registered", 20*time.Second, func() bool { return len(h.channels(n).Coordinators) == 1 })
	}
	return h, A, addrs, start
}

// openChannel opens from-to with deposit through the CLI and waits until
// the counterparty's enclave tracks it.
func (h *mpHarness) openChannel(A *mpChain, addrs map[string]common.Address, from, to string, deposit int64) string {
	var out struct {
		ChannelID string `json:"channel_id"`
	}
	h.mustJSON(&out, 0, "channel", "open", "--terminal", h.addr(from), "--data-dir", h.dataDir(from), "--chain", fmt.Sprint(A.id),
		"--counterparty", addrs[to].Hex(), "--amount", fmt.Sprint(deposit), "--wait", "60s")
	h.eventually(to+" sees its channel", 20*time.Second, func() bool { return h.channelView(to, out.ChannelID) != nil })
	return out.ChannelID
}

// snapshot copies a node's data directory (the node must be stopped).
func (h *mpHarness) snapshot(name string) {
	dir := filepath.Join(h.dir, "data", name)
	if out, err := exec.Command("cp", "-a", dir, dir+".old").CombinedOutput(); err != nil {
		h.t.Fatalf("copy %s's data: %v %s", name, err, out)
	}
}

// rollback puts a node's snapshot back in place (the node must be stopped).
func (h *mpHarness) rollback(name string) {
	dir := filepath.Join(h.dir, "data", name)
	if out, err := exec.Command("bash", "-c", fmt.Sprintf("rm -rf %q && mv %q %q", dir, dir+".old", dir)).CombinedOutput(); err != nil {
		h.t.Fatalf("roll back %s's data: %v %s", name, err, out)
	}
}

// forceClose closes a channel unilaterally through the CLI.
func (h *mpHarness) forceClose(by, id string) {
	var closing struct {
		Closing  bool   `json:"closing"`
		Deadline uint64 `json:"deadline"`
	}
	h.mustJSON(&closing, 0, "channel", "close", "--terminal", h.addr(by), "--data-dir", h.dataDir(by), "--channel", id, "--force", "--wait", "60s")
	if !closing.Closing || closing.Deadline == 0 {
		h.t.Fatalf("force close by %s: %+v", by, closing)
	}
}

// settled waits, mining a block per poll, until name's node has finalized
// channel id (and withdrawn anything deferred).
func (h *mpHarness) settled(A *mpChain, name, id string) {
	h.eventually(name+" settles "+id[:10], 60*time.Second, func() bool {
		h.poke(A)
		c := h.channelView(name, id)
		return c != nil && c.Settled
	})
}

// exactBalances checks every terminal holds start + moved - its gas, and
// the contract what it held at the start.
func (h *mpHarness) exactBalances(A *mpChain, addrs map[string]common.Address, start map[string]*big.Int, moved map[string]int64) {
	t := h.t
	head, err := A.client.BlockNumber(h.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine := map[common.Address]bool{}
	for _, a := range addrs {
		mine[a] = true
	}
	gas := h.gasPaid(A, A.startBlock, head, mine)
	for n, a := range addrs {
		want := new(big.Int).Add(start[n], big.NewInt(moved[n]))
		if g := gas[a]; g != nil {
			want.Sub(want, g)
		}
		if got := h.balance(A, a, head); got.Cmp(want) != 0 {
			t.Errorf("%s: balance %s, want %s (off by %s)", n, got, want, new(big.Int).Sub(got, want))
		}
	}
	if left := h.balance(A, A.contract, head); left.Cmp(A.contractInit) != 0 {
		t.Errorf("contract holds %s after every close, want %s", left, A.contractInit)
	}
}

func TestMultiProcessDisputes(t *testing.T) {
	began := time.Now()
	h, A, addrs, start := disputeNodes(t, 31011, []string{"sA", "iA", "rA"})
	const deposit = 1_000_000
	sAiA, iArA := h.openChannel(A, addrs, "sA", "iA", deposit), h.openChannel(A, addrs, "iA", "rA", deposit)
	pay := func(id string, amount int) {
		var res swapOutput
		orders := h.signOrders(t, id, []string{"sA"}, fmt.Sprintf("chain=%d,from=%s,to=%s,amount=%d", A.id, addrs["sA"].Hex(), addrs["rA"].Hex(), amount))
		h.eventually("payment "+id, 30*time.Second, func() bool {
			err := h.tryJSON(&res, 0, append([]string{"pay", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--chain", fmt.Sprint(A.id),
				"--from", addrs["sA"].Hex(), "--to", addrs["rA"].Hex(), "--amount", fmt.Sprint(amount), "--id", id}, orders...)...)
			return err == nil && res.Confirmed
		})
	}
	pay("pay-1", 50)
	h.eventually("pay-1 applied", 10*time.Second, func() bool { v, p := h.holds("rA", "iA"); return v.Int64() == 50 && p == "IDLE" })

	// (b) A copy of sA's data directory after pay-1; pay-2; sA's node is
	// then rolled back to the copy.
	h.kill("sA")
	h.snapshot("sA")
	h.start("sA")
	h.eventually("sA re-registered", 20*time.Second, func() bool { return len(h.channels("sA").Coordinators) == 1 })
	pay("pay-2", 30)
	h.eventually("pay-2 applied", 10*time.Second, func() bool {
		v, p := h.holds("iA", "sA")
		return v.Int64() == 80 && p == "IDLE"
	})
	h.kill("sA")
	h.rollback("sA")
	h.start("sA")
	if v, _ := h.holds("sA", "iA"); v.Int64() != deposit-50 {
		t.Fatalf("rolled-back sA holds %s, want %d", v, deposit-50)
	}
	h.forceClose("sA", sAiA)
	h.eventually("iA challenges the stale close", 30*time.Second, func() bool {
		c := h.channelView("iA", sAiA)
		// pay-1's states end at version 3 (settled), pay-2's at 6.
		return c != nil && c.Closing && c.ClosingVersion > 3
	})
	h.settled(A, "iA", sAiA)
	t.Logf("(b) stale close challenged and finalized at %v", time.Since(began).Round(time.Millisecond))

	// (a) rA is SIGKILLed; iA closes iA-rA alone.
	h.kill("rA")
	out, code := h.teeswap("channel", "close", "--terminal", h.addr("iA"), "--data-dir", h.dataDir("iA"), "--channel", iArA, "--force", "--wait", "60s")
	if code != 0 || !strings.Contains(out, "closing unilaterally") {
		t.Fatalf("force close: exit %d: %s", code, out)
	}
	out, _ = h.teeswap("channel", "list", "--terminal", h.addr("iA"), "--data-dir", h.dataDir("iA"), "--wait", "10s")
	if !strings.Contains(out, "CLOSING at v") {
		t.Fatalf("channel list does not show the closing channel and its deadline:\n%s", out)
	}
	h.settled(A, "iA", iArA)
	t.Logf("(a) force close finalized at %v", time.Since(began).Round(time.Millisecond))

	// Exact balances: 80 moved from sA to rA; everyone paid its own gas.
	h.exactBalances(A, addrs, start, map[string]int64{"sA": -80, "iA": 0, "rA": 80})
}

// TestMultiProcessThreeHopCloses (issue 9.4 c): a payment over three
// channels s-i1-i2-r confirms; then s-i1 closes cooperatively, i2-r
// unilaterally (r SIGKILLed), and i1, rolled back to a copy of its data
// from before the payment, force-closes i1-i2 on that stale state; i2's
// node challenges. Every party ends with exactly its due.
func TestMultiProcessThreeHopCloses(t *testing.T) {
	began := time.Now()
	h, A, addrs, start := disputeNodes(t, 31012, []string{"s", "i1", "i2", "r"})
	const deposit = 1_000_000
	si1 := h.openChannel(A, addrs, "s", "i1", deposit)
	i1i2 := h.openChannel(A, addrs, "i1", "i2", deposit)
	i2r := h.openChannel(A, addrs, "i2", "r", deposit)
	h.kill("i1")
	h.snapshot("i1")
	h.start("i1")
	h.eventually("i1 re-registered", 20*time.Second, func() bool { return len(h.channels("i1").Coordinators) == 1 })
	var res swapOutput
	orders := h.signOrders(t, "pay-3hop", []string{"s"}, fmt.Sprintf("chain=%d,from=%s,to=%s,amount=50", A.id, addrs["s"].Hex(), addrs["r"].Hex()))
	h.eventually("3-hop payment", 30*time.Second, func() bool {
		err := h.tryJSON(&res, 0, append([]string{"pay", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--chain", fmt.Sprint(A.id),
			"--from", addrs["s"].Hex(), "--to", addrs["r"].Hex(), "--amount", "50", "--id", "pay-3hop"}, orders...)...)
		return err == nil && res.Confirmed
	})
	h.eventually("payment applied", 10*time.Second, func() bool { v, p := h.holds("r", "i2"); return v.Int64() == 50 && p == "IDLE" })
	t.Logf("3-hop payment confirmed at %v", time.Since(began).Round(time.Millisecond))

	// Cooperative.
	var closed struct {
		PayoutA string `json:"payout_a"`
		PayoutB string `json:"payout_b"`
	}
	// s learns i1's restarted node as a peer asynchronously; a close that
	// cannot reach it changes nothing, so it is simply asked again.
	h.eventually("cooperative close of s-i1", 30*time.Second, func() bool {
		return h.tryJSON(&closed, 0, "channel", "close", "--terminal", h.addr("s"), "--data-dir", h.dataDir("s"), "--channel", si1, "--wait", "60s") == nil
	})
	if closed.PayoutA != fmt.Sprint(deposit-50) || closed.PayoutB != "50" {
		t.Fatalf("cooperative close paid %+v", closed)
	}
	// Unilateral, the counterparty gone.
	h.kill("r")
	h.forceClose("i2", i2r)
	// Stale: i1 rolled back to before the payment closes i1-i2 on the
	// deposits; i2 challenges with the payment's state.
	h.kill("i1")
	h.rollback("i1")
	h.start("i1")
	h.forceClose("i1", i1i2)
	h.eventually("i2 challenges the stale close", 30*time.Second, func() bool {
		c := h.channelView("i2", i1i2)
		return c != nil && c.Closing && c.ClosingVersion > 0
	})
	h.settled(A, "i2", i2r)
	h.settled(A, "i2", i1i2)
	t.Logf("every channel closed at %v", time.Since(began).Round(time.Millisecond))
	h.exactBalances(A, addrs, start, map[string]int64{"s": -50, "i1": 0, "i2": 0, "r": 50})
}

// TestMultiProcessSwapDisputes (issue 9.4 d): s and r swap across two
// geth --dev chains (s pays 100 on A, r pays 40 on B) and a payment on A
// is refunded (r frozen past its deadline). Then r is SIGKILLed and s
// force-closes the A channel, whose newest state carries the swap's
// committed lock: s submits the swap's outcome so it lands with r. r,
// restarted from a copy of its data taken before the swap, force-closes
// the B channel on the deposits; s's node challenges on its own. Both
// end with exactly their due on both chains.
func TestMultiProcessSwapDisputes(t *testing.T) {
	began := time.Now()
	h := newMPHarness(t)
	A, B := h.startChain("A", 31013), h.startChain("B", 31014)
	for _, c := range []*mpChain{A, B} {
		var dep deployOutput
		h.mustJSON(&dep, 0, "deploy", "--rpc", c.ws, "--dev-unlocked", "--chain", fmt.Sprint(c.id), "--challenge-period", "5s")
		c.contract, c.deployBlock = common.HexToAddress(dep.Contract), dep.Block
		c.terminals = []string{"s", "r"}
	}
	for _, n := range []string{"coordinator", "s", "r"} {
		h.ports[n] = freePort(t)
	}
	both := []chainConfig{A.config(), B.config()}
	h.writeNodeConfig("coordinator", nodeConfig{Role: roleCoordinator, Chains: both})
	h.writeNodeConfig("s", nodeConfig{Role: roleTerminal, Coordinator: h.addr("coordinator"), Peers: []string{h.addr("r")}, Chains: both})
	h.writeNodeConfig("r", nodeConfig{Role: roleTerminal, Coordinator: h.addr("coordinator"), Peers: []string{h.addr("s")}, Chains: both})
	h.start("coordinator")
	h.start("s")
	h.start("r")
	addrs := map[string]common.Address{"s": common.HexToAddress(h.chainAddr("s")), "r": common.HexToAddress(h.chainAddr("r"))}
	start := map[uint64]map[string]*big.Int{}
	for _, c := range []*mpChain{A, B} {
		h.fund(c, new(big.Int).Mul(big.NewInt(1e18), big.NewInt(1)), addrs["s"], addrs["r"])
		head, err := c.client.BlockNumber(h.ctx)
		if err != nil {
			t.Fatal(err)
		}
		c.startBlock, c.contractInit = head, h.balance(c, c.contract, head)
		start[c.id] = map[string]*big.Int{"s": h.balance(c, addrs["s"], head), "r": h.balance(c, addrs["r"], head)}
	}
	for _, n := range []string{"s", "r"} {
		h.eventually(n+" registered", 20*time.Second, func() bool { return len(h.channels(n).Coordinators) == 1 })
	}
	const deposit = 1_000_000
	onA, onB := h.openChannel(A, addrs, "s", "r", deposit), h.openChannel(B, addrs, "r", "s", deposit)
	h.kill("r")
	h.snapshot("r")
	h.start("r")
	h.eventually("r re-registered", 20*time.Second, func() bool { return len(h.channels("r").Coordinators) == 1 })

	leg := func(c *mpChain, from, to string, amount int) string {
		return fmt.Sprintf("chain=%d,from=%s,to=%s,amount=%d", c.id, addrs[from].Hex(), addrs[to].Hex(), amount)
	}
	var res swapOutput
	orders := h.signOrders(t, "swap-1", []string{"s", "r"}, leg(A, "s", "r", 100), leg(B, "r", "s", 40))
	h.eventually("swap", 30*time.Second, func() bool {
		err := h.tryJSON(&res, 0, append([]string{"swap", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--leg", leg(A, "s", "r", 100), "--leg", leg(B, "r", "s", 40), "--id", "swap-1"}, orders...)...)
		return err == nil && res.Confirmed
	})
	h.eventually("swap applied", 10*time.Second, func() bool {
		v, p := h.holds("r", "s")
		return v.Int64() > 0 && p == "IDLE"
	})
	// A payment refunded: r is frozen past the instance's deadline.
	h.mu.Lock()
	rProc := h.procs["r"]
	h.mu.Unlock()
	if err := rProc.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	h.mustJSON(&res, 1, append([]string{"pay", "--coordinator", h.addr("coordinator"), "--data-dir", h.dataDir("coordinator"), "--chain", fmt.Sprint(A.id),
		"--from", addrs["s"].Hex(), "--to", addrs["r"].Hex(), "--amount", "10", "--id", "pay-refunded", "--timeout-ms", "3000"},
		h.signOrders(t, "pay-refunded", []string{"s"}, fmt.Sprintf("chain=%d,from=%s,to=%s,amount=10", A.id, addrs["s"].Hex(), addrs["r"].Hex()))...)...)
	if res.Outcome != "REFUNDED" {
		t.Fatalf("frozen payee: %+v", res)
	}
	h.kill("r")
	t.Logf("swap confirmed, payment refunded, r killed at %v", time.Since(began).Round(time.Millisecond))

	// Chain A: unilateral by s, the counterparty gone.
	h.forceClose("s", onA)
	h.settled(A, "s", onA)
	// Chain B: r, rolled back to before the swap, closes stale; s challenges.
	h.rollback("r")
	h.start("r")
	h.forceClose("r", onB)
	h.eventually("s challenges the stale close", 30*time.Second, func() bool {
		c := h.channelView("s", onB)
		return c != nil && c.Closing && c.ClosingVersion > 0
	})
	h.settled(B, "s", onB)
	t.Logf("both channels closed at %v", time.Since(began).Round(time.Millisecond))
	for _, c := range []*mpChain{A, B} {
		moved := map[string]int64{"s": -100, "r": 100}
		if c == B {
			moved = map[string]int64{"s": 40, "r": -40}
		}
		h.exactBalances(c, addrs, start[c.id], moved)
	}
}

// signOrders has each payer's own node sign its order for request id over
// legs (the payer is the owner there, so it uses its own data directory)
// and returns the swap/pay arguments that carry the orders.
func (h *mpHarness) signOrders(t *testing.T, id string, payers []string, legs ...string) []string {
	t.Helper()
	var out []string
	for _, payer := range payers {
		file := filepath.Join(t.TempDir(), payer+"."+id+".order.json")
		args := []string{"order", "sign", "--terminal", h.addr(payer), "--data-dir", h.dataDir(payer), "--id", id, "--out", file}
		for _, l := range legs {
			args = append(args, "--leg", l)
		}
		h.eventually("order "+id+" signed by "+payer, 30*time.Second, func() bool {
			_, code := h.teeswap(args...)
			return code == 0
		})
		out = append(out, "--order", file)
	}
	return out
}
