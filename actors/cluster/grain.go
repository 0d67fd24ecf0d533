package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
	clusterpb "github.com/teeswap/teeswap/messages/cluster"
)

// ErrUnknownInstance: no record for this instance id in the store.
var ErrUnknownInstance = errors.New("cluster: unknown instance")

// deps are what a member's grains use. The generated kind keeps one
// factory per process, so grains find their member's deps through their
// cluster (several members share one process in tests).
type deps struct {
	member *Member
	signer enclave.Key
	logger *slog.Logger
	// timeout bounds one etcd operation.
	timeout time.Duration
	// dead marks a member that crashed (tests): its grains release nothing.
	dead atomic.Bool
}

var members sync.Map // *cluster.Cluster -> *deps

// instanceGrain drives one coordinator instance machine, exactly as the
// single coordinator's instance children do, but persists each step in
// etcd under the member's lease before it returns the envelopes to send.
type instanceGrain struct {
	d   *deps
	id  []byte
	in  *coordinator.Instance
	rev Rev
	err error
	// notify is the relay of the gateway that created the instance, and
	// told what it was told already (a reactivated grain may tell again).
	notify                string
	toldDecided, toldDone bool
}

var _ clusterpb.Instance = (*instanceGrain)(nil)

func (g *instanceGrain) Init(ctx cluster.GrainContext) {
	v, ok := members.Load(ctx.Cluster())
	if !ok {
		g.err = errors.New("cluster: grain activated on a member that has not registered its deps")
		return
	}
	g.d = v.(*deps)
	id, err := hex.DecodeString(ctx.Identity())
	if err != nil || len(id) != 32 {
		g.err = fmt.Errorf("%w: identity %q is not a 32-byte hex instance id", ErrUnknownInstance, ctx.Identity())
		return
	}
	g.id = id
}

// Terminate releases the claim, so another member may activate the
// instance at once instead of after the lease's TTL.
func (g *instanceGrain) Terminate(cluster.GrainContext) {
	if g.d == nil || g.in == nil || g.d.dead.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.d.timeout)
	defer cancel()
	if err := g.d.member.Release(ctx, g.id); err != nil {
		g.d.logger.Warn("release instance", "id", hex.EncodeToString(g.id[:6]), "err", err)
	}
}

func (g *instanceGrain) ReceiveDefault(cluster.GrainContext) {}

// load claims the instance for this member and restores it from etcd.
func (g *instanceGrain) load() error {
	if g.err != nil {
		return g.err
	}
	if g.in != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.d.timeout)
	defer cancel()
	// Look before claiming: a message naming an id that was never created
	// must not make this member write an owner key for it.
	if rec, _, err := g.d.member.LoadInstance(ctx, g.id); err != nil {
		return err
	} else if rec == nil {
		return fmt.Errorf("%w: %x", ErrUnknownInstance, g.id)
	}
	if err := g.d.member.Claim(ctx, g.id); err != nil {
		return err
	}
	// Read again under the claim: the revision every later write compares.
	rec, rev, err := g.d.member.LoadInstance(ctx, g.id)
	if err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%w: %x", ErrUnknownInstance, g.id)
	}
	in, err := coordinator.Restore(g.d.signer, rec)
	if err != nil {
		return err
	}
	if g.notify, err = g.d.member.Notify(ctx, g.id); err != nil {
		return err
	}
	g.in, g.rev = in, rev
	return nil
}

// apply persists a step, then releases its envelopes: write-ahead. A
// refused write (fenced or stale) drops the machine, whose memory is now
// ahead of the store; the next call reloads it.
func (g *instanceGrain) apply(ctx cluster.GrainContext, out coordinator.Output, err error) (*clusterpb.Step, error) {
	if err != nil {
		return nil, err
	}
	if out.Instance != nil {
		ctx, cancel := context.WithTimeout(context.Background(), g.d.timeout)
		defer cancel()
		rev, err := g.d.member.Save(ctx, out.Instance, g.rev)
		if err != nil {
			g.in = nil
			return nil, err
		}
		g.rev = rev
	}
	s := g.step(out.Send)
	if g.notify != "" && ctx != nil && (s.Decided && !g.toldDecided || s.Delivered && !g.toldDone) {
		g.toldDecided, g.toldDone = s.Decided, s.Delivered
		// Tell the creating gateway at once, instead of at its next tick.
		ctx.Send(actor.NewPID(g.notify, relayName), &clusterpb.Step{InstanceId: g.id, Phase: s.Phase, Decided: s.Decided,
			Delivered: s.Delivered, RequestId: s.RequestId, RefundReason: s.RefundReason, Member: s.Member})
	}
	return s, nil
}

