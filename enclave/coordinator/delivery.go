package coordinator

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// Outcome delivery and cross-checks after a restart (issue 11).

// ErrConflictingOutcome is returned when a terminal proves, with this
// coordinator's own outcome signature, an outcome other than the one this
// instance holds: the store was rolled back past a decision. The instance
// is left unchanged and signs nothing more.
var ErrConflictingOutcome = errors.New("coordinator: a terminal holds the other outcome of this instance")

// Adopt takes an outcome a terminal reports having applied, proved by this
// coordinator's own outcome signature for that network. An undecided
// instance (resumed from a store older than the decision) takes that
// outcome, so it never signs the other one; a decided one checks it.
//
// A refund is re-signed for every network (the same outcome). A
// confirmation is re-signed only for the networks whose COMMITTED acks the
// record still holds; the others keep no CONFIRM to resend (their
// terminals hold the committed state and may take it on chain).
func (in *Instance) Adopt(network uint32, confirmed bool, outcomeSig []byte) (Output, error) {
	if int(network) >= len(in.rec.Networks) {
		return Output{}, fmt.Errorf("%w: network %d of %d", ErrMalformed, network, len(in.rec.Networks))
	}
	n := in.rec.Networks[network].Network
	d := messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), in.id, confirmed)
	if got, err := messages.RecoverAddress(d, outcomeSig); err != nil || got != in.self {
		return Output{}, fmt.Errorf("%w: reported outcome is not signed by this coordinator", ErrBadSignature)
	}
	switch in.rec.Phase {
	case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		if confirmed {
			return Output{}, nil
		}
		return Output{}, fmt.Errorf("%w: %x is COMMITTED, a terminal holds a refund", ErrConflictingOutcome, in.id[:6])
	case messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
		if !confirmed {
			return Output{}, nil
		}
		return Output{}, fmt.Errorf("%w: %x is refunded, a terminal holds a confirmation", ErrConflictingOutcome, in.id[:6])
	}
	in.rec.Adopted = true
	if !confirmed {
		return in.authorizeRefund(in.rec.RefundReason, in.rec.RefundRequestedBy)
	}
	var send []Outbound
	for i, np := range in.rec.Networks {
		full := in.rec.Phase == messages.InstancePhase_INSTANCE_PHASE_PREPARED && len(np.CommittedAcks) > 0
		for _, s := range np.CommittedAcks {
			if s.Kind == messages.Kind_KIND_UNSPECIFIED || len(s.Payload) == 0 {
				full = false
			}
		}
		if full {
			nn := np.Network
			sig, err := in.signer.Sign(messages.OutcomeDigest(nn.ChainId, common.BytesToAddress(nn.Contract), in.id, true))
			if err != nil {
				return Output{}, fmt.Errorf("coordinator: sign outcome: %w", err)
			}
			env, err := messages.Seal(in.signer, messages.Kind_KIND_CONFIRM, &messages.Confirm{
				InstanceId: in.id[:], NetworkIndex: uint32(i), CommittedAcks: np.CommittedAcks, OutcomeSignature: sig})
			if err != nil {
				return Output{}, err
			}
			np.Confirm = env
			send = appendTo(send, in.terminals[i], env)
		}
		np.PreparedAcks, np.CommittedAcks, np.Prepare, np.Commit = spent(np.PreparedAcks), spent(np.CommittedAcks), nil, nil
	}
	in.rec.Phase = messages.InstancePhase_INSTANCE_PHASE_COMMITTED
	return in.out(send), nil
}

// appliedKey names one terminal's network of an instance in applied_by.
func appliedKey(t common.Address, network uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte{}, t[:]...), network)
}

func (in *Instance) applied(t common.Address, network uint32) bool {
	k := appliedKey(t, network)
	for _, a := range in.rec.AppliedBy {
		if bytes.Equal(a, k) {
			return true
		}
	}
	return false
}

