package terminal

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// open verifies an envelope from a trusted coordinator and decodes it.
func (m *Machine) open(env *messages.Envelope, kind messages.Kind, msg proto.Message) (common.Address, error) {
	signer, _, err := m.openDigest(env, kind, msg)
	return signer, err
}

// openDigest is open that also returns the envelope's signing digest.
func (m *Machine) openDigest(env *messages.Envelope, kind messages.Kind, msg proto.Message) (common.Address, [32]byte, error) {
	signer, d, err := env.OpenDigest(kind, msg)
	if err != nil {
		return common.Address{}, d, wrapEnvelopeErr(err)
	}
	if !m.trusted[signer] {
		return common.Address{}, d, fmt.Errorf("%w: %s", ErrUntrustedCoordinator, signer)
	}
	return signer, d, nil
}

// repeated returns the record of the instance env names, read from its
// payload without checking the signature or decoding the rest, or nil.
// Callers answer from the record only if env is the very envelope
// accepted (same).
func (m *Machine) repeated(env *messages.Envelope, kind messages.Kind) *messages.TerminalInstance {
	if env.GetKind() != kind || len(env.GetSignature()) == 0 {
		return nil
	}
	id, net, ok := messages.PeekInstance(env.GetPayload())
	if !ok {
		return nil
	}
	r := m.instances[instanceKey{id, net}]
	if r == nil || !bytes.Equal(env.Signer, r.Coordinator) {
		return nil
	}
	return r
}

// same reports whether env has the payload digest and signature of an
// envelope whose signature was checked when it was accepted.
func same(env *messages.Envelope, digest, sig []byte) bool {
	d := env.Digest()
	return len(sig) > 0 && bytes.Equal(env.Signature, sig) && bytes.Equal(d[:], digest)
}

