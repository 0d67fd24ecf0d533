package coordinator_test

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

// outcomeSig is the coordinator's own outcome signature for network net.
func outcomeSig(t *testing.T, fx *protocoltest.FuzzSwap, net int, confirmed bool) []byte {
	t.Helper()
	n := fx.Instances[protocoltest.FuzzCoordPrepared].Record().Networks[net].Network
	sig, err := fx.World.Coord.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), fx.ID, confirmed))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// A coordinator resumed from a store older than its decision (PREPARED)
// learns from a terminal's report, proved by its own outcome signature,
// that it CONFIRMED: it adopts that, and refuses to sign a refund after.
func TestAdoptReportedOutcomeNeverSignsTheOther(t *testing.T) {
	fx := fixture()
	in := fx.Instances[protocoltest.FuzzCoordPrepared].Clone()
	out, err := in.Adopt(0, true, outcomeSig(t, fx, 0, true))
	if err != nil || out.Instance == nil || in.Phase() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED || !in.Record().Adopted {
		t.Fatalf("adopt: %v %v phase %v", out.Instance, err, in.Phase())
	}
	if o, err := in.Tick(in.Deadline() + 1); err != nil || o.Instance != nil || in.Phase() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("deadline after adopting CONFIRMED: %v %v", o.Instance, err)
	}
	// A report of the other outcome is a conflict, not a change.
	if _, err := in.Adopt(1, false, outcomeSig(t, fx, 1, false)); !errors.Is(err, coordinator.ErrConflictingOutcome) {
		t.Fatalf("conflicting report: %v", err)
	}
	// Adopting a refund from NONE re-signs the refund for every network.
	none := fx.Instances[protocoltest.FuzzNone].Clone()
	out, err = none.Adopt(1, false, outcomeSig(t, fx, 1, false))
	if err != nil || none.Phase() != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED || len(out.Send) == 0 {
		t.Fatalf("adopt refund: %v %v", none.Phase(), err)
	}
}

// Malicious terminal or stranger: a report not signed by the coordinator
// changes nothing.
func TestAdoptRefusesForgedReport(t *testing.T) {
	fx := fixture()
	in := fx.Instances[protocoltest.FuzzCoordPrepared].Clone()
	n := in.Record().Networks[0].Network
	forged, _ := fx.Mallory.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), fx.ID, false))
	if _, err := in.Adopt(0, false, forged); !errors.Is(err, coordinator.ErrBadSignature) || in.Phase() != messages.InstancePhase_INSTANCE_PHASE_PREPARED {
		t.Fatalf("forged report: %v, phase %v", err, in.Phase())
	}
	// The confirm signature presented as a refund does not verify either.
	if _, err := in.Adopt(0, false, outcomeSig(t, fx, 0, true)); !errors.Is(err, coordinator.ErrBadSignature) {
		t.Fatalf("confirm signature as a refund: %v", err)
	}
	if _, err := in.Adopt(9, true, outcomeSig(t, fx, 0, true)); !errors.Is(err, coordinator.ErrMalformed) {
		t.Fatalf("network out of range: %v", err)
	}
}

