package actors

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// DisputeOps are the chain reads and dispute transactions a terminal's
// arbitrator needs. ContractOps implements them.
type DisputeOps interface {
	Channel(ctx context.Context, chainID uint64, id [32]byte) (contracts.PaymentChannelsChannel, error)
	ChainTime(ctx context.Context, chainID uint64) (uint64, error)
	Outcome(ctx context.Context, chainID uint64, coordinator common.Address, instance [32]byte) (uint8, error)
	Withdrawable(ctx context.Context, chainID uint64, token, account common.Address) (*big.Int, error)
	// Do sends the transaction the enclave builds for req and waits for it.
	Do(ctx context.Context, b TxBuilder, chainID uint64, req terminal.TxRequest) error
}

// On-chain channel status (PaymentChannels.sol STATUS_*).
const (
	statusOpen    = 1
	statusClosing = 2
	// statusClosed (3) is declared in operator.go.
)

// arbitrator is the terminal's breach arbitrator and chain watcher (in
// lnd's sense): for every channel being closed it reads the contract, and
// through the enclave challenges a stale closing state, submits the
// coordinator's outcome of a lock, finalizes after the deadline and
// withdraws a deferred payout. What it learns is persisted in the
// channel record (ChannelDispute) before it acts on it; every action is
// derived again from the chain and the records on each pass, so a
// terminal restarted mid-dispute carries on where it stopped.
type arbitrator struct {
	ops  DisputeOps
	busy map[[32]byte]bool
	// waiting are force-close callers, answered when the close is on chain.
	waiting map[[32]byte][]*actor.PID
	// unchecked are channels not yet read from the chain since start-up,
	// checked a few per pass: one closed while the node was down is
	// noticed without reading every channel at once.
	unchecked [][32]byte
}

// catchUpBatch bounds the start-up chain reads per pass.
const catchUpBatch = 16

func (r *arbitrator) catchUp(recs []*messages.ChannelRecord) {
	for _, c := range recs {
		if !c.GetDispute().GetSettled() {
			r.unchecked = append(r.unchecked, [32]byte(c.ChannelId))
		}
	}
}

// disputeJob is a snapshot of one channel, taken on the actor goroutine,
// for the chain work done off it.
type disputeJob struct {
	id       [32]byte
	chainID  uint64
	self     common.Address
	force    bool
	evidence uint64     // version of the newest doubly-signed state held
	locks    [][32]byte // locks of the evidence whose outcome may matter
}

type disputeDone struct {
	id       [32]byte
	observed *terminal.CloseEvent
	settled  bool
	err      error
	txs      []*messages.TxReceipt // the pass's transactions, for a waiting force-close caller
}

func newArbitrator(ops ChainOps) *arbitrator {
	d, ok := ops.(DisputeOps)
	if !ok {
		return nil
	}
	return &arbitrator{ops: d, busy: map[[32]byte]bool{}, waiting: map[[32]byte][]*actor.PID{}}
}

// arbitrate starts a pass over the given channels, one at a time each.
func (a *TerminalActor) arbitrate(ctx actor.Context, recs []*messages.ChannelRecord) {
	if a.arb == nil || a.tx == nil {
		return
	}
	var later [][32]byte
	for n := 0; n < catchUpBatch && len(a.arb.unchecked) > 0; n++ {
		id := a.arb.unchecked[0]
		a.arb.unchecked = a.arb.unchecked[1:]
		if a.arb.busy[id] {
			later = append(later, id) // read again once the running pass is done
			continue
		}
		if c := a.m.Channel(id); c != nil {
			recs = append(recs[:len(recs):len(recs)], c)
		}
	}
	a.arb.unchecked = append(a.arb.unchecked, later...)
	for _, c := range recs {
		id := [32]byte(c.ChannelId)
		if a.arb.busy[id] || c.GetDispute().GetSettled() {
			continue
		}
		j := disputeJob{id: id, chainID: c.ChainId, self: a.m.Address(), force: c.GetDispute().GetForce()}
		j.evidence, _ = a.m.Evidence(id)
		if l := c.GetLatest().GetLock(); l != nil && len(l.LockId) == 32 {
			j.locks = append(j.locks, [32]byte(l.LockId))
		}
		a.arb.busy[id] = true
		self, system, ops, b := ctx.Self(), ctx.ActorSystem(), a.arb.ops, a.tx
		timeout := 4 * a.cfg.RetryInterval
		if timeout < 2*time.Minute {
			timeout = 2 * time.Minute
		}
		go func() {
			cctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			cctx, txs := withTxRecorder(cctx)
			done := j.run(cctx, ops, b)
			done.txs = txs.receipts()
			system.Root.Send(self, done)
		}()
	}
}

