package coordinator_test

// Fuzz targets for every entry point of the coordinator: the allocator's
// Create and the instance machine's HandlePrepared, HandleCommitted,
// HandleRefundRequest, Tick and Resend. Each input picks the instance of a
// fig-1 swap (protocoltest.FuzzSwap) at a point of its run (none,
// none-partial, prepared, prepared-partial, committed, refunded, expired)
// and feeds it one fuzzed input. Properties, for every input:
//
//   - no panic;
//   - a rejection is one of the package's typed errors, produces no
//     output and leaves the record as it was;
//   - an accepted change hands out the record (for persisting), moves the
//     phase only forward (NONE → PREPARED → COMMITTED, or to
//     REFUND_AUTHORIZED from NONE or PREPARED) and never out of a final one;
//   - never both outcomes: no record or run holds both a CONFIRM and a
//     REFUND-AUTHORIZED, and every outcome is signed by the coordinator;
//   - records held by an earlier copy of the instance are never mutated.
//
// Envelope inputs come in four modes (mode % 4): 0 the bytes are a
// marshalled Envelope; 1 they are a payload signed by the harness key of
// the terminal it names; 2 the same after re-signing the channel states
// inside by their named signers (a byzantine terminal); 3 a payload signed
// by a key that is no terminal's. Run one with
//
//	go test ./enclave/coordinator/ -run '^$' -fuzz '^FuzzHandlePrepared$' -fuzztime 20s

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

var (
	det = proto.MarshalOptions{Deterministic: true}
)

func fixture() *protocoltest.FuzzSwap { return protocoltest.SharedFuzzSwap() }

var coordinatorErrors = []error{
	coordinator.ErrMalformed, coordinator.ErrBadSignature, coordinator.ErrInvalidRoute, coordinator.ErrUnknownInstance,
	coordinator.ErrNotParticipant, coordinator.ErrForeignAck, coordinator.ErrBadChannelState, coordinator.ErrConflictingAck,
	coordinator.ErrWrongPhase, coordinator.ErrUnauthorised, coordinator.ErrBadOrder, coordinator.ErrOrderExpired,
}

