package protocoltest_test

import (
	"math/big"
	"testing"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

// fig1 is the patent's Fig. 1: two chains, each with a sender, an
// intermediary and a receiver.
func fig1(seed int64) *protocoltest.World {
	return protocoltest.NewWorld(seed,
		protocoltest.ChainSpec{ChainID: 1, Path: []string{"s1", "i1", "r1"}, Deposit: 1000},
		protocoltest.ChainSpec{ChainID: 2, Path: []string{"s2", "i2", "r2"}, Deposit: 1000},
	)
}

func TestFig1SwapConfirms(t *testing.T) {
	w := fig1(1)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if got := w.Instances[id].Phase(); got != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("instance phase %v, want COMMITTED", got)
	}
	for _, c := range []struct {
		name       string
		chain, hop int
		want       int64
	}{
		{"s1", 0, 0, 900}, {"i1", 0, 0, 1100}, {"i1", 0, 1, 900}, {"r1", 0, 1, 1100},
		{"s2", 1, 0, 900}, {"i2", 1, 0, 1100}, {"i2", 1, 1, 900}, {"r2", 1, 1, 1100},
	} {
		if got := w.Balance(c.name, c.chain, c.hop); got.Cmp(big.NewInt(c.want)) != 0 {
			t.Errorf("%s chain %d hop %d: balance %s, want %d", c.name, c.chain, c.hop, got, c.want)
		}
	}
	if v := w.Violations(true); len(v) > 0 {
		t.Fatalf("violations: %v", v)
	}
	if len(w.Rejected) > 0 {
		t.Fatalf("honest run had rejections: %v", w.Rejected)
	}
}

func assertClean(t *testing.T, w *protocoltest.World) {
	t.Helper()
	if v := w.Violations(true); len(v) > 0 {
		t.Fatalf("violations: %v", v)
	}
}

func TestThreeChainSwapConfirms(t *testing.T) {
	w := protocoltest.NewWorld(3,
		protocoltest.ChainSpec{ChainID: 1, Path: []string{"a1", "b1", "c1"}, Deposit: 500},
		protocoltest.ChainSpec{ChainID: 2, Path: []string{"a2", "b2"}, Deposit: 500},
		protocoltest.ChainSpec{ChainID: 3, Path: []string{"a3", "b3", "c3", "d3"}, Deposit: 500},
	)
	id, err := w.Start(70, 0, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] || w.RefundSigned[id] {
		t.Fatalf("confirm=%v refund=%v, want confirmed only", w.ConfirmSigned[id], w.RefundSigned[id])
	}
	if got := w.Balance("d3", 2, 2); got.Int64() != 570 {
		t.Fatalf("receiver on chain 3 holds %s, want 570", got)
	}
	if got := w.Balance("a2", 1, 0); got.Int64() != 430 {
		t.Fatalf("sender on chain 2 holds %s, want 430", got)
	}
	assertClean(t, w)
}

