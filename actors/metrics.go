package actors

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Prometheus metrics of a node, in one package-level registry: a node is
// one process, and the actors call the small functions below at a few
// points. In-process deployments of several nodes (tests, the demo) add
// up into the same series.
var (
	// Registry holds teeswap's series and Go's process collectors.
	Registry = prometheus.NewRegistry()

	mInstances = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teeswap_instances_total", Help: "Instances a coordinator decided, by outcome (confirmed, refunded, failed).",
	}, []string{"outcome"})
	mPhase = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "teeswap_phase_seconds", Help: "Time from an instance's start to each phase at the coordinator.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16), // 1 ms .. 33 s
	}, []string{"phase"})
	mMessages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teeswap_messages_total", Help: "Protocol messages by direction (in, out), node role and kind.",
	}, []string{"direction", "role", "kind"})
	mRefusals = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "teeswap_refusals_total", Help: "Messages and requests refused, by node role and reason.",
	}, []string{"role", "reason"})
	mChannels = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "teeswap_channels", Help: "A terminal's channels by chain and phase.",
	}, []string{"terminal", "chain", "phase"})
	mCapacity = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "teeswap_channel_capacity", Help: "Sum of both balances of a terminal's open channels, in base units, by chain and asset.",
	}, []string{"terminal", "chain", "asset"})
	mHead = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "teeswap_chain_head", Help: "Newest block number a watcher saw.",
	}, []string{"chain"})
	mLag = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "teeswap_watcher_lag_blocks", Help: "Blocks between the chain head and the last block a watcher applied (finality depth included).",
	}, []string{"chain"})
)

func init() {
	Registry.MustRegister(mInstances, mPhase, mMessages, mRefusals, mChannels, mCapacity, mHead, mLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Roles as metric labels.
const (
	roleCoordinator = "coordinator"
	roleTerminal    = "terminal"
)

// kindLabel is a message kind without its enum prefix ("prepare").
func kindLabel(k messages.Kind) string {
	return toLower(strings.TrimPrefix(k.String(), "KIND_"))
}

func toLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// countIn and countOut count one protocol envelope.
func countIn(role string, env *messages.Envelope) {
	mMessages.WithLabelValues("in", role, kindLabel(env.GetKind())).Inc()
}

func countOut(role string, env *messages.Envelope) {
	mMessages.WithLabelValues("out", role, kindLabel(env.GetKind())).Inc()
}

// refusal counts a refused message by the first typed error it matches.
func refusal(role string, err error) {
	mRefusals.WithLabelValues(role, reasonOf(err)).Inc()
}

// reasons maps typed errors to short labels; the set stays small so the
// series stay few.
var reasons = []struct {
	err   error
	label string
}{
	{terminal.ErrDuplicate, "duplicate"},
	{terminal.ErrInsufficientBalance, "insufficient_balance"},
	{terminal.ErrChannelBusy, "channel_busy"},
	{terminal.ErrChannelClosed, "channel_closed"},
	{terminal.ErrUnknownChannel, "unknown_channel"},
	{terminal.ErrStaleVersion, "stale_version"},
	{terminal.ErrExpired, "expired"},
	{messages.ErrMalformed, "malformed"},
	{ErrAlreadyClosed, "already_closed"},
}

func reasonOf(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r.err) {
			return r.label
		}
	}
	return "other"
}

// observeResult records a decided instance's outcome and phase times.
func observeResult(r *messages.SwapResult) {
	outcome := "failed"
	switch {
	case r.GetError() != "":
	case r.GetOutcome() == messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		outcome = "confirmed"
	case r.GetOutcome() == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
		outcome = "refunded"
	}
	mInstances.WithLabelValues(outcome).Inc()
	t := r.GetTimes()
	for _, p := range []struct {
		name string
		us   int64
	}{{"prepared", t.GetPreparedUs()}, {"committed", t.GetCommittedUs()}, {"decided", t.GetDecidedUs()}} {
		if p.us > 0 {
			mPhase.WithLabelValues(p.name).Observe(float64(p.us) / 1e6)
		}
	}
}

// observeChannels sets a terminal's channel gauges from its enclave's list.
func observeChannels(l *messages.ChannelList) {
	type key struct{ chain, phase string }
	counts := map[key]float64{}
	capacity := map[[2]string]*big.Int{}
	for _, c := range l.GetChannels() {
		chain := strconv.FormatUint(c.ChainId, 10)
		phase := toLower(strings.TrimPrefix(c.Phase.String(), "CHANNEL_PHASE_"))
		if c.Closed {
			phase = "closed"
		} else {
			k := [2]string{chain, fmt.Sprintf("0x%x", c.Asset)}
			if capacity[k] == nil {
				capacity[k] = new(big.Int)
			}
			capacity[k].Add(capacity[k], new(big.Int).SetBytes(c.BalanceA))
			capacity[k].Add(capacity[k], new(big.Int).SetBytes(c.BalanceB))
		}
		counts[key{chain, phase}]++
	}
	term := fmt.Sprintf("0x%x", l.GetTerminal())
	mChannels.DeletePartialMatch(prometheus.Labels{"terminal": term})
	for k, n := range counts {
		mChannels.WithLabelValues(term, k.chain, k.phase).Set(n)
	}
	mCapacity.DeletePartialMatch(prometheus.Labels{"terminal": term})
	for k, v := range capacity {
		f, _ := new(big.Float).SetInt(v).Float64()
		mCapacity.WithLabelValues(term, k[0], k[1]).Set(f)
	}
}

// observeChain records a watcher's view of its chain.
func observeChain(chainID, head, applied uint64) {
	c := strconv.FormatUint(chainID, 10)
	mHead.WithLabelValues(c).Set(float64(head))
	mLag.WithLabelValues(c).Set(float64(head - min(head, applied)))
}

// ServeMetrics serves /metrics on addr (host:port) until the returned
// server is closed; it returns the bound address.
func ServeMetrics(addr string) (*http.Server, string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return srv, l.Addr().String(), nil
}

// observe reads the head after a poll for the head and lag gauges.
func (a *WatcherActor) observe(ctx context.Context) {
	h, err := a.cfg.Source.HeaderByNumber(ctx, nil)
	if err != nil {
		return
	}
	var applied uint64
	if c, ok := a.w.Cursor(); ok {
		applied = c.BlockNumber
	}
	observeChain(a.cfg.ChainID, h.Number.Uint64(), applied)
}