func typed(err error) bool {
	for _, e := range coordinatorErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func mustDet(tb testing.TB, m proto.Message) []byte {
	b, err := det.Marshal(m)
	if err != nil {
		tb.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

const (
	modeRaw = iota
	modeSealed
	modeResigned
	modeUntrusted
)

// namedTerminal reads the terminal a PREPARED, COMMITTED or REFUND-REQUEST
// payload names.
func namedTerminal(kind messages.Kind, payload []byte) common.Address {
	var m interface {
		proto.Message
		GetTerminal() []byte
	}
	switch kind {
	case messages.Kind_KIND_PREPARED:
		m = &messages.Prepared{}
	case messages.Kind_KIND_COMMITTED:
		m = &messages.Committed{}
	default:
		m = &messages.RefundRequest{}
	}
	if proto.Unmarshal(payload, m) != nil {
		return common.Address{}
	}
	return common.BytesToAddress(m.GetTerminal())
}

// envelope builds the envelope an input describes; false skips the input.
func envelope(kind messages.Kind, mode uint32, data []byte) (*messages.Envelope, bool) {
	fx := fixture()
	switch mode % 4 {
	case modeRaw:
		env := &messages.Envelope{}
		return env, proto.Unmarshal(data, env) == nil
	case modeResigned:
		data = fx.Resign(kind, data)
	case modeUntrusted:
		return protocoltest.SealPayload(fx.Mallory, kind, data), true
	}
	k := fx.KeyOf(namedTerminal(kind, data))
	if k == nil || k == fx.World.Coord {
		k = fx.Mallory
	}
	return protocoltest.SealPayload(k, kind, data), true
}

func pointOf(p string) uint32 {
	for i, x := range protocoltest.FuzzCoordinatorPoints {
		if x == p {
			return uint32(i)
		}
	}
	panic("no point " + p)
}

// fuzzInstance is one input's instance: a clone of the instance at a point.
type fuzzInstance struct {
	in, base *coordinator.Instance
	baseD    [32]byte
	before   []byte
	phase    messages.InstancePhase
	// outcomes signed so far, in the point's history and this input's steps.
	confirmed, refunded bool
}

func pick(point uint32) *fuzzInstance {
	fx := fixture()
	base := fx.Instances[protocoltest.FuzzCoordinatorPoints[point%uint32(len(protocoltest.FuzzCoordinatorPoints))]]
	fi := &fuzzInstance{in: base.Clone(), base: base, baseD: protocoltest.InstanceDigest(base)}
	for _, np := range base.Record().Networks {
		fi.confirmed = fi.confirmed || np.Confirm != nil
		fi.refunded = fi.refunded || np.Refund != nil
	}
	fi.mark()
	return fi
}

func (fi *fuzzInstance) mark() {
	b, _ := det.Marshal(fi.in.Record())
	fi.before, fi.phase = b, fi.in.Phase()
}

var forward = map[messages.InstancePhase][]messages.InstancePhase{
	messages.InstancePhase_INSTANCE_PHASE_NONE: {messages.InstancePhase_INSTANCE_PHASE_NONE,
		messages.InstancePhase_INSTANCE_PHASE_PREPARED, messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED},
	messages.InstancePhase_INSTANCE_PHASE_PREPARED: {messages.InstancePhase_INSTANCE_PHASE_PREPARED,
		messages.InstancePhase_INSTANCE_PHASE_COMMITTED, messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED},
	messages.InstancePhase_INSTANCE_PHASE_COMMITTED:         {messages.InstancePhase_INSTANCE_PHASE_COMMITTED},
	messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED: {messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED},
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// step checks the properties every instance step shares.
func (fi *fuzzInstance) step(t *testing.T, out coordinator.Output, err error) {
	t.Helper()
	coord := fixture().World.Coord.Address()
	rec := fi.in.Record()
	after := mustDet(t, rec)
	if err != nil {
		if !typed(err) {
			t.Fatalf("untyped error: %v", err)
		}
		if out.Meta != nil || out.Instance != nil || len(out.Send) != 0 {
			t.Fatalf("rejected step (%v) produced output", err)
		}
		if !bytes.Equal(after, fi.before) {
			t.Fatalf("rejected step (%v) changed the record", err)
		}
	} else {
		if !bytes.Equal(after, fi.before) && (out.Instance == nil || !proto.Equal(out.Instance, rec)) {
			t.Fatal("the record changed but the output does not hand it out")
		}
		if !contains(forward[fi.phase], rec.Phase) {
			t.Fatalf("phase moved from %v to %v", fi.phase, rec.Phase)
		}
		if fi.in.Decided() && fi.phase == rec.Phase && !bytes.Equal(after, fi.before) {
			t.Fatalf("a %v record changed", rec.Phase)
		}
		terminals := fi.in.Terminals()
		for _, s := range out.Send {
			if s.Env == nil {
				t.Fatal("nil envelope in the output")
			}
			if signer, err := s.Env.Verify(); err != nil || signer != coord {
				t.Fatalf("sent %v signed by %s (%v), not the coordinator", s.Env.Kind, signer, err)
			}
			if !contains(terminals, s.To) {
				t.Fatalf("sent %v to %s, no terminal of the instance", s.Env.Kind, s.To)
			}
			switch s.Env.Kind {
			case messages.Kind_KIND_CONFIRM:
				fi.confirmed = true
				if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
					t.Fatalf("sent CONFIRM in %v", rec.Phase)
				}
			case messages.Kind_KIND_REFUND_AUTHORIZED:
				fi.refunded = true
				if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
					t.Fatalf("sent REFUND-AUTHORIZED in %v", rec.Phase)
				}
			}
		}
	}
	if fi.confirmed && fi.refunded {
		t.Fatal("both CONFIRM and REFUND-AUTHORIZED signed for one instance")
	}
	recordInvariants(t, fi.in)
	if protocoltest.InstanceDigest(fi.base) != fi.baseD {
		t.Fatal("the step mutated a record shared with an earlier copy of the instance")
	}
	fi.mark()
}

// outcomeOK checks an outcome envelope: signed by the coordinator for this
// instance and network, with an outcome signature over the network's chain.
func outcomeOK(t *testing.T, in *coordinator.Instance, net int, env *messages.Envelope, confirmed bool) {
	coord := fixture().World.Coord.Address()
	var id, sig []byte
	var n uint32
	if confirmed {
		var c messages.Confirm
		if _, err := env.Open(messages.Kind_KIND_CONFIRM, &c); err != nil {
			t.Fatalf("network %d CONFIRM: %v", net, err)
		}
		id, n, sig = c.InstanceId, c.NetworkIndex, c.OutcomeSignature
	} else {
		var r messages.RefundAuthorized
		if _, err := env.Open(messages.Kind_KIND_REFUND_AUTHORIZED, &r); err != nil {
			t.Fatalf("network %d REFUND-AUTHORIZED: %v", net, err)
		}
		id, n, sig = r.InstanceId, r.NetworkIndex, r.OutcomeSignature
	}
	iid := in.ID()
	nw := in.Record().Networks[net].Network
	d := messages.OutcomeDigest(nw.ChainId, common.BytesToAddress(nw.Contract), iid, confirmed)
	if got, err := messages.RecoverAddress(d, sig); !bytes.Equal(id, iid[:]) || int(n) != net || err != nil || got != coord {
		t.Fatalf("network %d outcome (confirmed=%v) for %x/%d signed by %s (%v)", net, confirmed, id, n, got, err)
	}
}

// recordInvariants checks the record against its phase.
func recordInvariants(t *testing.T, in *coordinator.Instance) {
	rec := in.Record()
	phase := rec.Phase
	for i, np := range rec.Networks {
		ts := np.Network.Terminals()
		if len(np.PreparedAcks) != len(ts) || len(np.CommittedAcks) != len(ts) {
			t.Fatalf("network %d: %d/%d ack slots for %d terminals", i, len(np.PreparedAcks), len(np.CommittedAcks), len(ts))
		}
		// A slot of the current phase holds the signed ack; once that phase
		// has passed it keeps only kind and signer (spent).
		preparedPassed := phase != messages.InstancePhase_INSTANCE_PHASE_NONE
		committedPassed := phase == messages.InstancePhase_INSTANCE_PHASE_COMMITTED || phase == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED
		for _, slots := range []struct {
			acks   []*messages.Envelope
			kind   messages.Kind
			passed bool
		}{{np.PreparedAcks, messages.Kind_KIND_PREPARED, preparedPassed}, {np.CommittedAcks, messages.Kind_KIND_COMMITTED, committedPassed}} {
			for j, a := range slots.acks {
				if a.Kind == messages.Kind_KIND_UNSPECIFIED {
					continue
				}
				if slots.passed {
					if a.Kind != slots.kind || common.BytesToAddress(a.Signer) != ts[j] || len(a.Payload)+len(a.Signature) != 0 {
						t.Fatalf("network %d: spent slot %d is %v from %x with %d payload bytes", i, j, a.Kind, a.Signer, len(a.Payload))
					}
					continue
				}
				if signer, err := a.Verify(); a.Kind != slots.kind || err != nil || signer != ts[j] {
					t.Fatalf("network %d slot %d holds a %v from %s (%v), want %v from %s", i, j, a.Kind, signer, err, slots.kind, ts[j])
				}
			}
		}
		if preparedPassed && np.Prepare != nil || committedPassed && np.Commit != nil {
			t.Fatalf("network %d: %v still holds the PREPARE or COMMIT of a passed phase", i, phase)
		}
		filled := func(acks []*messages.Envelope) bool {
			for _, a := range acks {
				if a.Kind == messages.Kind_KIND_UNSPECIFIED {
					return false
				}
			}
			return true
		}
		if np.Confirm != nil && np.Refund != nil {
			t.Fatalf("network %d holds both outcomes", i)
		}
		switch phase {
		case messages.InstancePhase_INSTANCE_PHASE_NONE:
			if np.Commit != nil || np.Confirm != nil || np.Refund != nil {
				t.Fatalf("network %d: NONE with a COMMIT or an outcome", i)
			}
		case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
			if np.Commit == nil || !filled(np.PreparedAcks) || np.Confirm != nil || np.Refund != nil {
				t.Fatalf("network %d: PREPARED without every ack and a COMMIT, or with an outcome", i)
			}
		case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
			if np.Confirm == nil || !filled(np.CommittedAcks) || np.Refund != nil {
				t.Fatalf("network %d: COMMITTED without every ack and a CONFIRM", i)
			}
			outcomeOK(t, in, i, np.Confirm, true)
		case messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
			if np.Refund == nil || np.Confirm != nil {
				t.Fatalf("network %d: REFUND_AUTHORIZED without a REFUND-AUTHORIZED or with a CONFIRM", i)
			}
			outcomeOK(t, in, i, np.Refund, false)
		default:
			t.Fatalf("phase %v", phase)
		}
	}
}

type envSeed struct {
	label       string
	point, mode uint32
	data        []byte
}

func envSeeds(tb testing.TB, kind messages.Kind, points ...string) []envSeed {
	var out []envSeed
	for i, m := range fixture().Envelopes(kind) {
		for _, p := range points {
			label := fmt.Sprintf("real-%d-at-%s", i, p)
			out = append(out, envSeed{label + "-raw", pointOf(p), modeRaw, mustDet(tb, m.Env)},
				envSeed{label + "-sealed", pointOf(p), modeSealed, m.Env.Payload})
		}
	}
	return out
}

// swapAcks are the run's acks of kind for the swap instance, in order.
func swapAcks(kind messages.Kind) []*messages.Envelope {
	fx := fixture()
	var out []*messages.Envelope
	for _, m := range fx.Envelopes(kind) {
		if id, ok := messages.InstanceOf(m.Env); ok && id == fx.ID {
			out = append(out, m.Env)
		}
	}
	return out
}

// fuzzAck is the body of the ack targets. pre real acks of kind are
// delivered first (pre % 7, so a fuzzed ack can be the last one missing).
func fuzzAck(f *testing.F, kind messages.Kind, points []string, handle func(*coordinator.Instance, *messages.Envelope, int64) (coordinator.Output, error)) {
	now := fixture().World.Now
	acks := swapAcks(kind)
	for _, s := range envSeeds(f, kind, points...) {
		f.Add(s.point, uint32(0), s.mode, s.data, now)
	}
	for _, p := range points {
		last := acks[len(acks)-1]
		f.Add(pointOf(p), uint32(len(acks)-1), uint32(modeRaw), mustDet(f, last), now)
		f.Add(pointOf(p), uint32(len(acks)-1), uint32(modeResigned), last.Payload, now)
	}
	f.Fuzz(func(t *testing.T, point, pre, mode uint32, data []byte, nowMs int64) {
		env, ok := envelope(kind, mode, data)
		if !ok {
			return
		}
		fi := pick(point)
		for _, a := range acks[:int(pre%7)%(len(acks)+1)] {
			out, err := handle(fi.in, a, fixture().World.Now)
			fi.step(t, out, err)
		}
		phase := fi.in.Phase()
		before := fi.before
		out, err := handle(fi.in, env, nowMs)
		fi.step(t, out, err)
		if err != nil {
			return
		}
		rec := fi.in.Record()
		if rec.Phase == phase && !bytes.Equal(before, mustDet(t, rec)) {
			// The ack was recorded: it is authentic and from a terminal of the network.
			if mode%4 == modeUntrusted {
				t.Fatal("recorded an ack signed by no terminal of the instance")
			}
			if signer, err := env.Verify(); err != nil || !contains(fi.in.Terminals(), signer) {
				t.Fatalf("recorded an ack from %s (%v)", signer, err)
			}
		}
		if nowMs >= rec.DeadlineMs && phase != rec.Phase && rec.Phase != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
			t.Fatalf("moved to %v at %d, past the deadline %d", rec.Phase, nowMs, rec.DeadlineMs)
		}
	})
}

// FuzzHandlePrepared: a PREPARED ack at any point of the run.
func FuzzHandlePrepared(f *testing.F) {
	fuzzAck(f, messages.Kind_KIND_PREPARED, []string{protocoltest.FuzzNone, protocoltest.FuzzNonePartial, protocoltest.FuzzCoordPrepared},
		(*coordinator.Instance).HandlePrepared)
}

// FuzzHandleCommitted: a COMMITTED ack at any point of the run.
func FuzzHandleCommitted(f *testing.F) {
	fuzzAck(f, messages.Kind_KIND_COMMITTED, []string{protocoltest.FuzzCoordPrepared, protocoltest.FuzzPreparedPartial, protocoltest.FuzzCoordCommitted},
		(*coordinator.Instance).HandleCommitted)
}

// FuzzHandleRefundRequest: a refund request at any point of the run.
func FuzzHandleRefundRequest(f *testing.F) {
	now := fixture().World.Now
	for _, s := range envSeeds(f, messages.Kind_KIND_REFUND_REQUEST, protocoltest.FuzzCoordinatorPoints...) {
		f.Add(s.point, s.mode, s.data, now)
	}
	f.Fuzz(func(t *testing.T, point, mode uint32, data []byte, nowMs int64) {
		env, ok := envelope(messages.Kind_KIND_REFUND_REQUEST, mode, data)
		if !ok {
			return
		}
		fi := pick(point)
		phase := fi.in.Phase()
		out, err := fi.in.HandleRefundRequest(env, nowMs)
		fi.step(t, out, err)
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("answered a refund request signed by no terminal of the instance")
		}
		rec := fi.in.Record()
		switch phase {
		case messages.InstancePhase_INSTANCE_PHASE_NONE, messages.InstancePhase_INSTANCE_PHASE_PREPARED:
			if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
				t.Fatalf("granted refund request left %v", rec.Phase)
			}
		case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
			if len(out.Send) == 0 || out.Send[0].Env.Kind != messages.Kind_KIND_REFUND_DENIED {
				t.Fatal("refund request in COMMITTED not denied")
			}
		}
	})
}