func wrapEnvelopeErr(err error) error {
	if errors.Is(err, messages.ErrBadSignature) || errors.Is(err, messages.ErrSignerMismatch) {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return fmt.Errorf("%w: %v", ErrMalformed, err)
}

// myLeg is one of this terminal's channels in a network.
type myLeg struct {
	hop     *messages.Hop
	channel *messages.ChannelRecord
	id      [32]byte
	peer    common.Address
}

// HandlePrepare checks a PREPARE ([0119]): a trusted coordinator, a fresh
// instance id, known idle channels with enough balance. It reserves the
// amount on every channel of this terminal in the network, signs the
// prepared-stage channel states and answers with a signed PREPARED ack.
// An identical PREPARE already accepted is answered with the same ack.
func (m *Machine) HandlePrepare(env *messages.Envelope, nowMs int64) (Output, error) {
	if r := m.repeated(env, messages.Kind_KIND_PREPARE); r != nil &&
		r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED && same(env, r.PrepareDigest, r.PrepareSignature) {
		return Output{Send: []*messages.Envelope{r.PreparedAck}}, nil
	}
	var p messages.Prepare
	coord, digest, err := m.openDigest(env, messages.Kind_KIND_PREPARE, &p)
	if err != nil {
		return Output{}, err
	}
	id, err := messages.Hash32(p.InstanceId)
	if err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if common.BytesToAddress(p.Coordinator) != coord {
		return Output{}, fmt.Errorf("%w: PREPARE names coordinator %x but is signed by %s", ErrUntrustedCoordinator, p.Coordinator, coord)
	}
	if err := p.Network.Validate(); err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if p.NetworkIndex >= p.NetworkCount {
		return Output{}, fmt.Errorf("%w: network %d of %d", ErrMalformed, p.NetworkIndex, p.NetworkCount)
	}
	if p.Kind != messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP && p.Kind != messages.InstanceKind_INSTANCE_KIND_PAYMENT {
		return Output{}, fmt.Errorf("%w: instance kind %v", ErrMalformed, p.Kind)
	}
	key := instanceKey{id, p.NetworkIndex}
	if r := m.instances[key]; r != nil {
		if r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED && bytes.Equal(r.PrepareDigest, digest[:]) {
			return Output{Send: []*messages.Envelope{r.PreparedAck}}, nil
		}
		return Output{}, fmt.Errorf("%w: %x network %d is %v", ErrReplayedInstance, id, p.NetworkIndex, r.Phase)
	}
	if nowMs >= p.DeadlineMs {
		return Output{}, fmt.Errorf("%w: deadline %d, now %d", ErrExpired, p.DeadlineMs, nowMs)
	}
	legs, err := m.legsOf(&p, coord)
	if err != nil {
		return Output{}, err
	}
	amount := amt(p.Network.Amount)
	// Check everything before changing anything.
	for _, l := range legs {
		if l.hop.Version <= l.channel.MaxSignedVersion {
			return Output{}, fmt.Errorf("%w: channel %x at %d, offered %d", ErrStaleVersion, l.id, l.channel.MaxSignedVersion, l.hop.Version)
		}
		payerIsA := common.BytesToAddress(l.hop.Payer) == common.BytesToAddress(l.channel.PartyA)
		if side(resolve(l.channel.Latest), payerIsA).Cmp(amount) < 0 {
			return Output{}, fmt.Errorf("%w: channel %x cannot carry %s", ErrInsufficientBalance, l.id, amount)
		}
	}
	// Last check, one signature recovery: only the network's sender pays
	// out of its own funds, so only it needs its order.
	var orderID []byte
	var orderExpires int64
	if common.BytesToAddress(p.Network.Hops[0].Payer) == m.self {
		oid, exp, err := m.checkOrder(&p, id, nowMs)
		if err != nil {
			return Output{}, err
		}
		orderID, orderExpires = oid[:], exp
	}
	rec := &messages.TerminalInstance{
		InstanceId: id[:], NetworkIndex: p.NetworkIndex, Phase: messages.TerminalPhase_TERMINAL_PHASE_PREPARED,
		Prepare: &p, PrepareDigest: digest[:], PrepareSignature: env.Signature, Coordinator: coord.Bytes(),
		OrderId: orderID, OrderExpiresMs: orderExpires,
	}
	ack := &messages.Prepared{InstanceId: id[:], NetworkIndex: p.NetworkIndex, Terminal: m.self.Bytes(), PrepareDigest: digest[:]}
	out := Output{}
	newChannels := make([]*messages.ChannelRecord, 0, len(legs))
	for _, l := range legs {
		st := preparedState(l.channel, l.hop, id, amount, p.Kind == messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP)
		signed, err := messages.SignChannelState(m.signer, st)
		if err != nil {
			return Output{}, err
		}
		ack.ChannelStates = append(ack.ChannelStates, signed)
		rec.Legs = append(rec.Legs, &messages.ChannelLeg{ChannelId: l.id[:], Prepared: st, PreparedSigSelf: signed.Signature})
		c := shallow(l.channel)
		c.Phase = messages.ChannelPhase_CHANNEL_PHASE_PREPARED
		c.ActiveInstance, c.ActiveNetwork = id[:], p.NetworkIndex
		c.MaxSignedVersion = l.hop.Version
		newChannels = append(newChannels, c)
	}
	ackEnv, err := messages.Seal(m.signer, messages.Kind_KIND_PREPARED, ack)
	if err != nil {
		return Output{}, err
	}
	rec.PreparedAck = ackEnv
	for _, c := range newChannels {
		m.channels[[32]byte(c.ChannelId)] = c
	}
	m.putInstance(key, rec)
	out.Channels, out.Instances, out.Send = newChannels, []*messages.TerminalInstance{rec}, []*messages.Envelope{ackEnv}
	return out, nil
}

// checkOrder is the payer's consent ([0119] "decides whether to take
// part"): as the sender of the PREPARE's network this terminal pays only
// on an order it signed itself, unexpired at nowMs, for exactly the
// instance's kind and legs, whose leg for this network is what the
// network carries, and not used by another instance. It returns the
// order's id and expiry.
func (m *Machine) checkOrder(p *messages.Prepare, id [32]byte, nowMs int64) ([32]byte, int64, error) {
	if p.Order == nil {
		return [32]byte{}, 0, fmt.Errorf("%w: PREPARE carries no order", ErrUnauthorised)
	}
	o, payer, oid, err := messages.OpenOrder(p.Order)
	if err != nil {
		return oid, 0, fmt.Errorf("%w: %v", ErrUnauthorised, err)
	}
	if payer != m.self {
		return oid, 0, fmt.Errorf("%w: order signed by %s", ErrUnauthorised, payer)
	}
	if nowMs >= o.ExpiresMs {
		return oid, 0, fmt.Errorf("%w: at %d, now %d", ErrOrderExpired, o.ExpiresMs, nowMs)
	}
	if o.Kind != p.Kind || !messages.LegsEqual(o.Legs, p.Legs) {
		return oid, 0, fmt.Errorf("%w: the order is for other legs", ErrOrderMismatch)
	}
	if int(p.NetworkCount) != len(p.Legs) || !messages.LegServes(p.Legs[p.NetworkIndex], p.Network) {
		return oid, 0, fmt.Errorf("%w: network %d does not carry leg %d", ErrOrderMismatch, p.NetworkIndex, p.NetworkIndex)
	}
	if used, ok := m.usedOrders[oid]; ok && used != id {
		return oid, 0, fmt.Errorf("%w: %x used by instance %x", ErrOrderReplayed, oid, used)
	}
	return oid, o.ExpiresMs, nil
}

// SignOrder signs this terminal's order for a swap or payment it pays:
// the enclave entry point behind the owner's "sign order" call. The payer
// is this terminal; it refuses an order in which it sends no leg, so it
// never signs consent for others' funds. It changes nothing.
func (m *Machine) SignOrder(requestID string, kind messages.InstanceKind, legs []*messages.Leg, expiresMs int64) (*messages.Envelope, error) {
	o := &messages.Order{RequestId: requestID, Kind: messages.ResolveKind(kind, len(legs)), Legs: legs,
		Payer: m.self.Bytes(), ExpiresMs: expiresMs}
	if !o.Pays(m.self) {
		return nil, fmt.Errorf("%w: %s", ErrNotPayer, m.self)
	}
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return messages.SealOrder(m.signer, o)
}

// legsOf finds this terminal's channels in a PREPARE's network and checks
// each is known, open, idle and belongs to the network and coordinator.
func (m *Machine) legsOf(p *messages.Prepare, coord common.Address) ([]myLeg, error) {
	n := p.Network
	var legs []myLeg
	for _, h := range n.Hops {
		payer, payee := common.BytesToAddress(h.Payer), common.BytesToAddress(h.Payee)
		var peer common.Address
		switch m.self {
		case payer:
			peer = payee
		case payee:
			peer = payer
		default:
			continue
		}
		id := [32]byte(h.ChannelId)
		c := m.channels[id]
		if c == nil {
			return nil, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
		}
		a, b := common.BytesToAddress(c.PartyA), common.BytesToAddress(c.PartyB)
		if c.ChainId != n.ChainId || !bytes.Equal(c.Contract, n.Contract) || !bytes.Equal(c.Asset, n.Asset) ||
			!(payer == a && payee == b || payer == b && payee == a) {
			return nil, fmt.Errorf("%w: %x is not the network's channel between %s and %s", ErrUnknownChannel, id, payer, payee)
		}
		if common.BytesToAddress(c.Coordinator) != coord {
			return nil, fmt.Errorf("%w: channel %x trusts coordinator %x", ErrUntrustedCoordinator, id, c.Coordinator)
		}
		if c.Closed {
			return nil, fmt.Errorf("%w: %x", ErrChannelClosed, id)
		}
		if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
			return nil, fmt.Errorf("%w: %x held by %x", ErrChannelBusy, id, c.ActiveInstance)
		}
		legs = append(legs, myLeg{hop: h, channel: c, id: id, peer: peer})
	}
	if len(legs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotParticipant, m.self)
	}
	return legs, nil
}

