package terminal

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// Settled states (issue 9, teeswap's addition to the patent protocol).
// Once an outcome is applied, each party of a channel of the instance
// signs the lock-free state the outcome leads to, at the hop's version + 2
// (the coordinator reserves it). Party A offers its signature to the
// counterparty at once; B answers with its own. With both signatures it
// is the newest evidence of the channel, so a lock is never what a close
// or a challenge has to stand on. A settled state that never gets the
// counterparty's signature only leaves the older evidence in place: it is
// safe to lose, and SettledOffers offers it again.

// ErrNotCounterparty: a settled state signed by someone who is not the
// channel's other party.
var ErrNotCounterparty = errors.New("terminal: settled state not signed by the channel's counterparty")

// PeerMessage is a settled state for another terminal: a channel's
// counterparty.
type PeerMessage struct {
	To  common.Address
	Msg *messages.SettledState
}

// settledState is the lock-free state leg's channel reaches under the
// outcome: the committed lock paid to the payee, or the prepared lock
// returned to the payer.
func settledState(leg *messages.ChannelLeg, confirmed bool) *messages.ChannelState {
	base := leg.Prepared
	if confirmed {
		base = leg.Committed
	}
	st := resolve(base)
	st.Version = leg.Prepared.Version + messages.SettledVersionOffset
	return st
}

// settle signs the settled state of every channel of an ended instance
// into chans (fresh copies, legs in the same order) and returns the offers
// of the channels where this terminal is party A: one party opens the
// exchange, so the honest pair sends two messages, not four.
func (m *Machine) settle(chans []*messages.ChannelRecord, legs []*messages.ChannelLeg, confirmed bool) ([]PeerMessage, error) {
	var offers []PeerMessage
	for i, nc := range chans {
		st := settledState(legs[i], confirmed)
		signed, err := messages.SignChannelState(m.signer, st)
		if err != nil {
			return nil, err
		}
		nc.Settled = st
		nc.MaxSignedVersion = max(nc.MaxSignedVersion, st.Version)
		if common.BytesToAddress(nc.PartyA) == m.self {
			nc.SettledSigA, nc.SettledSigB = signed.Signature, nil
			offers = append(offers, PeerMessage{To: peerOf(nc, m.self), Msg: &messages.SettledState{State: signed}})
		} else {
			nc.SettledSigA, nc.SettledSigB = nil, signed.Signature
		}
	}
	return offers, nil
}

// settledSigs returns this terminal's and the counterparty's signatures
// over c's settled state.
func (m *Machine) settledSigs(c *messages.ChannelRecord) (own, peer []byte) {
	if common.BytesToAddress(c.PartyA) == m.self {
		return c.SettledSigA, c.SettledSigB
	}
	return c.SettledSigB, c.SettledSigA
}

// ownOffer is this terminal's signature over c's settled state, for the
// counterparty.
func (m *Machine) ownOffer(c *messages.ChannelRecord, own []byte, haveYours bool) PeerMessage {
	return PeerMessage{To: peerOf(c, m.self), Msg: &messages.SettledState{
		State: &messages.SignedChannelState{State: c.Settled, Signer: m.self.Bytes(), Signature: own}, HaveYours: haveYours}}
}

// HandleSettledState takes the counterparty's signature over a channel's
// settled state. It accepts only a state signed by the channel's other
// party, and only exactly the settled state this terminal computed and
// signed itself: same version, deposits and balances, no lock. Unless the
// sender says it already holds ours, it answers with this terminal's
// signature. A resent offer for a state already doubly signed is answered
// again (our answer may have been lost) and changes nothing.
func (m *Machine) HandleSettledState(s *messages.SettledState) (Output, error) {
	st := s.GetState().GetState()
	if st == nil {
		return Output{}, fmt.Errorf("%w: settled state missing", ErrMalformed)
	}
	id, err := messages.Hash32(st.ChannelId)
	if err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	peer := peerOf(c, m.self)
	signer, err := s.State.Verify()
	if err != nil {
		return Output{}, fmt.Errorf("%w: settled state of channel %x: %v", ErrBadSignature, id, err)
	}
	if signer != peer {
		return Output{}, fmt.Errorf("%w: %s signed a settled state of channel %x, whose counterparty is %s", ErrNotCounterparty, signer, id, peer)
	}
	pending := c.Settled
	switch {
	case pending == nil:
		return Output{}, fmt.Errorf("%w: no outcome applied to channel %x yet", ErrWrongPhase, id)
	case st.Version < pending.Version:
		return Output{}, fmt.Errorf("%w: settled state of channel %x at %d, ours is at %d", ErrStaleVersion, id, st.Version, pending.Version)
	case st.Version > pending.Version:
		return Output{}, fmt.Errorf("%w: settled state of channel %x at %d, ours is at %d: outcome not applied here yet", ErrWrongPhase, id, st.Version, pending.Version)
	case st.Lock != nil || !proto.Equal(st, pending):
		return Output{}, fmt.Errorf("%w: settled state of channel %x at %d", ErrStateMismatch, id, st.Version)
	}
	own, held := m.settledSigs(c)
	if len(own) == 0 {
		return Output{}, fmt.Errorf("%w: channel %x has no settled state signed here", ErrWrongPhase, id)
	}
	var reply []PeerMessage
	if !s.HaveYours {
		reply = []PeerMessage{m.ownOffer(c, own, true)}
	}
	if len(held) > 0 {
		if s.HaveYours {
			return Output{}, fmt.Errorf("%w: settled state of channel %x at %d", ErrDuplicate, id, st.Version)
		}
		return Output{Peer: reply}, nil
	}
	nc := shallow(c)
	if common.BytesToAddress(nc.PartyA) == m.self {
		nc.SettledSigB = s.State.Signature
	} else {
		nc.SettledSigA = s.State.Signature
	}
	m.channels[id] = nc
	return Output{Channels: []*messages.ChannelRecord{nc}, Peer: reply}, nil
}

// SettledOffers returns this terminal's signature over every settled
// state the counterparty has not countersigned yet, for the shell to send
// again (the first offer or its answer may have been lost, the
// counterparty may not have applied the outcome yet, or this is party B,
// which waits for A's offer first). It changes nothing and signs nothing.
func (m *Machine) SettledOffers() []PeerMessage {
	var out []PeerMessage
	for _, c := range m.Channels() {
		if c.Settled == nil || c.ClosedOnChain {
			continue
		}
		if own, held := m.settledSigs(c); len(own) > 0 && len(held) == 0 {
			out = append(out, m.ownOffer(c, own, false))
		}
	}
	return out
}
