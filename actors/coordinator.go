package actors

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Routes finds a route for one leg, avoiding channels in exclude. The
// directory (chain/directory's Router) implements it through an adapter.
type Routes interface {
	Route(chainID uint64, asset, from, to common.Address, amount *big.Int, exclude map[[32]byte]bool) (*messages.Network, error)
}

// ErrNoRoute is wrapped by Routes when no route exists at all, as opposed
// to one blocked by instances in flight.
var ErrNoRoute = errors.New("actors: no route")

// MaxRouteHops bounds a network's length, and so the largest message
// (a COMMIT carries an ack per terminal): remoting's size limit is
// sized from it.
const MaxRouteHops = 16

// ErrRouteTooLong refuses a request whose route exceeds MaxRouteHops.
var ErrRouteTooLong = errors.New("actors: route longer than MaxRouteHops")

// CoordinatorConfig configures the coordinator actor.
type CoordinatorConfig struct {
	// Signer is the coordinator's enclave key handle; only its machines
	// sign with it.
	Signer enclave.Key
	Store  Store
	Routes Routes
	// Report is the coordinator enclave's attestation report, sent to
	// terminals when they register.
	ReportKind string
	Report     []byte
	// VerifyReport checks a registering terminal's attestation report
	// (FrameReport) binds its address; nil takes a signature alone.
	VerifyReport terminal.ReportVerifier
	// ClientCredential, when set, is required on SubmitSwap (an exchange's
	// or the operator's client credential).
	ClientCredential string
	// MaxClockSkew bounds how far a registration's timestamp may be from
	// this clock (default 2 minutes).
	MaxClockSkew time.Duration
	Clock        Clock
	// RetryInterval is how often an undecided instance re-sends its
	// current phase to terminals that have not answered.
	RetryInterval time.Duration
	// RetryLimit caps the doubling wait between resends of one phase
	// (default 8 x RetryInterval).
	RetryLimit time.Duration
	// Linger is how long a decided instance's actor stays to answer late
	// messages before it is stopped (its record stays in the store).
	Linger time.Duration
	// ForgetDecided drops decided instances from the store as well (load
	// runs, to bound memory).
	ForgetDecided bool
	Logger        *slog.Logger
	// Rand is the randomness instance ids are drawn from (default
	// crypto/rand; a seeded sim passes its own so a run replays).
	Rand io.Reader
	// QueueTTL is how long a request may wait for busy channels before
	// its client is told it did not run (default 60 s).
	QueueTTL time.Duration
	// MaxQueued bounds the wait queue; beyond it requests are refused
	// (default 100,000).
	MaxQueued int
	// DefaultTimeout is the refund deadline of a request that sets none
	// (0: the enclave's DefaultTimeoutMs).
	DefaultTimeout time.Duration
	// Instances, when set, runs the instances in a coordinator cluster
	// instead of in this actor's children (coordinator_cluster.go).
	Instances InstanceDriver
}