// FuzzTick: time passing, forwards or backwards, at any point of the run.
func FuzzTick(f *testing.F) {
	for p := range protocoltest.FuzzCoordinatorPoints {
		in := fixture().Instances[protocoltest.FuzzCoordinatorPoints[p]]
		f.Add(uint32(p), in.Deadline()-1)
		f.Add(uint32(p), in.Deadline())
	}
	f.Fuzz(func(t *testing.T, point uint32, nowMs int64) {
		fi := pick(point)
		phase := fi.in.Phase()
		out, err := fi.in.Tick(nowMs)
		fi.step(t, out, err)
		if err != nil {
			t.Fatalf("Tick: %v", err)
		}
		expire := nowMs >= fi.in.Deadline() && (phase == messages.InstancePhase_INSTANCE_PHASE_NONE || phase == messages.InstancePhase_INSTANCE_PHASE_PREPARED)
		if expire != (fi.in.Phase() != phase) {
			t.Fatalf("Tick(%d) with deadline %d moved %v to %v", nowMs, fi.in.Deadline(), phase, fi.in.Phase())
		}
		if expire && fi.in.Record().RefundReason != messages.RefundReason_REFUND_REASON_DEADLINE {
			t.Fatalf("expired with reason %v", fi.in.Record().RefundReason)
		}
		if !expire && (out.Instance != nil || len(out.Send) != 0) {
			t.Fatal("Tick produced output without a change")
		}
	})
}

