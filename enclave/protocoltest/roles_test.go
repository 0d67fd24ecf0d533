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