func (c *CoordinatorConfig) defaults() {
	if c.RetryInterval <= 0 {
		c.RetryInterval = 500 * time.Millisecond
	}
	if c.RetryLimit <= 0 {
		c.RetryLimit = 8 * c.RetryInterval
	}
	if c.Linger <= 0 {
		c.Linger = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxClockSkew <= 0 {
		c.MaxClockSkew = 2 * time.Minute
	}
	c.faultDefaults()
}

// instanceDone is a child's report to its parent; it never leaves the
// process, so it is a plain Go value.
type instanceDone struct {
	replay   bool // decided before this actor started: reported already
	id       [32]byte
	networks []*messages.Network
	channels [][32]byte
	result   *messages.SwapResult
}

// instanceStopped asks the parent to forget a child that lingered.
type instanceStopped struct {
	id      [32]byte
	request string
}

type waitingSwap struct {
	req    *messages.SwapRequest
	client *actor.PID
	// expires is when the client is told the request did not run.
	expires int64
	// on is the busy channels of a route that would serve the request:
	// it is retried when one of them is freed. Empty: on every release.
	on [][32]byte
}

// wakes reports whether freeing these channels may let w through.
func (w waitingSwap) wakes(freed map[[32]byte]bool) bool {
	if len(w.on) == 0 {
		return true
	}
	for _, ch := range w.on {
		if freed[ch] {
			return true
		}
	}
	return false
}

// CoordinatorActor takes swap requests, creates instances in its enclave
// and runs each as a child actor.
type CoordinatorActor struct {
	cfg       CoordinatorConfig
	alloc     *coordinator.Allocator
	terminals map[common.Address]*actor.PID
	// nodes counts registered terminals per remoting address: protocol
	// envelopes are taken only from those nodes.
	nodes map[string]int
	// lastReg is each terminal's newest accepted registration time.
	lastReg  map[common.Address]int64
	children map[[32]byte]*actor.PID
	clients  map[[32]byte]*actor.PID
	busy     map[[32]byte]bool
	rtt      roundTrips
	waiting  []waitingSwap
	restored []*coordinator.Instance
	faults   coordFaults // issue 11: coordinator_faults.go
}

// NewCoordinator restores the coordinator from its store and returns its
// props. Instances that were in flight resume as children on start.
func NewCoordinator(cfg CoordinatorConfig) (*actor.Props, error) {
	cfg.defaults()
	st, err := cfg.Store.LoadCoordinator()
	if err != nil {
		return nil, err
	}
	alloc, err := coordinator.NewAllocator(cfg.Signer, st.Meta)
	if err != nil {
		return nil, err
	}
	a := &CoordinatorActor{cfg: cfg, alloc: alloc, terminals: map[common.Address]*actor.PID{},
		nodes: map[string]int{}, lastReg: map[common.Address]int64{},
		children: map[[32]byte]*actor.PID{}, clients: map[[32]byte]*actor.PID{}, busy: map[[32]byte]bool{}}
	for addr, p := range st.Peers {
		if pid := pidOf(p); pid != nil {
			a.setTerminal(addr, pid)
		}
	}
	for _, rec := range st.Instances {
		in, err := coordinator.Restore(cfg.Signer, rec)
		if err != nil {
			return nil, err
		}
		if in.Decided() && in.AllApplied() {
			continue // delivered: restored on demand when a late message names it
		}
		// Undecided instances resume (after the cross-check with their
		// terminals); decided ones resume delivering their outcome.
		a.restored = append(a.restored, in)
	}
	if err := a.loadRequests(); err != nil {
		return nil, err
	}
	a.reattachClients()
	return actor.PropsFromProducer(func() actor.Actor { return a }), nil
}

// Receive handles one message.
func (a *CoordinatorActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.faults.holding = true
		for _, in := range a.restored {
			a.spawn(ctx, in, nil)
		}
		a.faults.holding = false
		a.restored = nil
		a.startFaults(ctx)
	case *actor.Stopping:
		a.stopFaults()
	case queueTick:
		a.expireQueued(ctx)
	case *messages.RegisterTerminal:
		a.register(ctx, m)
	case *messages.AttestationRequest:
		ctx.Respond(a.registered(""))
	case *messages.NodeStatusRequest:
		if err := CheckCredential(a.cfg.ClientCredential, m); err != nil {
			ctx.Respond(&messages.NodeStatus{Error: err.Error()})
			return
		}
		ctx.Respond(a.nodeStatus())
	case *messages.SubmitSwap:
		if err := CheckCredential(a.cfg.ClientCredential, m); err != nil {
			a.cfg.Logger.Warn("swap submission refused", "sender", ctx.Sender(), "err", err)
			ctx.Respond(&messages.SwapResult{RequestId: m.GetRequest().GetRequestId(), Error: err.Error()})
			return
		}
		a.accept(ctx, m.Request, ctx.Sender())
	case *messages.Envelope:
		if !inProcess(ctx) && a.nodes[ctx.Sender().Address] == 0 {
			a.cfg.Logger.Warn("envelope from a node with no registered terminal dropped", "sender", ctx.Sender(), "err", ErrSenderNotAllowed)
			return
		}
		a.route(ctx, m)
	case *RelayEnvelope:
		ctx.Send(m.To, m.Env)
	case *DriverNotice:
		if pid := a.children[m.ID]; pid != nil {
			ctx.Send(pid, m)
		}
	case *instanceDone:
		a.done(ctx, m)
	case *instanceStopped:
		delete(a.children, m.id)
		a.stopped(m)
	}
}

