package protocoltest_test

import (
	"math/big"
	"testing"

	gethcommon "github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// The tests in this file each change one thing in an otherwise valid
// message, so the check named in the test is the only one that can refuse
// it: with that check removed the terminal would accept the message, and
// the test fails (the mutation run in mutants_test.go proves it).

// ackIndex finds the ack signed by addr.
func ackIndex(t *testing.T, acks []*messages.Envelope, addr gethcommon.Address) int {
	t.Helper()
	for i, a := range acks {
		if common(a.Signer) == addr {
			return i
		}
	}
	t.Fatalf("no ack from %s", addr)
	return -1
}

// accepts asserts that step succeeds: the unmutated message is valid, so
// a rejection of the mutated one is the mutation's doing.
func accepts(t *testing.T, step func() (terminal.Output, error)) {
	t.Helper()
	if _, err := step(); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
}

// commitCase is a COMMIT for s1 on fig-1's chain 1 (s1 → i1 → r1): i1 is
// s1's only counterparty, r1 a terminal of the network that is not.
type commitCase struct {
	w  *protocoltest.World
	id [32]byte
	c  *messages.Commit
	s1 *terminal.Machine
}

func newCommitCase(t *testing.T, seed int64) commitCase {
	w := fig1(seed)
	id, c := commitFor(t, w, "s1")
	return commitCase{w, id, c, w.Terminal("s1")}
}

// try seals the mutated COMMIT with the coordinator's key and expects want;
// then checks the unmutated one is taken, on a clone.
func (cc commitCase) try(t *testing.T, want error, mutate func(c *messages.Commit)) {
	t.Helper()
	m := proto.Clone(cc.c).(*messages.Commit)
	mutate(m)
	env := reseal(t, cc.w.Coord, messages.Kind_KIND_COMMIT, m)
	rejects(t, cc.s1, want, func() (terminal.Output, error) { return cc.s1.HandleCommit(env, cc.w.Now) })
	good := reseal(t, cc.w.Coord, messages.Kind_KIND_COMMIT, cc.c)
	clone := cc.s1.Clone()
	accepts(t, func() (terminal.Output, error) { return clone.HandleCommit(good, cc.w.Now) })
}

// editPrepared re-signs the ack of name in acks after edit, with key.
func editPrepared(t *testing.T, w *protocoltest.World, acks []*messages.Envelope, name string, key messages.Signer, edit func(a *messages.Prepared)) {
	t.Helper()
	i := ackIndex(t, acks, w.Addr(name))
	a := decode(t, acks[i], &messages.Prepared{})
	edit(a)
	acks[i] = reseal(t, key, messages.Kind_KIND_PREPARED, a)
}

func TestTerminalCommitAckNamesAnotherTerminal(t *testing.T) {
	cc := newCommitCase(t, 30)
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		editPrepared(t, cc.w, c.PreparedAcks, "r1", cc.w.Keys["r1"], func(a *messages.Prepared) { a.Terminal = cc.w.Addr("i1").Bytes() })
	})
}

func TestTerminalCommitAckWithInvalidSignature(t *testing.T) {
	cc := newCommitCase(t, 31)
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		i := ackIndex(t, c.PreparedAcks, cc.w.Addr("r1"))
		c.PreparedAcks[i].Signature[10] ^= 1
	})
}

func TestTerminalCommitAckFromOutsider(t *testing.T) {
	cc := newCommitCase(t, 32)
	mallory := protocoltest.NewKey(32, "mallory")
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		a.Terminal, a.ChannelStates = mallory.Address().Bytes(), nil
		c.PreparedAcks = append(c.PreparedAcks, reseal(t, mallory, messages.Kind_KIND_PREPARED, a))
	})
}

// The ack missing is that of r1, who shares no channel with s1: only the
// every-terminal-acked check can notice it.
func TestTerminalCommitMissingAckOfNonPeer(t *testing.T) {
	cc := newCommitCase(t, 33)
	cc.try(t, terminal.ErrMissingAck, func(c *messages.Commit) {
		i := ackIndex(t, c.PreparedAcks, cc.w.Addr("r1"))
		c.PreparedAcks = append(c.PreparedAcks[:i:i], c.PreparedAcks[i+1:]...)
	})
}

func TestTerminalCommitAckForAnotherInstanceNetworkOrPrepare(t *testing.T) {
	cc := newCommitCase(t, 34)
	for name, edit := range map[string]func(a *messages.Prepared){
		"instance": func(a *messages.Prepared) { a.InstanceId = make([]byte, 32) },
		"network":  func(a *messages.Prepared) { a.NetworkIndex = 1 },
		"prepare":  func(a *messages.Prepared) { a.PrepareDigest = make([]byte, 32) },
	} {
		t.Run(name, func(t *testing.T) {
			cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
				editPrepared(t, cc.w, c.PreparedAcks, "r1", cc.w.Keys["r1"], edit)
			})
		})
	}
}

func TestTerminalCommitTwoAcksFromOneTerminal(t *testing.T) {
	cc := newCommitCase(t, 35)
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		c.PreparedAcks = append(c.PreparedAcks, c.PreparedAcks[ackIndex(t, c.PreparedAcks, cc.w.Addr("r1"))])
	})
}

