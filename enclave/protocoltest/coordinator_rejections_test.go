package protocoltest_test

import (
	"errors"
	"math/big"
	"testing"

	gethcommon "github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

// acksOf delivers every queued message of kind to its terminal and takes
// the acks they answer with off the queue, by terminal name.
func acksOf(t *testing.T, w *protocoltest.World, kind, ackKind messages.Kind) map[string]*messages.Envelope {
	t.Helper()
	for {
		m, ok := w.Take(func(m protocoltest.Message) bool { return m.Env.Kind == kind })
		if !ok {
			break
		}
		w.Deliver(m)
	}
	acks := map[string]*messages.Envelope{}
	for {
		m, ok := w.Take(func(m protocoltest.Message) bool { return m.Env.Kind == ackKind })
		if !ok {
			break
		}
		acks[w.Names[m.From]] = m.Env
	}
	if len(acks) != 6 {
		t.Fatalf("%d acks, want 6", len(acks))
	}
	return acks
}

// ackCase is a fig-1 instance in NONE with every PREPARED ack in hand.
type ackCase struct {
	w    *protocoltest.World
	id   [32]byte
	in   *coordinator.Instance
	acks map[string]*messages.Envelope
}

func newAckCase(t *testing.T, seed int64) ackCase {
	w := fig1(seed)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	return ackCase{w, id, w.Instances[id], acksOf(t, w, messages.Kind_KIND_PREPARE, messages.Kind_KIND_PREPARED)}
}

// refuses asserts the step fails with want and leaves the instance as it
// was.
func refuses(t *testing.T, in *coordinator.Instance, want error, step func(in *coordinator.Instance) (coordinator.Output, error)) {
	t.Helper()
	before := protocoltest.InstanceDigest(in)
	out, err := step(in)
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
	if out.Instance != nil || len(out.Send) != 0 {
		t.Fatalf("refused step produced output %+v", out)
	}
	if protocoltest.InstanceDigest(in) != before {
		t.Fatal("refused step changed the instance")
	}
}

// try re-signs who's ack after edit (with key, or who's own when nil),
// expects want, and checks the unedited ack is taken, on a clone.
func (ac ackCase) try(t *testing.T, want error, who string, key messages.Signer, edit func(a *messages.Prepared)) {
	t.Helper()
	if key == nil {
		key = ac.w.Keys[who]
	}
	a := decode(t, ac.acks[who], &messages.Prepared{})
	edit(a)
	env := reseal(t, key, messages.Kind_KIND_PREPARED, a)
	refuses(t, ac.in, want, func(in *coordinator.Instance) (coordinator.Output, error) { return in.HandlePrepared(env, ac.w.Now) })
	if _, err := ac.in.Clone().HandlePrepared(ac.acks[who], ac.w.Now); err != nil {
		t.Fatalf("valid ack refused: %v", err)
	}
}

// resignState re-signs i1's state of channel index j with signer (named
// as named) after edit.
func resignState(t *testing.T, s *messages.SignedChannelState, signer messages.Signer, named gethcommon.Address, edit func(st *messages.ChannelState)) *messages.SignedChannelState {
	t.Helper()
	st := proto.Clone(s.State).(*messages.ChannelState)
	edit(st)
	out, err := messages.SignChannelState(signer, st)
	if err != nil {
		t.Fatal(err)
	}
	out.Signer = named.Bytes()
	return out
}

func TestCoordinatorAckHeaderChecks(t *testing.T) {
	ac := newAckCase(t, 60)
	ac.try(t, coordinator.ErrForeignAck, "i1", nil, func(a *messages.Prepared) { a.Terminal = ac.w.Addr("s1").Bytes() })
	ac.try(t, coordinator.ErrForeignAck, "i1", nil, func(a *messages.Prepared) { a.InstanceId = make([]byte, 32) })
	ac.try(t, coordinator.ErrForeignAck, "i1", nil, func(a *messages.Prepared) { a.NetworkIndex = 2 })
	ac.try(t, coordinator.ErrForeignAck, "i1", nil, func(a *messages.Prepared) { a.PrepareDigest = make([]byte, 32) })
	// i1 answering network 1's PREPARE, which it is not part of.
	n1 := decode(t, ac.acks["i2"], &messages.Prepared{})
	ac.try(t, coordinator.ErrNotParticipant, "i1", nil, func(a *messages.Prepared) { a.NetworkIndex, a.PrepareDigest = 1, n1.PrepareDigest })
	bad := proto.Clone(ac.acks["i1"]).(*messages.Envelope)
	bad.Signature[3] ^= 1
	refuses(t, ac.in, coordinator.ErrBadSignature, func(in *coordinator.Instance) (coordinator.Output, error) { return in.HandlePrepared(bad, ac.w.Now) })
	garbage := protocoltest.SealPayload(ac.w.Keys["i1"], messages.Kind_KIND_PREPARED, []byte{0xff})
	refuses(t, ac.in, coordinator.ErrMalformed, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandlePrepared(garbage, ac.w.Now)
	})
}

