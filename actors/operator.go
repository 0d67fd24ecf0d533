package actors

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Operator requests to a terminal: top up a channel, and the refusal of a
// close the contract has already done. Both only move the terminal's own
// coin into its own channels; the node's remoting boundary decides who
// may send them, like ChannelOpen.

// ErrAlreadyClosed refuses a close or top-up of a channel the contract has
// already closed: nothing is sent to the chain.
var ErrAlreadyClosed = errors.New("channel is already closed on chain")

// ChannelTopUpper is the part of a ChainOps that tops up a channel
// (ContractOps has it).
type ChannelTopUpper interface {
	TopUp(ctx context.Context, b TxBuilder, chainID uint64, id [32]byte, amount *big.Int) (depositA, depositB *big.Int, err error)
}

// ChannelReader reads a channel's on-chain record (ContractOps has it).
type ChannelReader interface {
	Channel(ctx context.Context, chainID uint64, id [32]byte) (contracts.PaymentChannelsChannel, error)
}

// statusClosed is the contract's STATUS_CLOSED.
const statusClosed = 3

type topUpDone struct {
	client *actor.PID
	reply  *messages.ChannelToppedUp
}

// topUp adds the terminal's own coin to one of its open channels. The
// watcher's ChannelToppedUp event then reaches both enclaves.
func (a *TerminalActor) topUp(ctx actor.Context, req *messages.ChannelTopUp) {
	reply := &messages.ChannelToppedUp{ChannelId: req.ChannelId}
	fail := func(err error) { reply.Error = err.Error(); ctx.Respond(reply) }
	id, err := messages.Hash32(req.ChannelId)
	if err != nil {
		fail(err)
		return
	}
	amount, err := messages.Amount(req.Amount)
	if err != nil || amount.Sign() <= 0 {
		fail(fmt.Errorf("top up: the amount must be a positive uint256"))
		return
	}
	ops, ok := a.cfg.Chain.(ChannelTopUpper)
	if !ok {
		fail(errors.New("this terminal has no chain access"))
		return
	}
	c := a.m.Channel(id)
	if c == nil {
		fail(fmt.Errorf("%w: %x", terminal.ErrUnknownChannel, id))
		return
	}
	if c.Closed {
		fail(fmt.Errorf("%w: %x", terminal.ErrChannelClosed, id))
		return
	}
	reply.ChainId, reply.Asset = c.ChainId, c.Asset
	client, self, system, b := ctx.Sender(), ctx.Self(), ctx.ActorSystem(), a.tx
	go func() { // chain I/O stays off the actor's mailbox
		txctx, txs := withTxRecorder(context.Background())
		depA, depB, err := ops.TopUp(txctx, b, c.ChainId, id, amount)
		reply.Txs = txs.receipts()
		if err != nil {
			reply.Error = err.Error()
		} else {
			reply.DepositA, reply.DepositB = messages.AmountBytes(depA), messages.AmountBytes(depB)
		}
		system.Root.Send(self, &topUpDone{client: client, reply: reply})
	}()
}

// closedOnChain reports ErrAlreadyClosed when the contract says the
// channel is closed, so a second close sends no transaction. A failed
// read lets the close go ahead: the contract refuses it anyway.
func (a *TerminalActor) closedOnChain(chainID uint64, id [32]byte) error {
	r, ok := a.cfg.Chain.(ChannelReader)
	if !ok {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ch, err := r.Channel(ctx, chainID, id)
	if err == nil && ch.Status == statusClosed {
		return fmt.Errorf("%w: %x on chain %d", ErrAlreadyClosed, id, chainID)
	}
	return nil
}
