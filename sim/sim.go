package sim

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/teeswap/teeswap/messages"
)

const confirmedPhase = messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED

// usage is resource use of helper processes.
type usage struct {
	cpu time.Duration
	rss uint64
}

func (in *Instance) id() [32]byte {
	if in.Result == nil || len(in.Result.InstanceId) != 32 {
		return [32]byte{}
	}
	return [32]byte(in.Result.InstanceId)
}

// Result is a finished run: its summary and every instance.
type Result struct {
	Summary   *Summary
	Instances []*Instance
	Start     time.Time
	End       time.Time
	hops      int
}

// Run runs one simulation: it starts the deployment, submits the load,
// verifies every outcome was applied and summarises.
func Run(ctx context.Context, cfg Config, log *slog.Logger) (*Result, error) {
	if err := cfg.Normalize(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cost := MeasureSigCost(2000)
	var (
		w   *world
		err error
	)
	switch {
	case cfg.Cluster > 0:
		w, err = newClusterWorld(ctx, cfg, log)
	case cfg.Mode == ModeInProcess:
		if cfg.OnChain {
			w, err = newOnChainLocalWorld(ctx, cfg, log)
		} else {
			w, err = newLocalWorld(cfg, log)
		}
	case cfg.Mode == ModeMultiProcess:
		if cfg.Faults {
			w, err = newMultiProcessFaultWorld(ctx, cfg, log)
		} else {
			w, err = newMultiProcessWorld(ctx, cfg, log)
		}
	}
	if err != nil {
		return nil, err
	}
	defer w.shutdown()
	log.Info("sim world ready", "terminals", cfg.Terminals*cfg.Chains, "channels", len(w.channels))

	signsBefore := w.signs.Load()
	cpuBefore := cpuTime() + w.childUsage().cpu
	st, err := w.runLoad(ctx, log)
	if err != nil {
		return nil, err
	}
	children := w.childUsage()
	cpu := cpuTime() + children.cpu - cpuBefore
	signs := w.signs.Load() - signsBefore
	// The least of a measurement before and one after the load: a VM's
	// clock and frequency wander by tens of percent between batches, and
	// the cheapest batch is what the hardware can do, so the bound (and
	// the ratio against it) errs against teeswap, never for it.
	cost = cost.Min(MeasureSigCost(2000))

	if w.settle != nil {
		w.settle()
	}
	bad, problems := w.verify(st, 10*time.Second+2*cfg.RetryInterval)
	s := &Summary{Mode: cfg.Mode, Seed: cfg.Seed, Graph: cfg.Graph, Chains: cfg.Chains, Terminals: cfg.Terminals * cfg.Chains,
		Channels: len(w.channels), Concurrency: cfg.Concurrency, PartiesPerSwap: cfg.SwapChains * (cfg.Hops + 1),
		Instances: len(st.instances), MaxInFlight: st.maxInFlight, Cores: runtime.GOMAXPROCS(0)}
	s.LostDetail.ChannelMismatches = bad
	s.LostDetail.Problems = problems
	var count struct{ signs, verifies float64 }
	var e2e, appl, queue, prep, commit, confirm []float64
	type iv struct {
		t     time.Time
		delta int
	}
	var ivs []iv
	for _, in := range st.instances {
		if in.Swap {
			s.Swaps++
		} else {
			s.Payments++
		}
		// A repeated answer that says the same is no second outcome (a
		// restarted coordinator may tell a client again).
		if (in.Results > max(1, in.submissions) && !w.cfg.Faults) || in.disagree {
			s.LostDetail.SeveralOutcomes++
		}
		if a, ok := w.applied.get(in.id()); ok {
			in.Applied = a.last
			if in.Outcome() == "confirmed" && !w.remote && !appliedByAll(w, in, a) {
				s.LostDetail.NotApplied++
			}
		} else if in.Outcome() == "confirmed" && !w.remote {
			s.LostDetail.NotApplied++
		}
		var per SigCount
		switch in.Outcome() {
		case "confirmed":
			s.Confirmed++
			// The routes' real lengths, where terminals reported them: a
			// route around busy channels can be longer than --hops.
			if a, ok := w.applied.get(in.id()); ok && len(a.nets) == len(in.legs) {
				for _, n := range a.nets {
					per = per.Add(ConfirmedCount(n - 1))
				}
			} else {
				for range in.legs {
					per = per.Add(ConfirmedCount(cfg.Hops))
				}
			}
		case "refunded":
			s.Refunded++
			for range in.legs {
				per = per.Add(RefundedCount(cfg.Hops))
			}
		case "rejected":
			s.Rejected++
			if s.RejectedBy == nil {
				s.RejectedBy = map[string]int{}
			}
			kind := "other"
			if k := in.Result.GetErrorKind(); k != messages.SwapErrorKind_SWAP_ERROR_KIND_UNSPECIFIED {
				kind = strings.ToLower(strings.TrimPrefix(k.String(), "SWAP_ERROR_KIND_"))
			}
			s.RejectedBy[kind]++
			if cfg.Faults && s.Rejected <= 3 {
				log.Error("request rejected", "request", in.Result.RequestId, "kind", kind, "err", in.Result.Error)
			}
		default:
			s.LostDetail.NoOutcome++
		}
		count.signs += float64(per.Signs)
		count.verifies += float64(per.Verifies)
		p, ok := in.phases()
		if !ok {
			continue
		}
		e2e, queue, prep = append(e2e, p.e2e), append(queue, p.queue), append(prep, p.prepare)
		if p.confirmed {
			commit = append(commit, p.commit)
		}
		if p.hasApplied {
			appl, confirm = append(appl, p.applied), append(confirm, p.confirm)
		}
		started := in.Ended.Add(-time.Duration(in.Result.GetTimes().GetDecidedUs()) * time.Microsecond)
		ivs = append(ivs, iv{started, 1}, iv{in.Ended, -1})
	}
	s.Violations, s.Stuck = w.invariants(st, bad)
	if w.onChain != nil {
		for k, n := range w.closeOnChain(ctx) {
			s.Violations[k] += n
		}
		oc := w.onChain.summary
		s.OnChain = &oc
	}
	s.Faults = w.faultStats()
	s.Lost = s.LostDetail.NoOutcome + s.LostDetail.SeveralOutcomes + s.LostDetail.NotApplied + s.LostDetail.ChannelMismatches
	s.LatencyMs = Latencies{EndToEnd: quantiles(e2e), Applied: quantiles(appl), Queue: quantiles(queue),
		Prepare: quantiles(prep), Commit: quantiles(commit), Confirm: quantiles(confirm)}
	// The most instances running at once, from each one's start (its end
	// less its decision time) to its end.
	slices.SortFunc(ivs, func(a, b iv) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	run := 0
	for _, x := range ivs {
		run += x.delta
		s.MaxRunning = max(s.MaxRunning, run)
	}
	span := st.end.Sub(st.start)
	s.DurationS = round3(span.Seconds())
	ended := s.Confirmed + s.Refunded
	if span > 0 {
		s.ThroughputPerS = round3(float64(ended) / span.Seconds())
	}
	s.CPUS = round3(cpu.Seconds())
	if span > 0 {
		s.CPUUtilization = round3(cpu.Seconds() / (span.Seconds() * float64(s.Cores)))
	}
	s.RSSBytes = peakRSS() + children.rss
	s.SignUs, s.VerifyUs = round3(float64(cost.Sign.Nanoseconds())/1000), round3(float64(cost.Verify.Nanoseconds())/1000)
	if ended > 0 {
		s.SignsPerInstance = round3(count.signs / float64(ended))
		s.VerifiesPerInstance = round3(count.verifies / float64(ended))
		s.SignaturesPerInstance = round3(s.SignsPerInstance + s.VerifiesPerInstance)
		if !w.remote && w.clusterSummary == nil {
			s.SignsPerInstanceMeasured = round3(float64(signs) / float64(ended))
		}
		per := time.Duration(s.SignsPerInstance*float64(cost.Sign)) + time.Duration(s.VerifiesPerInstance*float64(cost.Verify))
		if per > 0 {
			s.SignatureBoundPerS = round3(float64(s.Cores) / per.Seconds())
			s.BoundRatio = round3(s.ThroughputPerS / s.SignatureBoundPerS)
		}
		if cpu > 0 {
			s.SignatureCPUShare = round3(per.Seconds() * float64(ended) / cpu.Seconds())
		}
	}
	if w.clusterSummary != nil {
		s.Cluster = w.clusterSummary(ended)
		s.Mode = fmt.Sprintf("cluster-%d", s.Cluster.Members)
		if n := s.Cluster.RequestsRunTwice; n > 0 {
			s.Violations["request_ran_as_two_instances"] = n
		}
	}
	if st.timedOut {
		log.Error("the run did not drain")
	}
	return &Result{Summary: s, Instances: st.instances, Start: st.start, End: st.end, hops: cfg.Hops}, nil
}

// appliedByAll checks that both ends of every leg applied a confirmed
// outcome and nobody applied anything else.
func appliedByAll(w *world, in *Instance, a applied) bool {
	if a.conflicts > 0 {
		return false
	}
	for _, l := range in.legs {
		for _, t := range []int{l.from, l.to} {
			if a.parties[w.addrs[l.chain][t]] != confirmedPhase {
				return false
			}
		}
	}
	for _, ph := range a.parties {
		if ph != confirmedPhase {
			return false
		}
	}
	return true
}

// WriteOutputs writes the CSV and the plots into dir.
func (r *Result) WriteOutputs(dir string) ([]string, error) {
	csvPath := dir + "/instances.csv"
	if err := WriteCSV(csvPath, r.Instances, r.Start, r.hops); err != nil {
		return nil, fmt.Errorf("sim: csv: %w", err)
	}
	files, err := WritePlots(dir, r.Instances, r.Start, r.End)
	if err != nil {
		return nil, fmt.Errorf("sim: plots: %w", err)
	}
	return append([]string{csvPath}, files...), nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakRSS is this process's peak resident set size.
func peakRSS() uint64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024 // kilobytes on Linux
}