// Each field of an ack's channel state checked by the coordinator, changed
// alone and validly re-signed by the terminal.
func TestCoordinatorAckChannelStateChecks(t *testing.T) {
	ac := newAckCase(t, 61)
	i1, mallory := ac.w.Keys["i1"], protocoltest.NewKey(61, "mallory")
	other := gethcommon.Address{3}
	for _, c := range []struct {
		name string
		edit func(a *messages.Prepared)
	}{
		{"no state for a channel", func(a *messages.Prepared) { a.ChannelStates = a.ChannelStates[1:] }},
		{"extra state", func(a *messages.Prepared) { a.ChannelStates = append(a.ChannelStates, a.ChannelStates[0]) }},
		{"chain", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.ChainId = 9 })
		}},
		{"contract", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Contract = other.Bytes() })
		}},
		{"version", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Version++ })
		}},
		{"no lock", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Lock = nil })
		}},
		{"lock id", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Lock.LockId = make([]byte, 32) })
		}},
		{"lock amount", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Lock.Amount = []byte{99} })
		}},
		{"lock stage", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) {
				st.Lock.Stage = messages.LockStage_LOCK_STAGE_COMMITTED
			})
		}},
		{"lock cross-chain", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], i1, i1.Address(), func(st *messages.ChannelState) { st.Lock.CrossChain = false })
		}},
		{"signed by another key", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], mallory, i1.Address(), func(*messages.ChannelState) {})
		}},
		{"signer is another", func(a *messages.Prepared) {
			a.ChannelStates[0] = resignState(t, a.ChannelStates[0], mallory, mallory.Address(), func(*messages.ChannelState) {})
		}},
	} {
		t.Run(c.name, func(t *testing.T) { ac.try(t, coordinator.ErrBadChannelState, "i1", nil, c.edit) })
	}
}

// A second ack from one terminal, validly signed and passing every check
// on its own, that differs from the first, is refused: it never replaces
// the first.
func TestCoordinatorConflictingAck(t *testing.T) {
	ac := newAckCase(t, 62)
	if _, err := ac.in.HandlePrepared(ac.acks["i1"], ac.w.Now); err != nil {
		t.Fatal(err)
	}
	a := decode(t, ac.acks["i1"], &messages.Prepared{})
	a.ChannelStates[0] = resignState(t, a.ChannelStates[0], ac.w.Keys["i1"], ac.w.Addr("i1"), func(st *messages.ChannelState) {
		st.BalanceB = messages.AmountBytes(new(big.Int).Add(new(big.Int).SetBytes(st.BalanceB), big.NewInt(1)))
	})
	second := reseal(t, ac.w.Keys["i1"], messages.Kind_KIND_PREPARED, a)
	// Alone, on a fresh instance, the second ack would be taken.
	fresh := newAckCase(t, 62)
	if _, err := fresh.in.HandlePrepared(second, fresh.w.Now); err != nil {
		t.Fatalf("second ack alone: %v", err)
	}
	refuses(t, ac.in, coordinator.ErrConflictingAck, func(in *coordinator.Instance) (coordinator.Output, error) { return in.HandlePrepared(second, ac.w.Now) })
}

