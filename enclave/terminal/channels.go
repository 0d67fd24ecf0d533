package terminal

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// Opened is a channel-opened event from the contract ([0070]), as the
// untrusted side observed it on chain.
type Opened struct {
	ChainID     uint64
	Contract    common.Address
	ChannelID   [32]byte
	A, B        common.Address
	Asset       common.Address
	Coordinator common.Address
	DepositA    *big.Int
}

// OpenChannel starts tracking a channel this terminal is a party of, at
// version 0: the opening deposit, which needs no signatures.
func (m *Machine) OpenChannel(ev Opened) (Output, error) {
	if ev.A != m.self && ev.B != m.self {
		return Output{}, fmt.Errorf("%w: channel %x is between %s and %s", ErrNotParticipant, ev.ChannelID, ev.A, ev.B)
	}
	if ev.A == ev.B {
		return Output{}, fmt.Errorf("%w: channel %x has one party twice", ErrMalformed, ev.ChannelID)
	}
	if ev.DepositA == nil || ev.DepositA.Sign() < 0 || ev.DepositA.BitLen() > 256 {
		return Output{}, fmt.Errorf("%w: deposit out of range", ErrMalformed)
	}
	if _, ok := m.channels[ev.ChannelID]; ok {
		return Output{}, fmt.Errorf("%w: channel %x already open", ErrDuplicate, ev.ChannelID)
	}
	dep := messages.AmountBytes(ev.DepositA)
	rec := &messages.ChannelRecord{
		ChainId: ev.ChainID, Contract: ev.Contract.Bytes(), ChannelId: ev.ChannelID[:],
		PartyA: ev.A.Bytes(), PartyB: ev.B.Bytes(), Asset: ev.Asset.Bytes(), Coordinator: ev.Coordinator.Bytes(),
		Latest: &messages.ChannelState{
			ChainId: ev.ChainID, Contract: ev.Contract.Bytes(), ChannelId: ev.ChannelID[:],
			DepositA: dep, BalanceA: dep,
		},
	}
	m.channels[ev.ChannelID] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}

// TopUp folds an on-chain top-up into the channel. depositA and depositB
// are the new on-chain totals. It is refused while an instance holds the
// channel, since the parties' prepared states would then disagree; the
// shell retries once the channel is idle.
func (m *Machine) TopUp(id [32]byte, depositA, depositB *big.Int) (Output, error) {
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	if c.Closed {
		return Output{}, fmt.Errorf("%w: %x", ErrChannelClosed, id)
	}
	if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		return Output{}, fmt.Errorf("%w: %x", ErrChannelBusy, id)
	}
	oldA, oldB := amt(c.Latest.DepositA), amt(c.Latest.DepositB)
	if depositA == nil || depositB == nil || depositA.Cmp(oldA) < 0 || depositB.Cmp(oldB) < 0 || depositA.BitLen() > 256 || depositB.BitLen() > 256 {
		return Output{}, fmt.Errorf("%w: deposits may only grow", ErrMalformed)
	}
	if depositA.Cmp(oldA) == 0 && depositB.Cmp(oldB) == 0 {
		return Output{}, fmt.Errorf("%w: top-up already applied", ErrDuplicate)
	}
	rec := proto.Clone(c).(*messages.ChannelRecord)
	st := rec.Latest
	st.BalanceA = messages.AmountBytes(new(big.Int).Add(amt(st.BalanceA), new(big.Int).Sub(depositA, oldA)))
	st.BalanceB = messages.AmountBytes(new(big.Int).Add(amt(st.BalanceB), new(big.Int).Sub(depositB, oldB)))
	st.DepositA, st.DepositB = messages.AmountBytes(depositA), messages.AmountBytes(depositB)
	// The topped-up state is agreed by the chain, not by signatures; the
	// contract pays deposits the state did not see to their depositor.
	rec.LatestSigA, rec.LatestSigB = nil, nil
	m.channels[id] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}

// CloseTerms are the final balances of a cooperative close.
type CloseTerms struct {
	ChainID            uint64
	Contract           common.Address
	ChannelID          [32]byte
	Version            uint64
	BalanceA, BalanceB *big.Int
	Signature          []byte // this terminal's EIP-712 signature
}

// ErrCloseMismatch is returned when a counterparty proposes final
// balances this enclave does not agree with.
var ErrCloseMismatch = errors.New("terminal: proposed final balances differ from this enclave's")

// CooperativeClose signs the channel's final balances for the contract's
// cooperative close (fig. 7) and stops using the channel. Only an idle
// channel can be closed ([0104]). When expect is given (a counterparty's
// proposal), it signs only if the terms are exactly its own.
func (m *Machine) CooperativeClose(id [32]byte, expect *CloseTerms) (CloseTerms, Output, error) {
	c := m.channels[id]
	if c == nil {
		return CloseTerms{}, Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		return CloseTerms{}, Output{}, fmt.Errorf("%w: %x", ErrChannelBusy, id)
	}
	final := resolve(c.Latest)
	terms := CloseTerms{
		ChainID: c.ChainId, Contract: common.BytesToAddress(c.Contract), ChannelID: id,
		Version: final.Version, BalanceA: amt(final.BalanceA), BalanceB: amt(final.BalanceB),
	}
	if expect != nil && (expect.ChainID != terms.ChainID || expect.Version != terms.Version ||
		expect.BalanceA == nil || expect.BalanceB == nil ||
		expect.BalanceA.Cmp(terms.BalanceA) != 0 || expect.BalanceB.Cmp(terms.BalanceB) != 0) {
		return CloseTerms{}, Output{}, fmt.Errorf("%w: ours are %s/%s at version %d", ErrCloseMismatch, terms.BalanceA, terms.BalanceB, terms.Version)
	}
	sig, err := m.signer.Sign(messages.CooperativeCloseDigest(terms.ChainID, terms.Contract, id, terms.Version, terms.BalanceA, terms.BalanceB))
	if err != nil {
		return CloseTerms{}, Output{}, fmt.Errorf("terminal: sign close: %w", err)
	}
	terms.Signature = sig
	out := Output{}
	if !c.Closed {
		rec := proto.Clone(c).(*messages.ChannelRecord)
		rec.Closed = true
		m.channels[id] = rec
		out.Channels = append(out.Channels, rec)
	}
	return terms, out, nil
}

// ChannelClosed records that the contract closed the channel.
func (m *Machine) ChannelClosed(id [32]byte) (Output, error) {
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	if c.ClosedOnChain && c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		return Output{}, nil
	}
	rec := proto.Clone(c).(*messages.ChannelRecord)
	rec.Closed, rec.ClosedOnChain = true, true
	m.channels[id] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}