func (a *CoordinatorActor) registered(errText string) *messages.Registered {
	return &messages.Registered{Coordinator: a.cfg.Signer.Address().Bytes(), ReportKind: a.cfg.ReportKind, Report: a.cfg.Report, Error: errText}
}

// setTerminal records a terminal's actor and its node.
func (a *CoordinatorActor) setTerminal(addr common.Address, pid *actor.PID) {
	if old := a.terminals[addr]; old != nil {
		if a.nodes[old.Address]--; a.nodes[old.Address] <= 0 {
			delete(a.nodes, old.Address)
		}
	}
	a.terminals[addr] = pid
	a.nodes[pid.Address]++
}

// checkRegistration checks that m proves possession of its address's
// key: a signature over (address, peer, timestamp) that is fresh and
// newer than the last one taken, from the peer's own node, with an
// attestation report binding the address.
func (a *CoordinatorActor) checkRegistration(ctx actor.Context, m *messages.RegisterTerminal) (common.Address, *actor.PID, error) {
	addr, err := messages.Address(m.Address)
	pid := pidOf(m.Peer)
	if err != nil || pid == nil {
		return addr, nil, fmt.Errorf("%w: need a 20-byte address and a peer", ErrRegistrationRefused)
	}
	if !inProcess(ctx) && ctx.Sender().Address != pid.Address {
		return addr, nil, fmt.Errorf("%w: a node registers only its own actors", ErrRegistrationRefused)
	}
	now := a.cfg.Clock.nowMs()
	if skew := a.cfg.MaxClockSkew.Milliseconds(); m.TimestampMs < now-skew || m.TimestampMs > now+skew {
		return addr, nil, fmt.Errorf("%w: timestamp %d is not within %v of %d", ErrRegistrationRefused, m.TimestampMs, a.cfg.MaxClockSkew, now)
	}
	if m.TimestampMs <= a.lastReg[addr] {
		return addr, nil, fmt.Errorf("%w: not newer than the last registration", ErrRegistrationRefused)
	}
	signer, err := messages.RecoverAddress(hostapi.RegistrationDigest(addr, m.Peer, m.TimestampMs), m.Signature)
	if err != nil || signer != addr {
		return addr, nil, fmt.Errorf("%w: not signed by %s", ErrRegistrationRefused, addr)
	}
	if a.cfg.VerifyReport != nil {
		if err := a.cfg.VerifyReport(m.Report, addr); err != nil {
			return addr, nil, fmt.Errorf("%w: attestation: %w", ErrRegistrationRefused, err)
		}
	}
	return addr, pid, nil
}

func (a *CoordinatorActor) register(ctx actor.Context, m *messages.RegisterTerminal) {
	addr, pid, err := a.checkRegistration(ctx, m)
	if err != nil {
		a.cfg.Logger.Warn("registration refused", "terminal", addr, "sender", ctx.Sender(), "err", err)
		ctx.Respond(a.registered(err.Error()))
		return
	}
	if old := a.terminals[addr]; old != nil && old.Equal(pid) {
		// A repeated registration: nothing to persist, but its report
		// reaches the children (a restarted coordinator waits for it).
		a.lastReg[addr] = m.TimestampMs
		for _, child := range a.children {
			ctx.Send(child, &terminalMoved{addr: addr, pid: pid, applied: m.Applied})
		}
		ctx.Respond(a.registered(""))
		return
	}
	if err := a.cfg.Store.SavePeer(addr, peerOf(pid)); err != nil {
		ctx.Respond(a.registered("persist registration: " + err.Error()))
		return
	}
	a.lastReg[addr] = m.TimestampMs
	a.setTerminal(addr, pid)
	for _, child := range a.children {
		ctx.Send(child, &terminalMoved{addr: addr, pid: pid, applied: m.Applied})
	}
	ctx.Respond(a.registered(""))
}