// The COMMIT carries an ack in s1's name, validly signed by s1's key,
// that is not the ack s1 sent.
func TestTerminalCommitCarriesAnAckOfOursWeDidNotSend(t *testing.T) {
	cc := newCommitCase(t, 36)
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		editPrepared(t, cc.w, c.PreparedAcks, "s1", cc.w.Keys["s1"], func(a *messages.Prepared) { a.ChannelStates = nil })
	})
}

// editPeerState re-signs the counterparty's (i1's) state of s1's channel
// with signer, after edit, inside i1's re-signed ack.
func editPeerState(t *testing.T, cc commitCase, acks []*messages.Envelope, committed bool, signer messages.Signer, named gethcommon.Address, edit func(st *messages.ChannelState)) {
	t.Helper()
	ch := cc.w.Chains[0].Hops[0].Channel
	i := ackIndex(t, acks, cc.w.Addr("i1"))
	var states []*messages.SignedChannelState
	var a proto.Message
	if committed {
		x := decode(t, acks[i], &messages.Committed{})
		states, a = x.ChannelStates, x
	} else {
		x := decode(t, acks[i], &messages.Prepared{})
		states, a = x.ChannelStates, x
	}
	for j, s := range states {
		if [32]byte(s.State.ChannelId) != ch {
			continue
		}
		edit(s.State)
		signed, err := messages.SignChannelState(signer, s.State)
		if err != nil {
			t.Fatal(err)
		}
		signed.Signer = named.Bytes()
		states[j] = signed
	}
	kind := messages.Kind_KIND_PREPARED
	if committed {
		kind = messages.Kind_KIND_COMMITTED
	}
	acks[i] = reseal(t, cc.w.Keys["i1"], kind, a)
}

func TestTerminalCommitPeerStateChecks(t *testing.T) {
	cc := newCommitCase(t, 37)
	i1, mallory := cc.w.Keys["i1"], protocoltest.NewKey(37, "mallory")
	cc.try(t, terminal.ErrStateMismatch, func(c *messages.Commit) {
		editPeerState(t, cc, c.PreparedAcks, false, i1, i1.Address(), func(st *messages.ChannelState) {
			st.BalanceA = messages.AmountBytes(new(big.Int).Add(new(big.Int).SetBytes(st.BalanceA), big.NewInt(1)))
		})
	})
	// Signed, validly, by someone who is not the counterparty.
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		editPeerState(t, cc, c.PreparedAcks, false, mallory, mallory.Address(), func(*messages.ChannelState) {})
	})
	// Named as the counterparty's, signed by another key.
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Commit) {
		editPeerState(t, cc, c.PreparedAcks, false, mallory, i1.Address(), func(*messages.ChannelState) {})
	})
	cc.try(t, terminal.ErrAmountMismatch, func(c *messages.Commit) {
		editPeerState(t, cc, c.PreparedAcks, false, i1, i1.Address(), func(st *messages.ChannelState) {
			st.Lock.Amount = messages.AmountBytes(big.NewInt(99))
		})
	})
	cc.try(t, terminal.ErrMissingAck, func(c *messages.Commit) {
		editPrepared(t, cc.w, c.PreparedAcks, "i1", i1, func(a *messages.Prepared) { a.ChannelStates = a.ChannelStates[1:] })
	})
}

func TestTerminalCommitFromAnotherAdmittedCoordinator(t *testing.T) {
	cc := newCommitCase(t, 38)
	other := protocoltest.NewKey(38, "other-coordinator")
	if err := cc.s1.AdmitCoordinator(other.Address(), protocoltest.Report(other.Address())); err != nil {
		t.Fatal(err)
	}
	env := reseal(t, other, messages.Kind_KIND_COMMIT, cc.c)
	rejects(t, cc.s1, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) { return cc.s1.HandleCommit(env, cc.w.Now) })
}

func TestTerminalCommitPhases(t *testing.T) {
	cc := newCommitCase(t, 39)
	good := reseal(t, cc.w.Coord, messages.Kind_KIND_COMMIT, cc.c)
	accepts(t, func() (terminal.Output, error) { return cc.s1.HandleCommit(good, cc.w.Now) })
	// A different, validly signed COMMIT after one was taken.
	other := proto.Clone(cc.c).(*messages.Commit)
	other.PreparedAcks = append(other.PreparedAcks[1:], other.PreparedAcks[0])
	rejects(t, cc.s1, terminal.ErrWrongPhase, func() (terminal.Output, error) {
		return cc.s1.HandleCommit(reseal(t, cc.w.Coord, messages.Kind_KIND_COMMIT, other), cc.w.Now)
	})
	bad := reseal(t, cc.w.Coord, messages.Kind_KIND_COMMIT, &messages.Commit{InstanceId: []byte{1, 2}})
	rejects(t, cc.s1, terminal.ErrMalformed, func() (terminal.Output, error) { return cc.s1.HandleCommit(bad, cc.w.Now) })
}

// confirmCase is fig-1 run until the CONFIRMs are out, with s1's taken.
type confirmCase struct {
	w  *protocoltest.World
	id [32]byte
	c  *messages.Confirm
	s1 *terminal.Machine
}

