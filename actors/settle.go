package actors

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Settled states (issue 9): after an outcome the terminal machine signs
// each channel's lock-free settled state; party A's shell carries the
// signature to the counterparty's terminal, by the same peer resolver as
// a cooperative close's co-signature, and B's answers with its own. An
// offer that cannot be delivered stays pending in the channel record and
// is offered again on the terminal's tick, backing off: a missing settled
// state is safe, it only leaves the older evidence in place.

// settleMaxBackoff bounds the pause between two resends of the settled
// states a counterparty has not countersigned (it may be down for long,
// or never have prepared the instance, and then never will).
const settleMaxBackoff = 5 * time.Minute

// settleResend paces resending pending settled states. The zero value
// looks at the next tick (a restart may hold pending ones).
type settleResend struct {
	idle    bool  // the last look found nothing pending
	nextMs  int64 // no resend before this time
	backoff time.Duration
}

// sent schedules the next look one retry interval from now.
func (s *settleResend) sent(nowMs int64, base time.Duration) {
	s.idle, s.backoff, s.nextMs = false, base, nowMs+base.Milliseconds()
}

// settledState takes a counterparty's signature over a channel's settled
// state. Only the node of the channel's counterparty may send it; the
// machine checks the signature and the state itself.
func (a *TerminalActor) settledState(ctx actor.Context, s *messages.SettledState) {
	mMessages.WithLabelValues("in", roleTerminal, settledLabel).Inc()
	if err := a.fromCounterparty(ctx, s.GetState().GetState().GetChannelId()); err != nil {
		refusal(roleTerminal, err)
		a.cfg.Logger.Warn("settled state refused", "sender", ctx.Sender(), "err", err)
		return
	}
	out, err := a.m.HandleSettledState(s)
	if err != nil {
		refusal(roleTerminal, err)
		if !errors.Is(err, terminal.ErrDuplicate) {
			a.cfg.Logger.Info("settled state rejected", "err", err)
		}
		return
	}
	a.step(ctx, out)
}

// settledLabel is the settled states' message label in the metrics.
const settledLabel = "settled_state"

// sendPeers sends settled states to the counterparties' terminals. An
// unreachable one keeps its offer pending for resendSettled.
func (a *TerminalActor) sendPeers(ctx actor.Context, msgs []terminal.PeerMessage) {
	for _, p := range msgs {
		var pid *actor.PID
		if a.cfg.Peers != nil {
			pid = a.cfg.Peers.Peer(p.To)
		}
		if pid == nil {
			continue
		}
		ctx.Request(pid, p.Msg) // the sender is this actor: the peer checks it is the counterparty's node
		mMessages.WithLabelValues("out", roleTerminal, settledLabel).Inc()
	}
}

// resendSettled offers again, on the terminal's tick and backing off,
// every settled state whose countersignature has not arrived.
func (a *TerminalActor) resendSettled(ctx actor.Context) {
	now := a.cfg.Clock.nowMs()
	if a.settle.idle || now < a.settle.nextMs {
		return
	}
	offers := a.m.SettledOffers()
	if len(offers) == 0 {
		a.settle.idle = true
		return
	}
	a.sendPeers(ctx, offers)
	a.settle.backoff = min(max(2*a.settle.backoff, a.cfg.RetryInterval), settleMaxBackoff)
	a.settle.nextMs = now + a.settle.backoff.Milliseconds()
}