// terminalMoved tells children a terminal (re)registered at a new PID.
type terminalMoved struct {
	addr common.Address
	pid  *actor.PID
	// applied is what the terminal reported having applied: a child
	// adopts its instance's outcome from it, and a held child resumes
	// once every terminal of its instance reported.
	applied []*messages.AppliedOutcome
}

func (a *CoordinatorActor) submit(ctx actor.Context, req *messages.SwapRequest, client *actor.PID) {
	fail := func(err error) {
		refusal(roleCoordinator, err)
		a.refuse(ctx, req, client, kindOf(err), err)
	}
	if req == nil || len(req.Legs) == 0 {
		fail(fmt.Errorf("%w: swap request has no legs", ErrInvalidRequest))
		return
	}
	req = a.withDefaultTimeout(req)
	routes := make([]*messages.Network, 0, len(req.Legs))
	blocked := false
	var on [][32]byte
	for i, leg := range req.Legs {
		amount, err := messages.Amount(leg.Amount)
		if err != nil {
			fail(fmt.Errorf("leg %d: %w", i, err))
			return
		}
		// Legs on one chain must not share channels: a later leg avoids
		// the earlier legs' routes, busy or not.
		busy, legs := a.busy, earlierLegs(req, routes, i)
		if legs != nil {
			busy = union(a.busy, legs)
		}
		n, err := a.cfg.Routes.Route(leg.ChainId, common.BytesToAddress(leg.Asset), common.BytesToAddress(leg.Sender),
			common.BytesToAddress(leg.Receiver), amount, busy)
		if err != nil {
			// A route that exists but is held by instances in flight waits.
			if held, free := a.cfg.Routes.Route(leg.ChainId, common.BytesToAddress(leg.Asset), common.BytesToAddress(leg.Sender),
				common.BytesToAddress(leg.Receiver), amount, legs); free == nil {
				blocked = true
				for _, h := range held.GetHops() {
					if len(h.ChannelId) == 32 && a.busy[[32]byte(h.ChannelId)] {
						on = append(on, [32]byte(h.ChannelId))
					}
				}
				break
			}
			fail(fmt.Errorf("%w: leg %d on chain %d: %w", ErrUnroutable, i, leg.ChainId, err))
			return
		}
		if len(n.GetHops()) > MaxRouteHops {
			fail(fmt.Errorf("leg %d: %w (%d hops)", i, ErrRouteTooLong, len(n.GetHops())))
			return
		}
		routes = append(routes, n)
	}
	if !blocked && overlaps(routes) {
		// Not a wait: no release of channels can separate these legs.
		fail(fmt.Errorf("%w: the legs' routes share channels", ErrUnroutable))
		return
	}
	if blocked {
		// Only authorised requests may wait for busy channels: a
		// stranger's must not hold a place in the queue. (Create checks
		// the orders again; this second check is paid only by waiters.)
		if _, err := coordinator.CheckOrders(req, messages.ResolveKind(req.Kind, len(req.Legs)), a.cfg.Clock.nowMs()); err != nil {
			fail(err)
			return
		}
		a.enqueue(ctx, req, client, on)
		return
	}
	if a.cfg.Instances != nil {
		a.createInCluster(ctx, req, routes, client, fail)
		return
	}
	in, out, err := a.create(req, routes)
	if err != nil {
		fail(err)
		return
	}
	if err := a.cfg.Store.SaveNewInstance(out.Meta, out.Instance, a.requestRecord(req, in.ID(), client)); err != nil {
		// Nothing was sent: the instance never existed for anyone.
		a.cfg.Logger.Error("persist new instance", "err", err)
		fail(fmt.Errorf("%w: persist: %w", ErrUnavailable, err))
		return
	}
	a.ran(req, in.ID())
	a.spawn(ctx, in, client)
	ctx.Send(a.children[in.ID()], &startInstance{send: out.Send})
}

