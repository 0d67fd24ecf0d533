package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// leg is one leg of a planned instance, in terminal indices.
type leg struct {
	chain    int
	from, to int
	amount   int64
}

// Instance is one submitted swap or payment and how it ended.
type Instance struct {
	Index  int
	Swap   bool
	Refund bool // sent with an already-passed deadline
	legs   []leg

	Submitted time.Time
	Ended     time.Time // when the client got the result
	Result    *messages.SwapResult
	Results   int       // how many results arrived (must be 1)
	Applied   time.Time // in process: the last terminal applied the outcome

	submissions int  // times the client sent it (a retry sends it twice)
	disagree    bool // a later result said something else than the first
	lastSent    time.Time
	req         *messages.SwapRequest
}

// Parties is the number of terminals the instance planned to involve.
func (in *Instance) Parties(hops int) int { return len(in.legs) * (hops + 1) }

// Outcome names how the instance ended.
func (in *Instance) Outcome() string {
	switch {
	case in.Result == nil:
		return "lost"
	case in.Result.Error != "":
		return "rejected"
	case in.Result.Outcome == messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		return "confirmed"
	case in.Result.Outcome == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
		return "refunded"
	}
	return "lost"
}

// planner draws instances from the seed.
type planner struct {
	cfg    Config
	rng    *rand.Rand
	graphs []*graph
}

func (p *planner) next(i int) (*Instance, error) {
	in := &Instance{Index: i}
	in.Swap = p.cfg.Chains >= p.cfg.SwapChains && p.rng.Float64() < p.cfg.SwapFraction
	in.Refund = p.rng.Float64() < p.cfg.RefundFraction
	var chains []int
	if in.Swap {
		chains = p.rng.Perm(p.cfg.Chains)[:p.cfg.SwapChains]
	} else {
		chains = []int{p.rng.IntN(p.cfg.Chains)}
	}
	for _, c := range chains {
		from, to, err := p.graphs[c].pick(p.rng)
		if err != nil {
			return nil, err
		}
		in.legs = append(in.legs, leg{chain: c, from: from, to: to, amount: 1 + p.rng.Int64N(p.cfg.MaxAmount)})
	}
	return in, nil
}

// orderTTL is how long the sim's orders stay valid: long enough for a
// swap that waits for busy channels, short as a real exchange's would be.
const orderTTL = 5 * time.Minute

func (w *world) request(in *Instance) *messages.SwapRequest {
	req := &messages.SwapRequest{RequestId: fmt.Sprint("sim-", in.Index), Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT}
	if in.Swap {
		req.Kind = messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP
	}
	if in.Refund {
		req.TimeoutMs = 1 // the deadline passes before anyone can prepare
	} else {
		req.TimeoutMs = w.cfg.Timeout.Milliseconds()
	}
	for _, l := range in.legs {
		req.Legs = append(req.Legs, &messages.Leg{ChainId: w.chains[l.chain], Sender: w.addrs[l.chain][l.from].Bytes(),
			Receiver: w.addrs[l.chain][l.to].Bytes(), Asset: make([]byte, 20), Amount: big.NewInt(l.amount).Bytes()})
	}
	return req
}

// resultMsg carries a result and its arrival time to the collector.
type resultMsg struct {
	res *messages.SwapResult
	at  time.Time
}

// clientActor receives the coordinator's results for the sim.
type clientActor struct{ out chan<- resultMsg }

func (c *clientActor) Receive(ctx actor.Context) {
	if r, ok := ctx.Message().(*messages.SwapResult); ok {
		c.out <- resultMsg{r, time.Now()}
	}
}

// runLoad submits instances with at most cfg.Concurrency in flight until
// cfg.Instances are submitted or cfg.Duration passed, then waits for every
// result (or for the drain timeout).
type loadStats struct {
	instances   []*Instance
	start, end  time.Time
	maxInFlight int
	timedOut    bool
	extraResult int // results for unknown request ids
}