func newConfirmCase(t *testing.T, seed int64) confirmCase {
	w := fig1(seed)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_COMMITTED })
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr("s1") && m.Env.Kind == messages.Kind_KIND_CONFIRM
	})
	if !ok {
		t.Fatal("no CONFIRM for s1")
	}
	return confirmCase{w, id, decode(t, m.Env, &messages.Confirm{}), w.Terminal("s1")}
}

func (cc confirmCase) try(t *testing.T, want error, mutate func(c *messages.Confirm)) {
	t.Helper()
	m := proto.Clone(cc.c).(*messages.Confirm)
	mutate(m)
	env := reseal(t, cc.w.Coord, messages.Kind_KIND_CONFIRM, m)
	rejects(t, cc.s1, want, func() (terminal.Output, error) { return cc.s1.HandleConfirm(env) })
	good := reseal(t, cc.w.Coord, messages.Kind_KIND_CONFIRM, cc.c)
	clone := cc.s1.Clone()
	accepts(t, func() (terminal.Output, error) { return clone.HandleConfirm(good) })
}

func editCommitted(t *testing.T, w *protocoltest.World, acks []*messages.Envelope, name string, key messages.Signer, edit func(a *messages.Committed)) {
	t.Helper()
	i := ackIndex(t, acks, w.Addr(name))
	a := decode(t, acks[i], &messages.Committed{})
	edit(a)
	acks[i] = reseal(t, key, messages.Kind_KIND_COMMITTED, a)
}

func TestTerminalConfirmAckChecks(t *testing.T) {
	cc := newConfirmCase(t, 40)
	w := cc.w
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Confirm) {
		editCommitted(t, w, c.CommittedAcks, "r1", w.Keys["r1"], func(a *messages.Committed) { a.Terminal = w.Addr("i1").Bytes() })
	})
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Confirm) {
		c.CommittedAcks[ackIndex(t, c.CommittedAcks, w.Addr("r1"))].Signature[10] ^= 1
	})
	cc.try(t, terminal.ErrMissingAck, func(c *messages.Confirm) {
		i := ackIndex(t, c.CommittedAcks, w.Addr("r1"))
		c.CommittedAcks = append(c.CommittedAcks[:i:i], c.CommittedAcks[i+1:]...)
	})
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Confirm) {
		editCommitted(t, w, c.CommittedAcks, "r1", w.Keys["r1"], func(a *messages.Committed) { a.CommitDigest = make([]byte, 32) })
	})
	pc := commitCase{w: w, s1: cc.s1}
	cc.try(t, terminal.ErrStateMismatch, func(c *messages.Confirm) {
		editPeerState(t, pc, c.CommittedAcks, true, w.Keys["i1"], w.Addr("i1"), func(st *messages.ChannelState) { st.Version++ })
	})
	cc.try(t, terminal.ErrForgedAck, func(c *messages.Confirm) {
		m := protocoltest.NewKey(40, "mallory")
		editPeerState(t, pc, c.CommittedAcks, true, m, w.Addr("i1"), func(*messages.ChannelState) {})
	})
}

func TestTerminalConfirmOutcomeSignature(t *testing.T) {
	cc := newConfirmCase(t, 41)
	n := cc.s1.Instance(cc.id, 0).Prepare.Network
	sign := func(k messages.Signer, confirmed bool) []byte {
		sig, err := k.Sign(messages.OutcomeDigest(n.ChainId, gethcommon.BytesToAddress(n.Contract), cc.id, confirmed))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	cc.try(t, terminal.ErrBadSignature, func(c *messages.Confirm) { c.OutcomeSignature = nil })
	cc.try(t, terminal.ErrBadSignature, func(c *messages.Confirm) { c.OutcomeSignature[7] ^= 1 })
	cc.try(t, terminal.ErrBadSignature, func(c *messages.Confirm) { c.OutcomeSignature = sign(cc.w.Coord, false) })
	cc.try(t, terminal.ErrBadSignature, func(c *messages.Confirm) { c.OutcomeSignature = sign(protocoltest.NewKey(41, "m"), true) })
}

func TestTerminalConfirmPhases(t *testing.T) {
	cc := newConfirmCase(t, 42)
	good := reseal(t, cc.w.Coord, messages.Kind_KIND_CONFIRM, cc.c)
	accepts(t, func() (terminal.Output, error) { return cc.s1.HandleConfirm(good) })
	rejects(t, cc.s1, terminal.ErrDuplicate, func() (terminal.Output, error) { return cc.s1.HandleConfirm(good) })
	bad := reseal(t, cc.w.Coord, messages.Kind_KIND_CONFIRM, &messages.Confirm{InstanceId: []byte{1}})
	rejects(t, cc.s1, terminal.ErrMalformed, func() (terminal.Output, error) { return cc.s1.HandleConfirm(bad) })
	other := protocoltest.NewKey(42, "other-coordinator")
	if err := cc.s1.AdmitCoordinator(other.Address(), protocoltest.Report(other.Address())); err != nil {
		t.Fatal(err)
	}
	rejects(t, cc.s1, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) {
		return cc.s1.HandleConfirm(reseal(t, other, messages.Kind_KIND_CONFIRM, cc.c))
	})
}

// refundCase is s1 holding a prepared instance, and a valid
// REFUND-AUTHORIZED for it.
type refundCase struct {
	w  *protocoltest.World
	id [32]byte
	ra *messages.RefundAuthorized
	s1 *terminal.Machine
}

