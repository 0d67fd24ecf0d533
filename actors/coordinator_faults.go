package actors

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
)

// The coordinator's reliability around the protocol core (issue 11):
// idempotent and durable requests, unpredictable instance ids, the
// cross-check with the terminals after a restart, and outcome delivery
// until acknowledged.

// Why a request did not run; SwapResult.error_kind carries them to
// clients, and SwapError turns a result back into one.
var (
	ErrInvalidRequest   = errors.New("actors: invalid swap request")
	ErrUnroutable       = errors.New("actors: request can never be routed")
	ErrQueueExpired     = errors.New("actors: request waited in the queue past its expiry and did not run")
	ErrUnavailable      = errors.New("actors: request could not be accepted (not persisted, or the queue is full) and did not run")
	ErrDuplicateRequest = errors.New("actors: request id already names a different request")
)

var errorKinds = []struct {
	err  error
	kind messages.SwapErrorKind
}{
	{ErrUnroutable, messages.SwapErrorKind_SWAP_ERROR_KIND_UNROUTABLE},
	{ErrQueueExpired, messages.SwapErrorKind_SWAP_ERROR_KIND_EXPIRED},
	{ErrUnavailable, messages.SwapErrorKind_SWAP_ERROR_KIND_UNAVAILABLE},
	{ErrDuplicateRequest, messages.SwapErrorKind_SWAP_ERROR_KIND_DUPLICATE},
	{ErrInvalidRequest, messages.SwapErrorKind_SWAP_ERROR_KIND_INVALID},
	{coordinator.ErrMalformed, messages.SwapErrorKind_SWAP_ERROR_KIND_INVALID},
	{coordinator.ErrInvalidRoute, messages.SwapErrorKind_SWAP_ERROR_KIND_INVALID},
}

func kindOf(err error) messages.SwapErrorKind {
	for _, k := range errorKinds {
		if errors.Is(err, k.err) {
			return k.kind
		}
	}
	return messages.SwapErrorKind_SWAP_ERROR_KIND_UNSPECIFIED
}

// SwapError is the typed error of a result that did not run (nil when an
// instance ran it): errors.Is(SwapError(res), ErrQueueExpired) and so on.
func SwapError(res *messages.SwapResult) error {
	if res.GetError() == "" {
		return nil
	}
	for _, k := range errorKinds {
		if k.kind == res.ErrorKind {
			return fmt.Errorf("%w (%s)", k.err, res.Error)
		}
	}
	return errors.New(res.Error)
}

func (c *CoordinatorConfig) faultDefaults() {
	if c.Rand == nil {
		c.Rand = rand.Reader
	}
	if c.QueueTTL <= 0 {
		c.QueueTTL = time.Minute
	}
	if c.MaxQueued <= 0 {
		c.MaxQueued = 100_000
	}
}

// reqEntry is the coordinator's index entry of one request id.
type reqEntry struct {
	digest    []byte
	instance  [32]byte
	running   bool                 // an instance runs (or ran) it
	result    *messages.SwapResult // it was answered without an instance
	queued    bool
	persisted bool // a queued record is in the store
	expires   int64
	client    *actor.PID // the client of a running request, from the store
}

type coordFaults struct {
	requests map[string]*reqEntry
	// anonExpiry keeps the expiry of queued requests without an id.
	anonExpiry map[*messages.SwapRequest]int64
	// repeats are clients that repeated a request in flight.
	repeats map[[32]byte][]*actor.PID
	// pending are queued requests read from the store, resubmitted at start.
	pending []waitingSwap
	// holding is set while restored instances are spawned at start;
	// heldIDs lists, per terminal, the instances waiting for its report.
	holding  bool
	heldIDs  map[common.Address][][]byte
	stopTick func()
}

type queueTick struct{}

func requestDigest(req *messages.SwapRequest) []byte {
	b, _ := deterministicProto.Marshal(req)
	return crypto.Keccak256(b)
}

// loadRequests rebuilds the request index and the queue from the store.
func (a *CoordinatorActor) loadRequests() error {
	a.faults.requests = map[string]*reqEntry{}
	a.faults.anonExpiry = map[*messages.SwapRequest]int64{}
	a.faults.repeats = map[[32]byte][]*actor.PID{}
	a.faults.heldIDs = map[common.Address][][]byte{}
	recs, err := a.cfg.Store.LoadRequests()
	if err != nil {
		return err
	}
	for _, r := range recs {
		e := &reqEntry{digest: r.RequestDigest}
		switch {
		case len(r.InstanceId) == 32:
			e.instance, e.running, e.client = [32]byte(r.InstanceId), true, pidOf(r.Client)
		case r.Result != nil:
			e.result = r.Result
		case r.Request != nil:
			e.queued, e.persisted, e.expires = true, true, r.ExpiresMs
			a.faults.pending = append(a.faults.pending, waitingSwap{req: r.Request, client: pidOf(r.Client), expires: r.ExpiresMs})
		default:
			continue
		}
		a.faults.requests[r.RequestId] = e
	}
	return nil
}