// preparedState is the channel's resolved latest state at the hop's
// version, with the amount moved from the payer into a prepared lock.
func preparedState(c *messages.ChannelRecord, h *messages.Hop, id [32]byte, amount *big.Int, cross bool) *messages.ChannelState {
	st := resolve(c.Latest)
	st.Version = h.Version
	aToB := common.BytesToAddress(h.Payer) == common.BytesToAddress(c.PartyA)
	if aToB {
		st.BalanceA = messages.AmountBytes(new(big.Int).Sub(amt(st.BalanceA), amount))
	} else {
		st.BalanceB = messages.AmountBytes(new(big.Int).Sub(amt(st.BalanceB), amount))
	}
	st.Lock = &messages.Lock{LockId: id[:], Amount: messages.AmountBytes(amount), AToB: aToB,
		Stage: messages.LockStage_LOCK_STAGE_PREPARED, CrossChain: cross}
	return st
}

// committedState is the prepared state one version on, lock committed.
func committedState(prepared *messages.ChannelState) *messages.ChannelState {
	st := proto.Clone(prepared).(*messages.ChannelState)
	st.Version++
	st.Lock.Stage = messages.LockStage_LOCK_STAGE_COMMITTED
	return st
}

// ackSet checks that acks hold exactly one ack of kind from every
// terminal of network n, each for this instance, network and digest, and
// returns them by terminal.
func ackSet(acks []*messages.Envelope, kind messages.Kind, n *messages.Network, id [32]byte, net uint32, digest []byte) (map[common.Address][]*messages.SignedChannelState, error) {
	want := n.Terminals()
	byTerminal := make(map[common.Address][]*messages.SignedChannelState, len(want))
	member := make(map[common.Address]bool, len(want))
	for _, t := range want {
		member[t] = true
	}
	for i, env := range acks {
		var (
			instance, ackDigest, terminal []byte
			network                       uint32
			states                        []*messages.SignedChannelState
		)
		var signer common.Address
		var err error
		if kind == messages.Kind_KIND_PREPARED {
			var a messages.Prepared
			signer, err = env.Open(kind, &a)
			instance, network, terminal, ackDigest, states = a.InstanceId, a.NetworkIndex, a.Terminal, a.PrepareDigest, a.ChannelStates
		} else {
			var a messages.Committed
			signer, err = env.Open(kind, &a)
			instance, network, terminal, ackDigest, states = a.InstanceId, a.NetworkIndex, a.Terminal, a.CommitDigest, a.ChannelStates
		}
		if err != nil {
			return nil, fmt.Errorf("%w: ack %d: %v", ErrForgedAck, i, err)
		}
		switch {
		case common.BytesToAddress(terminal) != signer:
			return nil, fmt.Errorf("%w: ack %d names %x but is signed by %s", ErrForgedAck, i, terminal, signer)
		case !member[signer]:
			return nil, fmt.Errorf("%w: ack %d from %s, not a terminal of this network", ErrForgedAck, i, signer)
		case !bytes.Equal(instance, id[:]) || network != net || !bytes.Equal(ackDigest, digest):
			return nil, fmt.Errorf("%w: ack %d from %s is for another instance, network or message", ErrForgedAck, i, signer)
		}
		if _, dup := byTerminal[signer]; dup {
			return nil, fmt.Errorf("%w: two acks from %s", ErrForgedAck, signer)
		}
		byTerminal[signer] = states
	}
	for _, t := range want {
		if _, ok := byTerminal[t]; !ok {
			return nil, fmt.Errorf("%w: none from %s", ErrMissingAck, t)
		}
	}
	return byTerminal, nil
}

