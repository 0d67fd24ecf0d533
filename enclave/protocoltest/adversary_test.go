package protocoltest_test

import (
	"errors"
	"math/big"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// takePrepare starts a fig1 swap and takes the PREPARE bound for who.
func takePrepare(t *testing.T, w *protocoltest.World, who string) ([32]byte, protocoltest.Message) {
	t.Helper()
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr(who) && m.Env.Kind == messages.Kind_KIND_PREPARE
	})
	if !ok {
		t.Fatal("no PREPARE for " + who)
	}
	return id, m
}

func decode[T proto.Message](t *testing.T, env *messages.Envelope, msg T) T {
	t.Helper()
	if err := proto.Unmarshal(env.Payload, msg); err != nil {
		t.Fatal(err)
	}
	return msg
}

func reseal(t *testing.T, s messages.Signer, kind messages.Kind, msg proto.Message) *messages.Envelope {
	t.Helper()
	env, err := messages.Seal(s, kind, msg)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// rejects asserts that step fails with want and leaves the terminal as it
// was.
func rejects(t *testing.T, m *terminal.Machine, want error, step func() (terminal.Output, error)) {
	t.Helper()
	before := protocoltest.TerminalDigest(m)
	out, err := step()
	if !errors.Is(err, want) {
		t.Fatalf("got error %v, want %v", err, want)
	}
	if !out.Empty() {
		t.Fatalf("rejected step produced output %+v", out)
	}
	if protocoltest.TerminalDigest(m) != before {
		t.Fatal("rejected step changed the terminal")
	}
}

func TestTerminalRejectsUnattestedCoordinator(t *testing.T) {
	w := fig1(10)
	_, m := takePrepare(t, w, "s1")
	mallory := protocoltest.NewKey(10, "mallory")
	p := decode(t, m.Env, &messages.Prepare{})
	p.Coordinator = mallory.Address().Bytes()
	forged := reseal(t, mallory, messages.Kind_KIND_PREPARE, p)
	s1 := w.Terminal("s1")
	rejects(t, s1, terminal.ErrUntrustedCoordinator, func() (terminal.Output, error) { return s1.HandlePrepare(forged, w.Now) })
	if err := s1.AdmitCoordinator(mallory.Address(), []byte("not a report")); !errors.Is(err, terminal.ErrUntrustedCoordinator) {
		t.Fatalf("admitting with a bad report: %v", err)
	}
	// A report for another address does not admit mallory either.
	if err := s1.AdmitCoordinator(mallory.Address(), protocoltest.Report(w.Coord.Address())); !errors.Is(err, terminal.ErrUntrustedCoordinator) {
		t.Fatalf("admitting with another's report: %v", err)
	}
}

func TestTerminalRejectsBadSignature(t *testing.T) {
	w := fig1(11)
	_, m := takePrepare(t, w, "s1")
	tampered := proto.Clone(m.Env).(*messages.Envelope)
	p := decode(t, tampered, &messages.Prepare{})
	p.Network.Amount = messages.AmountBytes(big.NewInt(1))
	tampered.Payload, _ = proto.Marshal(p)
	s1 := w.Terminal("s1")
	rejects(t, s1, terminal.ErrBadSignature, func() (terminal.Output, error) { return s1.HandlePrepare(tampered, w.Now) })
	short := proto.Clone(m.Env).(*messages.Envelope)
	short.Signature = short.Signature[:10]
	rejects(t, s1, terminal.ErrBadSignature, func() (terminal.Output, error) { return s1.HandlePrepare(short, w.Now) })
	garbage := &messages.Envelope{Kind: messages.Kind_KIND_PREPARE, Payload: []byte{0xff, 0x01}}
	rejects(t, s1, terminal.ErrMalformed, func() (terminal.Output, error) { return s1.HandlePrepare(garbage, w.Now) })
}

func TestTerminalRejectsReplayedInstance(t *testing.T) {
	w := fig1(12)
	id, m := takePrepare(t, w, "s1")
	w.Queue = append(w.Queue, m)
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("swap did not confirm")
	}
	s1 := w.Terminal("s1")
	rejects(t, s1, terminal.ErrReplayedInstance, func() (terminal.Output, error) { return s1.HandlePrepare(m.Env, w.Now) })
	// The same id under a different (validly signed) PREPARE is refused too.
	p := decode(t, m.Env, &messages.Prepare{})
	p.DeadlineMs++
	again := reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p)
	rejects(t, s1, terminal.ErrReplayedInstance, func() (terminal.Output, error) { return s1.HandlePrepare(again, w.Now) })
	assertClean(t, w)
}

