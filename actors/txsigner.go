package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/enclave/terminal"
)

// TxBuilder is a terminal enclave's transaction entry point: it builds a
// transaction from a typed request, checks it against the channel state
// the enclave holds and signs it. The host supplies only nonce, gas and
// fees (and the chain and contract, which the enclave checks).
type TxBuilder interface {
	Address() common.Address
	// TxCall is the call BuildTx would sign (recipient, calldata, value),
	// for gas estimation; p needs only chain and contract.
	TxCall(ctx context.Context, req terminal.TxRequest, p terminal.TxParams) (common.Address, []byte, *big.Int, error)
	BuildTx(ctx context.Context, req terminal.TxRequest, p terminal.TxParams) (*types.Transaction, error)
}

// MachineTx is a TxBuilder over a terminal machine that nothing else uses
// concurrently (tests; a terminal actor uses its own mailbox instead).
type MachineTx struct{ M *terminal.Machine }

// Address implements TxBuilder.
func (b MachineTx) Address() common.Address { return b.M.Address() }

// TxCall implements TxBuilder.
func (b MachineTx) TxCall(_ context.Context, req terminal.TxRequest, p terminal.TxParams) (common.Address, []byte, *big.Int, error) {
	return b.M.TxCall(req, p)
}

// BuildTx implements TxBuilder.
func (b MachineTx) BuildTx(_ context.Context, req terminal.TxRequest, p terminal.TxParams) (*types.Transaction, error) {
	return b.M.BuildTx(req, p)
}

// txBuild asks a terminal actor's machine for a call (callOnly) or a
// signed transaction.
type txBuild struct {
	req      terminal.TxRequest
	p        terminal.TxParams
	callOnly bool
	reply    chan txBuilt
}

type txBuilt struct {
	tx    *types.Transaction
	to    common.Address
	data  []byte
	value *big.Int
	err   error
}

func (m *txBuild) run(mach *terminal.Machine) {
	var r txBuilt
	if m.callOnly {
		r.to, r.data, r.value, r.err = mach.TxCall(m.req, m.p)
	} else {
		r.tx, r.err = mach.BuildTx(m.req, m.p)
	}
	m.reply <- r
}

// actorTx is a terminal actor's TxBuilder: requests go through its mailbox,
// so the machine is only ever touched on the actor's goroutine.
type actorTx struct {
	addr    common.Address
	system  *actor.ActorSystem
	pid     *actor.PID
	stopped chan struct{} // closed when the actor stops (nil: never)
}

func (b *actorTx) Address() common.Address { return b.addr }

func (b *actorTx) ask(ctx context.Context, m *txBuild) txBuilt {
	m.reply = make(chan txBuilt, 1)
	b.system.Root.Send(b.pid, m)
	select {
	case r := <-m.reply:
		return r
	case <-b.stopped:
		return txBuilt{err: errors.New("terminal stopped")}
	case <-ctx.Done():
		return txBuilt{err: fmt.Errorf("terminal did not build the transaction: %w", ctx.Err())}
	}
}

func (b *actorTx) TxCall(ctx context.Context, req terminal.TxRequest, p terminal.TxParams) (common.Address, []byte, *big.Int, error) {
	r := b.ask(ctx, &txBuild{req: req, p: p, callOnly: true})
	return r.to, r.data, r.value, r.err
}

func (b *actorTx) BuildTx(ctx context.Context, req terminal.TxRequest, p terminal.TxParams) (*types.Transaction, error) {
	r := b.ask(ctx, &txBuild{req: req, p: p})
	return r.tx, r.err
}

// enclaveTx adapts one typed request into the chain.TxSigner the chain
// adapter signs through: the adapter fills nonce, gas and fees into a
// transaction it estimated from the host's own packing of the call; the
// enclave builds its own from the request and those parameters, and the
// host's and the enclave's calls must agree.
type enclaveTx struct {
	ctx      context.Context
	b        TxBuilder
	req      terminal.TxRequest
	contract common.Address
}

func (s *enclaveTx) Address() common.Address { return s.b.Address() }

func (s *enclaveTx) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	if chainID == nil || !chainID.IsUint64() || chainID.Sign() <= 0 {
		return nil, fmt.Errorf("%w: no chain id", chain.ErrSigner)
	}
	signed, err := s.b.BuildTx(s.ctx, s.req, terminal.TxParams{ChainID: chainID.Uint64(), Contract: s.contract,
		Nonce: tx.Nonce(), Gas: tx.Gas(), GasTipCap: tx.GasTipCap(), GasFeeCap: tx.GasFeeCap()})
	if err != nil {
		return nil, fmt.Errorf("%w: enclave refused: %w", chain.ErrSigner, err)
	}
	if signed.To() == nil || tx.To() == nil || *signed.To() != *tx.To() || !bytes.Equal(signed.Data(), tx.Data()) || signed.Value().Cmp(tx.Value()) != 0 {
		return nil, fmt.Errorf("%w: the enclave built another call than the host estimated", chain.ErrSigner)
	}
	return signed, nil
}

// TerminalTx is the TxBuilder of the terminal actor pid in system (an
// in-process host, as the demo, that sends its own top-ups): each request
// goes through the actor's mailbox to its enclave machine, which builds,
// checks and signs it.
func TerminalTx(system *actor.ActorSystem, pid *actor.PID, addr common.Address) TxBuilder {
	return &actorTx{addr: addr, system: system, pid: pid}
}