func newRefundCase(t *testing.T, seed int64) refundCase {
	w := fig1(seed)
	id, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	accepts(t, func() (terminal.Output, error) { return s1.HandlePrepare(m.Env, w.Now) })
	ra := &messages.RefundAuthorized{InstanceId: id[:], NetworkIndex: 0, Reason: messages.RefundReason_REFUND_REASON_REQUESTED,
		OutcomeSignature: outcome(t, w.Coord, w.Chains[0], id, false)}
	return refundCase{w, id, ra, s1}
}

func outcome(t *testing.T, k messages.Signer, ch protocoltest.Chain, id [32]byte, confirmed bool) []byte {
	t.Helper()
	sig, err := k.Sign(messages.OutcomeDigest(ch.ID, ch.Contract, id, confirmed))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func (rc refundCase) try(t *testing.T, want error, signer messages.Signer, mutate func(ra *messages.RefundAuthorized)) {
	t.Helper()
	m := proto.Clone(rc.ra).(*messages.RefundAuthorized)
	mutate(m)
	rejects(t, rc.s1, want, func() (terminal.Output, error) {
		return rc.s1.HandleRefundAuthorized(reseal(t, signer, messages.Kind_KIND_REFUND_AUTHORIZED, m))
	})
	clone := rc.s1.Clone()
	accepts(t, func() (terminal.Output, error) {
		return clone.HandleRefundAuthorized(reseal(t, rc.w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, rc.ra))
	})
}

func TestTerminalRefundAuthorizedOutcomeSignature(t *testing.T) {
	rc := newRefundCase(t, 43)
	coord := rc.w.Coord
	rc.try(t, terminal.ErrBadSignature, coord, func(ra *messages.RefundAuthorized) { ra.OutcomeSignature = nil })
	rc.try(t, terminal.ErrBadSignature, coord, func(ra *messages.RefundAuthorized) { ra.OutcomeSignature[9] ^= 1 })
	rc.try(t, terminal.ErrBadSignature, coord, func(ra *messages.RefundAuthorized) {
		ra.OutcomeSignature = outcome(t, coord, rc.w.Chains[0], rc.id, true)
	})
	rc.try(t, terminal.ErrBadSignature, coord, func(ra *messages.RefundAuthorized) {
		ra.OutcomeSignature = outcome(t, protocoltest.NewKey(43, "m"), rc.w.Chains[0], rc.id, false)
	})
	rc.try(t, terminal.ErrMalformed, coord, func(ra *messages.RefundAuthorized) { ra.InstanceId = ra.InstanceId[1:] })
}

func TestTerminalRefundAuthorizedFromOtherCoordinators(t *testing.T) {
	rc := newRefundCase(t, 44)
	other := protocoltest.NewKey(44, "other-coordinator")
	if err := rc.s1.AdmitCoordinator(other.Address(), protocoltest.Report(other.Address())); err != nil {
		t.Fatal(err)
	}
	// Admitted, with its own valid outcome signature, but not the
	// coordinator of this instance.
	rc.try(t, terminal.ErrUntrustedCoordinator, other, func(ra *messages.RefundAuthorized) {
		ra.OutcomeSignature = outcome(t, other, rc.w.Chains[0], rc.id, false)
	})
	// Never admitted: it may not even leave a tombstone for an instance
	// the terminal has not seen (that would refuse its later PREPARE).
	mallory := protocoltest.NewKey(44, "mallory")
	unseen := [32]byte{9}
	rejects(t, rc.s1, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) {
		return rc.s1.HandleRefundAuthorized(reseal(t, mallory, messages.Kind_KIND_REFUND_AUTHORIZED, &messages.RefundAuthorized{
			InstanceId: unseen[:], OutcomeSignature: outcome(t, mallory, rc.w.Chains[0], unseen, false)}))
	})
}

func TestTerminalRefundAuthorizedTwice(t *testing.T) {
	rc := newRefundCase(t, 45)
	env := reseal(t, rc.w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, rc.ra)
	accepts(t, func() (terminal.Output, error) { return rc.s1.HandleRefundAuthorized(env) })
	rejects(t, rc.s1, terminal.ErrDuplicate, func() (terminal.Output, error) { return rc.s1.HandleRefundAuthorized(env) })
	// A COMMIT or CONFIRM after the refund is refused.
	rejects(t, rc.s1, terminal.ErrWrongPhase, func() (terminal.Output, error) {
		return rc.s1.HandleCommit(reseal(t, rc.w.Coord, messages.Kind_KIND_COMMIT, &messages.Commit{InstanceId: rc.id[:]}), rc.w.Now)
	})
	rejects(t, rc.s1, terminal.ErrConflictingOutcome, func() (terminal.Output, error) {
		return rc.s1.HandleConfirm(reseal(t, rc.w.Coord, messages.Kind_KIND_CONFIRM, &messages.Confirm{InstanceId: rc.id[:]}))
	})
}

// prepareCase is the PREPARE for s1 of a fig-1 swap, to mutate and re-sign.
type prepareCase struct {
	w  *protocoltest.World
	p  *messages.Prepare
	s1 *terminal.Machine
}

