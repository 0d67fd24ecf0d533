// Package sim is teeswap's load simulation: it builds a channel graph on
// several chains, runs many swaps and payments through the actors at a
// chosen concurrency, checks that nothing was lost, and reports
// throughput, latencies per phase, resource use and how close the run
// came to the signature bound of the machine. It also runs the HTLC
// baseline (an atomic swap with hash-time-locked contracts on the
// embedded chains) for comparison.
package sim

import (
	"errors"
	"fmt"
	"time"
)

// Graph shapes of each chain's channel graph.
const (
	GraphRandom   = "random"   // connected random graph, average degree Config.Degree
	GraphHub      = "hub"      // one hub per chain, every other terminal a spoke
	GraphLine     = "line"     // t0 - t1 - ... - tN-1
	GraphDisjoint = "disjoint" // separate lines of Hops+1 terminals: instances share no channel
)

// Modes.
const (
	ModeInProcess    = "inproc"
	ModeMultiProcess = "multiproc"
)

// Stores.
const (
	StoreMemory = "mem"
	StoreLog    = "log"
)

// Config is one simulation run. Every random choice comes from Seed.
type Config struct {
	// InsecurePlaintext runs multiproc remoting without TLS.
	InsecurePlaintext bool
	Chains            int // number of chains (chain ids FirstChainID..)
	// Terminals per chain; each chain has its own terminals, so a swap
	// across k chains with Hops channels per leg has k*(Hops+1) parties.
	// 0 picks enough for Concurrency disjoint instances (see Normalize).
	Terminals int
	Graph     string
	Degree    int // random graph: average degree
	// Parallel is the number of channels between each pair of neighbours
	// (default 1): a disjoint segment then carries Parallel instances at
	// once with no more terminals.
	Parallel  int
	Deposit   int64 // each side of each channel
	MaxAmount int64 // amounts are uniform in [1, MaxAmount]

	SwapFraction   float64 // share of cross-chain swaps; the rest are payments
	SwapChains     int     // legs (chains) per swap
	Hops           int     // channels per leg: Hops+1 parties per leg
	RefundFraction float64 // share of instances sent with an already-passed deadline

	Instances   int           // total instances (0 with Duration: unbounded)
	Concurrency int           // instances in flight at once
	Duration    time.Duration // stop submitting after this (0: run Instances)
	Seed        int64
	Timeout     time.Duration // instance deadline (coordinator timeout)

	Mode string // inproc or multiproc
	// Processes is how many terminal processes multiproc mode starts.
	Processes int
	// Binary is the teeswap executable multiproc mode runs (default: this one).
	Binary string

	// RetryInterval paces the actors' retries (resends, refund requests).
	RetryInterval time.Duration
	// Store is where in-process actors keep their write-ahead records:
	// StoreMemory (in the heap) or StoreLog (a sealed append-only file per
	// actor in a temporary folder, not fsynced, as a node keeps them on
	// disk rather than in RAM).
	Store string
	// Progress, when set, is called about ten times a second while the
	// run submits and drains.
	Progress func(done, submitted, total int)

	// Faults injects faults, all drawn from Seed (inproc): envelopes
	// dropped, duplicated and delayed (reordered) at the actors'
	// mailboxes with probability FaultRate each; every FaultInterval a
	// terminal or the coordinator is crashed and restarted, or a
	// terminal is offered an older copy of its store (which must be
	// refused); and some requests are submitted twice. Every fault
	// interval may also start a partition. In multiproc mode the
	// coordinator and the terminals run in child processes on data
	// directories of their own, and the faults are SIGKILLs and restarts
	// of those processes at seeded protocol points, partitions, and the
	// envelope faults inside each child.
	Faults        bool
	FaultRate     float64
	FaultInterval time.Duration
	// OnChain opens the channels on embedded simulated chains through
	// the terminals' enclaves before the load, and closes every one after
	// it: each party's payout must equal its off-chain final balance
	// (faults_onchain.go). In multiproc mode (fault runs only) the chains
	// are served to the terminal processes over loopback HTTP.
	OnChain bool

	// Cluster, when above 0, runs the coordinator as that many `teeswap
	// cluster member` processes over an etcd in this process (cluster.go);
	// KillMember SIGKILLs one mid-run and restarts it.
	Cluster    int
	KillMember bool
}

