package actors

import (
	"errors"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Settled states (issue 9): after an outcome the terminal machine signs
// each channel's lock-free settled state and the shell carries the
// signature to the counterparty's terminal, by the same peer resolver as
// a cooperative close's co-signature. An offer that cannot be delivered
// stays pending in the channel record and is offered again on the
// terminal's tick, backing off: a missing settled state is safe, it only
// leaves the older evidence in place.

// settleMaxBackoff bounds the pause between two resends of the settled
// states a counterparty has not countersigned (it may be down for long,
// or never have prepared the instance, and then never will).
const settleMaxBackoff = 5 * time.Minute

// settleResend paces resending pending settled states.
type settleResend struct {
	idle    bool  // the last look found nothing pending
	nextMs  int64 // no resend before this time
	backoff time.Duration
}

// sent notes that fresh offers just went out: the next resend is one
// retry interval away.
func (s *settleResend) sent(nowMs int64, base time.Duration) {
	s.idle, s.backoff, s.nextMs = false, base, nowMs+base.Milliseconds()
}

// settledState takes a counterparty's signature over a channel's settled
// state. Only the node of the channel's counterparty may send it; the
// machine checks the signatures and the state itself.
func (a *TerminalActor) settledState(ctx actor.Context, env *messages.Envelope) {
	countIn(roleTerminal, env)
	var s messages.SettledState
	if err := proto.Unmarshal(env.Payload, &s); err != nil {
		refusal(roleTerminal, messages.ErrMalformed)
		a.cfg.Logger.Info("settled state rejected", "err", err)
		return
	}
	if err := a.fromCounterparty(ctx, s.GetState().GetState().GetChannelId()); err != nil {
		refusal(roleTerminal, err)
		a.cfg.Logger.Warn("settled state refused", "sender", ctx.Sender(), "err", err)
		return
	}
	out, err := a.m.HandleSettledState(env)
	if err != nil {
		refusal(roleTerminal, err)
		if !errors.Is(err, terminal.ErrDuplicate) { // crossing offers answer each other once too often
			a.cfg.Logger.Info("settled state rejected", "err", err)
		}
		return
	}
	a.step(ctx, out)
}

// sendPeers sends settled-state offers to the counterparties' terminals.
// An unreachable one keeps its offer pending for resendSettled.
func (a *TerminalActor) sendPeers(ctx actor.Context, msgs []terminal.PeerMessage) {
	for _, p := range msgs {
		var pid *actor.PID
		if a.cfg.Peers != nil {
			pid = a.cfg.Peers.Peer(p.To)
		}
		if pid == nil {
			continue
		}
		ctx.Request(pid, p.Env) // the sender is this actor: the peer checks it is the counterparty's node
		countOut(roleTerminal, p.Env)
	}
}

// resendSettled offers again, on the terminal's tick and backing off,
// every settled state whose countersignature has not arrived.
func (a *TerminalActor) resendSettled(ctx actor.Context) {
	now := a.cfg.Clock.nowMs()
	if a.settle.idle || now < a.settle.nextMs {
		return
	}
	offers, err := a.m.SettledOffers()
	if err != nil {
		a.cfg.Logger.Warn("settled-state offers", "err", err)
		return
	}
	if len(offers) == 0 {
		a.settle.idle = true
		return
	}
	a.sendPeers(ctx, offers)
	a.settle.backoff = min(max(2*a.settle.backoff, a.cfg.RetryInterval), settleMaxBackoff)
	a.settle.nextMs = now + a.settle.backoff.Milliseconds()
}