func newPrepareCase(t *testing.T, w *protocoltest.World, who string) prepareCase {
	_, m := takePrepare(t, w, who)
	return prepareCase{w, decode(t, m.Env, &messages.Prepare{}), w.Terminal(who)}
}

func (pc prepareCase) try(t *testing.T, want error, signer messages.Signer, mutate func(p *messages.Prepare)) {
	t.Helper()
	m := proto.Clone(pc.p).(*messages.Prepare)
	mutate(m)
	rejects(t, pc.s1, want, func() (terminal.Output, error) {
		return pc.s1.HandlePrepare(reseal(t, signer, messages.Kind_KIND_PREPARE, m), pc.w.Now)
	})
	clone := pc.s1.Clone()
	accepts(t, func() (terminal.Output, error) {
		return clone.HandlePrepare(reseal(t, pc.w.Coord, messages.Kind_KIND_PREPARE, pc.p), pc.w.Now)
	})
}

func TestTerminalPrepareFieldChecks(t *testing.T) {
	pc := newPrepareCase(t, fig1(46), "s1")
	coord := pc.w.Coord
	other := protocoltest.NewKey(46, "other-coordinator")
	if err := pc.s1.AdmitCoordinator(other.Address(), protocoltest.Report(other.Address())); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		want   error
		mutate func(p *messages.Prepare)
	}{
		{"names another coordinator", terminal.ErrUntrustedCoordinator, func(p *messages.Prepare) { p.Coordinator = other.Address().Bytes() }},
		{"network index is the count", terminal.ErrMalformed, func(p *messages.Prepare) { p.NetworkCount = p.NetworkIndex }},
		{"network count zero", terminal.ErrMalformed, func(p *messages.Prepare) { p.NetworkCount = 0 }},
		{"kind", terminal.ErrMalformed, func(p *messages.Prepare) { p.Kind = messages.InstanceKind_INSTANCE_KIND_UNSPECIFIED }},
		{"instance id", terminal.ErrMalformed, func(p *messages.Prepare) { p.InstanceId = p.InstanceId[:31] }},
		{"amount zero", terminal.ErrMalformed, func(p *messages.Prepare) { p.Network.Amount = nil }},
		{"chain", terminal.ErrUnknownChannel, func(p *messages.Prepare) { p.Network.ChainId = 2 }},
		{"contract", terminal.ErrUnknownChannel, func(p *messages.Prepare) { p.Network.Contract = other.Address().Bytes() }},
		{"asset", terminal.ErrUnknownChannel, func(p *messages.Prepare) { p.Network.Asset = other.Address().Bytes() }},
		{"payee is not the channel's other party", terminal.ErrUnknownChannel, func(p *messages.Prepare) {
			i1, r1 := p.Network.Hops[0].Payee, p.Network.Hops[1].Payee
			p.Network.Hops[0].Payee, p.Network.Hops[1].Payer, p.Network.Hops[1].Payee = r1, r1, i1
		}},
		{"one past the balance", terminal.ErrInsufficientBalance, func(p *messages.Prepare) {
			p.Network.Amount = messages.AmountBytes(big.NewInt(1001))
		}},
	} {
		t.Run(c.name, func(t *testing.T) { pc.try(t, c.want, coord, c.mutate) })
	}
	// The whole balance may move (with the payer's order for that amount).
	all := proto.Clone(pc.p).(*messages.Prepare)
	all.Network.Amount = messages.AmountBytes(big.NewInt(1000))
	all.Legs[all.NetworkIndex].Amount = all.Network.Amount
	order, _, _, err := messages.OpenOrder(all.Order)
	if err != nil {
		t.Fatal(err)
	}
	if all.Order, err = pc.s1.SignOrder(order.RequestId, order.Kind, all.Legs, order.ExpiresMs); err != nil {
		t.Fatal(err)
	}
	accepts(t, func() (terminal.Output, error) {
		return pc.s1.Clone().HandlePrepare(reseal(t, coord, messages.Kind_KIND_PREPARE, all), pc.w.Now)
	})
	// One millisecond before the deadline is still in time.
	accepts(t, func() (terminal.Output, error) {
		return pc.s1.Clone().HandlePrepare(reseal(t, coord, messages.Kind_KIND_PREPARE, pc.p), pc.p.DeadlineMs-1)
	})
}

// The payer of a hop may be either party of the channel: its balance is
// the one checked. i1 deposited 1000 on its channel to s1 (it is party B)
// and s1 only 50, so a payment i1 → s1 of 1000 fits and one s1 → i1 of
// 51 does not.
func TestTerminalChecksThePayersSideOfTheChannel(t *testing.T) {
	w := protocoltest.NewWorld(47, protocoltest.ChainSpec{ChainID: 1, Path: []string{"s1", "i1"}, Deposit: 50, DepositB: 1000})
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 51}); err != nil {
		t.Fatal(err)
	}
	pc := newPrepareCaseFrom(t, w, "s1")
	rejects(t, pc.s1, terminal.ErrInsufficientBalance, func() (terminal.Output, error) {
		return pc.s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, pc.p), w.Now)
	})
	// Delivered, the PREPARE is declined and the instance refunded.
	w.Queue = append(w.Queue, protocoltest.Message{From: w.Coord.Address(), To: w.Addr("s1"), Env: reseal(t, w.Coord, messages.Kind_KIND_PREPARE, pc.p)})
	w.DeliverAll()
	id, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 1000, Back: true})
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatalf("i1 → s1 of its whole deposit was not confirmed: %v", w.Rejected)
	}
	if got := w.Balance("s1", 0, 0); got.Int64() != 1050 {
		t.Fatalf("s1 holds %s, want 1050", got)
	}
	assertClean(t, w)
	// Now i1 holds nothing and s1 1050: i1 cannot pay 1 more.
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 1, Back: true}); err != nil {
		t.Fatal(err)
	}
	pi := newPrepareCaseFrom(t, w, "i1")
	rejects(t, pi.s1, terminal.ErrInsufficientBalance, func() (terminal.Output, error) {
		return pi.s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, pi.p), w.Now)
	})
}