func TestSameChainMultiHopPayment(t *testing.T) {
	w := protocoltest.NewWorld(4, protocoltest.ChainSpec{ChainID: 7, Path: []string{"alice", "hub1", "hub2", "bob"}, Deposit: 300})
	for i := 0; i < 3; i++ { // channels return to IDLE, so payments follow one another
		id, err := w.Start(100, 0)
		if err != nil {
			t.Fatal(err)
		}
		w.DeliverAll()
		if w.Instances[id].Record().Kind != messages.InstanceKind_INSTANCE_KIND_PAYMENT || !w.ConfirmSigned[id] {
			t.Fatalf("payment %d: kind %v confirmed %v", i, w.Instances[id].Record().Kind, w.ConfirmSigned[id])
		}
	}
	if got := w.Balance("bob", 0, 2); got.Int64() != 600 {
		t.Fatalf("bob holds %s, want 600", got)
	}
	if got := w.Available("alice", 0, 0); got.Int64() != 0 {
		t.Fatalf("alice can still spend %s, want 0", got)
	}
	// A fourth payment exceeds alice's balance: she declines and the
	// instance is refunded with nothing changed.
	id, err := w.Start(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.RefundSigned[id] || w.ConfirmSigned[id] {
		t.Fatalf("over-balance payment: refund=%v confirm=%v", w.RefundSigned[id], w.ConfirmSigned[id])
	}
	assertClean(t, w)
}

// phase points at which a terminal asks for refund.
var refundPoints = []struct {
	name string
	// reached reports whether the run is at this point.
	reached func(w *protocoltest.World, id [32]byte, who string) bool
	granted bool
}{
	{"after-own-prepared", func(w *protocoltest.World, id [32]byte, who string) bool {
		r := w.Terminal(who).Instance(id, 0)
		r2 := w.Terminal(who).Instance(id, 1)
		return r != nil || r2 != nil
	}, true},
	{"coordinator-prepared", func(w *protocoltest.World, id [32]byte, _ string) bool {
		return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_PREPARED
	}, true},
	{"own-committed", func(w *protocoltest.World, id [32]byte, who string) bool {
		for net := uint32(0); net < 2; net++ {
			if r := w.Terminal(who).Instance(id, net); r != nil && r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED {
				return true
			}
		}
		return false
	}, true},
	{"coordinator-committed", func(w *protocoltest.World, id [32]byte, _ string) bool {
		return w.Instances[id].Phase() == messages.InstancePhase_INSTANCE_PHASE_COMMITTED
	}, false},
}

// TestRefundByEveryRoleAtEveryPhase: any terminal's refund request wins
// before COMMITTED ([0102]) and is denied after; either way every
// terminal ends all-applied or all-reverted.
func TestRefundByEveryRoleAtEveryPhase(t *testing.T) {
	for _, who := range []string{"s1", "i1", "r1", "s2", "i2", "r2"} {
		for _, p := range refundPoints {
			t.Run(who+"/"+p.name, func(t *testing.T) {
				w := fig1(5)
				id, err := w.Start(100, 0, 1)
				if err != nil {
					t.Fatal(err)
				}
				if !w.DeliverUntil(func() bool { return p.reached(w, id, who) }) {
					t.Fatalf("run never reached %s", p.name)
				}
				if err := w.RequestRefund(who, id); err != nil {
					t.Fatalf("refund request: %v", err)
				}
				// The request overtakes the acks still in flight.
				w.Queue = append(w.Queue[len(w.Queue)-1:], w.Queue[:len(w.Queue)-1]...)
				w.DeliverAll()
				if p.granted {
					if !w.RefundSigned[id] || w.ConfirmSigned[id] {
						t.Fatalf("refund=%v confirm=%v, want refund", w.RefundSigned[id], w.ConfirmSigned[id])
					}
					if got := w.Balance("s1", 0, 0); got.Int64() != 1000 {
						t.Fatalf("s1 holds %s after refund, want 1000", got)
					}
				} else if !w.ConfirmSigned[id] || w.RefundSigned[id] {
					t.Fatalf("refund=%v confirm=%v, want confirm", w.RefundSigned[id], w.ConfirmSigned[id])
				}
				assertClean(t, w)
			})
		}
	}
}

// TestOfflineTerminalLeadsToRefund: r2 goes offline after PREPARE; the
// coordinator's deadline passes before COMMITTED and it authorizes refund.
// When r2 returns, it rolls back too.
func TestOfflineTerminalLeadsToRefund(t *testing.T) {
	w := fig1(6)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool { return w.Terminal("r2").Instance(id, 1) != nil })
	w.Drop("r2") // offline: its PREPARED ack is lost
	w.DeliverAll()
	if w.Instances[id].Phase() != messages.InstancePhase_INSTANCE_PHASE_NONE {
		t.Fatalf("phase %v, want NONE while r2 is away", w.Instances[id].Phase())
	}
	w.Tick(w.Instances[id].Deadline())
	if !w.RefundSigned[id] {
		t.Fatal("deadline passed without refund")
	}
	w.Drop("r2")
	w.DeliverAll()
	if r := w.Terminal("r2").Instance(id, 1); r.Phase != messages.TerminalPhase_TERMINAL_PHASE_PREPARED {
		t.Fatalf("offline r2 is %v", r.Phase)
	}
	w.Settle() // r2 is back; the refund is sent again
	assertClean(t, w)
	if w.Terminal("r2").Instance(id, 1).Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {
		t.Fatal("r2 did not roll back")
	}
}

// TestCrashedTerminalResumesFromPersistedState: a terminal restarted from
// its write-ahead records in the middle of an instance finishes it.
func TestCrashedTerminalResumesFromPersistedState(t *testing.T) {
	w := fig1(7)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverUntil(func() bool {
		r := w.Terminal("i1").Instance(id, 0)
		return r != nil && r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED
	})
	before := protocoltest.TerminalDigest(w.Terminal("i1"))
	w.Crash("i1")
	if after := protocoltest.TerminalDigest(w.Terminal("i1")); after != before {
		t.Fatal("restored terminal differs from the one that crashed")
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("instance did not confirm after the restart")
	}
	assertClean(t, w)
}