func (w *world) runLoad(ctx context.Context, log *slog.Logger) (*loadStats, error) {
	cfg := w.cfg
	p := &planner{cfg: cfg, rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c6f6164)), graphs: w.graphs}
	results := make(chan resultMsg, 4096)
	client, err := w.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &clientActor{out: results} }), "sim-client")
	if err != nil {
		return nil, err
	}
	defer w.system.Root.Stop(client)

	st := &loadStats{}
	var (
		mu        sync.Mutex
		byID      = map[string]*Instance{}
		pending   = map[string]*Instance{} // with Faults: no answer yet
		submitted atomic.Int64
		done      atomic.Int64
		sem       = make(chan struct{}, cfg.Concurrency)
		stopSub   = make(chan struct{})
		subDone   = make(chan error, 1)
	)
	st.start = time.Now()
	// With faults or a killed cluster member, a client without an answer
	// sends its request again (the cluster's client to another member).
	resubmits := cfg.Faults || cfg.KillMember
	var (
		stopChaos = make(chan struct{})
		chaosDone = make(chan struct{})
		resub     = &resubmitter{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x7265737562))}
	)
	runFaults := w.runFaults
	if runFaults == nil && w.local != nil {
		runFaults = w.runChaos
	}
	if cfg.Faults && runFaults != nil {
		w.chaos = &chaosStats{}
		go runFaults(stopChaos, chaosDone)
	} else {
		close(chaosDone)
	}
	stopChaosOnce := sync.OnceFunc(func() { close(stopChaos); <-chaosDone })
	defer stopChaosOnce()
	deadline := time.Time{}
	if cfg.Duration > 0 {
		deadline = st.start.Add(cfg.Duration)
	}
	go func() { // submitter
		defer close(subDone)
		for i := 0; cfg.Instances <= 0 || i < cfg.Instances; i++ {
			select {
			case sem <- struct{}{}:
			case <-stopSub:
				return
			}
			if !deadline.IsZero() && time.Now().After(deadline) {
				return
			}
			in, err := p.next(i)
			if err != nil {
				subDone <- err
				return
			}
			req := w.request(in)
			// A client retry (with faults): the same request id again. It
			// must get the first outcome, never a second instance.
			dup := cfg.Faults && resub.again()
			mu.Lock()
			byID[req.RequestId] = in
			st.instances = append(st.instances, in)
			if f := int(submitted.Load() - done.Load() + 1); f > st.maxInFlight {
				st.maxInFlight = f
			}
			mu.Unlock()
			submitted.Add(1)
			// The payers' terminals sign their orders first, as an
			// exchange collects them before it submits; asked off the
			// submitter, so a round trip per swap does not pace the load.
			go func() {
				if err := w.signOrders(req); err != nil {
					results <- resultMsg{&messages.SwapResult{RequestId: req.RequestId, Error: err.Error()}, time.Now()}
					return
				}
				mu.Lock()
				if resubmits {
					in.req, in.lastSent = req, time.Now()
					pending[req.RequestId] = in
				}
				in.Submitted = time.Now()
				in.submissions = 1
				if dup {
					in.submissions = 2
				}
				mu.Unlock()
				w.system.Root.RequestWithCustomSender(w.entry(in), &messages.SubmitSwap{Request: req}, client)
				if dup {
					w.chaos.dupSubmits.Add(1)
					w.system.Root.RequestWithCustomSender(w.entry(in), &messages.SubmitSwap{Request: req}, client)
				}
			}()
		}
	}()

	var ticker *time.Ticker
	var tick <-chan time.Time
	if cfg.Progress != nil {
		ticker = time.NewTicker(100 * time.Millisecond)
		defer ticker.Stop()
		tick = ticker.C
	}
	var retry <-chan time.Time
	if resubmits {
		rt := time.NewTicker(time.Second)
		defer rt.Stop()
		retry = rt.C
	}
	total := cfg.Instances
	subFinished := false
	var drainTimer <-chan time.Time
loop:
	for {
		if subFinished && done.Load() == submitted.Load() {
			break
		}
		select {
		case r := <-results:
			mu.Lock()
			in := byID[r.res.RequestId]
			mu.Unlock()
			if in == nil {
				st.extraResult++
				continue
			}
			in.Results++
			if in.Results == 1 {
				mu.Lock()
				delete(pending, r.res.RequestId)
				mu.Unlock()
				in.Result, in.Ended = r.res, r.at
				done.Add(1)
				<-sem
			} else if !resultsAgree(in.Result, r.res) {
				in.disagree = true
			}
		case err, ok := <-subDone:
			if ok && err != nil {
				close(stopSub)
				return nil, err
			}
			subDone = nil
			subFinished = true
			stopChaosOnce() // drain without new crashes
			// Every instance has its deadline; allow that plus retries.
			drainTimer = time.After(cfg.Timeout + 10*cfg.RetryInterval + 5*time.Second)
			if resubmits {
				// Room for a client retry and its instance.
				drainTimer = time.After(3*cfg.Timeout + 40*cfg.RetryInterval + 10*time.Second)
			}
		case <-retry:
			// A client with no answer sends the request again under the
			// same id (a submission may die with a crashed coordinator);
			// the coordinator answers a repeat with the first outcome.
			mu.Lock()
			for _, in := range pending {
				if time.Since(in.lastSent) > cfg.Timeout+20*cfg.RetryInterval {
					in.lastSent = time.Now()
					in.submissions++
					w.system.Root.RequestWithCustomSender(w.entry(in), &messages.SubmitSwap{Request: in.req}, client)
				}
			}
			mu.Unlock()
		case <-tick:
			if total <= 0 {
				total = int(submitted.Load())
			}
			cfg.Progress(int(done.Load()), int(submitted.Load()), total)
		case <-drainTimer:
			st.timedOut = true
			log.Error("results still missing at the drain deadline", "missing", submitted.Load()-done.Load())
			break loop
		case <-ctx.Done():
			close(stopSub)
			return nil, ctx.Err()
		}
	}
	st.end = time.Now()
	if cfg.Progress != nil {
		cfg.Progress(int(done.Load()), int(submitted.Load()), int(submitted.Load()))
	}
	// Late duplicates, if any, arrive within a moment.
	for {
		select {
		case r := <-results:
			mu.Lock()
			if in := byID[r.res.RequestId]; in != nil {
				in.Results++
				if in.Result != nil && !resultsAgree(in.Result, r.res) {
					in.disagree = true
				}
			} else {
				st.extraResult++
			}
			mu.Unlock()
			continue
		case <-time.After(20 * time.Millisecond):
		}
		break
	}
	return st, nil
}