// overlaps reports whether two legs' routes share a channel.
func overlaps(routes []*messages.Network) bool {
	seen := map[string]bool{}
	for _, r := range routes {
		for _, h := range r.Hops {
			if seen[string(h.ChannelId)] {
				return true
			}
			seen[string(h.ChannelId)] = true
		}
	}
	return false
}

type startInstance struct{ send []coordinator.Outbound }

func (a *CoordinatorActor) spawn(ctx actor.Context, in *coordinator.Instance, client *actor.PID) {
	peers := map[common.Address]*actor.PID{}
	var channels [][32]byte
	for _, t := range in.Terminals() {
		peers[t] = a.terminals[t]
	}
	for _, np := range in.Record().Networks {
		for _, h := range np.Network.Hops {
			id := [32]byte(h.ChannelId)
			channels = append(channels, id)
			if !in.Decided() {
				a.busy[id] = true
			}
		}
	}
	child := &instanceActor{cfg: &a.cfg, rtt: &a.rtt, in: in, peers: peers, channels: channels}
	a.prepareChild(child)
	pid := ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return child }))
	a.children[in.ID()] = pid
	if client != nil {
		a.clients[in.ID()] = client
	}
}

func (a *CoordinatorActor) route(ctx actor.Context, env *messages.Envelope) {
	countIn(roleCoordinator, env)
	id, ok := messages.InstanceOf(env)
	if !ok {
		a.cfg.Logger.Warn("envelope without an instance id", "kind", env.GetKind())
		return
	}
	if pid := a.children[id]; pid != nil {
		ctx.Send(pid, env)
		return
	}
	if a.cfg.Instances != nil {
		// Created by another member's gateway, or here and lingered out:
		// a proxy forwards it to the instance's grain.
		a.spawnProxy(ctx, id, nil, nil, nil, false)
		ctx.Send(a.children[id], env)
		return
	}
	// A late message for an instance whose actor has gone: bring it back
	// from the store, so a terminal that missed the outcome still gets it.
	rec, err := a.cfg.Store.LoadInstance(id[:])
	if err != nil || rec == nil {
		a.cfg.Logger.Warn("message for unknown instance", "id", fmt.Sprintf("%x", id[:6]), "err", err)
		return
	}
	in, err := coordinator.Restore(a.cfg.Signer, rec)
	if err != nil {
		a.cfg.Logger.Error("restore instance", "err", err)
		return
	}
	a.spawn(ctx, in, nil)
	ctx.Send(a.children[id], env)
}

func (a *CoordinatorActor) done(ctx actor.Context, m *instanceDone) {
	observeResult(m.result)
	for _, ch := range m.channels {
		delete(a.busy, ch)
	}
	// Keep the directory's capacities in step with confirmed transfers
	// (once: not again for an instance resumed after a restart).
	if t, ok := a.cfg.Routes.(interface{ Transferred(*messages.Network) }); ok && !m.replay && m.result.Outcome == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		for _, n := range m.networks {
			t.Transferred(n)
		}
	}
	// A ledger that can tell a repeat (by channel version) is told again.
	if t, ok := a.cfg.Routes.(interface{ Replayed(*messages.Network) }); ok && m.replay && m.result.Outcome == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		for _, n := range m.networks {
			t.Replayed(n)
		}
	}
	if client := a.clients[m.id]; client != nil {
		ctx.Send(client, m.result)
		delete(a.clients, m.id)
	}
	a.answerRepeats(ctx, m.id, m.result)
	// Retry, in arrival order, the requests that waited for a channel this
	// instance held; the others stay queued. Rerouting every waiting
	// request after every instance was half of a loaded coordinator's
	// allocations, mostly routes found only to be parked again.
	freed := make(map[[32]byte]bool, len(m.channels))
	for _, ch := range m.channels {
		freed[ch] = true
	}
	waiting := a.waiting
	a.waiting = nil
	for _, w := range waiting {
		if !w.wakes(freed) {
			a.waiting = append(a.waiting, w)
			continue
		}
		a.submit(ctx, w.req, w.client)
	}
}

