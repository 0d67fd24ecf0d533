package protocoltest_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/teeswap/teeswap/enclave/protocoltest"
)

// contend1x2 is one channel with asymmetric deposits (s 150, r 60) and two
// instances competing for it, each moving its payer's whole balance: s
// pays r 150, r pays s 60. Whichever prepares first takes the channel;
// the other finds it busy, its version stale or its payer short, and is
// refunded. The second instance's versions follow the first's, so a
// PREPARE at a version already signed is reachable.
var contend1x2 = []protocoltest.ChainSpec{{ChainID: 1, Path: []string{"s", "r"}, Deposit: 150, DepositB: 60}}

func contended(t *testing.T) *protocoltest.World {
	t.Helper()
	w := protocoltest.NewWorld(1, contend1x2...)
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 150}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 60, Back: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

// byzConfigs are the byzantine explorations: coordinator crashes at every
// step, a lying terminal or coordinator, and contention. full ones run
// only with TEESWAP_EXPLORE_FULL=1.
var byzConfigs = []struct {
	name  string
	world func(t *testing.T) *protocoltest.World
	b     protocoltest.Budgets
	liars protocoltest.Liars
	full  bool
}{
	{"pay-1x2/coord-crash", func(t *testing.T) *protocoltest.World { return started(t, pay1x2) },
		protocoltest.Budgets{Drops: 1, Refunds: 1, Ticks: 1, CoordCrashes: 2}, protocoltest.Liars{}, false},
	{"pay-1x3/liar-i", func(t *testing.T) *protocoltest.World { return started(t, pay1x3) },
		protocoltest.Budgets{Refunds: 1, Ticks: 1, Lies: 1}, protocoltest.Liars{Terminal: "i"}, false},
	{"pay-1x3/liar-coord", func(t *testing.T) *protocoltest.World { return started(t, pay1x3) },
		protocoltest.Budgets{Ticks: 1, Lies: 1, CoordCrashes: 1}, protocoltest.Liars{Coordinator: true}, false},
	{"contend-1x2/crash", contended,
		protocoltest.Budgets{Ticks: 1, CoordCrashes: 1}, protocoltest.Liars{}, false},
	{"contend-1x2/liars", contended,
		protocoltest.Budgets{Lies: 1}, protocoltest.Liars{Terminal: "r", Coordinator: true}, false},
	{"swap-2x2/liar-r2", func(t *testing.T) *protocoltest.World { return started(t, swap2x2) },
		protocoltest.Budgets{Refunds: 1, Ticks: 1, Lies: 1}, protocoltest.Liars{Terminal: "r2"}, true},
	{"contend-1x2/crashes", contended,
		protocoltest.Budgets{Drops: 1, Refunds: 1, Ticks: 1, Crashes: 1, CoordCrashes: 1}, protocoltest.Liars{}, true},
	{"swap-2x2/liar-coord", func(t *testing.T) *protocoltest.World { return started(t, swap2x2) },
		protocoltest.Budgets{Refunds: 1, Ticks: 1, Lies: 1, CoordCrashes: 1}, protocoltest.Liars{Coordinator: true}, true},
	{"contend-1x2/all", contended,
		protocoltest.Budgets{Drops: 1, Refunds: 1, Ticks: 1, Crashes: 1, CoordCrashes: 1, Lies: 1}, protocoltest.Liars{Terminal: "r", Coordinator: true}, true},
}

// TestExploreByzantine explores with the coordinator crashing and
// restoring from its records at any step, and with a lying terminal or
// coordinator: every honest property must still hold, checked on every
// state (conservation per party with reservations) and after the shipped
// recovery.
func TestExploreByzantine(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of search; runs without -short")
	}
	for _, c := range byzConfigs {
		t.Run(c.name, func(t *testing.T) {
			if c.full && os.Getenv("TEESWAP_EXPLORE_FULL") == "" {
				t.Skip("minutes long; set TEESWAP_EXPLORE_FULL=1")
			}
			e := &protocoltest.Explorer{Budgets: c.b, Liars: c.liars}
			start := time.Now()
			r := e.Explore(c.world(t))
			report(t, fmt.Sprintf("explorer %-20s %+v liars %+v: %d states, %d transitions, %d leaves, %d settled, %d violations in %v",
				c.name, c.b, c.liars, r.States, r.Transitions, r.Leaves, r.Settled, r.Violations, time.Since(start).Round(time.Millisecond)))
			if r.Truncated {
				t.Errorf("exploration truncated at %d states", r.States)
			}
			if r.Violations != 0 {
				for _, v := range r.Found {
					t.Error(v)
				}
				t.Fatalf("%d violations", r.Violations)
			}
			if r.Settled == 0 || r.States < 100 {
				t.Fatalf("explored too little: %+v", r)
			}
		})
	}
}