// FuzzInstanceSchedule delivers the run's real acks and refund requests to
// the instance in a fuzzed order, with duplicates, time moving and
// resends, and checks every step. program is read two bytes per step: an
// operation (low 2 bits) with the time (high 6 bits), and an argument.
func FuzzInstanceSchedule(f *testing.F) {
	fx := fixture()
	var inOrder []byte
	for i, m := range fx.Sent {
		if m.To == fx.World.Coord.Address() && i < 256 {
			inOrder = append(inOrder, 0, byte(i))
		}
	}
	f.Add(pointOf(protocoltest.FuzzNone), inOrder)
	rev := bytes.Clone(inOrder)
	for i, j := 0, len(rev)-2; i < j; i, j = i+2, j-2 {
		rev[i], rev[i+1], rev[j], rev[j+1] = rev[j], rev[j+1], rev[i], rev[i+1]
	}
	f.Add(pointOf(protocoltest.FuzzNone), rev)
	f.Add(pointOf(protocoltest.FuzzNonePartial), append(bytes.Clone(inOrder[:6]), 0xfd, 0, 2, 0))
	f.Add(pointOf(protocoltest.FuzzNone), ackProgram())
	f.Fuzz(func(t *testing.T, point uint32, program []byte) {
		fi := pick(point)
		created := fi.in.Record().CreatedMs
		for len(program) >= 2 {
			op, arg := program[0], program[1]
			program = program[2:]
			now := created + int64(op>>2)*250
			var (
				out coordinator.Output
				err error
			)
			switch op & 3 {
			case 0, 3:
				env := fx.Sent[int(arg)%len(fx.Sent)].Env
				switch env.Kind {
				case messages.Kind_KIND_COMMITTED:
					out, err = fi.in.HandleCommitted(env, now)
				case messages.Kind_KIND_REFUND_REQUEST:
					out, err = fi.in.HandleRefundRequest(env, now)
				default:
					out, err = fi.in.HandlePrepared(env, now)
				}
			case 1:
				out, err = fi.in.Tick(now)
			case 2:
				resend := fi.in.Resend()
				want := map[messages.InstancePhase]messages.Kind{
					messages.InstancePhase_INSTANCE_PHASE_NONE:              messages.Kind_KIND_PREPARE,
					messages.InstancePhase_INSTANCE_PHASE_PREPARED:          messages.Kind_KIND_COMMIT,
					messages.InstancePhase_INSTANCE_PHASE_COMMITTED:         messages.Kind_KIND_CONFIRM,
					messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED: messages.Kind_KIND_REFUND_AUTHORIZED,
				}[fi.in.Phase()]
				for _, s := range resend {
					if s.Env.Kind != want {
						t.Fatalf("Resend in %v sends %v", fi.in.Phase(), s.Env.Kind)
					}
				}
				out = coordinator.Output{Send: resend}
			}
			fi.step(t, out, err)
		}
	})
}