func TestTerminalRejectsUnknownChannelAndLowBalance(t *testing.T) {
	w := fig1(13)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	p := decode(t, m.Env, &messages.Prepare{})
	p.Network.Hops[0].ChannelId = make([]byte, 32)
	rejects(t, s1, terminal.ErrUnknownChannel, func() (terminal.Output, error) {
		return s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p), w.Now)
	})
	p = decode(t, m.Env, &messages.Prepare{})
	p.Network.Amount = messages.AmountBytes(big.NewInt(1001))
	rejects(t, s1, terminal.ErrInsufficientBalance, func() (terminal.Output, error) {
		return s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p), w.Now)
	})
	p = decode(t, m.Env, &messages.Prepare{})
	rejects(t, s1, terminal.ErrExpired, func() (terminal.Output, error) {
		return s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p), p.DeadlineMs)
	})
	p = decode(t, m.Env, &messages.Prepare{})
	p.Network.Hops[0].Version = 0
	rejects(t, s1, terminal.ErrMalformed, func() (terminal.Output, error) {
		return s1.HandlePrepare(reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p), w.Now)
	})
	// s1 is not on chain 2's path.
	other, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr("s2") && m.Env.Kind == messages.Kind_KIND_PREPARE
	})
	if !ok {
		t.Fatal("no PREPARE for s2")
	}
	rejects(t, s1, terminal.ErrNotParticipant, func() (terminal.Output, error) { return s1.HandlePrepare(other.Env, w.Now) })
}

func TestTerminalRejectsWrongPhase(t *testing.T) {
	w := fig1(14)
	id, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	commit := reseal(t, w.Coord, messages.Kind_KIND_COMMIT, &messages.Commit{InstanceId: id[:]})
	rejects(t, s1, terminal.ErrUnknownInstance, func() (terminal.Output, error) { return s1.HandleCommit(commit, w.Now) })
	if _, err := s1.HandlePrepare(m.Env, w.Now); err != nil {
		t.Fatal(err)
	}
	confirm := reseal(t, w.Coord, messages.Kind_KIND_CONFIRM, &messages.Confirm{InstanceId: id[:]})
	rejects(t, s1, terminal.ErrWrongPhase, func() (terminal.Output, error) { return s1.HandleConfirm(confirm) })
	// A busy channel refuses a second instance.
	id2, m2 := takePrepare(t, w, "s1")
	_ = id2
	rejects(t, s1, terminal.ErrChannelBusy, func() (terminal.Output, error) { return s1.HandlePrepare(m2.Env, w.Now) })
}

// commitFor runs fig1 until the COMMIT for who is queued and takes it.
func commitFor(t *testing.T, w *protocoltest.World, who string) ([32]byte, *messages.Commit) {
	t.Helper()
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_PREPARED })
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr(who) && m.Env.Kind == messages.Kind_KIND_COMMIT
	})
	if !ok {
		t.Fatal("no COMMIT for " + who)
	}
	return id, decode(t, m.Env, &messages.Commit{})
}

