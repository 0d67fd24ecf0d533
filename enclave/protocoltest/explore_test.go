package protocoltest_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/teeswap/teeswap/enclave/protocoltest"
)

// exploreConfigs are the small worlds the explorer covers exhaustively:
// one channel and a two-hop path on one chain, two chains of one channel
// each, and the patent's Fig. 1 (two chains, sender → intermediary →
// receiver on each). Budgets bound the adversary per path; the largest
// worlds get the smaller budgets so the default run stays within CI's
// minutes, and TEESWAP_EXPLORE_FULL=1 adds the long ones (docs/PROTOCOL.md
// records their counts).
var exploreConfigs = []struct {
	name   string
	chains []protocoltest.ChainSpec
	b      protocoltest.Budgets
	short  bool // also run under -short (the race run)
	full   bool // only with TEESWAP_EXPLORE_FULL=1: minutes, not seconds
}{
	{"pay-1x2/all", pay1x2, protocoltest.Budgets{Drops: 1, Dups: 1, Refunds: 1, Ticks: 1, Crashes: 1}, true, false},
	{"pay-1x3/net", pay1x3, protocoltest.Budgets{Drops: 1, Dups: 1, Refunds: 1, Ticks: 1}, false, false},
	{"pay-1x3/crash", pay1x3, protocoltest.Budgets{Refunds: 1, Ticks: 1, Crashes: 1}, false, false},
	{"swap-2x2/drop", swap2x2, protocoltest.Budgets{Drops: 1, Refunds: 1, Ticks: 1}, false, false},
	{"swap-2x2/crash", swap2x2, protocoltest.Budgets{Refunds: 1, Ticks: 1, Crashes: 1}, false, false},
	{"fig1-2x3/orders", fig1x3, protocoltest.Budgets{}, true, false},
	{"swap-2x2/dup", swap2x2, protocoltest.Budgets{Dups: 1, Refunds: 1, Ticks: 1}, false, true},
	{"fig1-2x3/tick", fig1x3, protocoltest.Budgets{Ticks: 1}, false, true},
	{"fig1-2x3/refund", fig1x3, protocoltest.Budgets{Refunds: 1}, false, true},
}

var (
	pay1x2  = []protocoltest.ChainSpec{{ChainID: 1, Path: []string{"s", "r"}, Deposit: 1000}}
	pay1x3  = []protocoltest.ChainSpec{{ChainID: 1, Path: []string{"s", "i", "r"}, Deposit: 1000}}
	swap2x2 = []protocoltest.ChainSpec{{ChainID: 1, Path: []string{"s1", "r1"}, Deposit: 1000}, {ChainID: 2, Path: []string{"s2", "r2"}, Deposit: 1000}}
	fig1x3  = []protocoltest.ChainSpec{{ChainID: 1, Path: []string{"s1", "i1", "r1"}, Deposit: 1000}, {ChainID: 2, Path: []string{"s2", "i2", "r2"}, Deposit: 1000}}
)

// started is a world with one instance started across all its chains:
// the explorer takes it from there.
func started(t *testing.T, chains []protocoltest.ChainSpec) *protocoltest.World {
	t.Helper()
	w := protocoltest.NewWorld(1, chains...)
	idx := make([]int, len(chains))
	for i := range idx {
		idx[i] = i
	}
	if _, err := w.Start(100, idx...); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestExploreExhaustive enumerates every interleaving of deliveries,
// drops, duplicates, refund requests by any terminal, deadline expiry and
// crashes within each config's budgets, and demands no violation: exactly
// one outcome signed, every terminal all-applied or all-reverted, value
// conserved per chain, no reservation left once outcomes are delivered.
func TestExploreExhaustive(t *testing.T) {
	total := 0
	for _, c := range exploreConfigs {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && !c.short {
				t.Skip("large configuration; runs without -short")
			}
			if c.full && os.Getenv("TEESWAP_EXPLORE_FULL") == "" {
				t.Skip("minutes long; set TEESWAP_EXPLORE_FULL=1")
			}
			e := &protocoltest.Explorer{Budgets: c.b}
			start := time.Now()
			r := e.Explore(started(t, c.chains))
			report(t, fmt.Sprintf("explorer %-16s %+v: %d states, %d transitions, %d leaves, %d settled, %d violations in %v",
				c.name, c.b, r.States, r.Transitions, r.Leaves, r.Settled, r.Violations, time.Since(start).Round(time.Millisecond)))
			total += r.States
			if r.Truncated {
				t.Errorf("exploration truncated at %d states", r.States)
			}
			if r.Violations != 0 {
				for _, v := range r.Found {
					t.Error(v)
				}
				t.Fatalf("%d violations", r.Violations)
			}
			// A search that never reached an outcome proves nothing.
			if r.Settled == 0 || r.States < 100 {
				t.Fatalf("explored too little: %+v", r)
			}
		})
	}
	if !t.Failed() {
		report(t, fmt.Sprintf("explorer: %d distinct states in all, 0 violations", total))
	}
}

