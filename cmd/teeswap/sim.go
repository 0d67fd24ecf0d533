package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/sim"
)

func init() {
	rootCmd.AddCommand(newSimCmd())
}

func newSimCmd() *cobra.Command {
	cfg := sim.Defaults()
	var (
		out, baseline, cpuProfile, memProfile string
		bl                                    sim.BaselineConfig
		noProgress                            bool
	)
	bl = sim.DefaultBaseline()
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run a load simulation: many swaps and payments at once, checked and measured",
		Long: `sim builds channel graphs on several chains (announced off chain, as a chain
watcher would), runs swaps and payments through the coordinator and terminal
actors at the chosen concurrency, checks that every instance ended with exactly
one outcome that every terminal applied, and reports throughput, latencies per
phase, CPU, memory and the signature bound of this machine.

Outputs go to --out: instances.csv (one row per instance), latency.png,
latency_cdf.png and throughput.png. --json prints the summary as one JSON object.
--baseline htlc also runs swaps as HTLC atomic swaps on embedded chains and
reports both latencies and their ratio.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := logger()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				defer pprof.StopCPUProfile()
			}
			if !noProgress && isTerminal(os.Stderr) {
				cfg.Progress = progressBar(os.Stderr)
			}
			if cfg.Binary == "" {
				cfg.Binary, _ = os.Executable()
			}
			stopPeak := func() error { return nil }
			if memProfile != "" {
				stopPeak = heapAtPeak(memProfile, time.Second)
			}
			res, err := sim.Run(ctx, cfg, log)
			if perr := stopPeak(); err == nil && perr != nil {
				err = perr
			}
			if cfg.Progress != nil {
				fmt.Fprintln(os.Stderr)
			}
			if err != nil {
				return err
			}
			s := res.Summary
			files, err := res.WriteOutputs(out)
			if err != nil {
				return err
			}
			s.Files = files
			switch baseline {
			case "":
			case "htlc":
				bl.Seed = cfg.Seed
				b, err := sim.RunBaseline(ctx, bl, res, log)
				if err != nil {
					return fmt.Errorf("htlc baseline: %w", err)
				}
				s.Baseline = b
			default:
				return fmt.Errorf("unknown baseline %q (want htlc)", baseline)
			}
			if flagJSON {
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(s); err != nil {
					return err
				}
			} else {
				printSummary(os.Stdout, s)
			}
			if s.Lost > 0 {
				return fmt.Errorf("%d instances lost: %+v", s.Lost, s.LostDetail)
			}
			if len(s.Violations) > 0 || s.Stuck > 0 {
				return fmt.Errorf("invariants broken: violations %v, %d stuck", s.Violations, s.Stuck)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Chains, "chains", cfg.Chains, "number of chains")
	f.IntVar(&cfg.Terminals, "terminals", cfg.Terminals, "terminals per chain (0: enough for --concurrency disjoint instances)")
	f.StringVar(&cfg.Graph, "graph", cfg.Graph, "channel graph of each chain: random, hub, line or disjoint (separate lines: instances share no channel)")
	f.IntVar(&cfg.Degree, "degree", cfg.Degree, "average degree of the random graph")
	f.IntVar(&cfg.Parallel, "parallel", 1, "channels between each pair of neighbours (a disjoint segment carries this many instances at once)")
	f.Int64Var(&cfg.Deposit, "deposit", cfg.Deposit, "deposit on each side of each channel")
	f.Int64Var(&cfg.MaxAmount, "max-amount", cfg.MaxAmount, "amounts are uniform in [1, max-amount]")
	f.Float64Var(&cfg.SwapFraction, "swaps", cfg.SwapFraction, "share of cross-chain swaps; the rest are single-chain payments")
	f.IntVar(&cfg.SwapChains, "swap-chains", cfg.SwapChains, "chains (legs) per swap")
	f.IntVar(&cfg.Hops, "hops", cfg.Hops, "channels per leg (a leg has hops+1 parties)")
	f.Float64Var(&cfg.RefundFraction, "refunds", cfg.RefundFraction, "share of instances sent with a deadline that passes at once (they end refunded)")
	f.IntVar(&cfg.Instances, "instances", cfg.Instances, "instances to run (0 with --duration: until the duration ends)")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "instances in flight at once")
	f.DurationVar(&cfg.Duration, "duration", 0, "stop submitting after this long (0: run --instances)")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of every random choice (graph, parties, amounts, kinds)")
	f.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "instance deadline")
	f.DurationVar(&cfg.RetryInterval, "retry", cfg.RetryInterval, "actors' retry interval")
	f.StringVar(&cfg.Store, "store", cfg.Store, "inproc: where actors keep their write-ahead records: mem (in the heap) or log (a sealed append-only file per actor in a temporary folder, no fsync)")
	f.BoolVar(&cfg.InsecurePlaintext, "insecure-plaintext-loopback", false, "multiproc and --cluster: INSECURE plain-text remoting instead of enclave-bound TLS")
	f.StringVar(&cfg.Mode, "mode", cfg.Mode, "inproc (everything in this process) or multiproc (terminals in separate processes over loopback remoting; with --faults the coordinator too)")
	f.IntVar(&cfg.Processes, "processes", cfg.Processes, "multiproc: number of terminal processes")
	f.StringVar(&out, "out", "out", "folder for the CSV and the plots")
	f.StringVar(&baseline, "baseline", "", "also run a baseline on the same swaps: htlc")
	f.DurationVar(&bl.BlockInterval, "block-interval", bl.BlockInterval, "baseline: block interval of the embedded chains")
	f.Uint64Var(&bl.Confirmations, "confirmations", bl.Confirmations, "baseline: confirmation depth each party waits for")
	f.IntVar(&bl.Swaps, "baseline-swaps", bl.Swaps, "baseline: swaps to run")
	f.IntVar(&bl.Concurrency, "baseline-concurrency", bl.Concurrency, "baseline: swaps at once")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file")
	f.StringVar(&memProfile, "memprofile", "", "write a heap profile taken at the run's largest live heap to this file")
	f.BoolVar(&noProgress, "no-progress", false, "never show the progress bar")
	f.BoolVar(&cfg.Faults, "faults", false, "inject faults from --seed: envelopes dropped, duplicated, delayed and reordered; terminals and the coordinator crashed and restarted (with --mode multiproc: their processes SIGKILLed and restarted on their data directories); partitions; older store copies offered (must be refused); requests sent twice. Exits non-zero on any violation or stuck instance")
	f.Float64Var(&cfg.FaultRate, "fault-rate", 0, "with --faults: probability of each of drop, duplicate and delay per envelope (default 0.01)")
	f.DurationVar(&cfg.FaultInterval, "fault-interval", 0, "with --faults: time between crashes, restarts and stale-store offers (default 500ms; multiproc 3s)")
	f.BoolVar(&cfg.OnChain, "onchain", false, "open the channels on embedded simulated chains through the terminals' enclaves before the load, and after it close every one (one in ten by force) and check each party's payout against its off-chain final balance (multiproc: with --faults; the chains are served to the terminal processes over loopback HTTP)")
	f.IntVar(&cfg.Cluster, "cluster", 0, "run the coordinator as this many 'teeswap cluster member' processes over an etcd in this process (terminals and client here, over loopback)")
	f.BoolVar(&cfg.KillMember, "kill-member", false, "with --cluster 2 or more: SIGKILL the last member a third of the way into the run and restart it")
	cmd.AddCommand(newSimTerminalsCmd(), newSimCoordinatorCmd())
	return cmd
}

// newSimTerminalsCmd is the terminal process of `sim --mode multiproc`.
func newSimTerminalsCmd() *cobra.Command {
	var tc sim.TerminalsConfig
	cmd := &cobra.Command{
		Use:    "terminals",
		Short:  "Run terminals for a multi-process sim (started by 'teeswap sim --mode multiproc')",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return sim.ServeTerminals(ctx, tc, os.Stdin, os.Stdout, logger())
		},
	}
	f := cmd.Flags()
	f.StringVar(&tc.Coordinator, "coordinator", "", "host:port of the coordinator's actor system")
	f.IntVar(&tc.Count, "count", 1, "terminals to run")
	f.StringVar(&tc.Name, "name", "p0", "prefix of the terminals' actor names")
	f.DurationVar(&tc.RetryInterval, "retry", 500*time.Millisecond, "terminals' retry interval")
	f.BoolVar(&tc.InsecurePlaintext, "insecure-plaintext-loopback", false, "INSECURE: plain-text remoting")
	f.StringVar(&tc.DataDir, "data-dir", "", "fault runs: keep each terminal's sealed key and store here (a restart resumes from them)")
	f.IntVar(&tc.Port, "port", 0, "remoting port (0: any free one)")
	f.StringVar(&tc.Watcher, "watcher", "", "host:port whose chain events the terminals take (default --coordinator)")
	f.Float64Var(&tc.FaultRate, "fault-rate", 0, "fault runs: probability of each of drop, duplicate and delay per envelope")
	f.Int64Var(&tc.Seed, "seed", 1, "fault runs: seed of the injected faults")
	f.IntVar(&tc.Incarnation, "incarnation", 0, "fault runs: how many times this process was started before")
	f.StringArrayVar(&tc.Chains, "chain", nil, "fault runs with --onchain: a chain as RPC-URL=contract (repeat per chain)")
	return cmd
}

// newSimCoordinatorCmd is the coordinator process of `sim --faults --mode
// multiproc`.
func newSimCoordinatorCmd() *cobra.Command {
	var cc sim.CoordinatorProcConfig
	cmd := &cobra.Command{
		Use:    "coordinator",
		Short:  "Run the coordinator for a multi-process fault sim (started by 'teeswap sim --faults --mode multiproc')",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt)
			defer stop()
			return sim.ServeCoordinator(ctx, cc, os.Stdin, os.Stdout, logger())
		},
	}
	f := cmd.Flags()
	f.StringVar(&cc.DataDir, "data-dir", "", "the coordinator's sealed key, store and channel list")
	f.IntVar(&cc.Port, "port", 0, "remoting port (fixed, so terminals reach a restarted coordinator)")
	f.DurationVar(&cc.RetryInterval, "retry", 500*time.Millisecond, "retry interval")
	f.Float64Var(&cc.FaultRate, "fault-rate", 0, "probability of each of drop, duplicate and delay per envelope")
	f.Int64Var(&cc.Seed, "seed", 1, "seed of the injected faults")
	f.IntVar(&cc.Incarnation, "incarnation", 0, "how many times this process was started before")
	f.BoolVar(&cc.InsecurePlaintext, "insecure-plaintext-loopback", false, "INSECURE: plain-text remoting")
	_ = cmd.MarkFlagRequired("data-dir")
	return cmd
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func progressBar(w io.Writer) func(done, submitted, total int) {
	start := time.Now()
	return func(done, submitted, total int) {
		const width = 40
		frac := 0.0
		if total > 0 {
			frac = float64(done) / float64(total)
		}
		n := min(width, int(frac*width))
		rate := float64(done) / max(time.Since(start).Seconds(), 1e-9)
		fmt.Fprintf(w, "\r[%s%s] %d/%d done, %d in flight, %.0f/s ", strings.Repeat("=", n), strings.Repeat(" ", width-n),
			done, total, submitted-done, rate)
	}
}