func TestTerminalRejectsBadAcks(t *testing.T) {
	w := fig1(15)
	id, c := commitFor(t, w, "i1")
	i1 := w.Terminal("i1")
	try := func(want error, mutate func(c *messages.Commit)) {
		t.Helper()
		cc := proto.Clone(c).(*messages.Commit)
		mutate(cc)
		env := reseal(t, w.Coord, messages.Kind_KIND_COMMIT, cc)
		rejects(t, i1, want, func() (terminal.Output, error) { return i1.HandleCommit(env, w.Now) })
	}
	try(terminal.ErrMissingAck, func(c *messages.Commit) { c.PreparedAcks = c.PreparedAcks[:2] })
	try(terminal.ErrForgedAck, func(c *messages.Commit) { c.PreparedAcks = append(c.PreparedAcks, c.PreparedAcks[0]) })
	// An ack re-signed by someone who is not its terminal.
	try(terminal.ErrForgedAck, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		c.PreparedAcks[0] = reseal(t, protocoltest.NewKey(15, "mallory"), messages.Kind_KIND_PREPARED, a)
	})
	// A valid ack from the other network of the same instance.
	try(terminal.ErrForgedAck, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		a.NetworkIndex = 1
		c.PreparedAcks[0] = reseal(t, w.Keys["s1"], messages.Kind_KIND_PREPARED, a)
	})
	// An ack for another instance.
	try(terminal.ErrForgedAck, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		a.InstanceId = make([]byte, 32)
		c.PreparedAcks[0] = reseal(t, w.Keys["s1"], messages.Kind_KIND_PREPARED, a)
	})
	// The peer signed a state with another amount: a mismatched amount.
	try(terminal.ErrAmountMismatch, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		st := a.ChannelStates[0].State
		st.Lock.Amount = messages.AmountBytes(big.NewInt(1))
		signed, err := messages.SignChannelState(w.Keys["s1"], st)
		if err != nil {
			t.Fatal(err)
		}
		a.ChannelStates[0] = signed
		c.PreparedAcks[0] = reseal(t, w.Keys["s1"], messages.Kind_KIND_PREPARED, a)
	})
	// The peer's channel-state signature is forged.
	try(terminal.ErrForgedAck, func(c *messages.Commit) {
		a := decode(t, c.PreparedAcks[0], &messages.Prepared{})
		signed, err := messages.SignChannelState(protocoltest.NewKey(15, "mallory"), a.ChannelStates[0].State)
		if err != nil {
			t.Fatal(err)
		}
		signed.Signer = a.ChannelStates[0].Signer
		a.ChannelStates[0] = signed
		c.PreparedAcks[0] = reseal(t, w.Keys["s1"], messages.Kind_KIND_PREPARED, a)
	})
	_ = id
}

func TestTerminalRejectsForgedOutcome(t *testing.T) {
	w := fig1(16)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_COMMITTED })
	m, ok := w.Take(func(m protocoltest.Message) bool {
		return m.To == w.Addr("r1") && m.Env.Kind == messages.Kind_KIND_CONFIRM
	})
	if !ok {
		t.Fatal("no CONFIRM for r1")
	}
	c := decode(t, m.Env, &messages.Confirm{})
	c.OutcomeSignature[5] ^= 1
	r1 := w.Terminal("r1")
	rejects(t, r1, terminal.ErrBadSignature, func() (terminal.Output, error) {
		return r1.HandleConfirm(reseal(t, w.Coord, messages.Kind_KIND_CONFIRM, c))
	})
	// A refund for the confirmed instance conflicts once CONFIRM is applied.
	w.Queue = append(w.Queue, m)
	w.DeliverAll()
	ra := reseal(t, w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, &messages.RefundAuthorized{InstanceId: id[:], NetworkIndex: 0})
	rejects(t, r1, terminal.ErrConflictingOutcome, func() (terminal.Output, error) { return r1.HandleRefundAuthorized(ra) })
	assertClean(t, w)
}

// TestLateRefundBeforePrepare: a REFUND-AUTHORIZED that overtakes its
// PREPARE makes the terminal refuse that PREPARE, so no reservation is
// left that no outcome would release.
func TestLateRefundBeforePrepare(t *testing.T) {
	w := fig1(17)
	id, m := takePrepare(t, w, "r2")
	if err := w.RequestRefund("s1", id); err == nil {
		t.Fatal("s1 asked for refund before it saw the instance")
	}
	w.DeliverUntil(func() bool { return w.Terminal("s1").Instance(id, 0) != nil })
	if err := w.RequestRefund("s1", id); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	r2 := w.Terminal("r2")
	rejects(t, r2, terminal.ErrReplayedInstance, func() (terminal.Output, error) { return r2.HandlePrepare(m.Env, w.Now) })
	assertClean(t, w)
}

// firstAck starts a fig-1 swap and runs it until the first PREPARED ack
// is next in the queue.
func firstAck(t *testing.T, seed int64) (*protocoltest.World, [32]byte, *coordinator.Instance, *messages.Envelope) {
	t.Helper()
	w := fig1(seed)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return len(w.Queue) > 0 && w.Queue[0].Env.Kind == messages.Kind_KIND_PREPARED })
	return w, id, w.Instances[id], w.Queue[0].Env
}

