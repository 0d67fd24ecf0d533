package actors

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// The terminal's part of issue 11: it acknowledges every outcome it
// applied (the coordinator resends until it does), reports what it applied
// when it registers (a restarted coordinator cross-checks its store with
// it), and after a restart asks at once for the outcome of every instance
// it holds COMMITTED instead of waiting for the deadline.

// recentApplied bounds the outcomes a terminal reports unasked.
const recentApplied = 64

// maxNetworks bounds the networks looked up per asked instance.
const maxNetworks = 16

type terminalFaults struct {
	// asked are the instance ids the coordinator asked about.
	asked [][]byte
	// recent are the last outcomes applied, oldest first.
	recent []*messages.AppliedOutcome
	// lastAsk rate-limits RegistrationRequests, which anyone may send.
	lastAsk time.Time
}

func appliedOf(r *messages.TerminalInstance) *messages.AppliedOutcome {
	if r == nil || (r.Phase != messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED) {
		return nil
	}
	return &messages.AppliedOutcome{InstanceId: r.InstanceId, NetworkIndex: r.NetworkIndex, Phase: r.Phase, OutcomeSignature: r.OutcomeSignature}
}

// appliedReport is what this terminal applied for the asked instances and
// its recent ones.
func (a *TerminalActor) appliedReport() []*messages.AppliedOutcome {
	out := append([]*messages.AppliedOutcome(nil), a.faults.recent...)
	for _, raw := range a.faults.asked {
		id, err := messages.Hash32(raw)
		if err != nil {
			continue
		}
		for n := range uint32(maxNetworks) {
			if ap := appliedOf(a.m.Instance(id, n)); ap != nil {
				out = append(out, ap)
			}
		}
	}
	return out
}

// reRegister answers a coordinator's RegistrationRequest: register again,
// reporting the asked instances. Anyone may send one; it only makes this
// terminal talk to its own configured coordinator, at most once per retry
// interval.
func (a *TerminalActor) reRegister(ctx actor.Context, m *messages.RegistrationRequest) {
	if len(m.InstanceIds) > 10_000 {
		m.InstanceIds = m.InstanceIds[:10_000]
	}
	a.faults.asked = m.InstanceIds
	a.registered = false
	if time.Since(a.faults.lastAsk) < a.cfg.RetryInterval {
		return // the next tick registers
	}
	a.faults.lastAsk = time.Now()
	a.register(ctx)
}

// ackOutcome acknowledges an outcome envelope this terminal has applied
// (now, or before: then its first acknowledgement was lost).
func (a *TerminalActor) ackOutcome(ctx actor.Context, env *messages.Envelope) {
	if env.Kind != messages.Kind_KIND_CONFIRM && env.Kind != messages.Kind_KIND_REFUND_AUTHORIZED {
		return
	}
	id, ok := messages.InstanceOf(env)
	if !ok {
		return
	}
	net, ok := networkOf(env)
	if !ok {
		return
	}
	ap := appliedOf(a.m.Instance(id, net))
	if ap == nil {
		return
	}
	a.remember(ap)
	ack, err := a.m.OutcomeApplied(id, net)
	if err != nil {
		a.cfg.Logger.Warn("sign outcome ack", "err", err)
		return
	}
	if a.cfg.Coordinator != nil {
		ctx.Send(a.cfg.Coordinator, ack)
	}
}

func (a *TerminalActor) remember(ap *messages.AppliedOutcome) {
	for _, r := range a.faults.recent {
		if string(r.InstanceId) == string(ap.InstanceId) && r.NetworkIndex == ap.NetworkIndex {
			return
		}
	}
	a.faults.recent = append(a.faults.recent, ap)
	if len(a.faults.recent) > recentApplied {
		a.faults.recent = a.faults.recent[1:]
	}
}

// networkOf reads the network index of a CONFIRM or REFUND-AUTHORIZED.
func networkOf(env *messages.Envelope) (uint32, bool) {
	var c messages.Confirm
	var r messages.RefundAuthorized
	switch env.Kind {
	case messages.Kind_KIND_CONFIRM:
		if proto.Unmarshal(env.Payload, &c) != nil {
			return 0, false
		}
		return c.NetworkIndex, true
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		if proto.Unmarshal(env.Payload, &r) != nil {
			return 0, false
		}
		return r.NetworkIndex, true
	}
	return 0, false
}

// queryCommitted asks, once at start, for the outcome of every instance
// this terminal holds COMMITTED: a coordinator that decided while this
// terminal was down answers at once, not at the deadline.
func (a *TerminalActor) queryCommitted(ctx actor.Context) {
	if a.cfg.Coordinator == nil {
		return
	}
	asked := map[[32]byte]bool{}
	for k := range a.active {
		r := a.m.Instance(k.id, k.net)
		if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_COMMITTED || asked[k.id] {
			continue
		}
		asked[k.id] = true
		q, err := a.m.OutcomeQuery(k.id)
		if err != nil {
			a.cfg.Logger.Warn("sign outcome query", "err", err)
			continue
		}
		ctx.Send(a.cfg.Coordinator, q)
	}
}