func (g *instanceGrain) step(send []coordinator.Outbound) *clusterpb.Step {
	rec := g.in.Record()
	s := &clusterpb.Step{Phase: g.in.Phase(), Decided: g.in.Decided(), RequestId: rec.RequestId, Member: g.d.member.ID(),
		RefundReason: rec.RefundReason, Delivered: g.in.Decided() && g.in.AllApplied(), InstanceId: g.id}
	for _, o := range send {
		s.Send = append(s.Send, &clusterpb.Outbound{To: o.To.Bytes(), Envelope: o.Env})
	}
	return s
}

func (g *instanceGrain) Deliver(req *clusterpb.Deliver, ctx cluster.GrainContext) (*clusterpb.Step, error) {
	s, err := g.deliver(ctx, req)
	return s, toWire(err)
}

func (g *instanceGrain) deliver(ctx cluster.GrainContext, req *clusterpb.Deliver) (*clusterpb.Step, error) {
	if g.err != nil {
		return nil, g.err
	}
	env := req.GetEnvelope()
	if id, ok := messages.InstanceOf(env); !ok || string(id[:]) != string(g.id) {
		return nil, fmt.Errorf("%w: envelope does not name instance %x", coordinator.ErrMalformed, g.id[:6])
	}
	if err := g.load(); err != nil {
		return nil, err
	}
	switch env.Kind {
	case messages.Kind_KIND_PREPARED:
		out, err := g.in.HandlePrepared(env, req.NowMs)
		return g.apply(ctx, out, err)
	case messages.Kind_KIND_COMMITTED:
		out, err := g.in.HandleCommitted(env, req.NowMs)
		return g.apply(ctx, out, err)
	case messages.Kind_KIND_REFUND_REQUEST:
		out, err := g.in.HandleRefundRequest(env, req.NowMs)
		return g.apply(ctx, out, err)
	case messages.Kind_KIND_OUTCOME_QUERY:
		out, err := g.in.HandleOutcomeQuery(env)
		return g.apply(ctx, out, err)
	case messages.Kind_KIND_OUTCOME_APPLIED:
		out, err := g.in.HandleOutcomeApplied(env)
		if err != nil {
			return nil, err
		}
		if out.Instance == nil || !g.in.AllApplied() {
			// As the single coordinator: partial acks are not persisted,
			// a restart resends the outcome to all.
			return g.step(nil), nil
		}
		return g.apply(ctx, out, nil)
	default:
		return nil, fmt.Errorf("%w: unexpected %v at the coordinator", coordinator.ErrMalformed, env.Kind)
	}
}

// Tick applies the deadline, then resends the current phase to the
// terminals that have not answered (decided instances resend their outcome).
func (g *instanceGrain) Tick(req *clusterpb.Tick, ctx cluster.GrainContext) (*clusterpb.Step, error) {
	s, err := g.tick(ctx, req)
	return s, toWire(err)
}

func (g *instanceGrain) tick(ctx cluster.GrainContext, req *clusterpb.Tick) (*clusterpb.Step, error) {
	if err := g.load(); err != nil {
		return nil, err
	}
	out, err := g.in.Tick(req.NowMs)
	s, err := g.apply(ctx, out, err)
	if err != nil {
		return nil, err
	}
	if len(s.Send) == 0 {
		s = g.step(g.in.Resend())
	}
	return s, nil
}

func (g *instanceGrain) Status(*clusterpb.StatusRequest, cluster.GrainContext) (*clusterpb.Step, error) {
	if err := g.load(); err != nil {
		return nil, toWire(err)
	}
	return g.step(nil), nil
}