// report logs a line and, when TEESWAP_EXPLORE_REPORT names a file, adds
// it there: go test hides a passing test's output, and CI prints the file.
func report(t *testing.T, line string) {
	t.Log(line)
	path := os.Getenv("TEESWAP_EXPLORE_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := fmt.Fprintln(f, line); err != nil {
		t.Fatal(err)
	}
}

// TestExplorerFindsPlantedFaults checks the checker: with a fault planted
// as an extra move, the explorer must report it with a trace.
func TestExplorerFindsPlantedFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("seconds of single-threaded search; runs without -short")
	}
	faults := []struct {
		name    string
		chains  []protocoltest.ChainSpec
		mutants func(*protocoltest.World) []protocoltest.Move
		want    string // a word of the problem reported
	}{
		// The coordinator signs REFUND-AUTHORIZED after COMMITTED.
		{"rogue refund, seen", swap2x2, protocoltest.RogueRefund(true), "both CONFIRM and REFUND-AUTHORIZED"},
		// The same, hidden from the harness's signing log: only the
		// terminals' divergent outcomes can reveal it.
		{"rogue refund, hidden", swap2x2, protocoltest.RogueRefund(false), ""},
		// A terminal restarts having lost its instance records.
		{"amnesia", pay1x3, protocoltest.Amnesia, ""},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			e := &protocoltest.Explorer{Budgets: protocoltest.Budgets{Refunds: 1, Mutations: 1}, Mutants: f.mutants}
			r := e.Explore(started(t, f.chains))
			if r.Violations == 0 {
				t.Fatalf("planted fault not found in %d states", r.States)
			}
			v := r.Found[0]
			if !strings.Contains(strings.Join(v.Trace, "\n"), "MUTANT") {
				t.Errorf("violation trace does not contain the planted move:\n%v", v)
			}
			if f.want != "" && !strings.Contains(strings.Join(v.Problems, "\n"), f.want) {
				t.Errorf("want a problem with %q, got:\n%v", f.want, v)
			}
			t.Logf("found in %d states: %v", r.States, v)
		})
	}
}

// TestExplorerMemoChangesNothing runs small searches with and without
// memoised machine steps: the same states, the same verdict, and that
// verdict is no violation at all.
func TestExplorerMemoChangesNothing(t *testing.T) {
	for _, c := range []struct {
		name  string
		w     func(t *testing.T) *protocoltest.World
		b     protocoltest.Budgets
		liars protocoltest.Liars
	}{
		{"pay-1x2", func(t *testing.T) *protocoltest.World { return started(t, pay1x2) },
			protocoltest.Budgets{Drops: 1, Refunds: 1, Ticks: 1, Crashes: 1}, protocoltest.Liars{}},
		{"pay-1x2/byzantine", func(t *testing.T) *protocoltest.World { return started(t, pay1x2) },
			protocoltest.Budgets{Ticks: 1, CoordCrashes: 1, Lies: 1}, protocoltest.Liars{Terminal: "r", Coordinator: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			memo := (&protocoltest.Explorer{Budgets: c.b, Liars: c.liars}).Explore(c.w(t))
			plain := (&protocoltest.Explorer{Budgets: c.b, Liars: c.liars, NoMemo: true}).Explore(c.w(t))
			if memo.States != plain.States || memo.Transitions != plain.Transitions || memo.Violations != plain.Violations || memo.Settled != plain.Settled {
				t.Fatalf("memoised %+v, plain %+v", memo, plain)
			}
			if memo.Violations != 0 || memo.States < 100 {
				for _, v := range memo.Found {
					t.Error(v)
				}
				t.Fatalf("%d violations in %d states", memo.Violations, memo.States)
			}
		})
	}
}

// TestExploreProbe explores one configuration named in the environment,
// for sizing budgets by hand:
//
//	XCFG=fig1-2x3 XB='1 0 1 1 0' go test -run ExploreProbe -v ./enclave/protocoltest/
//
// XB gives drops, dups, refunds, ticks and crashes.
func TestExploreProbe(t *testing.T) {
	specs := map[string][]protocoltest.ChainSpec{"pay-1x2": pay1x2, "pay-1x3": pay1x3, "swap-2x2": swap2x2, "fig1-2x3": fig1x3}
	name := os.Getenv("XCFG")
	if name == "" {
		t.Skip("set XCFG (and XB) to probe a configuration")
	}
	chains, ok := specs[name]
	if !ok {
		t.Fatalf("unknown XCFG %q", name)
	}
	var b protocoltest.Budgets
	if _, err := fmt.Sscanf(os.Getenv("XB"), "%d %d %d %d %d", &b.Drops, &b.Dups, &b.Refunds, &b.Ticks, &b.Crashes); err != nil {
		t.Fatalf("XB: %v", err)
	}
	e := &protocoltest.Explorer{Budgets: b, MaxStates: 2_000_000}
	start := time.Now()
	r := e.Explore(started(t, chains))
	t.Logf("%s %+v: states=%d trans=%d leaves=%d settled=%d viol=%d trunc=%v in %v", name, b, r.States, r.Transitions, r.Leaves, r.Settled, r.Violations, r.Truncated, time.Since(start))
	for _, v := range r.Found {
		t.Error(v)
	}
}