// newPrepareCaseFrom takes who's queued PREPARE of the last instance.
func newPrepareCaseFrom(t *testing.T, w *protocoltest.World, who string) prepareCase {
	t.Helper()
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr(who) && m.Env.Kind == messages.Kind_KIND_PREPARE
	})
	if !ok {
		t.Fatal("no PREPARE for " + who)
	}
	return prepareCase{w, decode(t, m.Env, &messages.Prepare{}), w.Terminal(who)}
}

// A channel's version may never be signed twice: a PREPARE at the highest
// version signed, or below, is stale.
func TestTerminalRejectsStaleVersion(t *testing.T) {
	w := fig1(48)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("first swap did not confirm")
	}
	max := w.Terminal("s1").Channel(w.Chains[0].Hops[0].Channel).MaxSignedVersion
	if max != 3 {
		t.Fatalf("highest signed version %d, want 3 (the settled state after CONFIRM)", max)
	}
	if _, err := w.Start(100, 0, 1); err != nil {
		t.Fatal(err)
	}
	pc := newPrepareCaseFrom(t, w, "s1")
	for _, v := range []uint64{max, max - 1} {
		pc.try(t, terminal.ErrStaleVersion, w.Coord, func(p *messages.Prepare) { p.Network.Hops[0].Version = v })
	}
}

// lone is a terminal "s" with one channel to "r" whose contract names
// channelCoord as its coordinator, and which has admitted only admitted.
func lone(t *testing.T, channelCoord, admitted *protocoltest.Key) (*terminal.Machine, *messages.Prepare) {
	t.Helper()
	s, r := protocoltest.NewKey(49, "s"), protocoltest.NewKey(49, "r")
	m := terminal.New(terminal.Config{Signer: s, VerifyReport: protocoltest.ReportVerifier})
	if err := m.AdmitCoordinator(admitted.Address(), protocoltest.Report(admitted.Address())); err != nil {
		t.Fatal(err)
	}
	ch := [32]byte{7}
	contract := gethcommon.Address{5}
	if _, err := m.OpenChannel(terminal.Opened{ChainID: 1, Contract: contract, ChannelID: ch, A: s.Address(), B: r.Address(),
		Coordinator: channelCoord.Address(), DepositA: big.NewInt(100)}); err != nil {
		t.Fatal(err)
	}
	id := [32]byte{8}
	legs := []*messages.Leg{{ChainId: 1, Sender: s.Address().Bytes(), Receiver: r.Address().Bytes(),
		Asset: gethcommon.Address{}.Bytes(), Amount: messages.AmountBytes(big.NewInt(10))}}
	order, err := m.SignOrder("lone", messages.InstanceKind_INSTANCE_KIND_PAYMENT, legs, 60_000)
	if err != nil {
		t.Fatal(err)
	}
	return m, &messages.Prepare{InstanceId: id[:], NetworkCount: 1, Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		DeadlineMs: 10_000, Legs: legs, Order: order, Network: &messages.Network{ChainId: 1, Contract: contract.Bytes(), Asset: gethcommon.Address{}.Bytes(),
			Amount: messages.AmountBytes(big.NewInt(10)), Hops: []*messages.Hop{{ChannelId: ch[:], Payer: s.Address().Bytes(), Payee: r.Address().Bytes(), Version: 1}}}}
}

// A PREPARE from a coordinator the terminal never admitted is refused
// even when the channel names that coordinator, so the channel's own
// coordinator check cannot be what refuses it.
func TestTerminalRejectsPrepareFromUnadmittedCoordinator(t *testing.T) {
	admitted, mallory := protocoltest.NewKey(49, "coordinator"), protocoltest.NewKey(49, "mallory")
	m, p := lone(t, mallory, admitted)
	p.Coordinator = mallory.Address().Bytes()
	rejects(t, m, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) {
		return m.HandlePrepare(reseal(t, mallory, messages.Kind_KIND_PREPARE, p), 0)
	})
	// Once admitted, the same PREPARE is taken.
	if err := m.AdmitCoordinator(mallory.Address(), protocoltest.Report(mallory.Address())); err != nil {
		t.Fatal(err)
	}
	accepts(t, func() (terminal.Output, error) {
		return m.HandlePrepare(reseal(t, mallory, messages.Kind_KIND_PREPARE, p), 0)
	})
}

