package coordinator

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/messages"
)

// Instance is one swap or payment instance. It is not safe for concurrent
// use; the shell gives each instance one owner (an actor).
type Instance struct {
	signer    messages.Signer
	self      common.Address
	rec       *messages.CoordinatorInstance
	id        [32]byte
	terminals [][]common.Address // per network, path order
	// asked is, per network, the signing digest of the envelope the
	// current phase's acks answer: hashed once, not once per ack.
	asked [][32]byte
}

func newInstance(signer messages.Signer, rec *messages.CoordinatorInstance) *Instance {
	in := &Instance{signer: signer, self: signer.Address(), rec: rec, id: [32]byte(rec.InstanceId)}
	in.asked = make([][32]byte, len(rec.Networks))
	for i, np := range rec.Networks {
		in.terminals = append(in.terminals, np.Network.Terminals())
		switch rec.Phase {
		case messages.InstancePhase_INSTANCE_PHASE_NONE:
			if np.Prepare != nil {
				in.asked[i] = np.Prepare.Digest()
			}
		case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
			if np.Commit != nil {
				in.asked[i] = np.Commit.Digest()
			}
		}
	}
	return in
}

// Restore resumes an instance from its persisted record.
func Restore(key enclave.Key, rec *messages.CoordinatorInstance) (*Instance, error) {
	if _, err := messages.Hash32(rec.GetInstanceId()); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for i, np := range rec.Networks {
		if err := np.GetNetwork().Validate(); err != nil {
			return nil, fmt.Errorf("%w: network %d: %v", ErrMalformed, i, err)
		}
	}
	return newInstance(keys.Signer(key), rec), nil
}

// Clone returns an independent copy (for model checking).
func (in *Instance) Clone() *Instance {
	c := *in
	c.rec = proto.Clone(in.rec).(*messages.CoordinatorInstance)
	c.asked = slices.Clone(in.asked)
	return &c
}

// ID is the instance id.
func (in *Instance) ID() [32]byte { return in.id }

// Phase is the instance's phase.
func (in *Instance) Phase() messages.InstancePhase { return in.rec.Phase }

// Record is the instance's state; do not modify it.
func (in *Instance) Record() *messages.CoordinatorInstance { return in.rec }

// Deadline is when an instance not yet COMMITTED is refunded.
func (in *Instance) Deadline() int64 { return in.rec.DeadlineMs }