// peerSignature finds the peer's signature over want among its signed
// states and checks it.
func peerSignature(states []*messages.SignedChannelState, peer common.Address, want *messages.ChannelState) ([]byte, error) {
	for _, s := range states {
		if !bytes.Equal(s.GetState().GetChannelId(), want.ChannelId) {
			continue
		}
		if !bytes.Equal(s.State.GetLock().GetAmount(), want.Lock.GetAmount()) {
			return nil, fmt.Errorf("%w: channel %x lock of %x, want %x", ErrAmountMismatch, want.ChannelId, s.State.GetLock().GetAmount(), want.Lock.GetAmount())
		}
		if !proto.Equal(s.State, want) {
			return nil, fmt.Errorf("%w: channel %x", ErrStateMismatch, want.ChannelId)
		}
		signer, err := s.Verify()
		if err != nil || signer != peer {
			return nil, fmt.Errorf("%w: state of channel %x not signed by %s", ErrForgedAck, want.ChannelId, peer)
		}
		return s.Signature, nil
	}
	return nil, fmt.Errorf("%w: %s signed no state for channel %x", ErrMissingAck, peer, want.ChannelId)
}

// instanceFor finds the record a coordinator message refers to.
func (m *Machine) instanceFor(coord common.Address, rawID []byte, net uint32) (*messages.TerminalInstance, [32]byte, error) {
	id, err := messages.Hash32(rawID)
	if err != nil {
		return nil, id, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	r := m.instances[instanceKey{id, net}]
	if r == nil {
		return nil, id, fmt.Errorf("%w: %x network %d", ErrUnknownInstance, id, net)
	}
	if common.BytesToAddress(r.Coordinator) != coord {
		return nil, id, fmt.Errorf("%w: instance %x belongs to %x", ErrUntrustedCoordinator, id, r.Coordinator)
	}
	return r, id, nil
}

// HandleCommit checks a COMMIT and every PREPARED ack of the network in
// it ([0121]-[0122]), takes the counterparties' signatures over the
// prepared states, signs the committed-stage states and answers COMMITTED.
func (m *Machine) HandleCommit(env *messages.Envelope, nowMs int64) (Output, error) {
	if r := m.repeated(env, messages.Kind_KIND_COMMIT); r != nil &&
		r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED && same(env, r.CommitDigest, r.CommitSignature) {
		return Output{Send: []*messages.Envelope{r.CommittedAck}}, nil
	}
	var c messages.Commit
	coord, digest, err := m.openDigest(env, messages.Kind_KIND_COMMIT, &c)
	if err != nil {
		return Output{}, err
	}
	r, id, err := m.instanceFor(coord, c.InstanceId, c.NetworkIndex)
	if err != nil {
		return Output{}, err
	}
	switch r.Phase {
	case messages.TerminalPhase_TERMINAL_PHASE_PREPARED:
	case messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:
		if bytes.Equal(r.CommitDigest, digest[:]) {
			return Output{Send: []*messages.Envelope{r.CommittedAck}}, nil
		}
		return Output{}, fmt.Errorf("%w: a different COMMIT was already accepted", ErrWrongPhase)
	default:
		return Output{}, fmt.Errorf("%w: COMMIT in %v", ErrWrongPhase, r.Phase)
	}
	states, err := ackSet(c.PreparedAcks, messages.Kind_KIND_PREPARED, r.Prepare.Network, id, c.NetworkIndex, r.PrepareDigest)
	if err != nil {
		return Output{}, err
	}
	if !carriesOwn(c.PreparedAcks, r.PreparedAck, m.self) {
		return Output{}, fmt.Errorf("%w: COMMIT carries an ack of ours we did not send", ErrForgedAck)
	}
	next := shallow(r)
	next.Legs = make([]*messages.ChannelLeg, len(r.Legs))
	for i, l := range r.Legs {
		next.Legs[i] = shallow(l)
	}
	next.Phase = messages.TerminalPhase_TERMINAL_PHASE_COMMITTED
	next.CommitDigest, next.CommitSignature = digest[:], env.Signature
	// PREPARED is answered: a PREPARE for this instance is now refused as
	// a replay, so its ack is never sent again.
	next.PreparedAck = nil
	ack := &messages.Committed{InstanceId: id[:], NetworkIndex: c.NetworkIndex, Terminal: m.self.Bytes(), CommitDigest: digest[:]}
	var chans []*messages.ChannelRecord
	for _, leg := range next.Legs {
		ch := m.channels[[32]byte(leg.ChannelId)]
		peer := peerOf(ch, m.self)
		sig, err := peerSignature(states[peer], peer, leg.Prepared)
		if err != nil {
			return Output{}, err
		}
		leg.PreparedSigPeer = sig
		leg.Committed = committedState(leg.Prepared)
		signed, err := messages.SignChannelState(m.signer, leg.Committed)
		if err != nil {
			return Output{}, err
		}
		leg.CommittedSigSelf = signed.Signature
		ack.ChannelStates = append(ack.ChannelStates, signed)
		nc := shallow(ch)
		nc.Phase = messages.ChannelPhase_CHANNEL_PHASE_COMMITTED
		nc.MaxSignedVersion = leg.Committed.Version
		chans = append(chans, nc)
	}
	ackEnv, err := messages.Seal(m.signer, messages.Kind_KIND_COMMITTED, ack)
	if err != nil {
		return Output{}, err
	}
	next.CommittedAck = ackEnv
	for _, nc := range chans {
		m.channels[[32]byte(nc.ChannelId)] = nc
	}
	m.instances[instanceKey{id, c.NetworkIndex}] = next
	return Output{Channels: chans, Instances: []*messages.TerminalInstance{next}, Send: []*messages.Envelope{ackEnv}}, nil
}

// carriesOwn reports whether acks holds exactly the ack self recorded.
// ackSet verified every ack's signature and that it names its signer, so
// self's is found by signer and compared byte for byte: self signed only
// its own deterministic encoding, so equal content means equal bytes.
func carriesOwn(acks []*messages.Envelope, own *messages.Envelope, self common.Address) bool {
	for _, e := range acks {
		if common.BytesToAddress(e.Signer) == self {
			return own != nil && bytes.Equal(e.Payload, own.Payload)
		}
	}
	return false
}

func peerOf(c *messages.ChannelRecord, self common.Address) common.Address {
	if a := common.BytesToAddress(c.PartyA); a != self {
		return a
	}
	return common.BytesToAddress(c.PartyB)
}

// HandleConfirm checks a CONFIRM, every COMMITTED ack in it and the
// coordinator's outcome signature, then applies the transfer: the
// reservation goes, the payee's balance grows, the channel is IDLE ([0125]).
// It signs each channel's settled state and offers it to the counterparty
// (settle.go).
func (m *Machine) HandleConfirm(env *messages.Envelope) (Output, error) {
	var c messages.Confirm
	coord, err := m.open(env, messages.Kind_KIND_CONFIRM, &c)
	if err != nil {
		return Output{}, err
	}
	r, id, err := m.instanceFor(coord, c.InstanceId, c.NetworkIndex)
	if err != nil {
		return Output{}, err
	}
	switch r.Phase {
	case messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:
	case messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED:
		return Output{}, fmt.Errorf("%w: %x confirmed", ErrDuplicate, id)
	case messages.TerminalPhase_TERMINAL_PHASE_REFUNDED:
		return Output{}, fmt.Errorf("%w: %x was refunded", ErrConflictingOutcome, id)
	default:
		return Output{}, fmt.Errorf("%w: CONFIRM in %v", ErrWrongPhase, r.Phase)
	}
	states, err := ackSet(c.CommittedAcks, messages.Kind_KIND_COMMITTED, r.Prepare.Network, id, c.NetworkIndex, r.CommitDigest)
	if err != nil {
		return Output{}, err
	}
	n := r.Prepare.Network
	if err := checkOutcome(n, id, true, c.OutcomeSignature, coord); err != nil {
		return Output{}, err
	}
	var chans []*messages.ChannelRecord
	for _, leg := range r.Legs {
		ch := m.channels[[32]byte(leg.ChannelId)]
		peer := peerOf(ch, m.self)
		sig, err := peerSignature(states[peer], peer, leg.Committed)
		if err != nil {
			return Output{}, err
		}
		nc := shallow(ch)
		nc.Latest = leg.Committed
		if common.BytesToAddress(nc.PartyA) == m.self {
			nc.LatestSigA, nc.LatestSigB = leg.CommittedSigSelf, sig
		} else {
			nc.LatestSigA, nc.LatestSigB = sig, leg.CommittedSigSelf
		}
		release(nc)
		chans = append(chans, nc)
	}
	offers, err := m.settle(chans, r.Legs, true)
	if err != nil {
		return Output{}, err
	}
	for _, nc := range chans {
		m.channels[[32]byte(nc.ChannelId)] = nc
	}
	next := ended(r, messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED, c.OutcomeSignature)
	m.instances[instanceKey{id, c.NetworkIndex}] = next
	return Output{Channels: chans, Instances: []*messages.TerminalInstance{next}, Peer: offers}, nil
}

// ended is the record an instance keeps once its outcome is applied: what
// refuses a replayed id and answers a late duplicate. The PREPARE, acks
// and per-leg states go: the channel records now hold the states the
// contract needs, and a terminal that has run a million swaps must not
// keep a million PREPAREs.
func ended(r *messages.TerminalInstance, phase messages.TerminalPhase, outcomeSig []byte) *messages.TerminalInstance {
	return &messages.TerminalInstance{InstanceId: r.InstanceId, NetworkIndex: r.NetworkIndex, Phase: phase,
		Coordinator: r.Coordinator, OutcomeSignature: outcomeSig, OrderId: r.OrderId, OrderExpiresMs: r.OrderExpiresMs}
}

func release(c *messages.ChannelRecord) {
	c.Phase = messages.ChannelPhase_CHANNEL_PHASE_IDLE
	c.ActiveInstance, c.ActiveNetwork = nil, 0
}

// checkOutcome verifies the coordinator's EIP-712 outcome signature.
func checkOutcome(n *messages.Network, id [32]byte, confirmed bool, sig []byte, coord common.Address) error {
	d := messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), id, confirmed)
	got, err := messages.RecoverAddress(d, sig)
	if err != nil || got != coord {
		return fmt.Errorf("%w: outcome signature", ErrBadSignature)
	}
	return nil
}