// Waiting is the number of requests blocked on busy channels (for tests).
func (a *CoordinatorActor) Waiting() int { return len(a.waiting) }

type (
	retryTick    struct{}
	deadlineTick struct{}
	lingerDone   struct{}
)

// instanceActor runs one coordinator instance machine.
type instanceActor struct {
	cfg      *CoordinatorConfig
	in       *coordinator.Instance
	peers    map[common.Address]*actor.PID
	channels [][32]byte
	retry    backoff
	rtt      *roundTrips
	phase    messages.InstancePhase
	phaseAt  time.Time
	cancel   []func()
	// retryCancel stops the pending resend timer.
	retryCancel func()
	started     time.Time
	times       phaseTimes
	reported    bool
	// held lists terminals not yet heard from since a restart: until
	// each reported what it applied, the instance signs nothing.
	held map[common.Address]bool
	// replay: decided before this actor started.
	replay  bool
	lingers bool
}

func (c *instanceActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.started = time.Now()
		c.retry = newBackoff(c.cfg.RetryInterval, c.cfg.RetryLimit)
		c.phase, c.phaseAt = c.in.Phase(), c.started
		c.replay = c.in.Decided()
		if c.holding() {
			return // resumed by release once its terminals reported
		}
		c.armRetry(ctx)
		if delay := time.Duration(c.in.Deadline()-c.cfg.Clock.nowMs()) * time.Millisecond; !c.in.Decided() {
			c.after(ctx, max(delay, 0), deadlineTick{})
		}
		if c.in.Decided() {
			c.finish(ctx)
		}
	case *startInstance:
		c.send(ctx, m.send)
	case *messages.Envelope:
		if c.holding() {
			return // nothing is signed before the cross-check
		}
		c.handle(ctx, m)
	case *terminalMoved:
		if _, ok := c.peers[m.addr]; ok {
			c.peers[m.addr] = m.pid
			c.heard(ctx, m)
		}
	case retryTick:
		if c.holding() {
			return
		}
		if !c.in.Decided() {
			c.send(ctx, c.in.Resend())
			c.armRetry(ctx)
		} else if !c.in.AllApplied() {
			// Deliver the outcome until every terminal acknowledged it.
			c.send(ctx, c.in.Undelivered())
			c.armRetry(ctx)
		}
	case deadlineTick:
		if c.holding() {
			return // re-armed on release
		}
		out, err := c.in.Tick(c.cfg.Clock.nowMs())
		c.apply(ctx, out, err)
	case lingerDone:
		ctx.Send(ctx.Parent(), &instanceStopped{id: c.in.ID(), request: c.in.Record().RequestId})
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		for _, cancel := range c.cancel {
			cancel()
		}
		if c.retryCancel != nil {
			c.retryCancel()
		}
	}
}

func (c *instanceActor) handle(ctx actor.Context, env *messages.Envelope) {
	now := c.cfg.Clock.nowMs()
	var (
		out coordinator.Output
		err error
	)
	switch env.Kind {
	case messages.Kind_KIND_PREPARED:
		out, err = c.in.HandlePrepared(env, now)
	case messages.Kind_KIND_COMMITTED:
		out, err = c.in.HandleCommitted(env, now)
	case messages.Kind_KIND_REFUND_REQUEST:
		out, err = c.in.HandleRefundRequest(env, now)
	case messages.Kind_KIND_OUTCOME_APPLIED:
		c.outcomeApplied(ctx, env)
		return
	case messages.Kind_KIND_OUTCOME_QUERY:
		out, err = c.in.HandleOutcomeQuery(env)
	default:
		err = fmt.Errorf("unexpected %v at the coordinator", env.Kind)
	}
	c.apply(ctx, out, err)
}