func TestCoordinatorRejections(t *testing.T) {
	w, id, in, ack := firstAck(t, 18)
	check := func(want error, env *messages.Envelope, step func(*messages.Envelope, int64) (coordinator.Output, error)) {
		t.Helper()
		before := protocoltest.InstanceDigest(in)
		if _, err := step(env, w.Now); !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
		if protocoltest.InstanceDigest(in) != before {
			t.Fatal("rejected ack changed the instance")
		}
	}
	bad := proto.Clone(ack).(*messages.Envelope)
	bad.Signature[3] ^= 1
	check(coordinator.ErrBadSignature, bad, in.HandlePrepared)
	a := decode(t, ack, &messages.Prepared{})
	outsider := protocoltest.NewKey(18, "outsider")
	a2 := proto.Clone(a).(*messages.Prepared)
	a2.Terminal = outsider.Address().Bytes()
	check(coordinator.ErrNotParticipant, reseal(t, outsider, messages.Kind_KIND_PREPARED, a2), in.HandlePrepared)
	a3 := proto.Clone(a).(*messages.Prepared)
	a3.PrepareDigest = make([]byte, 32)
	check(coordinator.ErrForeignAck, reseal(t, w.Keys[w.Names[common(a.Terminal)]], messages.Kind_KIND_PREPARED, a3), in.HandlePrepared)
	check(coordinator.ErrWrongPhase, ack, in.HandleCommitted)
	a4 := proto.Clone(a).(*messages.Prepared)
	a4.ChannelStates = nil
	check(coordinator.ErrBadChannelState, reseal(t, w.Keys[w.Names[common(a.Terminal)]], messages.Kind_KIND_PREPARED, a4), in.HandlePrepared)
	// An outsider's refund request is refused; a participant's wins.
	req := reseal(t, outsider, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: id[:], Terminal: outsider.Address().Bytes()})
	check(coordinator.ErrNotParticipant, req, in.HandleRefundRequest)
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("honest run after rejections did not confirm")
	}
	// COMMITTED: a refund request is denied and CONFIRM is sent again.
	out, err := in.HandleRefundRequest(reseal(t, w.Keys["r2"], messages.Kind_KIND_REFUND_REQUEST,
		&messages.RefundRequest{InstanceId: id[:], Terminal: w.Addr("r2").Bytes()}), w.Now)
	if err != nil || len(out.Send) != 2 || out.Send[0].Env.Kind != messages.Kind_KIND_REFUND_DENIED || out.Send[1].Env.Kind != messages.Kind_KIND_CONFIRM {
		t.Fatalf("refund in COMMITTED: %v %+v", err, out.Send)
	}
	assertClean(t, w)
}

// TestRefundAuthorizedNeverCommits: once refunded, COMMITTED acks cannot
// move the instance, so no CONFIRM is ever signed for it.
func TestRefundAuthorizedNeverCommits(t *testing.T) {
	w := fig1(19)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_PREPARED })
	// Terminals commit; their COMMITTED acks are held back.
	var held []protocoltest.Message
	for len(w.Queue) > 0 {
		m := w.Queue[0]
		w.Queue = w.Queue[1:]
		if m.Env.Kind == messages.Kind_KIND_COMMITTED {
			held = append(held, m)
			continue
		}
		w.Deliver(m)
	}
	w.Tick(w.Instances[id].Deadline())
	if w.Instances[id].Phase() != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
		t.Fatalf("phase %v after deadline", w.Instances[id].Phase())
	}
	for _, m := range held {
		if _, err := w.Instances[id].HandleCommitted(m.Env, w.Now); !errors.Is(err, coordinator.ErrWrongPhase) {
			t.Fatalf("late COMMITTED ack: %v", err)
		}
	}
	w.Settle()
	if w.ConfirmSigned[id] {
		t.Fatal("CONFIRM signed after REFUND-AUTHORIZED")
	}
	assertClean(t, w)
}