// ackProgram delivers every ack of the swap in order, then each refund
// request: the instance confirms and denies the requests.
func ackProgram() []byte {
	fx := fixture()
	var prog []byte
	for _, kind := range []messages.Kind{messages.Kind_KIND_PREPARED, messages.Kind_KIND_COMMITTED, messages.Kind_KIND_REFUND_REQUEST} {
		for i, m := range fx.Sent {
			if m.Env.Kind == kind && i < 256 {
				prog = append(prog, 0, byte(i))
			}
		}
		prog = append(prog, 2, 0)
	}
	return prog
}

// FuzzCreate: the allocator's Create from a client request and routes
// from the untrusted directory.
func FuzzCreate(f *testing.F) {
	fx := fixture()
	w := fx.World
	leg0, n0 := w.Leg(0, 100)
	leg1, n1 := w.Leg(1, 100)
	swap := &messages.SwapRequest{RequestId: "swap", Legs: []*messages.Leg{leg0, leg1}, TimeoutMs: 5000}
	pay := &messages.SwapRequest{RequestId: "pay", Legs: []*messages.Leg{leg0}, Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT}
	w.SignOrders(swap)
	w.SignOrders(pay)
	s, r0, r1 := mustDet(f, swap), mustDet(f, n0), mustDet(f, n1)
	f.Add(true, s, r0, r1, []byte{}, uint32(2), w.Now)
	f.Add(false, s, r0, r1, []byte{}, uint32(2), w.Now)
	f.Add(false, mustDet(f, pay), r0, []byte{}, []byte{}, uint32(1), w.Now)
	f.Add(false, s, r0, r0, []byte{}, uint32(2), w.Now)
	f.Add(true, s, r0, r1, r1, uint32(3), int64(-1))
	f.Fuzz(func(t *testing.T, fresh bool, reqBytes, route0, route1, route2 []byte, nRoutes uint32, nowMs int64) {
		var req messages.SwapRequest
		if proto.Unmarshal(reqBytes, &req) != nil {
			return
		}
		var routes []*messages.Network
		for _, b := range [][]byte{route0, route1, route2}[:nRoutes%4] {
			var n messages.Network
			if proto.Unmarshal(b, &n) != nil {
				return
			}
			routes = append(routes, &n)
		}
		alloc := fx.World.Alloc.Clone()
		if fresh {
			var err error
			if alloc, err = coordinator.NewAllocator(fx.World.Coord, nil); err != nil {
				t.Fatal(err)
			}
		}
		before := mustDet(t, alloc.Meta())
		var old messages.CoordinatorMeta
		_ = proto.Unmarshal(before, &old)
		routesBefore := mustDet(t, &messages.CoordinatorInstance{Networks: networksOf(routes)})
		reqBefore := mustDet(t, &req)
		in, out, err := alloc.Create(&req, routes, nowMs)
		if !bytes.Equal(routesBefore, mustDet(t, &messages.CoordinatorInstance{Networks: networksOf(routes)})) || !bytes.Equal(reqBefore, mustDet(t, &req)) {
			t.Fatal("Create modified its inputs")
		}
		if err != nil {
			if !typed(err) {
				t.Fatalf("untyped error: %v", err)
			}
			if in != nil || out.Meta != nil || out.Instance != nil || len(out.Send) != 0 || !bytes.Equal(before, mustDet(t, alloc.Meta())) {
				t.Fatalf("rejected Create (%v) changed the allocator or produced output", err)
			}
			return
		}
		checkCreated(t, &old, alloc, &req, routes, in, out, nowMs)
		// A second instance from the same request gets another id and
		// fresh versions.
		in2, _, err := alloc.Create(&req, routes, nowMs)
		if err != nil {
			t.Fatalf("the same request failed the second time: %v", err)
		}
		if in2.ID() == in.ID() {
			t.Fatal("two instances share an id")
		}
		for i, np := range in2.Record().Networks {
			for j, h := range np.Network.Hops {
				if h.Version <= in.Record().Networks[i].Network.Hops[j].Version+messages.SettledVersionOffset {
					t.Fatalf("channel %x: version %d reused after %d", h.ChannelId, h.Version, in.Record().Networks[i].Network.Hops[j].Version)
				}
			}
		}
	})
}

