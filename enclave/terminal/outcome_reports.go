package terminal

import (
	"fmt"

	"github.com/teeswap/teeswap/messages"
)

// The two envelopes a terminal's host sends about outcomes
// (docs/RELIABILITY.md) are built and signed here, from the machine's own
// records, so the host never needs the enclave key to sign anything.

// OutcomeApplied signs this terminal's acknowledgement that it applied the
// outcome of instance id in network net. It refuses unless the machine
// holds that instance CONFIRMED or REFUNDED: it acknowledges only what it
// applied, and the outcome it applied.
func (m *Machine) OutcomeApplied(id [32]byte, net uint32) (*messages.Envelope, error) {
	r := m.instances[instanceKey{id, net}]
	if r == nil {
		return nil, fmt.Errorf("%w: %x network %d", ErrUnknownInstance, id, net)
	}
	confirmed := r.Phase == messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED
	if !confirmed && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {
		return nil, fmt.Errorf("%w: instance %x network %d is %v, not applied", ErrWrongPhase, id, net, r.Phase)
	}
	return messages.Seal(m.signer, messages.Kind_KIND_OUTCOME_APPLIED, &messages.OutcomeApplied{
		InstanceId: id[:], NetworkIndex: net, Terminal: m.self.Bytes(), Confirmed: confirmed})
}

// OutcomeQuery signs a query for the outcome of instance id, which this
// terminal must hold COMMITTED in some network (it waits for that outcome).
func (m *Machine) OutcomeQuery(id [32]byte) (*messages.Envelope, error) {
	nets := m.instanceIDs[id]
	if len(nets) == 0 {
		return nil, fmt.Errorf("%w: %x", ErrUnknownInstance, id)
	}
	committed := false
	for _, n := range nets {
		if r := m.instances[instanceKey{id, n}]; r != nil && r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED {
			committed = true
		}
	}
	if !committed {
		return nil, fmt.Errorf("%w: instance %x is not COMMITTED here", ErrWrongPhase, id)
	}
	return messages.Seal(m.signer, messages.Kind_KIND_OUTCOME_QUERY, &messages.OutcomeQuery{InstanceId: id[:], Terminal: m.self.Bytes()})
}