// Terminals lists the distinct terminals of every network.
func (in *Instance) Terminals() []common.Address {
	seen := map[common.Address]bool{}
	var out []common.Address
	for _, ts := range in.terminals {
		for _, t := range ts {
			if !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// Decided reports whether the outcome is signed.
func (in *Instance) Decided() bool {
	p := in.rec.Phase
	return p == messages.InstancePhase_INSTANCE_PHASE_COMMITTED || p == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED
}

func (in *Instance) out(send []Outbound) Output { return Output{Instance: in.rec, Send: send} }

// expired authorizes refund when the deadline passed before COMMITTED.
func (in *Instance) expired(nowMs int64) (Output, bool, error) {
	if nowMs < in.rec.DeadlineMs || in.Decided() {
		return Output{}, false, nil
	}
	o, err := in.authorizeRefund(messages.RefundReason_REFUND_REASON_DEADLINE, nil)
	return o, true, err
}

// Tick lets time pass: a deadline passed before COMMITTED leads to
// REFUND-AUTHORIZED. It returns an empty Output when nothing changes.
func (in *Instance) Tick(nowMs int64) (Output, error) {
	o, _, err := in.expired(nowMs)
	return o, err
}

// ackHeader is what PREPARED and COMMITTED acks share.
type ackHeader struct {
	signer   common.Address
	net      uint32
	index    int // in terminals[net]
	states   []*messages.SignedChannelState
	prepared bool
}

func (in *Instance) openAck(env *messages.Envelope, kind messages.Kind) (ackHeader, error) {
	var (
		h                             ackHeader
		instance, terminal, digestRaw []byte
		err                           error
	)
	if kind == messages.Kind_KIND_PREPARED {
		var a messages.Prepared
		h.signer, err = env.Open(kind, &a)
		instance, h.net, terminal, digestRaw, h.states, h.prepared = a.InstanceId, a.NetworkIndex, a.Terminal, a.PrepareDigest, a.ChannelStates, true
	} else {
		var a messages.Committed
		h.signer, err = env.Open(kind, &a)
		instance, h.net, terminal, digestRaw, h.states = a.InstanceId, a.NetworkIndex, a.Terminal, a.CommitDigest, a.ChannelStates
	}
	if err != nil {
		return h, openFailed(err)
	}
	if common.BytesToAddress(terminal) != h.signer {
		return h, fmt.Errorf("%w: ack names %x but is signed by %s", ErrForeignAck, terminal, h.signer)
	}
	if !bytes.Equal(instance, in.id[:]) || int(h.net) >= len(in.rec.Networks) {
		return h, fmt.Errorf("%w: instance %x network %d", ErrForeignAck, instance, h.net)
	}
	// An ack answers the envelope of the current phase, whose digest
	// asked holds (PREPARE in NONE, COMMIT in PREPARED).
	want := in.asked[h.net]
	if want == ([32]byte{}) || h.prepared != (in.rec.Phase == messages.InstancePhase_INSTANCE_PHASE_NONE) {
		return h, fmt.Errorf("%w: %v in %v", ErrWrongPhase, kind, in.rec.Phase)
	}
	if !bytes.Equal(digestRaw, want[:]) {
		return h, fmt.Errorf("%w: ack refers to another %v", ErrForeignAck, map[bool]string{true: "PREPARE", false: "COMMIT"}[h.prepared])
	}
	h.index = -1
	for i, t := range in.terminals[h.net] {
		if t == h.signer {
			h.index = i
		}
	}
	if h.index < 0 {
		return h, fmt.Errorf("%w: %s in network %d", ErrNotParticipant, h.signer, h.net)
	}
	return h, nil
}

// checkStates checks that an ack signs exactly the terminal's channels of
// the network, at the agreed version and stage, locking this instance's
// amount. Whether both parties signed the same state is checked once both
// acks are in.
func (in *Instance) checkStates(h ackHeader) error {
	n := in.rec.Networks[h.net].Network
	stage := messages.LockStage_LOCK_STAGE_COMMITTED
	if h.prepared {
		stage = messages.LockStage_LOCK_STAGE_PREPARED
	}
	cross := in.rec.Kind == messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP
	seen := 0
	for _, hop := range n.Hops {
		if common.BytesToAddress(hop.Payer) != h.signer && common.BytesToAddress(hop.Payee) != h.signer {
			continue
		}
		seen++
		version := hop.Version
		if !h.prepared {
			version++
		}
		var found *messages.SignedChannelState
		for _, s := range h.states {
			if bytes.Equal(s.GetState().GetChannelId(), hop.ChannelId) {
				found = s
			}
		}
		st := found.GetState()
		l := st.GetLock()
		switch {
		case found == nil:
			return fmt.Errorf("%w: no state for channel %x", ErrBadChannelState, hop.ChannelId)
		case st.ChainId != n.ChainId || !bytes.Equal(st.Contract, n.Contract) || st.Version != version:
			return fmt.Errorf("%w: channel %x chain, contract or version", ErrBadChannelState, hop.ChannelId)
		case l == nil || !bytes.Equal(l.LockId, in.id[:]) || !bytes.Equal(l.Amount, n.Amount) || l.Stage != stage || l.CrossChain != cross:
			return fmt.Errorf("%w: channel %x lock", ErrBadChannelState, hop.ChannelId)
		}
		if signer, err := found.Verify(); err != nil || signer != h.signer {
			return fmt.Errorf("%w: channel %x state not signed by %s", ErrBadChannelState, hop.ChannelId, h.signer)
		}
	}
	if len(h.states) != seen {
		return fmt.Errorf("%w: %d states for %d channels", ErrBadChannelState, len(h.states), seen)
	}
	return nil
}

// HandlePrepared records a terminal's PREPARED ack. When every terminal
// of every network has acked, the instance is PREPARED and a COMMIT per
// network carries that network's acks ([0120]-[0121]).
func (in *Instance) HandlePrepared(env *messages.Envelope, nowMs int64) (Output, error) {
	return in.handleAck(env, messages.Kind_KIND_PREPARED, nowMs)
}

// HandleCommitted records a terminal's COMMITTED ack. When all are in,
// the instance is COMMITTED and a CONFIRM per network carries that
// network's acks and the outcome signature ([0123]-[0124]).
func (in *Instance) HandleCommitted(env *messages.Envelope, nowMs int64) (Output, error) {
	return in.handleAck(env, messages.Kind_KIND_COMMITTED, nowMs)
}

func (in *Instance) handleAck(env *messages.Envelope, kind messages.Kind, nowMs int64) (Output, error) {
	if o, fired, err := in.expired(nowMs); fired || err != nil {
		return o, err
	}
	want := messages.InstancePhase_INSTANCE_PHASE_NONE
	if kind == messages.Kind_KIND_COMMITTED {
		want = messages.InstancePhase_INSTANCE_PHASE_PREPARED
	}
	if in.rec.Phase != want {
		return Output{}, fmt.Errorf("%w: %v in %v", ErrWrongPhase, kind, in.rec.Phase)
	}
	if in.haveAck(env, kind) {
		// A resent ack, byte for byte one already verified: answering it
		// costs no second signature recovery.
		return Output{}, nil
	}
	h, err := in.openAck(env, kind)
	if err != nil {
		return Output{}, err
	}
	np := in.rec.Networks[h.net]
	slots := np.PreparedAcks
	if kind == messages.Kind_KIND_COMMITTED {
		slots = np.CommittedAcks
	}
	if have := slots[h.index]; have.Kind != messages.Kind_KIND_UNSPECIFIED {
		if proto.Equal(have, env) {
			return Output{}, nil
		}
		return Output{}, fmt.Errorf("%w: %s", ErrConflictingAck, h.signer)
	}
	if err := in.checkStates(h); err != nil {
		return Output{}, err
	}
	slots[h.index] = env
	if !in.allAcked(kind) {
		return in.out(nil), nil
	}
	if !in.statesAgree(kind) {
		return in.authorizeRefund(messages.RefundReason_REFUND_REASON_STATE_MISMATCH, nil)
	}
	if kind == messages.Kind_KIND_PREPARED {
		return in.commit()
	}
	return in.confirm()
}

// haveAck reports whether env is identical to an ack already accepted.
func (in *Instance) haveAck(env *messages.Envelope, kind messages.Kind) bool {
	for _, np := range in.rec.Networks {
		slots := np.PreparedAcks
		if kind == messages.Kind_KIND_COMMITTED {
			slots = np.CommittedAcks
		}
		for _, s := range slots {
			if s.Kind == kind && env.GetKind() == kind && len(s.Signature) > 0 && bytes.Equal(s.Signature, env.GetSignature()) &&
				bytes.Equal(s.Signer, env.GetSigner()) && bytes.Equal(s.Payload, env.GetPayload()) {
				return true
			}
		}
	}
	return false
}

func (in *Instance) allAcked(kind messages.Kind) bool {
	for _, np := range in.rec.Networks {
		slots := np.PreparedAcks
		if kind == messages.Kind_KIND_COMMITTED {
			slots = np.CommittedAcks
		}
		for _, s := range slots {
			if s.Kind == messages.Kind_KIND_UNSPECIFIED {
				return false
			}
		}
	}
	return true
}

// statesAgree checks that both parties of every channel signed the same
// state, so each will hold a state the contract accepts.
func (in *Instance) statesAgree(kind messages.Kind) bool {
	for _, np := range in.rec.Networks {
		slots := np.PreparedAcks
		if kind == messages.Kind_KIND_COMMITTED {
			slots = np.CommittedAcks
		}
		byChannel := map[string]*messages.ChannelState{}
		for _, env := range slots {
			var states []*messages.SignedChannelState
			if kind == messages.Kind_KIND_PREPARED {
				var a messages.Prepared
				_ = proto.Unmarshal(env.Payload, &a) // verified on arrival
				states = a.ChannelStates
			} else {
				var a messages.Committed
				_ = proto.Unmarshal(env.Payload, &a)
				states = a.ChannelStates
			}
			for _, s := range states {
				k := string(s.State.ChannelId)
				if other, ok := byChannel[k]; ok && !proto.Equal(other, s.State) {
					return false
				}
				byChannel[k] = s.State
			}
		}
	}
	return true
}

func (in *Instance) commit() (Output, error) {
	var send []Outbound
	for i, np := range in.rec.Networks {
		env, err := messages.Seal(in.signer, messages.Kind_KIND_COMMIT, &messages.Commit{
			InstanceId: in.id[:], NetworkIndex: uint32(i), PreparedAcks: np.PreparedAcks})
		if err != nil {
			return Output{}, err
		}
		np.Commit = env
		in.asked[i] = env.Digest()
		send = appendTo(send, in.terminals[i], env)
	}
	for _, np := range in.rec.Networks {
		// The COMMIT carries the signed acks now; the PREPARE is answered.
		np.PreparedAcks, np.Prepare = spent(np.PreparedAcks), nil
	}
	in.rec.Phase = messages.InstancePhase_INSTANCE_PHASE_PREPARED
	return in.out(send), nil
}

// spent keeps of each filled ack slot only its kind and signer, once the
// phase it belongs to has passed: no ack of a passed phase is ever read
// again (a late one is refused by phase), and the COMMIT or CONFIRM that
// went out holds the signed acks. A decided instance so weighs a third of
// what it did, which is what bounds memory at 10,000 in flight.
func spent(slots []*messages.Envelope) []*messages.Envelope {
	out := make([]*messages.Envelope, len(slots))
	for i, s := range slots {
		out[i] = &messages.Envelope{Kind: s.Kind, Signer: s.Signer}
	}
	return out
}

// confirm signs CONFIRM for every network. It is reached only from
// PREPARED, and REFUND_AUTHORIZED is final, so no instance has both.
func (in *Instance) confirm() (Output, error) {
	if in.rec.Phase != messages.InstancePhase_INSTANCE_PHASE_PREPARED {
		return Output{}, fmt.Errorf("%w: confirm from %v", ErrWrongPhase, in.rec.Phase)
	}
	confirms := make([]*messages.Envelope, len(in.rec.Networks))
	for i, np := range in.rec.Networks {
		n := np.Network
		sig, err := in.signer.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), in.id, true))
		if err != nil {
			return Output{}, fmt.Errorf("coordinator: sign outcome: %w", err)
		}
		env, err := messages.Seal(in.signer, messages.Kind_KIND_CONFIRM, &messages.Confirm{
			InstanceId: in.id[:], NetworkIndex: uint32(i), CommittedAcks: np.CommittedAcks, OutcomeSignature: sig})
		if err != nil {
			return Output{}, err
		}
		confirms[i] = env
	}
	var send []Outbound
	for i, np := range in.rec.Networks {
		np.Confirm = confirms[i]
		np.CommittedAcks, np.Commit = spent(np.CommittedAcks), nil
		send = appendTo(send, in.terminals[i], confirms[i])
	}
	in.rec.Phase = messages.InstancePhase_INSTANCE_PHASE_COMMITTED
	return in.out(send), nil
}