func networksOf(routes []*messages.Network) []*messages.NetworkProgress {
	var out []*messages.NetworkProgress
	for _, r := range routes {
		out = append(out, &messages.NetworkProgress{Network: r})
	}
	return out
}

func checkCreated(t *testing.T, old *messages.CoordinatorMeta, alloc *coordinator.Allocator, req *messages.SwapRequest, routes []*messages.Network,
	in *coordinator.Instance, out coordinator.Output, nowMs int64) {
	coord := fixture().World.Coord.Address()
	meta := alloc.Meta()
	if meta.NextNonce != old.NextNonce+1 || in.ID() != coordinator.InstanceID(coord, old.NextNonce) {
		t.Fatalf("nonce %d → %d, id %x", old.NextNonce, meta.NextNonce, in.ID())
	}
	if out.Meta == nil || !proto.Equal(out.Meta, meta) || out.Instance == nil || !proto.Equal(out.Instance, in.Record()) {
		t.Fatal("Create does not hand out its meta and record")
	}
	rec := in.Record()
	if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_NONE || in.Decided() || rec.CreatedMs != nowMs || len(rec.Networks) != len(req.Legs) {
		t.Fatalf("created record %v", rec)
	}
	used := map[string]bool{}
	prepares := 0
	for i, np := range rec.Networks {
		n, leg := np.Network, req.Legs[i]
		if err := n.Validate(); err != nil {
			t.Fatalf("network %d: %v", i, err)
		}
		ts := n.Terminals()
		if n.ChainId != leg.ChainId || !bytes.Equal(n.Amount, leg.Amount) || !bytes.Equal(n.Asset, leg.Asset) ||
			ts[0] != common.BytesToAddress(leg.Sender) || common.BytesToAddress(n.Hops[len(n.Hops)-1].Payee) != common.BytesToAddress(leg.Receiver) {
			t.Fatalf("network %d does not serve leg %v", i, leg)
		}
		if len(n.Hops) != len(routes[i].Hops) {
			t.Fatalf("network %d has %d hops, the route %d", i, len(n.Hops), len(routes[i].Hops))
		}
		// The PREPARE carries the request's legs and the order its
		// network's sender signed for exactly them, still valid.
		var po messages.Prepare
		if _, err := np.Prepare.Open(messages.Kind_KIND_PREPARE, &po); err != nil {
			t.Fatalf("network %d PREPARE: %v", i, err)
		}
		o, payer, _, err := messages.OpenOrder(po.Order)
		if err != nil || payer != ts[0] || !messages.LegsEqual(po.Legs, req.Legs) || !messages.LegsEqual(o.Legs, req.Legs) ||
			o.RequestId != req.RequestId || nowMs >= o.ExpiresMs {
			t.Fatalf("network %d PREPARE carries legs %v and order %v from %s (%v)", i, po.Legs, o, payer, err)
		}
		for j, h := range n.Hops {
			r := routes[i].Hops[j]
			key := hex.EncodeToString(h.ChannelId)
			want := max(old.NextVersion[key], 1)
			if !bytes.Equal(h.ChannelId, r.ChannelId) || !bytes.Equal(h.Payer, r.Payer) || !bytes.Equal(h.Payee, r.Payee) {
				t.Fatalf("network %d hop %d differs from the route", i, j)
			}
			if used[key] {
				t.Fatalf("channel %s used twice in one instance", key)
			}
			used[key] = true
			if h.Version != want || meta.NextVersion[key] != want+messages.VersionsPerHop {
				t.Fatalf("channel %s: version %d (want %d), next %d", key, h.Version, want, meta.NextVersion[key])
			}
		}
		var p messages.Prepare
		if signer, err := np.Prepare.Open(messages.Kind_KIND_PREPARE, &p); err != nil || signer != coord {
			t.Fatalf("network %d PREPARE: %s, %v", i, signer, err)
		}
		iid := in.ID()
		if !bytes.Equal(p.InstanceId, iid[:]) || p.NetworkIndex != uint32(i) || int(p.NetworkCount) != len(rec.Networks) ||
			!proto.Equal(p.Network, n) || p.DeadlineMs != rec.DeadlineMs || common.BytesToAddress(p.Coordinator) != coord {
			t.Fatalf("network %d PREPARE %v", i, &p)
		}
		prepares += len(ts)
	}
	for k, v := range old.NextVersion {
		if !used[k] && meta.NextVersion[k] != v {
			t.Fatalf("channel %s: next version %d changed to %d without being used", k, v, meta.NextVersion[k])
		}
	}
	if len(out.Send) != prepares {
		t.Fatalf("%d PREPAREs sent for %d terminals", len(out.Send), prepares)
	}
	recordInvariants(t, in)
}