// startFaults runs after the restored instances are spawned: it asks the
// terminals to report, starts the queue's expiry timer and puts the
// persisted queue back.
func (a *CoordinatorActor) startFaults(ctx actor.Context) {
	for addr, pid := range a.terminals {
		ctx.Send(pid, &messages.RegistrationRequest{InstanceIds: a.faults.heldIDs[addr]})
	}
	a.faults.heldIDs = map[common.Address][][]byte{}
	every := min(a.cfg.RetryInterval, a.cfg.QueueTTL/4)
	a.faults.stopTick = sendEvery(ctx.ActorSystem(), max(every, time.Millisecond), ctx.Self(), queueTick{})
	pending := a.faults.pending
	a.faults.pending = nil
	for _, w := range pending {
		a.submit(ctx, w.req, w.client)
	}
}

func (a *CoordinatorActor) stopFaults() {
	if a.faults.stopTick != nil {
		a.faults.stopTick()
	}
}

// accept deduplicates a client's request by its id, then submits it.
func (a *CoordinatorActor) accept(ctx actor.Context, req *messages.SwapRequest, client *actor.PID) {
	if req == nil || req.RequestId == "" {
		a.submit(ctx, req, client)
		return
	}
	d := requestDigest(req)
	e := a.faults.requests[req.RequestId]
	if e == nil {
		a.faults.requests[req.RequestId] = &reqEntry{digest: d}
		a.submit(ctx, req, client)
		return
	}
	if !bytes.Equal(e.digest, d) {
		if client != nil {
			err := fmt.Errorf("%w: %q", ErrDuplicateRequest, req.RequestId)
			ctx.Send(client, &messages.SwapResult{RequestId: req.RequestId, Error: err.Error(), ErrorKind: kindOf(err)})
		}
		return
	}
	switch {
	case e.result != nil:
		if client != nil {
			ctx.Send(client, e.result)
		}
	case e.running:
		// The first outcome, never a second instance.
		if rec, err := a.cfg.Store.LoadInstance(e.instance[:]); err == nil && rec != nil &&
			(rec.Phase == messages.InstancePhase_INSTANCE_PHASE_COMMITTED || rec.Phase == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED) {
			if client != nil {
				ctx.Send(client, &messages.SwapResult{InstanceId: rec.InstanceId, RequestId: rec.RequestId, Outcome: rec.Phase, RefundReason: rec.RefundReason, Networks: recordNetworks(rec)})
			}
			return
		}
		if client != nil {
			a.faults.repeats[e.instance] = append(a.faults.repeats[e.instance], client)
		}
	case e.queued:
		for i := range a.waiting {
			if a.waiting[i].req.GetRequestId() == req.RequestId && client != nil {
				a.waiting[i].client = client
			}
		}
	}
}

// refuse answers a request that did not run, and remembers the answer for
// a repeat of its id.
func (a *CoordinatorActor) refuse(ctx actor.Context, req *messages.SwapRequest, client *actor.PID, kind messages.SwapErrorKind, err error) {
	res := &messages.SwapResult{RequestId: req.GetRequestId(), Error: err.Error(), ErrorKind: kind}
	if client != nil {
		ctx.Send(client, res)
	}
	delete(a.faults.anonExpiry, req)
	e := a.faults.requests[req.GetRequestId()]
	if e == nil || e.running {
		return
	}
	e.result, e.queued = res, false
	if e.persisted {
		if err := a.cfg.Store.SaveRequest(&messages.RequestRecord{RequestId: req.RequestId, RequestDigest: e.digest, Result: res}); err != nil {
			a.cfg.Logger.Warn("persist request result", "err", err)
		}
	}
}

