package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
)

// InstanceDriver runs the coordinator's instances somewhere else than in
// its own child actors: in a coordinator cluster (actors/cluster's
// Gateway), where each instance is a grain persisted in etcd. The
// coordinator actor keeps everything in front of the instances as it is —
// registration proofs, credentials, the remoting guard's node check, the
// payers' orders, routing, the busy set and the request queue — and hands
// the instances themselves to the driver (CoordinatorConfig.Instances).
type InstanceDriver interface {
	// Create allocates and persists a new instance; nothing may be sent
	// before it returns.
	Create(ctx context.Context, req *messages.SwapRequest, routes []*messages.Network, nowMs int64) (*coordinator.Instance, []coordinator.Outbound, error)
	// Deliver hands a terminal's envelope to its instance, wherever it runs.
	Deliver(env *messages.Envelope, nowMs int64) (DriverStep, error)
	// Tick applies an instance's deadline and resends its current phase
	// (or its outcome) to the terminals that have not answered.
	Tick(id [32]byte, nowMs int64) (DriverStep, error)
	// Forward sends an envelope to a terminal that did not register with
	// this coordinator (it registered with another member's gateway).
	Forward(to common.Address, env *messages.Envelope)
}

// DriverStep is an instance's answer to Deliver or Tick: the envelopes to
// send, after the instance was persisted, and where it stands.
type DriverStep struct {
	Send         []coordinator.Outbound
	Phase        messages.InstancePhase
	Decided      bool
	Delivered    bool // every terminal acknowledged the outcome
	RequestID    string
	RefundReason messages.RefundReason
}

// RelayEnvelope asks the coordinator actor to send an envelope to one of
// its registered terminals on another member's behalf: a terminal takes
// protocol messages only from the node it registered with. It is a Go
// value, so it never arrives from the network.
type RelayEnvelope struct {
	To  *actor.PID
	Env *messages.Envelope
}

// DriverNotice is the driver's word that an instance moved (decided, or
// its outcome delivered) through a step taken elsewhere; its envelopes
// were sent there. A Go value: it never arrives from the network.
type DriverNotice struct {
	ID   [32]byte
	Step DriverStep
}

// RanElsewhere is a driver's answer to Create for a request id that an
// instance already runs (created through another gateway of the cluster).
type RanElsewhere struct {
	Instance [32]byte
	// Same: it is this request again, not another reusing the id.
	Same bool
}

func (e *RanElsewhere) Error() string {
	return fmt.Sprintf("request already runs as instance %x (same request: %v)", e.Instance[:6], e.Same)
}

// createInCluster is submit's last step with a driver: the instance is
// created in the cluster, and a proxy child drives it from here.
func (a *CoordinatorActor) createInCluster(ctx actor.Context, req *messages.SwapRequest, routes []*messages.Network, client *actor.PID, fail func(error)) {
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	in, send, err := a.cfg.Instances.Create(cctx, req, routes, a.cfg.Clock.nowMs())
	var ran *RanElsewhere
	if errors.As(err, &ran) {
		if !ran.Same {
			fail(fmt.Errorf("%w: %q", ErrDuplicateRequest, req.RequestId))
			return
		}
		// A repeat sent here after another gateway took it: the first
		// outcome, never a second instance. A proxy follows the instance
		// and answers this client.
		a.ran(req, ran.Instance)
		a.spawnProxy(ctx, ran.Instance, nil, client, nil, true)
		return
	}
	if err != nil {
		a.cfg.Logger.Warn("cluster create", "err", err)
		fail(fmt.Errorf("%w: cluster: %w", ErrUnavailable, err))
		return
	}
	a.ran(req, in.ID())
	var networks []*messages.Network
	for _, np := range in.Record().Networks {
		networks = append(networks, np.Network)
	}
	a.spawnProxy(ctx, in.ID(), networks, client, send, true)
}

