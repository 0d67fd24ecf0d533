package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// Fault injection of `teeswap sim --faults` (issue 11) and the invariant
// checker that runs after every run.

// FaultStats is what was injected.
type FaultStats struct {
	Dropped              int64 `json:"dropped"`
	Duplicated           int64 `json:"duplicated"`
	Delayed              int64 `json:"delayed"`
	TerminalRestarts     int64 `json:"terminal_restarts"`
	CoordinatorRestarts  int64 `json:"coordinator_restarts"`
	StaleStoresRefused   int64 `json:"stale_stores_refused"`
	DuplicateSubmissions int64 `json:"duplicate_submissions"`
	// Partitions cut a set of terminals off from the coordinator and
	// every other terminal for a seeded interval; PartitionDropped is the
	// envelopes the cuts dropped.
	Partitions       int64 `json:"partitions"`
	PartitionDropped int64 `json:"partition_dropped"`
	// Multiproc: SIGKILLs of terminal processes and of the coordinator's
	// process (each followed by a restart on the same data directory).
	TerminalProcessKills    int64 `json:"terminal_process_kills,omitempty"`
	CoordinatorProcessKills int64 `json:"coordinator_process_kills,omitempty"`
}

type chaosStats struct {
	terminalRestarts, coordinatorRestarts, staleRefused, staleAccepted, dupSubmits atomic.Int64
	partitions, terminalKills, coordinatorKills                                    atomic.Int64
}

// partitioner starts and heals partitions from its own seeded stream (so
// the other faults of a seed stay what they were without partitions).
type partitioner struct {
	rng     *rand.Rand
	every   time.Duration
	healAt  time.Time
	active  bool
	side    []common.Address
	cut     func(side []common.Address)
	heal    func()
	started func()
}

// step heals an expired partition or, with probability 1/10, cuts one to
// three terminals off for one to four fault intervals.
func (p *partitioner) step(all []common.Address) {
	if p.active {
		if time.Now().After(p.healAt) {
			p.heal()
			p.active = false
		}
		return
	}
	if p.rng.Float64() >= 0.1 || len(all) == 0 {
		return
	}
	n := 1 + p.rng.IntN(min(3, len(all)))
	side := make([]common.Address, 0, n)
	for _, i := range p.rng.Perm(len(all))[:n] {
		side = append(side, all[i])
	}
	p.cut(side)
	p.active, p.side = true, side
	p.healAt = time.Now().Add(time.Duration(1+p.rng.IntN(4)) * p.every)
	p.started()
}

func (p *partitioner) stop() {
	if p.active {
		p.heal()
		p.active = false
	}
}

func seed32(seed int64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(uint64(seed) >> (8 * i))
	}
	s[31] = 0x11
	return s
}

// chaos crashes and restarts actors and offers terminals older copies of
// their stores, every cfg.FaultInterval, until stop is closed. Every
// choice comes from the seed.
func (w *world) runChaos(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	rng := rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x6368616f73))
	var all []common.Address
	for _, addrs := range w.addrs {
		all = append(all, addrs...)
	}
	// Older copies of terminals' stores, kept to be offered later.
	snaps := map[common.Address]*actors.MemStore{}
	part := &partitioner{rng: rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x706172746974)), every: w.cfg.FaultInterval,
		cut: w.faults.Partition, heal: w.faults.Heal, started: func() { w.chaos.partitions.Add(1) }}
	defer part.stop()
	t := time.NewTicker(w.cfg.FaultInterval)
	defer t.Stop()
	// Restarts that failed (a stop that outlasted its wait on a loaded
	// machine leaves the name taken) are retried first on every tick, so
	// no actor stays down for the rest of the run. Retries draw nothing
	// from rng: a seed replays the same faults.
	coordinatorDown := false
	terminalsDown := map[common.Address]bool{}
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		if coordinatorDown && w.local.RestartCoordinator() == nil {
			coordinatorDown = false
			w.chaos.coordinatorRestarts.Add(1)
		}
		for a := range terminalsDown {
			if _, err := w.local.RestartTerminal(a); err == nil {
				delete(terminalsDown, a)
				w.chaos.terminalRestarts.Add(1)
			}
		}
		part.step(all)
		addr := all[rng.IntN(len(all))]
		switch x := rng.Float64(); {
		case x < 0.05:
			if err := w.local.RestartCoordinator(); err != nil {
				w.log.Warn("chaos: restart coordinator failed; retried on the next tick", "err", err)
				coordinatorDown = true
				continue
			}
			w.chaos.coordinatorRestarts.Add(1)
		case x < 0.4:
			// Keep a copy now; a later step offers it.
			if ms, ok := w.local.TerminalStore(addr).(*actors.MemStore); ok {
				snaps[addr] = ms.Snapshot()
			}
		default:
			if err := w.local.StopTerminal(addr); err != nil {
				continue
			}
			// A host offers the older copy first: it must be refused.
			if old := snaps[addr]; old != nil {
				delete(snaps, addr)
				cur, _ := w.local.TerminalStore(addr).(*actors.MemStore)
				if cur != nil && old.Seq() < cur.Seq() {
					if _, err := old.Reopen(); errors.Is(err, actors.ErrStoreRolledBack) {
						w.chaos.staleRefused.Add(1)
					} else {
						w.chaos.staleAccepted.Add(1)
					}
				}
			}
			if _, err := w.local.RestartTerminal(addr); err != nil {
				w.log.Warn("chaos: restart terminal failed; retried on the next tick", "err", err)
				terminalsDown[addr] = true
				continue
			}
			w.chaos.terminalRestarts.Add(1)
		}
	}
}