// An ack arriving exactly at the deadline is too late: the instance is
// refunded; one a millisecond earlier is taken.
func TestCoordinatorAckAtTheDeadline(t *testing.T) {
	ac := newAckCase(t, 63)
	d := ac.in.Deadline()
	early := ac.in.Clone()
	if out, err := early.HandlePrepared(ac.acks["s1"], d-1); err != nil || early.Phase() != messages.InstancePhase_INSTANCE_PHASE_NONE || out.Instance == nil {
		t.Fatalf("ack before the deadline: %v, phase %v", err, early.Phase())
	}
	out, err := ac.in.HandlePrepared(ac.acks["s1"], d)
	if err != nil {
		t.Fatal(err)
	}
	if ac.in.Phase() != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED || ac.in.Record().RefundReason != messages.RefundReason_REFUND_REASON_DEADLINE {
		t.Fatalf("ack at the deadline: phase %v reason %v", ac.in.Phase(), ac.in.Record().RefundReason)
	}
	if len(out.Send) != 6 || out.Send[0].Env.Kind != messages.Kind_KIND_REFUND_AUTHORIZED {
		t.Fatalf("sent %d, first %v", len(out.Send), out.Send[0].Env.Kind)
	}
	if acks := ac.in.Record().Networks[0].PreparedAcks; acks[0].Kind != messages.Kind_KIND_UNSPECIFIED {
		t.Fatal("the late ack was recorded")
	}
	// Tick at the deadline refunds too.
	other := newAckCase(t, 63)
	if _, err := other.in.Tick(d - 1); err != nil || other.in.Phase() != messages.InstancePhase_INSTANCE_PHASE_NONE {
		t.Fatalf("tick before the deadline: %v %v", err, other.in.Phase())
	}
	if _, err := other.in.Tick(d); err != nil || other.in.Phase() != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
		t.Fatalf("tick at the deadline: %v %v", err, other.in.Phase())
	}
}

// The two parties of a channel sign different states (s1's ack shifts a
// unit of balance): every ack passes on its own, and once all are in the
// coordinator refunds for STATE_MISMATCH instead of committing.
func TestCoordinatorRefundsOnStateMismatch(t *testing.T) {
	ac := newAckCase(t, 64)
	a := decode(t, ac.acks["s1"], &messages.Prepared{})
	a.ChannelStates[0] = resignState(t, a.ChannelStates[0], ac.w.Keys["s1"], ac.w.Addr("s1"), func(st *messages.ChannelState) {
		st.BalanceA = messages.AmountBytes(new(big.Int).Sub(new(big.Int).SetBytes(st.BalanceA), big.NewInt(1)))
		st.BalanceB = messages.AmountBytes(new(big.Int).Add(new(big.Int).SetBytes(st.BalanceB), big.NewInt(1)))
	})
	ac.acks["s1"] = reseal(t, ac.w.Keys["s1"], messages.Kind_KIND_PREPARED, a)
	var out coordinator.Output
	for _, name := range protocoltest.FuzzTerminalNames {
		var err error
		if out, err = ac.in.HandlePrepared(ac.acks[name], ac.w.Now); err != nil {
			t.Fatalf("%s's ack: %v", name, err)
		}
	}
	if ac.in.Phase() != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED || ac.in.Record().RefundReason != messages.RefundReason_REFUND_REASON_STATE_MISMATCH {
		t.Fatalf("phase %v reason %v, want a STATE_MISMATCH refund", ac.in.Phase(), ac.in.Record().RefundReason)
	}
	for _, s := range out.Send {
		if s.Env.Kind != messages.Kind_KIND_REFUND_AUTHORIZED {
			t.Fatalf("sent %v", s.Env.Kind)
		}
	}
}

