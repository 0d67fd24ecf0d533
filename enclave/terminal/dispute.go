package terminal

import (
	"fmt"

	"github.com/teeswap/teeswap/messages"
)

// CloseKind is what the chain reported about a channel's close.
type CloseKind int

// Close events, from the contract's events or its channel record.
const (
	CloseRequested  CloseKind = iota + 1 // a unilateral close started the challenge period
	CloseChallenged                      // a newer state replaced the closing one
	CloseDone                            // the contract paid the channel out
)

// CloseEvent is a close of a channel seen on chain (by the watcher or a
// read of the contract). Version is the closing state's version,
// Deadline the end of the challenge period (chain time; 0: unchanged).
type CloseEvent struct {
	Kind     CloseKind
	Version  uint64
	Deadline uint64
}

// ForceClose marks a channel for a unilateral close by this terminal:
// from now on it takes part in no instance on it (a PREPARE is refused as
// for a closed channel), and BuildTx will sign a closeUnilateral on the
// newest doubly-signed state. The caller persists the output before it
// sends the transaction, so a restart carries on with the close.
func (m *Machine) ForceClose(id [32]byte) (Output, error) {
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	d := c.GetDispute()
	if d.GetForce() || d.GetRequested() || d.GetSettled() {
		return Output{}, fmt.Errorf("%w: channel %x is already closing", ErrDuplicate, id)
	}
	rec := shallow(c)
	rec.Closed = true
	rec.Dispute = &messages.ChannelDispute{Force: true}
	m.channels[id] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}

// ObserveClose records a close seen on chain. The channel stops taking
// part in new instances; an instance in flight still ends normally, and
// its outcome can then make this terminal's evidence newer than the
// closing state.
func (m *Machine) ObserveClose(id [32]byte, ev CloseEvent) (Output, error) {
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	old := c.GetDispute()
	d := &messages.ChannelDispute{Force: old.GetForce(), ClosingVersion: old.GetClosingVersion(), Deadline: old.GetDeadline(),
		Requested: old.GetRequested(), Settled: old.GetSettled()}
	switch ev.Kind {
	case CloseRequested, CloseChallenged:
		if d.Requested && ev.Version < d.ClosingVersion {
			return Output{}, fmt.Errorf("%w: close at version %d already seen at %d", ErrDuplicate, ev.Version, d.ClosingVersion)
		}
		d.Requested = true
		d.ClosingVersion = ev.Version
		if ev.Deadline != 0 {
			d.Deadline = ev.Deadline
		}
	case CloseDone:
		d.Requested = true
	default:
		return Output{}, fmt.Errorf("%w: close event kind %d", ErrMalformed, ev.Kind)
	}
	if old != nil && c.Closed && (c.ClosedOnChain || ev.Kind != CloseDone) && old.Requested == d.Requested && old.ClosingVersion == d.ClosingVersion && old.Deadline == d.Deadline {
		return Output{}, fmt.Errorf("%w: close of %x", ErrDuplicate, id)
	}
	rec := shallow(c)
	rec.Closed = true
	rec.ClosedOnChain = rec.ClosedOnChain || ev.Kind == CloseDone
	rec.Dispute = d
	m.channels[id] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}

// DisputeSettled records that the contract paid the channel out and that
// this terminal claimed any deferred payout: nothing is left to defend.
func (m *Machine) DisputeSettled(id [32]byte) (Output, error) {
	c := m.channels[id]
	if c == nil {
		return Output{}, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	if c.GetDispute().GetSettled() {
		return Output{}, fmt.Errorf("%w: %x settled", ErrDuplicate, id)
	}
	d := &messages.ChannelDispute{Requested: true, Settled: true}
	if old := c.GetDispute(); old != nil {
		d.Force, d.ClosingVersion, d.Deadline = old.Force, old.ClosingVersion, old.Deadline
	}
	rec := shallow(c)
	rec.Closed, rec.ClosedOnChain = true, true
	rec.Dispute = d
	m.channels[id] = rec
	return Output{Channels: []*messages.ChannelRecord{rec}}, nil
}

// Disputes returns the channels whose close this terminal follows until
// they are paid out: force-closed here, or seen closing on chain.
func (m *Machine) Disputes() []*messages.ChannelRecord {
	var out []*messages.ChannelRecord
	for _, c := range m.Channels() {
		if d := c.GetDispute(); d != nil && !d.Settled {
			out = append(out, c)
		}
	}
	return out
}