// enqueue parks a request that waits for busy channels: persisted first
// (write-ahead), with an expiry, or refused.
func (a *CoordinatorActor) enqueue(ctx actor.Context, req *messages.SwapRequest, client *actor.PID, on [][32]byte) {
	now := a.cfg.Clock.nowMs()
	e := a.faults.requests[req.GetRequestId()]
	exp, ok := a.faults.anonExpiry[req]
	if e != nil && e.queued {
		exp, ok = e.expires, true
	}
	if !ok {
		if len(a.waiting) >= a.cfg.MaxQueued {
			a.refuse(ctx, req, client, messages.SwapErrorKind_SWAP_ERROR_KIND_UNAVAILABLE, fmt.Errorf("%w: %d requests wait already", ErrUnavailable, len(a.waiting)))
			return
		}
		exp = now + a.cfg.QueueTTL.Milliseconds()
		if e != nil {
			rec := &messages.RequestRecord{RequestId: req.RequestId, Request: req, ExpiresMs: exp, Client: peerOf(client), RequestDigest: e.digest}
			if err := a.cfg.Store.SaveRequest(rec); err != nil {
				a.refuse(ctx, req, client, messages.SwapErrorKind_SWAP_ERROR_KIND_UNAVAILABLE, fmt.Errorf("%w: persist queued request: %w", ErrUnavailable, err))
				return
			}
			e.queued, e.persisted, e.expires = true, true, exp
		} else {
			a.faults.anonExpiry[req] = exp
		}
	}
	if now >= exp {
		a.refuse(ctx, req, client, messages.SwapErrorKind_SWAP_ERROR_KIND_EXPIRED, fmt.Errorf("%w: its channels stayed busy", ErrQueueExpired))
		return
	}
	a.waiting = append(a.waiting, waitingSwap{req: req, client: client, expires: exp, on: on})
}

// expireQueued tells the clients of requests past their expiry that they
// did not run.
func (a *CoordinatorActor) expireQueued(ctx actor.Context) {
	now := a.cfg.Clock.nowMs()
	kept := a.waiting[:0]
	var expired []waitingSwap
	for _, w := range a.waiting {
		if w.expires > 0 && now >= w.expires {
			expired = append(expired, w)
			continue
		}
		kept = append(kept, w)
	}
	a.waiting = kept
	for _, w := range expired {
		a.refuse(ctx, w.req, w.client, messages.SwapErrorKind_SWAP_ERROR_KIND_EXPIRED,
			fmt.Errorf("%w: waited %v for busy channels", ErrQueueExpired, a.cfg.QueueTTL))
	}
}

// create makes an instance with an id from the random source, never one
// the store already holds.
func (a *CoordinatorActor) create(req *messages.SwapRequest, routes []*messages.Network) (*coordinator.Instance, coordinator.Output, error) {
	for range 3 {
		var entropy [32]byte
		if _, err := io.ReadFull(a.cfg.Rand, entropy[:]); err != nil {
			return nil, coordinator.Output{}, fmt.Errorf("%w: randomness: %w", ErrUnavailable, err)
		}
		in, out, err := a.alloc.CreateRandom(req, routes, a.cfg.Clock.nowMs(), entropy)
		if err != nil {
			return nil, out, err
		}
		id := in.ID()
		if rec, err := a.cfg.Store.LoadInstance(id[:]); err != nil || rec != nil {
			a.cfg.Logger.Error("instance id drawn twice; drawing again", "id", fmt.Sprintf("%x", id[:6]), "err", err)
			continue
		}
		return in, out, nil
	}
	return nil, coordinator.Output{}, fmt.Errorf("%w: no fresh instance id", ErrUnavailable)
}

func (a *CoordinatorActor) requestRecord(req *messages.SwapRequest, id [32]byte, client *actor.PID) *messages.RequestRecord {
	e := a.faults.requests[req.GetRequestId()]
	if e == nil {
		return nil
	}
	// The client is kept so a restarted coordinator still answers it.
	return &messages.RequestRecord{RequestId: req.RequestId, InstanceId: id[:], RequestDigest: e.digest, Client: peerOf(client)}
}

// reattachClients gives restored instances their clients back.
func (a *CoordinatorActor) reattachClients() {
	for _, in := range a.restored {
		e := a.faults.requests[in.Record().RequestId]
		if e != nil && e.running && e.instance == in.ID() && e.client != nil {
			a.clients[in.ID()] = e.client
		}
	}
}

// ran notes that an instance now runs the request.
func (a *CoordinatorActor) ran(req *messages.SwapRequest, id [32]byte) {
	delete(a.faults.anonExpiry, req)
	if e := a.faults.requests[req.GetRequestId()]; e != nil {
		e.instance, e.running, e.queued = id, true, false
	}
}

func (a *CoordinatorActor) prepareChild(child *instanceActor) {
	if !a.faults.holding || child.in.Decided() {
		return
	}
	id := child.in.ID()
	child.held = map[common.Address]bool{}
	for _, t := range child.in.Terminals() {
		child.held[t] = true
		a.faults.heldIDs[t] = append(a.faults.heldIDs[t], id[:])
	}
}