// A PREPARE from an admitted coordinator for a channel whose contract
// names another coordinator is refused.
func TestTerminalRejectsPrepareForAnotherCoordinatorsChannel(t *testing.T) {
	admitted, owner := protocoltest.NewKey(50, "coordinator"), protocoltest.NewKey(50, "owner")
	m, p := lone(t, owner, admitted)
	p.Coordinator = admitted.Address().Bytes()
	rejects(t, m, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) {
		return m.HandlePrepare(reseal(t, admitted, messages.Kind_KIND_PREPARE, p), 0)
	})
	m2, p2 := lone(t, admitted, admitted)
	p2.Coordinator = admitted.Address().Bytes()
	accepts(t, func() (terminal.Output, error) {
		return m2.HandlePrepare(reseal(t, admitted, messages.Kind_KIND_PREPARE, p2), 0)
	})
	// A closed channel takes no PREPARE.
	m3, p4 := lone(t, admitted, admitted)
	p4.Coordinator = admitted.Address().Bytes()
	if _, err := m3.ChannelClosed([32]byte{7}); err != nil {
		t.Fatal(err)
	}
	rejects(t, m3, terminal.ErrChannelClosed, func() (terminal.Output, error) {
		return m3.HandlePrepare(reseal(t, admitted, messages.Kind_KIND_PREPARE, p4), 0)
	})
}

func TestTerminalChannelEventRejections(t *testing.T) {
	admitted := protocoltest.NewKey(51, "coordinator")
	m, _ := lone(t, admitted, admitted)
	ch := [32]byte{7}
	s := m.Address()
	other := gethcommon.Address{1}
	for _, c := range []struct {
		name string
		want error
		ev   terminal.Opened
	}{
		{"not a party", terminal.ErrNotParticipant, terminal.Opened{ChannelID: [32]byte{1}, A: other, B: gethcommon.Address{2}, DepositA: big.NewInt(1)}},
		{"one party twice", terminal.ErrMalformed, terminal.Opened{ChannelID: [32]byte{1}, A: s, B: s, DepositA: big.NewInt(1)}},
		{"no deposit", terminal.ErrMalformed, terminal.Opened{ChannelID: [32]byte{1}, A: s, B: other}},
		{"negative deposit", terminal.ErrMalformed, terminal.Opened{ChannelID: [32]byte{1}, A: s, B: other, DepositA: big.NewInt(-1)}},
		{"deposit over uint256", terminal.ErrMalformed, terminal.Opened{ChannelID: [32]byte{1}, A: s, B: other, DepositA: new(big.Int).Lsh(big.NewInt(1), 256)}},
		{"already open", terminal.ErrDuplicate, terminal.Opened{ChannelID: ch, A: s, B: other, DepositA: big.NewInt(1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rejects(t, m, c.want, func() (terminal.Output, error) { return m.OpenChannel(c.ev) })
		})
	}
	// The largest uint256 deposit is taken.
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	accepts(t, func() (terminal.Output, error) {
		return m.Clone().OpenChannel(terminal.Opened{ChannelID: [32]byte{1}, A: s, B: other, DepositA: max})
	})
	rejects(t, m, terminal.ErrUnknownChannel, func() (terminal.Output, error) { return m.TopUp([32]byte{1}, big.NewInt(1), big.NewInt(1)) })
	rejects(t, m, terminal.ErrMalformed, func() (terminal.Output, error) { return m.TopUp(ch, big.NewInt(99), big.NewInt(0)) })
	rejects(t, m, terminal.ErrMalformed, func() (terminal.Output, error) { return m.TopUp(ch, big.NewInt(100), big.NewInt(-1)) })
	rejects(t, m, terminal.ErrMalformed, func() (terminal.Output, error) { return m.TopUp(ch, nil, big.NewInt(0)) })
	rejects(t, m, terminal.ErrMalformed, func() (terminal.Output, error) { return m.TopUp(ch, max.Lsh(max, 1), big.NewInt(0)) })
	rejects(t, m, terminal.ErrDuplicate, func() (terminal.Output, error) { return m.TopUp(ch, big.NewInt(100), big.NewInt(0)) })
	accepts(t, func() (terminal.Output, error) { return m.Clone().TopUp(ch, big.NewInt(100), big.NewInt(1)) })
	rejects(t, m, terminal.ErrUnknownChannel, func() (terminal.Output, error) { return m.ChannelClosed([32]byte{1}) })
	if _, _, err := m.Balances([32]byte{1}); err == nil {
		t.Fatal("balances of an unknown channel")
	}
	rejects(t, m, terminal.ErrUnknownChannel, func() (terminal.Output, error) {
		_, out, err := m.CooperativeClose([32]byte{1}, nil)
		return out, err
	})
	if _, err := m.ChannelClosed(ch); err != nil {
		t.Fatal(err)
	}
	rejects(t, m, terminal.ErrChannelClosed, func() (terminal.Output, error) { return m.TopUp(ch, big.NewInt(100), big.NewInt(1)) })
}

func TestTerminalRefundRequestAndDeclineRejections(t *testing.T) {
	rc := newRefundCase(t, 52)
	s1 := rc.s1
	rejects(t, s1, terminal.ErrUnknownInstance, func() (terminal.Output, error) { return s1.RequestRefund([32]byte{3}, "x") })
	accepts(t, func() (terminal.Output, error) { return s1.RequestRefund(rc.id, "x") })
	accepts(t, func() (terminal.Output, error) {
		return s1.HandleRefundAuthorized(reseal(t, rc.w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, rc.ra))
	})
	rejects(t, s1, terminal.ErrWrongPhase, func() (terminal.Output, error) { return s1.RequestRefund(rc.id, "x") })
	// Decline: a PREPARE of an instance already in flight here is not
	// declined; a forged one is refused.
	w := fig1(53)
	id, m := takePrepare(t, w, "s1")
	s := w.Terminal("s1")
	forged := proto.Clone(m.Env).(*messages.Envelope)
	forged.Signature[4] ^= 1
	rejects(t, s, terminal.ErrBadSignature, func() (terminal.Output, error) { return s.Decline(forged, "x") })
	bad := decode(t, m.Env, &messages.Prepare{})
	bad.InstanceId = bad.InstanceId[:3]
	rejects(t, s, terminal.ErrMalformed, func() (terminal.Output, error) {
		return s.Decline(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, bad), "x")
	})
	accepts(t, func() (terminal.Output, error) { return s.Clone().Decline(m.Env, "x") })
	accepts(t, func() (terminal.Output, error) { return s.HandlePrepare(m.Env, w.Now) })
	rejects(t, s, terminal.ErrWrongPhase, func() (terminal.Output, error) { return s.Decline(m.Env, "x") })
	_ = id
}

