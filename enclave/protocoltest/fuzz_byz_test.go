package protocoltest_test

import (
	"strings"
	"testing"

	"github.com/teeswap/teeswap/enclave/protocoltest"
)

// byzWalks are the worlds FuzzByzantineWalk picks from by its first byte:
// two instances contending for an asymmetric channel with both a lying
// terminal and a lying coordinator, and a two-chain swap with a lying
// terminal on each side of the swap in turn.
var byzWalks = []struct {
	world func(t testing.TB) *protocoltest.World
	liars protocoltest.Liars
}{
	{func(t testing.TB) *protocoltest.World { return contendedTB(t) }, protocoltest.Liars{Terminal: "r", Coordinator: true}},
	{func(t testing.TB) *protocoltest.World { return startedTB(t, swap2x2) }, protocoltest.Liars{Terminal: "s1", Coordinator: true}},
	{func(t testing.TB) *protocoltest.World { return startedTB(t, swap2x2) }, protocoltest.Liars{Terminal: "r2"}},
}

var walkBudgets = protocoltest.Budgets{Drops: 2, Dups: 1, Refunds: 1, Ticks: 1, Crashes: 1, CoordCrashes: 2, Lies: 3}

func contendedTB(t testing.TB) *protocoltest.World {
	w := protocoltest.NewWorld(1, contend1x2...)
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 150}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.StartFlows(protocoltest.Flow{Chain: 0, Amount: 60, Back: true}); err != nil {
		t.Fatal(err)
	}
	return w
}

func startedTB(t testing.TB, chains []protocoltest.ChainSpec) *protocoltest.World {
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

// byzSeeds are schedules that reach the byzantine modes: after 0 to 15
// honest steps (the first move each time), every third of the first 45
// moves then offered — the lies of the menu open at that point, a
// coordinator or terminal crash, a drop, the tick — then honest steps.
func byzSeeds() [][]byte {
	var out [][]byte
	for world := range byzWalks {
		for prefix := 0; prefix <= 15; prefix += 5 {
			for k := (world + prefix/5) % 3; k < 45; k += 3 {
				s := []byte{byte(world)}
				s = append(s, make([]byte, prefix)...)
				s = append(s, byte(k))
				s = append(s, make([]byte, 16)...)
				out = append(out, s)
			}
		}
	}
	return out
}

// FuzzByzantineWalk walks one schedule of deliveries, losses, crashes of
// terminals and of the coordinator, and lies, chosen by the input, and
// demands every honest property on every state and after the shipped
// recovery. Plain go test runs the byzantine seeds; fuzz with
//
//	go test ./enclave/protocoltest/ -run '^$' -fuzz '^FuzzByzantineWalk$' -fuzztime 60s
func FuzzByzantineWalk(f *testing.F) {
	for _, s := range byzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 || len(in) > 200 {
			return
		}
		c := byzWalks[int(in[0])%len(byzWalks)]
		e := &protocoltest.Explorer{Budgets: walkBudgets, Liars: c.liars}
		trace, problems := e.Walk(c.world(t), in[1:])
		if len(problems) > 0 {
			t.Fatalf("%v\n  trace:\n   %s", problems, strings.Join(trace, "\n   "))
		}
	})
}

// TestByzantineSeedsReachEveryLie checks the seeds do what they claim:
// between them they send every kind of lie of the menu and crash the
// coordinator.
func TestByzantineSeedsReachEveryLie(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every seed again")
	}
	seen := map[string]bool{}
	for _, s := range byzSeeds() {
		c := byzWalks[int(s[0])%len(byzWalks)]
		trace, _ := (&protocoltest.Explorer{Budgets: walkBudgets, Liars: c.liars}).Walk(c.world(t), s[1:])
		for _, m := range trace {
			switch {
			case strings.HasPrefix(m, "LIE "):
				name := strings.TrimPrefix(m, "LIE ")
				if i := strings.Index(name, " to "); i > 0 {
					name = name[:i]
				}
				name = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(name, "r "), "s1 "), "r2 ")
				seen[name] = true
			case strings.HasPrefix(m, "crash and restore the coordinator"):
				seen["coordinator crash"] = true
			}
		}
	}
	for _, want := range []string{
		"coordinator crash",
		"PREPARED with other balances", "PREPARED naming another terminal", "PREPARED forged in another's name",
		"COMMITTED with other balances", "refund request in another's name",
		"coordinator PREPARE from an unadmitted key", "coordinator COMMIT missing an ack", "coordinator tampered COMMIT",
		"coordinator REFUND-AUTHORIZED without outcome signature", "coordinator REFUND-AUTHORIZED from an unadmitted key",
	} {
		if !seen[want] {
			t.Errorf("no seed sends %q; seen %v", want, keys(seen))
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