// authorizeRefund signs REFUND-AUTHORIZED for every network. Only NONE
// and PREPARED may be refunded ([0127]).
func (in *Instance) authorizeRefund(reason messages.RefundReason, by []byte) (Output, error) {
	switch in.rec.Phase {
	case messages.InstancePhase_INSTANCE_PHASE_NONE, messages.InstancePhase_INSTANCE_PHASE_PREPARED:
	default:
		return Output{}, fmt.Errorf("%w: refund in %v", ErrWrongPhase, in.rec.Phase)
	}
	refunds := make([]*messages.Envelope, len(in.rec.Networks))
	for i, np := range in.rec.Networks {
		n := np.Network
		sig, err := in.signer.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), in.id, false))
		if err != nil {
			return Output{}, fmt.Errorf("coordinator: sign outcome: %w", err)
		}
		env, err := messages.Seal(in.signer, messages.Kind_KIND_REFUND_AUTHORIZED, &messages.RefundAuthorized{
			InstanceId: in.id[:], NetworkIndex: uint32(i), Reason: reason, RequestedBy: by, OutcomeSignature: sig})
		if err != nil {
			return Output{}, err
		}
		refunds[i] = env
	}
	var send []Outbound
	for i, np := range in.rec.Networks {
		np.Refund = refunds[i]
		np.PreparedAcks, np.CommittedAcks, np.Prepare, np.Commit = spent(np.PreparedAcks), spent(np.CommittedAcks), nil, nil
		send = appendTo(send, in.terminals[i], refunds[i])
	}
	in.rec.Phase = messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED
	in.rec.RefundReason, in.rec.RefundRequestedBy = reason, by
	return in.out(send), nil
}