// While PREPARED, a second, different PREPARE for the same instance and
// network is a replay, not a resend: it is refused, not answered.
func TestTerminalRefusesSecondPrepareWhilePrepared(t *testing.T) {
	w := fig1(54)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	accepts(t, func() (terminal.Output, error) { return s1.HandlePrepare(m.Env, w.Now) })
	p := decode(t, m.Env, &messages.Prepare{})
	p.DeadlineMs++
	rejects(t, s1, terminal.ErrReplayedInstance, func() (terminal.Output, error) {
		return s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p), w.Now)
	})
	// The payer's amount is reserved, the payee's balance is not.
	ch := w.Chains[0].Hops[0].Channel
	if avail, reserved, _ := s1.Balances(ch); avail.Int64() != 900 || reserved.Int64() != 100 {
		t.Fatalf("payer s1: available %s reserved %s, want 900/100", avail, reserved)
	}
	i1 := w.Terminal("i1")
	_, mi := takePrepareOf(t, w, "i1")
	accepts(t, func() (terminal.Output, error) { return i1.HandlePrepare(mi.Env, w.Now) })
	if avail, reserved, _ := i1.Balances(ch); avail.Int64() != 1000 || reserved.Sign() != 0 {
		t.Fatalf("payee i1: available %s reserved %s, want 1000/0", avail, reserved)
	}
	rejects(t, s1, terminal.ErrChannelBusy, func() (terminal.Output, error) { return s1.TopUp(ch, big.NewInt(2000), big.NewInt(1000)) })
	rejects(t, s1, terminal.ErrChannelBusy, func() (terminal.Output, error) {
		_, out, err := s1.CooperativeClose(ch, nil)
		return out, err
	})
}

// takePrepareOf takes who's queued PREPARE without starting an instance.
func takePrepareOf(t *testing.T, w *protocoltest.World, who string) (struct{}, protocoltest.Message) {
	t.Helper()
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr(who) && m.Env.Kind == messages.Kind_KIND_PREPARE
	})
	if !ok {
		t.Fatal("no PREPARE for " + who)
	}
	return struct{}{}, m
}

// Each term of a proposed cooperative close is checked on its own.
func TestCooperativeCloseChecksEveryTerm(t *testing.T) {
	w := fig1(55)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("swap did not confirm")
	}
	ch := w.Chains[0].Hops[0].Channel
	s1, i1 := w.Terminal("s1"), w.Terminal("i1")
	terms, _, err := s1.Clone().CooperativeClose(ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(c *terminal.CloseTerms){
		"chain":     func(c *terminal.CloseTerms) { c.ChainID++ },
		"version":   func(c *terminal.CloseTerms) { c.Version++ },
		"balance A": func(c *terminal.CloseTerms) { c.BalanceA = big.NewInt(901) },
		"balance B": func(c *terminal.CloseTerms) { c.BalanceB = big.NewInt(1101) },
		"no A":      func(c *terminal.CloseTerms) { c.BalanceA = nil },
		"no B":      func(c *terminal.CloseTerms) { c.BalanceB = nil },
	} {
		t.Run(name, func(t *testing.T) {
			bad := terms
			edit(&bad)
			rejects(t, i1, terminal.ErrCloseMismatch, func() (terminal.Output, error) {
				_, out, err := i1.CooperativeClose(ch, &bad)
				return out, err
			})
		})
	}
	if _, _, err := i1.Clone().CooperativeClose(ch, &terms); err != nil {
		t.Fatalf("agreed terms refused: %v", err)
	}
	// A terminal without a report verifier admits no coordinator.
	bare := terminal.New(terminal.Config{Signer: protocoltest.NewKey(55, "bare")})
	if err := bare.AdmitCoordinator(w.Coord.Address(), protocoltest.Report(w.Coord.Address())); err == nil {
		t.Fatal("admitted a coordinator with no verifier")
	}
	if len(bare.Coordinators()) != 0 {
		t.Fatal("coordinator admitted")
	}
}