// apply persists the instance, then sends: write-ahead.
func (c *instanceActor) apply(ctx actor.Context, out coordinator.Output, err error) {
	if err != nil {
		if !errors.Is(err, coordinator.ErrWrongPhase) {
			c.cfg.Logger.Info("rejected", "instance", fmt.Sprintf("%x", c.in.ID()), "err", err)
		}
		return
	}
	if out.Instance != nil {
		if err := c.cfg.Store.SaveCoordinator(out.Meta, out.Instance); err != nil {
			// Without the record on disk nothing may leave: a crash now
			// must not find terminals ahead of the store.
			c.cfg.Logger.Error("persist instance; stopping it", "err", err)
			ctx.Stop(ctx.Self())
			return
		}
	}
	c.mark()
	if p := c.in.Phase(); p != c.phase {
		// A new phase is progress: its first resend waits the base interval.
		now := time.Now()
		if p != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
			// Only the ack-driven phases measure a round trip.
			c.rtt.observe(now.Sub(c.phaseAt))
		}
		c.phase, c.phaseAt = p, now
		c.retry.reset()
	}
	c.send(ctx, out.Send)
	if c.in.Decided() {
		c.finish(ctx)
	}
}

func (c *instanceActor) mark() {
	us := time.Since(c.started).Microseconds()
	switch c.in.Phase() {
	case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
		if c.times.prepared == 0 {
			c.times.prepared = us
		}
	case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		if c.times.committed == 0 {
			c.times.committed = us
		}
		if c.times.decided == 0 {
			c.times.decided = us
		}
	case messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
		if c.times.decided == 0 {
			c.times.decided = us
		}
	}
}

func (c *instanceActor) finish(ctx actor.Context) {
	if c.reported {
		return
	}
	c.reported = true
	rec := c.in.Record()
	id := c.in.ID()
	times := messages.PhaseTimes{PreparedUs: c.times.prepared, CommittedUs: c.times.committed, DecidedUs: c.times.decided}
	var networks []*messages.Network
	for _, np := range rec.Networks {
		networks = append(networks, np.Network)
	}
	ctx.Send(ctx.Parent(), &instanceDone{replay: c.replay || rec.Adopted, id: id, networks: networks, channels: c.channels, result: &messages.SwapResult{
		InstanceId: id[:], RequestId: rec.RequestId, Outcome: rec.Phase, RefundReason: rec.RefundReason, Times: &times, Networks: networks}})
	c.lingerIfDelivered(ctx)
}

// retryWait is the wait before the next resend: the backoff schedule, but
// never less than the coordinator's phase-timeout estimate.
func (c *instanceActor) retryWait() time.Duration {
	return max(c.retry.wait(), c.rtt.timeout())
}

// after sends msg to this actor after d; Stopping cancels it.
func (c *instanceActor) after(ctx actor.Context, d time.Duration, msg any) {
	c.cancel = append(c.cancel, sendAfter(ctx.ActorSystem(), d, ctx.Self(), msg))
}

// armRetry schedules the next resend; one is pending at a time.
func (c *instanceActor) armRetry(ctx actor.Context) {
	c.retryCancel = sendAfter(ctx.ActorSystem(), c.retryWait(), ctx.Self(), retryTick{})
}

func (c *instanceActor) send(ctx actor.Context, send []coordinator.Outbound) {
	for _, s := range send {
		pid := c.peers[s.To]
		if pid == nil {
			c.cfg.Logger.Warn("no route to terminal; it has not registered", "terminal", s.To)
			continue
		}
		ctx.Send(pid, s.Env)
		countOut(roleCoordinator, s.Env)
	}
}

// phaseTimes are microseconds from the instance actor's start.
type phaseTimes struct{ prepared, committed, decided int64 }