// HandleOutcomeApplied records a terminal's signed acknowledgement that it
// applied this instance's outcome on one network; the outcome is no longer
// resent to it. Output.Instance is set only when the record changed.
func (in *Instance) HandleOutcomeApplied(env *messages.Envelope) (Output, error) {
	var a messages.OutcomeApplied
	signer, err := env.Open(messages.Kind_KIND_OUTCOME_APPLIED, &a)
	if err != nil {
		return Output{}, openFailed(err)
	}
	if common.BytesToAddress(a.Terminal) != signer || !bytes.Equal(a.InstanceId, in.id[:]) || int(a.NetworkIndex) >= len(in.terminals) {
		return Output{}, fmt.Errorf("%w: outcome ack names %x for %x network %d", ErrForeignAck, a.Terminal, a.InstanceId, a.NetworkIndex)
	}
	member := false
	for _, t := range in.terminals[a.NetworkIndex] {
		member = member || t == signer
	}
	if !member {
		return Output{}, fmt.Errorf("%w: %s in network %d", ErrNotParticipant, signer, a.NetworkIndex)
	}
	want := messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED
	if a.Confirmed {
		want = messages.InstancePhase_INSTANCE_PHASE_COMMITTED
	}
	if in.rec.Phase != want {
		if in.Decided() {
			return Output{}, fmt.Errorf("%w: terminal %s acknowledges the other outcome", ErrConflictingOutcome, signer)
		}
		return Output{}, fmt.Errorf("%w: outcome ack in %v", ErrWrongPhase, in.rec.Phase)
	}
	if in.applied(signer, a.NetworkIndex) {
		return Output{}, nil
	}
	in.rec.AppliedBy = append(in.rec.AppliedBy, appliedKey(signer, a.NetworkIndex))
	return in.out(nil), nil
}

// AllApplied reports whether every terminal of every network acknowledged
// the decided outcome: nothing is left to deliver.
func (in *Instance) AllApplied() bool {
	if !in.Decided() {
		return false
	}
	for i, ts := range in.terminals {
		for _, t := range ts {
			if !in.applied(t, uint32(i)) {
				return false
			}
		}
	}
	return true
}

// Undelivered is the decided outcome's envelopes for every terminal that
// has not acknowledged applying it (what the shell resends, with backoff).
func (in *Instance) Undelivered() []Outbound {
	if !in.Decided() {
		return nil
	}
	var send []Outbound
	for i, np := range in.rec.Networks {
		env := np.Confirm
		if in.rec.Phase == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
			env = np.Refund
		}
		if env == nil {
			continue
		}
		for _, t := range in.terminals[i] {
			if !in.applied(t, uint32(i)) {
				send = append(send, Outbound{To: t, Env: env})
			}
		}
	}
	return send
}

// HandleOutcomeQuery answers a participant's signed query for the outcome
// (a terminal restarted with the instance COMMITTED asks at once): the
// outcome of each of its networks once decided, nothing before.
func (in *Instance) HandleOutcomeQuery(env *messages.Envelope) (Output, error) {
	var q messages.OutcomeQuery
	signer, err := env.Open(messages.Kind_KIND_OUTCOME_QUERY, &q)
	if err != nil {
		return Output{}, openFailed(err)
	}
	if common.BytesToAddress(q.Terminal) != signer || !bytes.Equal(q.InstanceId, in.id[:]) {
		return Output{}, fmt.Errorf("%w: outcome query names %x for %x", ErrForeignAck, q.Terminal, q.InstanceId)
	}
	nets := in.networksOf(signer)
	if len(nets) == 0 {
		return Output{}, fmt.Errorf("%w: %s", ErrNotParticipant, signer)
	}
	if !in.Decided() {
		return Output{}, nil
	}
	var send []Outbound
	for _, i := range nets {
		env := in.rec.Networks[i].Confirm
		if in.rec.Phase == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
			env = in.rec.Networks[i].Refund
		}
		if env != nil {
			send = append(send, Outbound{To: signer, Env: env})
		}
	}
	return Output{Send: send}, nil
}