// run is one pass over one channel: read the contract, then do the one
// thing its state calls for.
func (j disputeJob) run(ctx context.Context, ops DisputeOps, b TxBuilder) *disputeDone {
	done := &disputeDone{id: j.id}
	ch, err := ops.Channel(ctx, j.chainID, j.id)
	if err != nil {
		done.err = err
		return done
	}
	switch ch.Status {
	case statusOpen:
		if !j.force {
			return done
		}
		j.submitOutcomes(ctx, ops, b, common.Address{}, nil)
		if err := ops.Do(ctx, b, j.chainID, terminal.CloseUnilateralTx{ChannelID: j.id, Version: j.evidence}); err != nil {
			done.err = fmt.Errorf("close unilaterally: %w", err)
			return done
		}
		if ch, err = ops.Channel(ctx, j.chainID, j.id); err == nil && ch.Status == statusClosing {
			done.observed = &terminal.CloseEvent{Kind: terminal.CloseRequested, Version: ch.ClosingVersion, Deadline: ch.Deadline}
		}
	case statusClosing:
		done.observed = &terminal.CloseEvent{Kind: terminal.CloseRequested, Version: ch.ClosingVersion, Deadline: ch.Deadline}
		var onChainLock [][32]byte
		if ch.LockStage != 0 {
			onChainLock = append(onChainLock, ch.LockId)
		}
		j.submitOutcomes(ctx, ops, b, ch.Coordinator, onChainLock)
		if j.evidence > ch.ClosingVersion {
			err := ops.Do(ctx, b, j.chainID, terminal.ChallengeTx{ChannelID: j.id, Version: j.evidence, OnChainVersion: ch.ClosingVersion})
			if err != nil {
				done.err = fmt.Errorf("challenge: %w", err)
			} else {
				done.observed = &terminal.CloseEvent{Kind: terminal.CloseChallenged, Version: j.evidence}
			}
			return done
		}
		now, err := ops.ChainTime(ctx, j.chainID)
		if err != nil || now < ch.Deadline {
			return done
		}
		if err := ops.Do(ctx, b, j.chainID, terminal.FinalizeTx{ChannelID: j.id}); err != nil {
			// The counterparty may have finalized first; the next pass
			// reads the closed channel.
			done.err = fmt.Errorf("finalize: %w", err)
		}
	case statusClosed:
		done.observed = &terminal.CloseEvent{Kind: terminal.CloseDone}
		owed, err := ops.Withdrawable(ctx, j.chainID, ch.Token, j.self)
		if err != nil {
			done.err = err
			return done
		}
		if owed.Sign() > 0 {
			if err := ops.Do(ctx, b, j.chainID, terminal.WithdrawTx{Asset: ch.Token}); err != nil {
				done.err = fmt.Errorf("withdraw: %w", err)
				return done
			}
		}
		done.settled = true
	}
	return done
}