// HandleRefundAuthorized rolls every channel of the instance's network
// back to its state before the instance ([0128]), and signs and offers
// each channel's settled state, the lock returned to the payer (settle.go). For an instance this
// terminal never prepared, it records the id as ended so a late PREPARE
// for it is refused rather than reserving funds no outcome will release.
func (m *Machine) HandleRefundAuthorized(env *messages.Envelope) (Output, error) {
	var ra messages.RefundAuthorized
	coord, err := m.open(env, messages.Kind_KIND_REFUND_AUTHORIZED, &ra)
	if err != nil {
		return Output{}, err
	}
	id, err := messages.Hash32(ra.InstanceId)
	if err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	key := instanceKey{id, ra.NetworkIndex}
	r := m.instances[key]
	if r == nil {
		tomb := &messages.TerminalInstance{InstanceId: id[:], NetworkIndex: ra.NetworkIndex,
			Phase: messages.TerminalPhase_TERMINAL_PHASE_REFUNDED, Coordinator: coord.Bytes(), OutcomeSignature: ra.OutcomeSignature}
		m.putInstance(key, tomb)
		return Output{Instances: []*messages.TerminalInstance{tomb}}, nil
	}
	if common.BytesToAddress(r.Coordinator) != coord {
		return Output{}, fmt.Errorf("%w: instance %x belongs to %x", ErrUntrustedCoordinator, id, r.Coordinator)
	}
	switch r.Phase {
	case messages.TerminalPhase_TERMINAL_PHASE_PREPARED, messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:
	case messages.TerminalPhase_TERMINAL_PHASE_REFUNDED:
		return Output{}, fmt.Errorf("%w: %x refunded", ErrDuplicate, id)
	default:
		return Output{}, fmt.Errorf("%w: %x was confirmed", ErrConflictingOutcome, id)
	}
	if err := checkOutcome(r.Prepare.Network, id, false, ra.OutcomeSignature, coord); err != nil {
		return Output{}, err
	}
	next := ended(r, messages.TerminalPhase_TERMINAL_PHASE_REFUNDED, ra.OutcomeSignature)
	var chans []*messages.ChannelRecord
	for _, leg := range r.Legs {
		nc := shallow(m.channels[[32]byte(leg.ChannelId)])
		release(nc) // latest is untouched: the state before the instance
		chans = append(chans, nc)
	}
	offers, err := m.settle(chans, r.Legs, false)
	if err != nil {
		return Output{}, err
	}
	for _, nc := range chans {
		m.channels[[32]byte(nc.ChannelId)] = nc
	}
	m.instances[key] = next
	return Output{Channels: chans, Instances: []*messages.TerminalInstance{next}, Peer: offers}, nil
}