// spawnProxy starts the child that stands for one cluster instance here.
// The owner (the gateway that created it) ticks it until its outcome is
// delivered and reports the result; a proxy for an instance created
// elsewhere only forwards its terminals' messages for a while.
func (a *CoordinatorActor) spawnProxy(ctx actor.Context, id [32]byte, networks []*messages.Network, client *actor.PID, send []coordinator.Outbound, owner bool) {
	peers := map[common.Address]*actor.PID{}
	for addr, pid := range a.terminals {
		peers[addr] = pid
	}
	var channels [][32]byte
	for _, n := range networks {
		for _, h := range n.Hops {
			ch := [32]byte(h.ChannelId)
			channels = append(channels, ch)
			a.busy[ch] = true
		}
	}
	child := &proxyInstanceActor{cfg: &a.cfg, id: id, peers: peers, networks: networks, channels: channels, first: send, owner: owner}
	a.children[id] = ctx.Spawn(actor.PropsFromProducer(func() actor.Actor { return child }))
	if client != nil {
		a.clients[id] = client
	}
}

// proxyInstanceActor drives one cluster instance from the gateway: it
// delivers terminals' envelopes to the instance's grain and sends what the
// grain returns. Retries are the owner's ticks of the grain.
type proxyInstanceActor struct {
	cfg      *CoordinatorConfig
	id       [32]byte
	peers    map[common.Address]*actor.PID
	networks []*messages.Network
	channels [][32]byte
	first    []coordinator.Outbound
	owner    bool
	retry    backoff
	phase    messages.InstancePhase
	started  time.Time
	reported bool
	lingers  bool
	cancel   []func()
}

func (c *proxyInstanceActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		c.started = time.Now()
		c.retry = newBackoff(c.cfg.RetryInterval, c.cfg.RetryLimit)
		c.send(ctx, c.first)
		c.first = nil
		if c.owner {
			c.after(ctx, c.retry.wait(), retryTick{})
		} else {
			c.linger(ctx)
		}
	case *messages.Envelope:
		s, err := c.cfg.Instances.Deliver(m, c.cfg.Clock.nowMs())
		c.apply(ctx, s, err)
	case *DriverNotice:
		m.Step.Send = nil
		c.apply(ctx, m.Step, nil)
	case retryTick:
		s, err := c.cfg.Instances.Tick(c.id, c.cfg.Clock.nowMs())
		c.apply(ctx, s, err)
		if !c.lingers {
			c.after(ctx, c.retry.wait(), retryTick{})
		}
	case lingerDone:
		ctx.Send(ctx.Parent(), &instanceStopped{id: c.id})
		ctx.Stop(ctx.Self())
	case *actor.Stopping:
		for _, cancel := range c.cancel {
			cancel()
		}
	}
}

func (c *proxyInstanceActor) apply(ctx actor.Context, s DriverStep, err error) {
	if err != nil {
		// Refused (a stranger, a wrong phase) or not reachable yet (the
		// instance is fenced by a dead member's lease): the owner's next
		// tick, or the terminal's retry, tries again.
		c.cfg.Logger.Info("cluster instance step", "instance", fmt.Sprintf("%x", c.id[:6]), "err", err)
		return
	}
	if s.Phase != c.phase {
		c.phase = s.Phase
		c.retry.reset()
	}
	c.send(ctx, s.Send)
	if !c.owner {
		return
	}
	if s.Decided && !c.reported {
		c.reported = true
		decided := time.Since(c.started).Microseconds()
		times := messages.PhaseTimes{DecidedUs: decided}
		if s.Phase == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			times.CommittedUs = decided
		}
		ctx.Send(ctx.Parent(), &instanceDone{id: c.id, networks: c.networks, channels: c.channels, result: &messages.SwapResult{
			InstanceId: c.id[:], RequestId: s.RequestID, Outcome: s.Phase, RefundReason: s.RefundReason, Times: &times}})
	}
	if s.Delivered {
		c.linger(ctx)
	}
}

func (c *proxyInstanceActor) linger(ctx actor.Context) {
	if !c.lingers {
		c.lingers = true
		c.after(ctx, c.cfg.Linger, lingerDone{})
	}
}

func (c *proxyInstanceActor) after(ctx actor.Context, d time.Duration, msg any) {
	c.cancel = append(c.cancel, sendAfter(ctx.ActorSystem(), d, ctx.Self(), msg))
}

// send sends to terminals registered here, and has the driver forward
// the rest to the gateways they registered with.
func (c *proxyInstanceActor) send(ctx actor.Context, send []coordinator.Outbound) {
	for _, s := range send {
		countOut(roleCoordinator, s.Env)
		if pid := c.peers[s.To]; pid != nil {
			ctx.Send(pid, s.Env)
			continue
		}
		c.cfg.Instances.Forward(s.To, s.Env)
	}
}