// A coordinator restored from its record in PREPARED still knows the
// COMMIT digest its acks must name, and confirms; one restored in NONE
// with some acks in still commits.
func TestCoordinatorRestoredMidInstanceFinishes(t *testing.T) {
	for _, phase := range []string{"none", "prepared"} {
		t.Run(phase, func(t *testing.T) {
			w := fig1(65)
			id, err := w.Start(100, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			want := messages.InstancePhase_INSTANCE_PHASE_NONE
			if phase == "prepared" {
				want = messages.InstancePhase_INSTANCE_PHASE_PREPARED
			}
			w.DeliverUntil(func() bool {
				in := w.Instances[id]
				return in.Phase() == want && (want != messages.InstancePhase_INSTANCE_PHASE_NONE || in.Record().Networks[0].PreparedAcks[0].Kind != 0)
			})
			restored, err := coordinator.Restore(w.Coord, proto.Clone(w.Instances[id].Record()).(*messages.CoordinatorInstance))
			if err != nil {
				t.Fatal(err)
			}
			w.Instances[id] = restored
			w.DeliverAll()
			if !w.ConfirmSigned[id] || w.RefundSigned[id] {
				t.Fatalf("restored in %s: confirmed %v refunded %v; rejected %v", phase, w.ConfirmSigned[id], w.RefundSigned[id], w.Rejected)
			}
			assertClean(t, w)
		})
	}
	if _, err := coordinator.Restore(protocoltest.NewKey(1, "c"), &messages.CoordinatorInstance{InstanceId: []byte{1}}); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("restore with a short id: %v", err)
	}
	if _, err := coordinator.Restore(protocoltest.NewKey(1, "c"), &messages.CoordinatorInstance{InstanceId: make([]byte, 32),
		Networks: []*messages.NetworkProgress{{}}}); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("restore without a network: %v", err)
	}
}

func TestCoordinatorRefundRequestChecks(t *testing.T) {
	ac := newAckCase(t, 66)
	s1 := ac.w.Keys["s1"]
	req := &messages.RefundRequest{InstanceId: ac.id[:], Terminal: s1.Address().Bytes()}
	for _, c := range []struct {
		name string
		want error
		env  *messages.Envelope
	}{
		{"names another terminal", coordinator.ErrForeignAck, reseal(t, s1, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: ac.id[:], Terminal: ac.w.Addr("i1").Bytes()})},
		{"another instance", coordinator.ErrForeignAck, reseal(t, s1, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: make([]byte, 32), Terminal: s1.Address().Bytes()})},
		{"bad signature", coordinator.ErrBadSignature, func() *messages.Envelope {
			e := reseal(t, s1, messages.Kind_KIND_REFUND_REQUEST, req)
			e.Signature[2] ^= 1
			return e
		}()},
		{"signed by another key", coordinator.ErrBadSignature, func() *messages.Envelope {
			e := reseal(t, ac.w.Keys["i1"], messages.Kind_KIND_REFUND_REQUEST, req)
			e.Signer = s1.Address().Bytes()
			return e
		}()},
		{"garbage", coordinator.ErrMalformed, protocoltest.SealPayload(s1, messages.Kind_KIND_REFUND_REQUEST, []byte{0xff})},
		{"wrong kind", coordinator.ErrMalformed, reseal(t, s1, messages.Kind_KIND_PREPARED, req)},
	} {
		t.Run(c.name, func(t *testing.T) {
			refuses(t, ac.in, c.want, func(in *coordinator.Instance) (coordinator.Output, error) {
				return in.HandleRefundRequest(c.env, ac.w.Now)
			})
		})
	}
	if _, err := ac.in.Clone().HandleRefundRequest(reseal(t, s1, messages.Kind_KIND_REFUND_REQUEST, req), ac.w.Now); err != nil {
		t.Fatalf("valid refund request: %v", err)
	}
}

func TestCoordinatorCommittedAckChecks(t *testing.T) {
	ac := newAckCase(t, 67)
	for _, name := range protocoltest.FuzzTerminalNames {
		if _, err := ac.in.HandlePrepared(ac.acks[name], ac.w.Now); err != nil {
			t.Fatal(err)
		}
	}
	// The COMMITs went out through the instance, not the world: queue them.
	for _, np := range ac.in.Record().Networks {
		for _, addr := range np.Network.Terminals() {
			ac.w.Queue = append(ac.w.Queue, protocoltest.Message{From: ac.w.Coord.Address(), To: addr, Env: np.Commit})
		}
	}
	committed := acksOf(t, ac.w, messages.Kind_KIND_COMMIT, messages.Kind_KIND_COMMITTED)
	refuses(t, ac.in, coordinator.ErrWrongPhase, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandlePrepared(ac.acks["s1"], ac.w.Now)
	})
	i1 := ac.w.Keys["i1"]
	try := func(want error, edit func(a *messages.Committed)) {
		t.Helper()
		a := decode(t, committed["i1"], &messages.Committed{})
		edit(a)
		env := reseal(t, i1, messages.Kind_KIND_COMMITTED, a)
		refuses(t, ac.in, want, func(in *coordinator.Instance) (coordinator.Output, error) { return in.HandleCommitted(env, ac.w.Now) })
	}
	try(coordinator.ErrForeignAck, func(a *messages.Committed) { a.CommitDigest = make([]byte, 32) })
	try(coordinator.ErrBadChannelState, func(a *messages.Committed) {
		a.ChannelStates[1] = resignState(t, a.ChannelStates[1], i1, i1.Address(), func(st *messages.ChannelState) { st.Version-- })
	})
	try(coordinator.ErrBadChannelState, func(a *messages.Committed) {
		a.ChannelStates[1] = resignState(t, a.ChannelStates[1], i1, i1.Address(), func(st *messages.ChannelState) {
			st.Lock.Stage = messages.LockStage_LOCK_STAGE_PREPARED
		})
	})
	for _, name := range protocoltest.FuzzTerminalNames {
		if _, err := ac.in.HandleCommitted(committed[name], ac.w.Now); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if ac.in.Phase() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("phase %v", ac.in.Phase())
	}
}