// RequestRefund signs a refund request for an instance this terminal is
// part of and that has not ended ([0099]). It changes nothing: the
// coordinator decides.
func (m *Machine) RequestRefund(id [32]byte, reason string) (Output, error) {
	reason = cleanReason(reason)
	nets := m.instanceIDs[id]
	var coord []byte
	for _, n := range nets {
		r := m.instances[instanceKey{id, n}]
		switch r.Phase {
		case messages.TerminalPhase_TERMINAL_PHASE_PREPARED, messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:
			coord = r.Coordinator
		}
	}
	if coord == nil {
		if len(nets) == 0 {
			return Output{}, fmt.Errorf("%w: %x", ErrUnknownInstance, id)
		}
		return Output{}, fmt.Errorf("%w: %x has ended", ErrWrongPhase, id)
	}
	env, err := messages.Seal(m.signer, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: id[:], Terminal: m.self.Bytes(), Reason: reason})
	if err != nil {
		return Output{}, err
	}
	return Output{Send: []*messages.Envelope{env}}, nil
}

// Decline answers an authentic PREPARE this terminal will not take part in
// (too little balance, a busy channel) with a signed refund request, so the
// coordinator can end the instance at once instead of at its deadline.
func (m *Machine) Decline(env *messages.Envelope, reason string) (Output, error) {
	reason = cleanReason(reason)
	var p messages.Prepare
	if _, err := m.open(env, messages.Kind_KIND_PREPARE, &p); err != nil {
		return Output{}, err
	}
	id, err := messages.Hash32(p.InstanceId)
	if err != nil {
		return Output{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if r := m.instances[instanceKey{id, p.NetworkIndex}]; r != nil && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {
		return Output{}, fmt.Errorf("%w: instance %x is %v", ErrWrongPhase, id, r.Phase)
	}
	out, err := messages.Seal(m.signer, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: id[:], Terminal: m.self.Bytes(), Reason: reason})
	if err != nil {
		return Output{}, err
	}
	return Output{Send: []*messages.Envelope{out}}, nil
}

// cleanReason makes a free-text reason valid UTF-8, which protobuf
// strings must be, so a caller's odd bytes cannot fail the signing.
func cleanReason(reason string) string { return strings.ToValidUTF8(reason, "\uFFFD") }