// Outcome acks: a participant's signed ack stops resends to it; a
// stranger's or a forged one is refused.
func TestOutcomeAppliedAcks(t *testing.T) {
	fx := fixture()
	in := fx.Instances[protocoltest.FuzzCoordCommitted].Clone()
	if in.AllApplied() || len(in.Undelivered()) == 0 {
		t.Fatal("nothing to deliver after COMMITTED")
	}
	total := len(in.Undelivered())
	r1 := fx.World.Keys["r1"]
	ack := func(k *protocoltest.Key, terminal common.Address, net uint32, confirmed bool) *messages.Envelope {
		env, err := messages.Seal(k, messages.Kind_KIND_OUTCOME_APPLIED, &messages.OutcomeApplied{
			InstanceId: fx.ID[:], NetworkIndex: net, Terminal: terminal.Bytes(), Confirmed: confirmed})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	if _, err := in.HandleOutcomeApplied(ack(fx.Mallory, fx.Mallory.Address(), 0, true)); !errors.Is(err, coordinator.ErrNotParticipant) {
		t.Fatalf("stranger's ack: %v", err)
	}
	if _, err := in.HandleOutcomeApplied(ack(fx.Mallory, r1.Address(), 0, true)); !errors.Is(err, coordinator.ErrBadSignature) && !errors.Is(err, coordinator.ErrForeignAck) {
		t.Fatalf("ack forged for r1: %v", err)
	}
	if _, err := in.HandleOutcomeApplied(ack(r1, r1.Address(), 0, false)); !errors.Is(err, coordinator.ErrConflictingOutcome) {
		t.Fatalf("ack of the other outcome: %v", err)
	}
	out, err := in.HandleOutcomeApplied(ack(r1, r1.Address(), 0, true))
	if err != nil || out.Instance == nil || len(in.Undelivered()) != total-1 {
		t.Fatalf("r1's ack: %v %v, undelivered %d of %d", out.Instance, err, len(in.Undelivered()), total)
	}
	if out, err := in.HandleOutcomeApplied(ack(r1, r1.Address(), 0, true)); err != nil || out.Instance != nil {
		t.Fatalf("repeated ack: %v %v", out.Instance, err)
	}
	for i, np := range in.Record().Networks {
		for _, tm := range np.Network.Terminals() {
			for _, k := range fx.World.Keys {
				if k.Address() == tm {
					if _, err := in.HandleOutcomeApplied(ack(k, tm, uint32(i), true)); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	if !in.AllApplied() || len(in.Undelivered()) != 0 {
		t.Fatal("every terminal acknowledged, yet something is left to deliver")
	}
}

// A restarted terminal's outcome query is answered with its outcome; a
// stranger's is refused.
func TestOutcomeQuery(t *testing.T) {
	fx := fixture()
	in := fx.Instances[protocoltest.FuzzCoordCommitted].Clone()
	q := func(k *protocoltest.Key) *messages.Envelope {
		env, err := messages.Seal(k, messages.Kind_KIND_OUTCOME_QUERY, &messages.OutcomeQuery{InstanceId: fx.ID[:], Terminal: k.Address().Bytes()})
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	out, err := in.HandleOutcomeQuery(q(fx.World.Keys["i2"]))
	if err != nil || len(out.Send) != 1 || out.Send[0].Env.Kind != messages.Kind_KIND_CONFIRM || out.Send[0].To != fx.World.Keys["i2"].Address() {
		t.Fatalf("participant's query: %v %v", out.Send, err)
	}
	if _, err := in.HandleOutcomeQuery(q(fx.Mallory)); !errors.Is(err, coordinator.ErrNotParticipant) {
		t.Fatalf("stranger's query: %v", err)
	}
	// Undecided: nothing yet.
	prep := fx.Instances[protocoltest.FuzzCoordPrepared].Clone()
	if out, err := prep.HandleOutcomeQuery(q(fx.World.Keys["i2"])); err != nil || len(out.Send) != 0 {
		t.Fatalf("query before the outcome: %v %v", out.Send, err)
	}
}

// Instance ids from entropy: different entropy, different ids, never the
// nonce-derived one; all-zero entropy is refused.
func TestCreateRandomIDs(t *testing.T) {
	fx := fixture()
	rec := fx.Instances[protocoltest.FuzzNone].Record()
	var routes []*messages.Network
	req := &messages.SwapRequest{RequestId: "r"}
	for _, np := range rec.Networks {
		n := np.Network
		routes = append(routes, n)
		req.Legs = append(req.Legs, &messages.Leg{ChainId: n.ChainId, Sender: n.Hops[0].Payer, Receiver: n.Hops[len(n.Hops)-1].Payee, Asset: n.Asset, Amount: n.Amount})
	}
	alloc := fx.World.Alloc.Clone()
	if _, _, err := alloc.CreateRandom(req, routes, 0, [32]byte{}); !errors.Is(err, coordinator.ErrNoEntropy) {
		t.Fatalf("zero entropy: %v", err)
	}
	a, _, err := alloc.CreateRandom(req, routes, 0, [32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := alloc.CreateRandom(req, routes, 0, [32]byte{2})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID() == b.ID() {
		t.Fatal("two entropies gave one id")
	}
	for n := range uint64(10) {
		if a.ID() == coordinator.InstanceID(fx.World.Coord.Address(), n) {
			t.Fatalf("random id equals the nonce-%d id", n)
		}
	}
}