// resultsAgree reports whether a later result for a request says what the
// first said: the same instance and outcome (a repeat's answer).
func resultsAgree(a, b *messages.SwapResult) bool {
	return string(a.GetInstanceId()) == string(b.GetInstanceId()) && a.GetOutcome() == b.GetOutcome() && (a.GetError() == "") == (b.GetError() == "")
}

// invariants checks a finished run: exactly one outcome per instance;
// every terminal all applied or all reverted; no request executed twice;
// nothing stuck; both ends of every channel agree and value is conserved
// per chain (verify's count). It returns violations by kind and the
// number of stuck instances.
func (w *world) invariants(st *loadStats, channelBad int) (map[string]int, int) {
	v := map[string]int{}
	stuck := 0
	for _, in := range st.instances {
		if in.Result == nil {
			stuck++
			if stuck <= 5 && w.local != nil {
				w.describeStuck(in)
			}
			continue
		}
		if in.disagree {
			v["executed_twice_or_several_outcomes"]++
		}
		a, ok := w.applied.get(in.id())
		if !ok {
			continue
		}
		if a.conflicts > 0 {
			v["terminal_applied_both_outcomes"]++
		}
		want := messages.TerminalPhase_TERMINAL_PHASE_REFUNDED
		if in.Outcome() == "confirmed" {
			want = confirmedPhase
		}
		for _, ph := range a.parties {
			if ph != want {
				v["terminals_disagree_with_outcome"]++
				break
			}
		}
		// Multiproc: an outcome line may die with a SIGKILLed process
		// after the store has it, so "applied by all" is checked on the
		// channels instead (verify: every channel idle at the ledger).
		if in.Outcome() == "confirmed" && !w.remote && !appliedByAll(w, in, a) {
			v["not_applied_by_all"]++
		}
	}
	if channelBad > 0 {
		v["channels_disagree_or_value_not_conserved"] = channelBad
	}
	if st.extraResult > 0 {
		v["results_for_unknown_requests"] = st.extraResult
	}
	if w.chaos != nil && w.chaos.staleAccepted.Load() > 0 {
		v["stale_store_accepted"] = int(w.chaos.staleAccepted.Load())
	}
	return v, stuck
}

func (w *world) faultStats() *FaultStats {
	if w.chaos == nil {
		return nil
	}
	var c actors.FaultCounts
	if w.faults != nil {
		c = w.faults.Counts()
	}
	if w.childFaults != nil {
		k := w.childFaults()
		c.Dropped, c.Duplicated, c.Delayed, c.Partitioned = c.Dropped+k.Dropped, c.Duplicated+k.Duplicated, c.Delayed+k.Delayed, c.Partitioned+k.Partitioned
	}
	return &FaultStats{Dropped: c.Dropped, Duplicated: c.Duplicated, Delayed: c.Delayed,
		TerminalRestarts: w.chaos.terminalRestarts.Load(), CoordinatorRestarts: w.chaos.coordinatorRestarts.Load(),
		StaleStoresRefused: w.chaos.staleRefused.Load(), DuplicateSubmissions: w.chaos.dupSubmits.Load(),
		Partitions: w.chaos.partitions.Load(), PartitionDropped: c.Partitioned,
		TerminalProcessKills: w.chaos.terminalKills.Load(), CoordinatorProcessKills: w.chaos.coordinatorKills.Load()}
}

// resubmitter decides, from the seed, which requests a client sends twice.
type resubmitter struct {
	mu  sync.Mutex
	rng *rand.Rand
}

func (r *resubmitter) again() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rng.Float64() < 0.02
}

// describeStuck logs what the coordinator's store knows of a stuck request.
func (w *world) describeStuck(in *Instance) {
	id := fmt.Sprint("sim-", in.Index)
	recs, _ := w.local.CoordinatorStore().LoadRequests()
	for _, r := range recs {
		if r.RequestId != id {
			continue
		}
		var phase messages.InstancePhase
		if len(r.InstanceId) == 32 {
			if rec, _ := w.local.CoordinatorStore().LoadInstance(r.InstanceId); rec != nil {
				phase = rec.Phase
			}
		}
		w.log.Error("stuck request", "id", id, "queued", r.Request != nil, "instance", fmt.Sprintf("%x", r.InstanceId), "phase", phase,
			"result", r.Result.GetError(), "client", r.Client.GetId())
		return
	}
	w.log.Error("stuck request unknown to the coordinator's store", "id", id, "submissions", in.submissions)
}

// signOrders asks the payers' terminals for their orders. With process
// kills a payer's process may be down for a moment: the ask is repeated,
// with a shorter wait each, instead of failing the request.
func (w *world) signOrders(req *messages.SwapRequest) error {
	if !w.cfg.Faults || !w.remote {
		return actors.RequestOrders(w.system.Root, w.peer, req, time.Now().Add(orderTTL).UnixMilli(), "", w.cfg.Timeout+time.Minute)
	}
	var err error
	for range 30 {
		if err = actors.RequestOrders(w.system.Root, w.peer, req, time.Now().Add(orderTTL).UnixMilli(), "", max(2*time.Second, 10*w.cfg.RetryInterval)); err == nil {
			return nil
		}
	}
	return err
}