// verify waits for every terminal to apply every outcome, then checks each
// channel, as both of its parties hold it, against the ledger of confirmed
// transfers, and each terminal's net position against the sim's own plan.
// It returns the number of channels that disagree and a few descriptions.
func (w *world) verify(st *loadStats, wait time.Duration) (bad int, problems []string) {
	// Expected per-channel balances: the ledger of confirmed networks.
	w.routes.mu.Lock()
	want := map[[32]byte][2]*big.Int{}
	for id, ch := range w.channels {
		a, b := new(big.Int).Set(ch.balA), new(big.Int).Set(ch.balB)
		for _, t := range w.routes.transfers[id] {
			if t.payer == ch.a {
				a.Sub(a, t.amount)
				b.Add(b, t.amount)
			} else {
				b.Sub(b, t.amount)
				a.Add(a, t.amount)
			}
		}
		want[id] = [2]*big.Int{a, b}
	}
	w.routes.mu.Unlock()
	// Expected net positions: from the sim's plan and the outcomes.
	type key struct {
		chain uint64
		t     common.Address
	}
	net := map[key]*big.Int{}
	for _, in := range st.instances {
		if in.Outcome() != "confirmed" {
			continue
		}
		for _, l := range in.legs {
			for _, k := range []struct {
				t common.Address
				d int64
			}{{w.addrs[l.chain][l.from], -l.amount}, {w.addrs[l.chain][l.to], l.amount}} {
				kk := key{w.chains[l.chain], k.t}
				if net[kk] == nil {
					net[kk] = new(big.Int)
				}
				net[kk].Add(net[kk], big.NewInt(k.d))
			}
		}
	}
	deadline := time.Now().Add(wait)
	for {
		bad, problems = 0, nil
		seen := map[[32]byte]int{}
		holdings := map[key]*big.Int{}
		for c, addrs := range w.addrs {
			for _, addr := range addrs {
				list, err := w.channelsOf(addr, 5*time.Second)
				if err != nil {
					bad++
					problems = append(problems, err.Error())
					continue
				}
				for _, ci := range list.Channels {
					id := [32]byte(ci.ChannelId)
					exp, ok := want[id]
					if !ok {
						continue
					}
					seen[id]++
					a, b := new(big.Int).SetBytes(ci.BalanceA), new(big.Int).SetBytes(ci.BalanceB)
					if ci.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || a.Cmp(exp[0]) != 0 || b.Cmp(exp[1]) != 0 {
						bad++
						if len(problems) < 5 {
							problems = append(problems, fmt.Sprintf("channel %x at %s: %v %s/%s, ledger says %s/%s",
								id[:4], addr, ci.Phase, a, b, exp[0], exp[1]))
						}
					}
					own := a
					if w.channels[id].b == addr {
						own = b
					}
					k := key{w.chains[c], addr}
					if holdings[k] == nil {
						holdings[k] = new(big.Int)
					}
					holdings[k].Add(holdings[k], own)
				}
			}
		}
		for id := range want {
			if seen[id] != 2 {
				bad++
				problems = append(problems, fmt.Sprintf("channel %x is held by %d parties", id[:4], seen[id]))
			}
		}
		// Net positions: every terminal holds its deposits plus what it
		// received minus what it sent in confirmed legs.
		dep := big.NewInt(w.cfg.Deposit)
		for c, addrs := range w.addrs {
			deg := map[common.Address]int64{}
			for _, ch := range w.channels {
				if ch.chain == w.chains[c] {
					deg[ch.a]++
					deg[ch.b]++
				}
			}
			for _, addr := range addrs {
				k := key{w.chains[c], addr}
				exp := new(big.Int).Mul(dep, big.NewInt(deg[addr]))
				if n := net[k]; n != nil {
					exp.Add(exp, n)
				}
				got := holdings[k]
				if got == nil {
					got = new(big.Int)
				}
				if got.Cmp(exp) != 0 {
					bad++
					if len(problems) < 10 {
						problems = append(problems, fmt.Sprintf("terminal %s on chain %d holds %s, plan says %s", addr, k.chain, got, exp))
					}
				}
			}
		}
		if bad == 0 || time.Now().After(deadline) {
			return bad, problems
		}
		time.Sleep(50 * time.Millisecond)
	}
}
