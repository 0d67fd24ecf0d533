package sim

import (
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// Quantiles are latency percentiles in milliseconds.
type Quantiles struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func quantiles(ms []float64) Quantiles {
	if len(ms) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(ms)
	slices.Sort(s)
	at := func(q float64) float64 { return round3(s[min(len(s)-1, int(math.Ceil(q*float64(len(s))))-1)]) }
	sum := 0.0
	for _, v := range s {
		sum += v
	}
	return Quantiles{N: len(s), P50: at(0.50), P90: at(0.90), P99: at(0.99), Max: round3(s[len(s)-1]), Mean: round3(sum / float64(len(s)))}
}

func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// Latencies are the per-phase latency distributions.
type Latencies struct {
	// EndToEnd: submission to the outcome at the client.
	EndToEnd Quantiles `json:"end_to_end"`
	// Applied: submission to the last terminal applying the outcome (in
	// process only).
	Applied Quantiles `json:"applied"`
	// Queue: waiting at the coordinator for busy channels.
	Queue Quantiles `json:"queue"`
	// Prepare: instance start to every PREPARED ack in (PhaseTimes).
	Prepare Quantiles `json:"prepare"`
	// Commit: PREPARED to every COMMITTED ack in, the decision (PhaseTimes).
	Commit Quantiles `json:"commit"`
	// Confirm: the decision to the last terminal applying CONFIRM (in
	// process only).
	Confirm Quantiles `json:"confirm"`
}

// LostDetail says why instances counted as lost.
type LostDetail struct {
	NoOutcome         int      `json:"no_outcome"`
	SeveralOutcomes   int      `json:"several_outcomes"`
	NotApplied        int      `json:"not_applied"`
	ChannelMismatches int      `json:"channel_mismatches"`
	Problems          []string `json:"problems,omitempty"`
}

// Summary is the machine-readable result of a run.
type Summary struct {
	Mode           string  `json:"mode"`
	Seed           int64   `json:"seed"`
	Graph          string  `json:"graph"`
	Chains         int     `json:"chains"`
	Terminals      int     `json:"terminals"`
	Channels       int     `json:"channels"`
	Concurrency    int     `json:"concurrency"`
	PartiesPerSwap int     `json:"parties_per_swap"`
	Instances      int     `json:"instances"`
	Swaps          int     `json:"swaps"`
	Payments       int     `json:"payments"`
	Confirmed      int     `json:"confirmed"`
	Refunded       int     `json:"refunded"`
	Rejected       int     `json:"rejected"`
	Lost           int     `json:"lost"`
	DurationS      float64 `json:"duration_s"`
	ThroughputPerS float64 `json:"throughput_per_s"`

	LatencyMs  Latencies  `json:"latency_ms"`
	LostDetail LostDetail `json:"lost_detail"`

	MaxInFlight int     `json:"max_in_flight"`
	MaxRunning  int     `json:"max_running"`
	RSSBytes    uint64  `json:"rss_bytes"`
	CPUS        float64 `json:"cpu_s"`
	Cores       int     `json:"cores"`

	SignaturesPerInstance    float64 `json:"signatures_per_instance"`
	SignsPerInstance         float64 `json:"signs_per_instance"`
	VerifiesPerInstance      float64 `json:"verifies_per_instance"`
	SignsPerInstanceMeasured float64 `json:"signs_per_instance_measured"`
	SignUs                   float64 `json:"sign_us"`
	VerifyUs                 float64 `json:"verify_us"`
	SignatureBoundPerS       float64 `json:"signature_bound_per_s"`
	BoundRatio               float64 `json:"bound_ratio"`
	// CPUUtilization is cpu_s over duration times cores: below 1 the run
	// did not get the whole machine (idle, or other processes).
	CPUUtilization float64 `json:"cpu_utilization"`
	// SignatureCPUShare is the share of the run's CPU time spent on
	// signatures (their count times their measured cost): the bound ratio
	// the run would reach with every core to itself.
	SignatureCPUShare float64 `json:"signature_cpu_share"`

	// Violations counts broken invariants by kind (see invariants);
	// Stuck is instances without an outcome when the run drained.
	Violations map[string]int `json:"violations"`
	Stuck      int            `json:"stuck"`
	Faults     *FaultStats    `json:"faults,omitempty"`
	// OnChain is the on-chain close check (Config.OnChain).
	OnChain *OnChainSummary `json:"onchain,omitempty"`
	// RejectedBy counts rejected requests by the kind of their typed
	// error (SwapResult.error_kind; "other" when untyped).
	RejectedBy map[string]int `json:"rejected_by,omitempty"`
	// Cluster is the cluster mode's figures (--cluster N).
	Cluster *ClusterSummary `json:"cluster,omitempty"`

	Baseline *BaselineSummary `json:"baseline,omitempty"`
	Files    []string         `json:"files,omitempty"`
}

// point is a throughput sample.
type point struct{ t, perS float64 }

// throughputSeries counts completions per bucket from start.
func throughputSeries(ins []*Instance, start, end time.Time) []point {
	span := end.Sub(start)
	if span <= 0 {
		return nil
	}
	bucket := max(span/100, 10*time.Millisecond)
	n := int(span/bucket) + 1
	counts := make([]int, n)
	for _, in := range ins {
		if in.Result == nil {
			continue
		}
		i := int(in.Ended.Sub(start) / bucket)
		if i >= 0 && i < n {
			counts[i]++
		}
	}
	out := make([]point, n)
	for i, c := range counts {
		out[i] = point{t: (time.Duration(i) * bucket).Seconds(), perS: float64(c) / bucket.Seconds()}
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// WriteCSV writes one row per instance.
func WriteCSV(path string, ins []*Instance, start time.Time, hops int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	_ = w.Write([]string{"index", "request_id", "kind", "legs", "parties", "outcome", "submitted_ms",
		"end_to_end_ms", "applied_ms", "queue_ms", "prepare_ms", "commit_ms", "confirm_ms"})
	f3 := func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
	for _, in := range ins {
		kind := "payment"
		if in.Swap {
			kind = "swap"
		}
		row := []string{strconv.Itoa(in.Index), fmt.Sprint("sim-", in.Index), kind, strconv.Itoa(len(in.legs)),
			strconv.Itoa(in.Parties(hops)), in.Outcome(), f3(ms(in.Submitted.Sub(start))), "", "", "", "", "", ""}
		if p, ok := in.phases(); ok {
			row[7], row[9], row[10], row[11] = f3(p.e2e), f3(p.queue), f3(p.prepare), f3(p.commit)
			if p.hasApplied {
				row[8], row[12] = f3(p.applied), f3(p.confirm)
			}
		}
		_ = w.Write(row)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// phases are one instance's latencies in ms.
type phases struct {
	e2e, applied, queue, prepare, commit, confirm float64
	hasApplied, confirmed                         bool
}

func (in *Instance) phases() (phases, bool) {
	r := in.Result
	if r == nil || r.Error != "" {
		return phases{}, false
	}
	p := phases{e2e: ms(in.Ended.Sub(in.Submitted))}
	t := r.GetTimes()
	decided := float64(t.GetDecidedUs()) / 1000
	p.queue = max(0, p.e2e-decided)
	p.prepare = float64(t.GetPreparedUs()) / 1000
	if in.Outcome() == "confirmed" {
		p.confirmed = true
		p.commit = float64(t.GetCommittedUs()-t.GetPreparedUs()) / 1000
	}
	if !in.Applied.IsZero() {
		p.hasApplied = true
		p.applied = ms(in.Applied.Sub(in.Submitted))
		p.confirm = max(0, ms(in.Applied.Sub(in.Ended)))
	}
	return p, true
}

// WritePlots draws the latency distribution and throughput over time.
func WritePlots(dir string, ins []*Instance, start, end time.Time) ([]string, error) {
	var e2e, applied plotter.Values
	for _, in := range ins {
		if p, ok := in.phases(); ok {
			e2e = append(e2e, p.e2e)
			if p.hasApplied {
				applied = append(applied, p.applied)
			}
		}
	}
	var files []string
	if len(e2e) > 0 {
		p := plot.New()
		p.Title.Text = "teeswap sim: end-to-end latency"
		p.X.Label.Text = "latency (ms)"
		p.Y.Label.Text = "instances"
		// Cut the histogram at p99.5 so a long tail does not squash it.
		cut := slices.Clone([]float64(e2e))
		slices.Sort(cut)
		limit := cut[min(len(cut)-1, int(0.995*float64(len(cut))))]
		var shown plotter.Values
		for _, v := range e2e {
			if v <= limit {
				shown = append(shown, v)
			}
		}
		h, err := plotter.NewHist(shown, 60)
		if err != nil {
			return nil, err
		}
		p.Add(h)
		path := filepath.Join(dir, "latency.png")
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
			return nil, err
		}
		files = append(files, path)

		// The CDF shows the tail the histogram cuts.
		c := plot.New()
		c.Title.Text = "teeswap sim: latency CDF"
		c.X.Label.Text = "latency (ms)"
		c.Y.Label.Text = "fraction of instances"
		for i, vs := range []plotter.Values{e2e, applied} {
			if len(vs) == 0 {
				continue
			}
			s := slices.Clone([]float64(vs))
			slices.Sort(s)
			xys := make(plotter.XYs, len(s))
			for j, v := range s {
				xys[j] = plotter.XY{X: v, Y: float64(j+1) / float64(len(s))}
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			l.Color = plotutil.Color(i)
			c.Add(l)
			c.Legend.Add([]string{"outcome at client", "applied by every terminal"}[i], l)
		}
		c.Legend.Top, c.Legend.Left = false, false
		path = filepath.Join(dir, "latency_cdf.png")
		if err := c.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	series := throughputSeries(ins, start, end)
	if len(series) > 1 {
		p := plot.New()
		p.Title.Text = "teeswap sim: throughput"
		p.X.Label.Text = "time (s)"
		p.Y.Label.Text = "instances ended per second"
		xys := make(plotter.XYs, len(series))
		for i, pt := range series {
			xys[i] = plotter.XY{X: pt.t, Y: pt.perS}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		p.Add(l)
		path := filepath.Join(dir, "throughput.png")
		if err := p.Save(16*vg.Centimeter, 10*vg.Centimeter, path); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}