func printSummary(w io.Writer, s *sim.Summary) {
	l := s.LatencyMs
	fmt.Fprintf(w, "teeswap sim (%s, seed %d): %d instances on %d chains, %d terminals, %d channels (%s graph)\n",
		s.Mode, s.Seed, s.Instances, s.Chains, s.Terminals, s.Channels, s.Graph)
	fmt.Fprintf(w, "  confirmed %d, refunded %d, rejected %d, lost %d\n", s.Confirmed, s.Refunded, s.Rejected, s.Lost)
	if s.Faults != nil {
		fmt.Fprintf(w, "  faults %+v; violations %v, stuck %d\n", *s.Faults, s.Violations, s.Stuck)
	}
	if c := s.Cluster; c != nil {
		fmt.Fprintf(w, "  cluster of %d members: cpu per member %v s (%.1f ms per instance), etcd writes per instance %.1f; violations %v, stuck %d, requests run twice %d\n",
			c.Members, c.CPUPerMemberS, c.MemberCPUPerInstanceMs, c.EtcdWritesPerInstance, s.Violations, s.Stuck, c.RequestsRunTwice)
		if c.Killed != "" {
			fmt.Fprintf(w, "  member %s SIGKILLed at %.1fs, serving again at %.1fs\n", c.Killed, c.KilledAtS, c.RestartedAtS)
		}
	}
	fmt.Fprintf(w, "  throughput %.1f/s over %.2fs; in flight max %d (running at once max %d)\n", s.ThroughputPerS, s.DurationS, s.MaxInFlight, s.MaxRunning)
	fmt.Fprintf(w, "  latency ms      p50      p90      p99      max\n")
	for _, q := range []struct {
		name string
		q    sim.Quantiles
	}{{"end to end", l.EndToEnd}, {"applied", l.Applied}, {"queue", l.Queue}, {"prepare", l.Prepare}, {"commit", l.Commit}, {"confirm", l.Confirm}} {
		fmt.Fprintf(w, "  %-12s %8.3f %8.3f %8.3f %8.3f\n", q.name, q.q.P50, q.q.P90, q.q.P99, q.q.Max)
	}
	fmt.Fprintf(w, "  cpu %.2fs on %d cores, peak rss %.1f MiB\n", s.CPUS, s.Cores, float64(s.RSSBytes)/(1<<20))
	fmt.Fprintf(w, "  signatures per instance %.1f (%.1f signs, %.1f verifies; sign %.1fµs, verify %.1fµs)\n",
		s.SignaturesPerInstance, s.SignsPerInstance, s.VerifiesPerInstance, s.SignUs, s.VerifyUs)
	fmt.Fprintf(w, "  signature bound %.1f/s, bound ratio %.3f (cpu utilisation %.2f, signatures' share of the cpu %.2f)\n",
		s.SignatureBoundPerS, s.BoundRatio, s.CPUUtilization, s.SignatureCPUShare)
	if b := s.Baseline; b != nil {
		printBaseline(w, b)
	}
	for _, f := range s.Files {
		fmt.Fprintf(w, "  wrote %s\n", f)
	}
}

