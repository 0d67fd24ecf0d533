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
// (the coordinator reserves it), and sends its signature to the
// counterparty in a SettledState. With both signatures it is the newest
// evidence of the channel, so a lock is never what a close or a challenge
// has to stand on. A settled state that never gets the counterparty's
// signature only leaves the older evidence in place: it is safe to lose.

// ErrNotCounterparty: a settled state from someone who is not the
// channel's other party.
var ErrNotCounterparty = errors.New("terminal: sender is not the channel's counterparty")

// PeerMessage is an envelope for another terminal: a channel's
// counterparty.
type PeerMessage struct {
	To  common.Address
	Env *messages.Envelope
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
// for the counterparties.
func (m *Machine) settle(chans []*messages.ChannelRecord, legs []*messages.ChannelLeg, confirmed bool) ([]PeerMessage, error) {
	offers := make([]PeerMessage, 0, len(chans))
	for i, nc := range chans {
		st := settledState(legs[i], confirmed)
		signed, err := messages.SignChannelState(m.signer, st)
		if err != nil {
			return nil, err
		}
		nc.Settled = st
		if common.BytesToAddress(nc.PartyA) == m.self {
			nc.SettledSigA, nc.SettledSigB = signed.Signature, nil
		} else {
			nc.SettledSigA, nc.SettledSigB = nil, signed.Signature
		}
		nc.MaxSignedVersion = max(nc.MaxSignedVersion, st.Version)
		offer, err := m.offer(nc, signed, false)
		if err != nil {
			return nil, err
		}
		offers = append(offers, offer)
	}
	return offers, nil
}

// offer seals this terminal's signature over c's settled state for the
// counterparty.
func (m *Machine) offer(c *messages.ChannelRecord, signed *messages.SignedChannelState, haveYours bool) (PeerMessage, error) {
	env, err := messages.Seal(m.signer, messages.Kind_KIND_SETTLED_STATE, &messages.SettledState{State: signed, HaveYours: haveYours})
	if err != nil {
		return PeerMessage{}, err
	}
	return PeerMessage{To: peerOf(c, m.self), Env: env}, nil
}

// settledSigs returns this terminal's and the counterparty's signatures
// over c's settled state.
func (m *Machine) settledSigs(c *messages.ChannelRecord) (own, peer []byte) {
	if common.BytesToAddress(c.PartyA) == m.self {
		return c.SettledSigA, c.SettledSigB
	}
	return c.SettledSigB, c.SettledSigA
}

// HandleSettledState takes the counterparty's signature over a channel's
// settled state. It accepts only the channel's other party, and only for
// exactly the settled state this terminal computed and signed itself:
// same version, deposits and balances, no lock. Unless the sender says it
// already holds ours, it answers once with this terminal's signature. A
// resent offer for a state already doubly signed is answered again (our
// answer may have been lost) and changes nothing.
func (m *Machine) HandleSettledState(env *messages.Envelope) (Output, error) {
	var s messages.SettledState
	sender, err := env.Open(messages.Kind_KIND_SETTLED_STATE, &s)
	if err != nil {
		return Output{}, wrapEnvelopeErr(err)
	}
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
	if sender != peer {
		return Output{}, fmt.Errorf("%w: %s offers a settled state of channel %x, whose counterparty is %s", ErrNotCounterparty, sender, id, peer)
	}
	if signer, err := s.State.Verify(); err != nil || signer != peer {
		return Output{}, fmt.Errorf("%w: settled state of channel %x not signed by %s", ErrBadSignature, id, peer)
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
	reply := func() ([]PeerMessage, error) {
		if s.HaveYours {
			return nil, nil
		}
		o, err := m.offer(c, &messages.SignedChannelState{State: pending, Signer: m.self.Bytes(), Signature: own}, true)
		if err != nil {
			return nil, err
		}
		return []PeerMessage{o}, nil
	}
	if len(held) > 0 {
		if s.HaveYours {
			return Output{}, fmt.Errorf("%w: settled state of channel %x at %d", ErrDuplicate, id, st.Version)
		}
		send, err := reply()
		return Output{Peer: send}, err
	}
	send, err := reply()
	if err != nil {
		return Output{}, err
	}
	nc := shallow(c)
	if common.BytesToAddress(nc.PartyA) == m.self {
		nc.SettledSigB = s.State.Signature
	} else {
		nc.SettledSigA = s.State.Signature
	}
	m.channels[id] = nc
	return Output{Channels: []*messages.ChannelRecord{nc}, Peer: send}, nil
}

// SettledOffers seals again this terminal's signature over every settled
// state the counterparty has not countersigned yet, for the shell to
// resend (the first offer may have been lost, or the counterparty had not
// applied the outcome yet). It changes nothing.
func (m *Machine) SettledOffers() ([]PeerMessage, error) {
	var out []PeerMessage
	for _, c := range m.Channels() {
		if c.Settled == nil || c.ClosedOnChain {
			continue
		}
		own, held := m.settledSigs(c)
		if len(own) == 0 || len(held) > 0 {
			continue
		}
		o, err := m.offer(c, &messages.SignedChannelState{State: c.Settled, Signer: m.self.Bytes(), Signature: own}, false)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}