func (a *CoordinatorActor) answerRepeats(ctx actor.Context, id [32]byte, res *messages.SwapResult) {
	for _, pid := range a.faults.repeats[id] {
		ctx.Send(pid, res)
	}
	delete(a.faults.repeats, id)
}

// stopped forgets a delivered instance (and its request id) when the
// coordinator keeps no decided records (load runs).
func (a *CoordinatorActor) stopped(m *instanceStopped) {
	if !a.cfg.ForgetDecided {
		return
	}
	if err := a.cfg.Store.ForgetInstance(m.id[:]); err != nil {
		a.cfg.Logger.Warn("forget instance", "err", err)
	}
	if m.request != "" {
		if err := a.cfg.Store.ForgetRequest(m.request); err != nil {
			a.cfg.Logger.Warn("forget request", "err", err)
		}
		delete(a.faults.requests, m.request)
	}
}

// earlierLegs is the channels of earlier legs' routes on leg i's chain,
// or nil when there are none.
func earlierLegs(req *messages.SwapRequest, routes []*messages.Network, i int) map[[32]byte]bool {
	var out map[[32]byte]bool
	for j, r := range routes {
		if j >= i || req.Legs[j].ChainId != req.Legs[i].ChainId {
			continue
		}
		for _, h := range r.GetHops() {
			if len(h.ChannelId) == 32 {
				if out == nil {
					out = map[[32]byte]bool{}
				}
				out[[32]byte(h.ChannelId)] = true
			}
		}
	}
	return out
}

func union(a, b map[[32]byte]bool) map[[32]byte]bool {
	out := make(map[[32]byte]bool, len(a)+len(b))
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// holding reports whether the instance waits for terminals' reports.
func (c *instanceActor) holding() bool { return len(c.held) > 0 }

// heard takes a (re)registered terminal's report: the instance adopts an
// outcome the terminal proves it applied, and resumes once every terminal
// reported.
func (c *instanceActor) heard(ctx actor.Context, m *terminalMoved) {
	id := c.in.ID()
	for _, ap := range m.applied {
		if !bytes.Equal(ap.InstanceId, id[:]) {
			continue
		}
		confirmed := ap.Phase == messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED
		if !confirmed && ap.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {
			continue
		}
		out, err := c.in.Adopt(ap.NetworkIndex, confirmed, ap.OutcomeSignature)
		if errors.Is(err, coordinator.ErrConflictingOutcome) {
			c.cfg.Logger.Error("a terminal holds the other outcome: the store was rolled back past a decision", "instance", fmt.Sprintf("%x", id[:6]), "terminal", m.addr, "err", err)
			continue
		}
		if err != nil {
			c.cfg.Logger.Warn("terminal's outcome report refused", "terminal", m.addr, "err", err)
			continue
		}
		if out.Instance != nil {
			c.apply(ctx, out, nil)
		}
	}
	if !c.holding() {
		return
	}
	delete(c.held, m.addr)
	if c.holding() {
		return
	}
	// Every terminal reported: resume.
	c.armRetry(ctx)
	if !c.in.Decided() {
		c.after(ctx, max(time.Duration(c.in.Deadline()-c.cfg.Clock.nowMs())*time.Millisecond, 0), deadlineTick{})
	}
}

// outcomeApplied takes a terminal's acknowledgement of the outcome; once
// every terminal acknowledged, the record says so and the actor may go.
func (c *instanceActor) outcomeApplied(ctx actor.Context, env *messages.Envelope) {
	out, err := c.in.HandleOutcomeApplied(env)
	if err != nil {
		c.cfg.Logger.Info("outcome ack refused", "instance", fmt.Sprintf("%x", c.in.ID()), "err", err)
		return
	}
	if out.Instance == nil || !c.in.AllApplied() {
		return // partial acks are not persisted: a restart resends to all
	}
	if err := c.cfg.Store.SaveCoordinator(nil, out.Instance); err != nil {
		c.cfg.Logger.Warn("persist delivered instance", "err", err)
		return
	}
	c.lingerIfDelivered(ctx)
}

func (c *instanceActor) lingerIfDelivered(ctx actor.Context) {
	if c.lingers || !c.in.AllApplied() {
		return
	}
	c.lingers = true
	c.after(ctx, c.cfg.Linger, lingerDone{})
}

// recordNetworks is the route of an instance record, for a repeated answer.
func recordNetworks(rec *messages.CoordinatorInstance) []*messages.Network {
	var out []*messages.Network
	for _, np := range rec.GetNetworks() {
		out = append(out, np.GetNetwork())
	}
	return out
}