func TestInstanceIDsNeverRepeat(t *testing.T) {
	w := fig1(20)
	seen := map[[32]byte]bool{}
	for i := 0; i < 200; i++ {
		id, err := w.Start(1, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] {
			t.Fatalf("instance id %x reused at %d", id, i)
		}
		seen[id] = true
	}
	// A restarted allocator resumes from its persisted meta.
	again, err := coordinator.NewAllocator(w.Coord, proto.Clone(w.Alloc.Meta()).(*messages.CoordinatorMeta))
	if err != nil {
		t.Fatal(err)
	}
	leg, route := w.Leg(0, 1)
	req := &messages.SwapRequest{Legs: []*messages.Leg{leg}}
	w.SignOrders(req)
	in, _, err := again.Create(req, []*messages.Network{route}, w.Now)
	if err != nil || seen[in.ID()] {
		t.Fatalf("restarted allocator: %v, reused=%v", err, seen[in.ID()])
	}
}

func TestCoordinatorRejectsRoutesThatDoNotServeTheRequest(t *testing.T) {
	w := fig1(21)
	leg, route := w.Leg(0, 50)
	cases := map[string]func(l *messages.Leg, r *messages.Network){
		"wrong receiver": func(l *messages.Leg, r *messages.Network) { l.Receiver = w.Addr("i1").Bytes() },
		"wrong amount":   func(l *messages.Leg, r *messages.Network) { r.Amount = messages.AmountBytes(big.NewInt(51)) },
		"wrong chain":    func(l *messages.Leg, r *messages.Network) { r.ChainId = 9 },
		"broken path":    func(l *messages.Leg, r *messages.Network) { r.Hops = r.Hops[1:] },
	}
	for name, mutate := range cases {
		l, r := proto.Clone(leg).(*messages.Leg), proto.Clone(route).(*messages.Network)
		mutate(l, r)
		if _, _, err := w.Alloc.Create(&messages.SwapRequest{Legs: []*messages.Leg{l}}, []*messages.Network{r}, w.Now); !errors.Is(err, coordinator.ErrInvalidRoute) {
			t.Errorf("%s: got %v, want ErrInvalidRoute", name, err)
		}
	}
}

func TestCooperativeCloseSignsOnlyAgreedTerms(t *testing.T) {
	w := fig1(22)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	ch := w.Chains[0].Hops[0].Channel
	s1, i1 := w.Terminal("s1"), w.Terminal("i1")
	w.DeliverUntil(func() bool { return s1.Instance(id, 0) != nil })
	rejects(t, s1, terminal.ErrChannelBusy, func() (terminal.Output, error) {
		_, out, err := s1.CooperativeClose(ch, nil)
		return out, err
	})
	w.DeliverAll()
	terms, _, err := s1.CooperativeClose(ch, nil)
	if err != nil {
		t.Fatal(err)
	}
	if terms.BalanceA.Int64() != 900 || terms.BalanceB.Int64() != 1100 {
		t.Fatalf("final balances %s/%s, want 900/1100", terms.BalanceA, terms.BalanceB)
	}
	greedy := terms
	greedy.BalanceA = big.NewInt(1000)
	greedy.BalanceB = big.NewInt(1000)
	rejects(t, i1, terminal.ErrCloseMismatch, func() (terminal.Output, error) {
		_, out, err := i1.CooperativeClose(ch, &greedy)
		return out, err
	})
	peerTerms, _, err := i1.CooperativeClose(ch, &terms)
	if err != nil {
		t.Fatal(err)
	}
	d := messages.CooperativeCloseDigest(terms.ChainID, terms.Contract, ch, terms.Version, terms.BalanceA, terms.BalanceB)
	if got, err := messages.RecoverAddress(d, peerTerms.Signature); err != nil || got != w.Addr("i1") {
		t.Fatalf("i1's close signature recovers to %s (%v)", got, err)
	}
	if _, err := w.Start(1, 0); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if c := s1.Channel(ch); !c.Closed {
		t.Fatal("closed channel still open in s1's enclave")
	}
}