func printBaseline(w io.Writer, b *sim.BaselineSummary) {
	fmt.Fprintf(w, "  baseline %s: %d swaps, block interval %s, %d confirmations\n", b.Kind, b.Swaps, b.BlockInterval, b.Confirmations)
	fmt.Fprintf(w, "    htlc swap latency ms p50 %.1f p90 %.1f max %.1f (%d failed); the same swaps in teeswap p50 %.3f\n",
		b.LatencyMs.P50, b.LatencyMs.P90, b.LatencyMs.Max, b.Failed, b.TeeswapP50Ms)
	fmt.Fprintf(w, "    htlc / teeswap (p50): %.0fx\n", b.Ratio)
}

// heapAtPeak samples the live heap every interval and writes a heap profile
// to path each time it is 5% above the largest seen so far, so the file
// ends holding the peak: an after-the-run profile shows what is left, not
// what pushed RSS up. The returned function stops sampling.
func heapAtPeak(path string, interval time.Duration) (stop func() error) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	done, finished := make(chan struct{}), make(chan error, 1)
	go func() {
		var peak uint64
		var werr error
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				if peak == 0 {
					werr = writeHeap(path)
				}
				finished <- werr
				return
			case <-t.C:
				metrics.Read(sample)
				if live := sample[0].Value.Uint64(); live > peak+peak/20 {
					peak = live
					werr = writeHeap(path)
				}
			}
		}
	}()
	return func() error {
		close(done)
		return <-finished
	}
}

func writeHeap(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