func TestCreateRejections(t *testing.T) {
	w := fig1(68)
	leg, route := w.Leg(0, 50)
	leg2, route2 := w.Leg(1, 50)
	other := gethcommon.Address{4}
	for _, c := range []struct {
		name   string
		want   error
		req    func(r *messages.SwapRequest)
		routes func(rs []*messages.Network) []*messages.Network
	}{
		{"no legs", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Legs = nil }, nil},
		{"fewer routes than legs", coordinator.ErrInvalidRoute, nil, func(rs []*messages.Network) []*messages.Network { return rs[:1] }},
		{"payment with two legs", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Kind = messages.InstanceKind_INSTANCE_KIND_PAYMENT }, nil},
		{"unknown kind", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Kind = 99 }, nil},
		{"a leg without route", coordinator.ErrInvalidRoute, nil, func(rs []*messages.Network) []*messages.Network { rs[1] = nil; return rs }},
		{"a route without hops", coordinator.ErrInvalidRoute, nil, func(rs []*messages.Network) []*messages.Network { rs[1].Hops = nil; return rs }},
		{"bad sender", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Legs[1].Sender = []byte{1} }, nil},
		{"bad receiver", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Legs[1].Receiver = nil }, nil},
		{"bad amount", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Legs[1].Amount = []byte{0, 1} }, nil},
		{"zero amount", coordinator.ErrMalformed, func(r *messages.SwapRequest) { r.Legs[1].Amount = nil }, nil},
		{"asset", coordinator.ErrInvalidRoute, func(r *messages.SwapRequest) { r.Legs[1].Asset = other.Bytes() }, nil},
		{"sender", coordinator.ErrInvalidRoute, func(r *messages.SwapRequest) { r.Legs[1].Sender = other.Bytes() }, nil},
		{"channel used twice", coordinator.ErrInvalidRoute, nil, func(rs []*messages.Network) []*messages.Network {
			rs[1].Hops[0].ChannelId = rs[0].Hops[0].ChannelId
			return rs
		}},
		{"route fails validation", coordinator.ErrInvalidRoute, nil, func(rs []*messages.Network) []*messages.Network {
			rs[1].Contract = []byte{1}
			return rs
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := &messages.SwapRequest{Legs: []*messages.Leg{proto.Clone(leg).(*messages.Leg), proto.Clone(leg2).(*messages.Leg)}}
			rs := []*messages.Network{proto.Clone(route).(*messages.Network), proto.Clone(route2).(*messages.Network)}
			if c.req != nil {
				c.req(req)
			}
			if c.routes != nil {
				rs = c.routes(rs)
			}
			// The payers sign what the request now says, so the order
			// check cannot be what refuses it (a malformed leg may not be
			// signable at all; then the check under test comes first).
			func() {
				defer func() { _ = recover() }()
				w.SignOrders(req)
			}()
			before := proto.Clone(w.Alloc.Meta())
			if _, _, err := w.Alloc.Create(req, rs, w.Now); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if !proto.Equal(before, w.Alloc.Meta()) {
				t.Fatal("a refused request changed the allocator")
			}
		})
	}
	if _, err := coordinator.NewAllocator(w.Coord, &messages.CoordinatorMeta{Coordinator: other.Bytes()}); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("meta of another coordinator: %v", err)
	}
	// The unmodified request is created, with versions that never repeat.
	swap, pay := &messages.SwapRequest{RequestId: "swap", Legs: []*messages.Leg{leg, leg2}}, &messages.SwapRequest{RequestId: "pay", Legs: []*messages.Leg{leg}}
	w.SignOrders(swap)
	w.SignOrders(pay)
	in, _, err := w.Alloc.Create(swap, []*messages.Network{route, route2}, w.Now)
	if err != nil {
		t.Fatal(err)
	}
	in2, _, err := w.Alloc.Create(pay, []*messages.Network{route}, w.Now)
	if err != nil {
		t.Fatal(err)
	}
	v1, v2 := in.Record().Networks[0].Network.Hops[0].Version, in2.Record().Networks[0].Network.Hops[0].Version
	if v1 != 1 || v2 != 4 {
		t.Fatalf("versions %d then %d, want 1 then 4 (a prepared, a committed and a settled state each)", v1, v2)
	}
	if in.Record().Kind != messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP || in2.Record().Kind != messages.InstanceKind_INSTANCE_KIND_PAYMENT {
		t.Fatalf("kinds %v %v", in.Record().Kind, in2.Record().Kind)
	}
	if in.Deadline() != w.Now+coordinator.DefaultTimeoutMs {
		t.Fatalf("deadline %d", in.Deadline())
	}
}