// HandleRefundRequest grants a terminal's refund request in NONE or
// PREPARED ([0127]), one terminal's wish winning over all others' ([0102]).
// In COMMITTED it signs a denial and sends the requester the CONFIRM again;
// once refunded it sends the REFUND-AUTHORIZED again.
func (in *Instance) HandleRefundRequest(env *messages.Envelope, nowMs int64) (Output, error) {
	var req messages.RefundRequest
	signer, err := env.Open(messages.Kind_KIND_REFUND_REQUEST, &req)
	if err != nil {
		return Output{}, openFailed(err)
	}
	if common.BytesToAddress(req.Terminal) != signer || !bytes.Equal(req.InstanceId, in.id[:]) {
		return Output{}, fmt.Errorf("%w: refund request names %x for %x", ErrForeignAck, req.Terminal, req.InstanceId)
	}
	nets := in.networksOf(signer)
	if len(nets) == 0 {
		return Output{}, fmt.Errorf("%w: %s", ErrNotParticipant, signer)
	}
	switch in.rec.Phase {
	case messages.InstancePhase_INSTANCE_PHASE_NONE, messages.InstancePhase_INSTANCE_PHASE_PREPARED:
		if o, fired, err := in.expired(nowMs); fired || err != nil {
			return o, err
		}
		return in.authorizeRefund(messages.RefundReason_REFUND_REASON_REQUESTED, signer.Bytes())
	case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		deny, err := messages.Seal(in.signer, messages.Kind_KIND_REFUND_DENIED, &messages.RefundDenied{
			InstanceId: in.id[:], Terminal: signer.Bytes(), Reason: "instance is COMMITTED"})
		if err != nil {
			return Output{}, err
		}
		send := []Outbound{{To: signer, Env: deny}}
		for _, i := range nets {
			send = appendTo(send, []common.Address{signer}, in.rec.Networks[i].Confirm)
		}
		return Output{Send: send}, nil
	default:
		var send []Outbound
		for _, i := range nets {
			send = appendTo(send, []common.Address{signer}, in.rec.Networks[i].Refund)
		}
		return Output{Send: send}, nil
	}
}