// Defaults returns the configuration `teeswap sim` runs with no flags: a
// random graph on two chains, mostly 6-party swaps, finishing in seconds.
func Defaults() Config {
	return Config{
		Chains: 2, Terminals: 60, Graph: GraphRandom, Degree: 3, Deposit: 1_000_000_000, MaxAmount: 1000,
		SwapFraction: 0.8, SwapChains: 2, Hops: 2, RefundFraction: 0.02,
		Instances: 2000, Concurrency: 32, Seed: 1, Timeout: 10 * time.Second,
		Mode: ModeInProcess, Processes: 2, RetryInterval: 500 * time.Millisecond, Store: StoreMemory,
	}
}

// Normalize fills zero fields from Defaults and checks the rest.
func (c *Config) Normalize() error {
	d := Defaults()
	if c.Chains <= 0 {
		c.Chains = d.Chains
	}
	if c.Graph == "" {
		c.Graph = d.Graph
	}
	if c.Degree <= 0 {
		c.Degree = d.Degree
	}
	if c.Deposit <= 0 {
		c.Deposit = d.Deposit
	}
	if c.MaxAmount <= 0 {
		c.MaxAmount = d.MaxAmount
	}
	if c.SwapChains <= 0 {
		c.SwapChains = d.SwapChains
	}
	if c.Hops <= 0 {
		c.Hops = d.Hops
	}
	if c.Concurrency <= 0 {
		c.Concurrency = d.Concurrency
	}
	if c.Timeout <= 0 {
		c.Timeout = d.Timeout
	}
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.Processes <= 0 {
		c.Processes = d.Processes
	}
	if c.Store == "" {
		c.Store = d.Store
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = d.RetryInterval
	}
	if c.Instances <= 0 && c.Duration <= 0 {
		c.Instances = d.Instances
	}
	if c.Parallel <= 0 {
		c.Parallel = 1
	}
	if c.Faults && c.FaultRate <= 0 {
		c.FaultRate = 0.01
	}
	if c.Faults && c.FaultInterval <= 0 {
		c.FaultInterval = 500 * time.Millisecond
		if c.Mode == ModeMultiProcess {
			// A process kill and restart takes a second or two.
			c.FaultInterval = 3 * time.Second
		}
	}
	if c.Terminals <= 0 {
		// Enough for every instance in flight to have channels of its own.
		segments := (c.Concurrency + c.Parallel - 1) / c.Parallel
		c.Terminals = max(segments*(c.Hops+1), c.Hops+1)
	}
	switch {
	case c.SwapFraction < 0 || c.SwapFraction > 1 || c.RefundFraction < 0 || c.RefundFraction > 1:
		return errors.New("sim: fractions must be within [0, 1]")
	case c.SwapFraction > 0 && c.SwapChains > c.Chains:
		return fmt.Errorf("sim: a swap over %d chains needs at least %d chains, have %d", c.SwapChains, c.SwapChains, c.Chains)
	case c.Terminals < c.Hops+1:
		return fmt.Errorf("sim: %d terminals per chain cannot hold a %d-hop path", c.Terminals, c.Hops)
	case c.Mode != ModeInProcess && c.Mode != ModeMultiProcess:
		return fmt.Errorf("sim: mode %q (want %s or %s)", c.Mode, ModeInProcess, ModeMultiProcess)
	case c.FaultRate < 0 || 3*c.FaultRate > 1:
		return errors.New("sim: the fault rate must be within [0, 1/3]")
	case c.OnChain && c.Mode == ModeMultiProcess && !c.Faults:
		return errors.New("sim: --onchain with --mode multiproc needs --faults (the fault run's processes)")
	case c.KillMember && c.Cluster < 2:
		return errors.New("sim: --kill-member needs --cluster 2 or more (a client whose member died resubmits through another)")
	case c.Faults && c.Cluster > 0:
		return errors.New("sim: --faults runs in process only; use --kill-member with --cluster")
	case c.OnChain && c.Cluster > 0:
		return errors.New("sim: --onchain runs in process or multiproc, not with --cluster")
	case c.Store != StoreMemory && c.Store != StoreLog:
		return fmt.Errorf("sim: store %q (want %s or %s)", c.Store, StoreMemory, StoreLog)
	}
	switch c.Graph {
	case GraphRandom, GraphLine, GraphDisjoint:
	case GraphHub:
		if c.Hops != 2 {
			return errors.New("sim: in a hub-and-spoke graph every route has 2 hops: use --hops 2")
		}
	default:
		return fmt.Errorf("sim: graph %q (want random, hub, line or disjoint)", c.Graph)
	}
	return nil
}