// Acks of a phase the instance has left change nothing, and an ack with
// another's signature bytes over a different payload is checked, not taken
// as a resend.
func TestCoordinatorLateAndSplicedAcks(t *testing.T) {
	ac := newAckCase(t, 69)
	if _, err := ac.in.HandlePrepared(ac.acks["i1"], ac.w.Now); err != nil {
		t.Fatal(err)
	}
	spliced := proto.Clone(ac.acks["s1"]).(*messages.Envelope)
	spliced.Signer, spliced.Signature = ac.acks["i1"].Signer, ac.acks["i1"].Signature
	refuses(t, ac.in, coordinator.ErrBadSignature, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandlePrepared(spliced, ac.w.Now)
	})
	// A refund request after the deadline is a deadline refund.
	late := ac.in.Clone()
	req := reseal(t, ac.w.Keys["s1"], messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: ac.id[:], Terminal: ac.w.Addr("s1").Bytes()})
	if _, err := late.HandleRefundRequest(req, late.Deadline()); err != nil || late.Record().RefundReason != messages.RefundReason_REFUND_REASON_DEADLINE {
		t.Fatalf("refund request at the deadline: %v, reason %v", err, late.Record().RefundReason)
	}
	if _, err := ac.in.HandleRefundRequest(req, ac.w.Now); err != nil || ac.in.Record().RefundReason != messages.RefundReason_REFUND_REASON_REQUESTED {
		t.Fatalf("refund request: %v, reason %v", err, ac.in.Record().RefundReason)
	}
	// Refunded: a COMMITTED ack, even one that names a COMMIT, is refused
	// and leaves the record as it was.
	c := &messages.Committed{InstanceId: ac.id[:], NetworkIndex: 0, Terminal: ac.w.Addr("s1").Bytes(), CommitDigest: make([]byte, 32)}
	refuses(t, ac.in, coordinator.ErrWrongPhase, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandleCommitted(reseal(t, ac.w.Keys["s1"], messages.Kind_KIND_COMMITTED, c), ac.w.Now)
	})
	refuses(t, ac.in, coordinator.ErrWrongPhase, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandlePrepared(ac.acks["s1"], ac.w.Now)
	})
}

// Once decided, a late COMMITTED ack from a terminal whose ack never
// arrived is refused without touching the record.
func TestCoordinatorLateCommittedAckAfterRefund(t *testing.T) {
	w := fig1(70)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_PREPARED })
	committed := acksOf(t, w, messages.Kind_KIND_COMMIT, messages.Kind_KIND_COMMITTED)
	in := w.Instances[id]
	if _, err := in.Tick(in.Deadline()); err != nil {
		t.Fatal(err)
	}
	refuses(t, in, coordinator.ErrWrongPhase, func(in *coordinator.Instance) (coordinator.Output, error) {
		return in.HandleCommitted(committed["s1"], w.Now)
	})
}