func (in *Instance) networksOf(t common.Address) []int {
	var out []int
	for i, ts := range in.terminals {
		for _, x := range ts {
			if x == t {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// Resend returns the messages of the current phase for every terminal
// that has not answered them yet; the shell calls it on a retry timer,
// since protoactor remoting may drop messages to a peer that is down.
func (in *Instance) Resend() []Outbound {
	var send []Outbound
	for i, np := range in.rec.Networks {
		switch in.rec.Phase {
		case messages.InstancePhase_INSTANCE_PHASE_NONE:
			send = appendMissing(send, in.terminals[i], np.PreparedAcks, np.Prepare)
		case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
			send = appendMissing(send, in.terminals[i], np.CommittedAcks, np.Commit)
		case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
			send = appendTo(send, in.terminals[i], np.Confirm)
		case messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
			send = appendTo(send, in.terminals[i], np.Refund)
		}
	}
	return send
}

func appendMissing(send []Outbound, to []common.Address, acks []*messages.Envelope, env *messages.Envelope) []Outbound {
	for j, t := range to {
		if acks[j].Kind == messages.Kind_KIND_UNSPECIFIED {
			send = append(send, Outbound{To: t, Env: env})
		}
	}
	return send
}

// openFailed tells apart, in env.Open's error for a terminal's message, a
// signature that does not verify (ErrBadSignature) from an envelope that
// is malformed (ErrMalformed).
func openFailed(err error) error {
	if errors.Is(err, messages.ErrBadSignature) || errors.Is(err, messages.ErrSignerMismatch) {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}