// submitOutcomes puts on chain the coordinator's outcome of each lock that
// may decide a payout (the closing state's, this terminal's evidence's),
// when the enclave holds one and the contract has none yet.
func (j disputeJob) submitOutcomes(ctx context.Context, ops DisputeOps, b TxBuilder, coordinator common.Address, extra [][32]byte) {
	for _, lock := range append(append([][32]byte{}, j.locks...), extra...) {
		if coordinator != (common.Address{}) {
			if o, err := ops.Outcome(ctx, j.chainID, coordinator, lock); err != nil || o != 0 {
				continue
			}
		}
		_ = ops.Do(ctx, b, j.chainID, terminal.SubmitOutcomeTx{InstanceID: lock}) // ErrNoOutcome: nothing to submit yet
	}
}

// disputeDone applies what a pass learned, write-ahead, and answers any
// force-close caller.
func (a *TerminalActor) disputeDone(ctx actor.Context, d *disputeDone) {
	delete(a.arb.busy, d.id)
	if d.observed != nil {
		if out, err := a.m.ObserveClose(d.id, *d.observed); err == nil {
			if err := a.cfg.Store.SaveTerminal(out); err != nil {
				a.cfg.Logger.Error("persist close", "err", err)
				return
			}
		}
	}
	if d.settled {
		if out, err := a.m.DisputeSettled(d.id); err == nil {
			if err := a.cfg.Store.SaveTerminal(out); err != nil {
				a.cfg.Logger.Error("persist settled close", "err", err)
				return
			}
		}
	}
	if d.err != nil {
		a.cfg.Logger.Info("dispute pass", "channel", fmt.Sprintf("%x", d.id[:6]), "err", d.err)
	}
	c := a.m.Channel(d.id)
	if waiting := a.arb.waiting[d.id]; len(waiting) > 0 && (c.GetDispute().GetRequested() || d.err != nil) {
		delete(a.arb.waiting, d.id)
		reply := &messages.ChannelClosed{ChannelId: d.id[:], Closing: true, Deadline: c.GetDispute().GetDeadline(), Txs: d.txs}
		if !c.GetDispute().GetRequested() {
			reply = &messages.ChannelClosed{ChannelId: d.id[:], Error: d.err.Error(), Txs: d.txs}
		}
		for _, pid := range waiting {
			ctx.Send(pid, reply)
		}
	}
}

// forceClose marks a channel for a unilateral close (persisted first, so
// the enclave signs nothing more on it and a restart carries on) and
// starts the close; the caller hears back once it is on chain.
func (a *TerminalActor) forceClose(ctx actor.Context, req *messages.ChannelClose) {
	fail := func(err error) { ctx.Respond(&messages.ChannelClosed{ChannelId: req.ChannelId, Error: err.Error()}) }
	if a.arb == nil {
		fail(errors.New("this terminal has no chain access for a unilateral close"))
		return
	}
	id, err := messages.Hash32(req.ChannelId)
	if err != nil {
		fail(err)
		return
	}
	out, err := a.m.ForceClose(id)
	if err != nil && !errors.Is(err, terminal.ErrDuplicate) {
		fail(err)
		return
	}
	if err := a.cfg.Store.SaveTerminal(out); err != nil {
		fail(err)
		return
	}
	if c := a.m.Channel(id); c.GetDispute().GetRequested() {
		ctx.Respond(&messages.ChannelClosed{ChannelId: id[:], Closing: true, Deadline: c.Dispute.Deadline})
		return
	}
	if s := ctx.Sender(); s != nil {
		a.arb.waiting[id] = append(a.arb.waiting[id], s)
	}
	a.arbitrate(ctx, []*messages.ChannelRecord{a.m.Channel(id)})
}

// checkChannel reads a channel from the chain at once, on a watcher's
// close event. The event only says where to look: what the terminal
// records and does comes from the contract itself, so a forged event
// costs a chain read and changes nothing.
func (a *TerminalActor) checkChannel(ctx actor.Context, id [32]byte) {
	if a.m.Channel(id) == nil {
		return
	}
	a.arb.unchecked = append(a.arb.unchecked, id)
	a.arbitrate(ctx, nil)
}