// TestCreateRejectsOverlongTimeout: a client's timeout beyond the limit is
// refused before any instance exists, instead of overflowing the deadline
// and holding reservations.
func TestCreateRejectsOverlongTimeout(t *testing.T) {
	w := fig1(20)
	leg, route := w.Leg(0, 100)
	before := proto.Clone(w.Alloc.Meta())
	req := &messages.SwapRequest{RequestId: "long", Legs: []*messages.Leg{leg}, TimeoutMs: 1 << 62}
	w.SignOrders(req)
	if _, _, err := w.Alloc.Create(req, []*messages.Network{route}, w.Now); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("got %v, want ErrMalformed", err)
	}
	if !proto.Equal(before, w.Alloc.Meta()) {
		t.Fatal("a refused request used an instance nonce")
	}
	req.TimeoutMs = coordinator.MaxTimeoutMs
	in, _, err := w.Alloc.Create(req, []*messages.Network{route}, w.Now)
	if err != nil {
		t.Fatal(err)
	}
	if in.Deadline() != w.Now+coordinator.MaxTimeoutMs {
		t.Fatalf("deadline %d", in.Deadline())
	}
}

// TestRefundReasonNeedNotBeUTF8: a reason with invalid bytes still gives
// a signed refund request.
func TestRefundReasonNeedNotBeUTF8(t *testing.T) {
	w := fig1(21)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Terminal("s1").Instance(id, 0) != nil })
	out, err := w.Terminal("s1").RequestRefund(id, "bad \xff bytes")
	if err != nil || len(out.Send) != 1 {
		t.Fatalf("refund request: %v %+v", err, out)
	}
	r := decode(t, out.Send[0], &messages.RefundRequest{})
	if r.Reason != "bad \uFFFD bytes" {
		t.Fatalf("reason %q", r.Reason)
	}
}

// A resent PREPARE identical to the accepted one is answered with the
// recorded ack; the same payload under any other signature bytes takes the
// full check and is refused, so the shortcut answers no forgery.
func TestTerminalAnswersResentPrepareOnlyIfIdentical(t *testing.T) {
	w := fig1(14)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	first, err := s1.HandlePrepare(m.Env, w.Now)
	if err != nil || len(first.Send) != 1 {
		t.Fatalf("first PREPARE: %v, %d sent", err, len(first.Send))
	}
	again, err := s1.HandlePrepare(proto.Clone(m.Env).(*messages.Envelope), w.Now)
	if err != nil || len(again.Send) != 1 || !proto.Equal(again.Send[0], first.Send[0]) || len(again.Instances)+len(again.Channels) != 0 {
		t.Fatalf("resent PREPARE: %v; want the recorded ack and no state change", err)
	}
	forged := proto.Clone(m.Env).(*messages.Envelope)
	forged.Signature[5] ^= 0xff
	rejects(t, s1, terminal.ErrBadSignature, func() (terminal.Output, error) { return s1.HandlePrepare(forged, w.Now) })
	unsigned := proto.Clone(m.Env).(*messages.Envelope)
	unsigned.Signature = nil
	rejects(t, s1, terminal.ErrBadSignature, func() (terminal.Output, error) { return s1.HandlePrepare(unsigned, w.Now) })
}

// A resent ack identical to an accepted one changes nothing and costs no
// signature check; the same payload under other signature bytes is checked
// and refused.
func TestCoordinatorTakesResentAckOnlyIfIdentical(t *testing.T) {
	w, _, in, ack := firstAck(t, 19)
	if _, err := in.HandlePrepared(ack, w.Now); err != nil {
		t.Fatal(err)
	}
	before := protocoltest.InstanceDigest(in)
	if out, err := in.HandlePrepared(proto.Clone(ack).(*messages.Envelope), w.Now); err != nil || len(out.Send) != 0 || out.Instance != nil {
		t.Fatalf("resent ack: %v %+v", err, out)
	}
	forged := proto.Clone(ack).(*messages.Envelope)
	forged.Signature[7] ^= 1
	if _, err := in.HandlePrepared(forged, w.Now); !errors.Is(err, coordinator.ErrBadSignature) && !errors.Is(err, coordinator.ErrConflictingAck) {
		t.Fatalf("resent ack under other signature bytes: %v", err)
	}
	var empty *messages.Envelope
	if _, err := in.HandlePrepared(empty, w.Now); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("nil ack: %v", err)
	}
	if protocoltest.InstanceDigest(in) != before {
		t.Fatal("resent or forged acks changed the instance")
	}
}