// TestWriteFuzzCorpus rewrites the checked-in seed files from the harness
// run. It runs only with TEESWAP_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("TEESWAP_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set TEESWAP_WRITE_FUZZ_CORPUS=1 to rewrite testdata/fuzz")
	}
	fx := fixture()
	now := fx.World.Now
	write := func(target string, entries map[string][]any) {
		if err := protocoltest.WriteFuzzCorpus(".", target, entries); err != nil {
			t.Fatal(err)
		}
	}
	pickSeeds := func(kind messages.Kind, withPre bool, points ...string) map[string][]any {
		out := map[string][]any{}
		for _, s := range envSeeds(t, kind, points...) {
			if len(out) < 4 {
				out[s.label] = []any{s.point, s.mode, s.data, now}
				if withPre {
					out[s.label] = []any{s.point, uint32(0), s.mode, s.data, now}
				}
			}
		}
		return out
	}
	write("FuzzHandlePrepared", pickSeeds(messages.Kind_KIND_PREPARED, true, protocoltest.FuzzNone))
	write("FuzzHandleCommitted", pickSeeds(messages.Kind_KIND_COMMITTED, true, protocoltest.FuzzCoordPrepared))
	for _, kind := range []messages.Kind{messages.Kind_KIND_PREPARED, messages.Kind_KIND_COMMITTED} {
		acks := swapAcks(kind)
		point := map[messages.Kind]string{messages.Kind_KIND_PREPARED: protocoltest.FuzzNone, messages.Kind_KIND_COMMITTED: protocoltest.FuzzCoordPrepared}[kind]
		target := map[messages.Kind]string{messages.Kind_KIND_PREPARED: "FuzzHandlePrepared", messages.Kind_KIND_COMMITTED: "FuzzHandleCommitted"}[kind]
		write(target, map[string][]any{"last-ack-missing": {pointOf(point), uint32(len(acks) - 1), uint32(modeRaw), mustDet(t, acks[len(acks)-1]), now}})
	}
	write("FuzzHandleRefundRequest", pickSeeds(messages.Kind_KIND_REFUND_REQUEST, false, protocoltest.FuzzCoordPrepared, protocoltest.FuzzCoordCommitted))
	write("FuzzTick", map[string][]any{"prepared-at-deadline": {pointOf(protocoltest.FuzzCoordPrepared), fx.Instances[protocoltest.FuzzCoordPrepared].Deadline()}})
	var inOrder []byte
	for i, m := range fx.Sent {
		if m.To == fx.World.Coord.Address() && i < 256 {
			inOrder = append(inOrder, 0, byte(i))
		}
	}
	write("FuzzInstanceSchedule", map[string][]any{"run-in-order": {pointOf(protocoltest.FuzzNone), inOrder},
		"acks-then-refund-requests": {pointOf(protocoltest.FuzzNone), ackProgram()}})
	leg0, n0 := fx.World.Leg(0, 100)
	leg1, n1 := fx.World.Leg(1, 100)
	swap := &messages.SwapRequest{RequestId: "swap", Legs: []*messages.Leg{leg0, leg1}, TimeoutMs: 5000}
	fx.World.SignOrders(swap)
	write("FuzzCreate", map[string][]any{"swap-two-chains": {false, mustDet(t, swap), mustDet(t, n0), mustDet(t, n1), []byte{}, uint32(2), now}})
}
