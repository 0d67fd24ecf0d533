package directory_test

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/directory/directorytest"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// randomGraph returns m channels on chain1 between nodes Addr(0..n-1), with
// random ids, mostly open, balances in [0,100], spread over `assets` assets
// (native first, then token).
func randomGraph(rng *rand.Rand, n, m, assets int) []directory.Channel {
	seen := map[directory.ChannelID]bool{}
	out := make([]directory.Channel, 0, m)
	for len(out) < m {
		var cid directory.ChannelID
		for i := 0; i < 32; i += 8 {
			v := rng.Uint64()
			for j := 0; j < 8; j++ {
				cid[i+j] = byte(v >> (8 * j))
			}
		}
		a, b := rng.IntN(n), rng.IntN(n)
		if a == b || seen[cid] {
			continue
		}
		seen[cid] = true
		st := directory.StatusOpen
		switch rng.IntN(10) {
		case 0:
			st = directory.StatusClosing
		case 1:
			st = directory.StatusClosed
		}
		as := native
		if rng.IntN(assets) == 1 {
			as = token
		}
		out = append(out, directory.Channel{ChainID: chain1, ID: cid,
			A: directorytest.Addr(uint64(a)), B: directorytest.Addr(uint64(b)), Asset: as,
			BalanceA: big.NewInt(rng.Int64N(101)), BalanceB: big.NewInt(rng.Int64N(101)), Status: st})
	}
	return out
}

// bruteForce finds every shortest route by exhaustive enumeration and returns
// the lexicographically smallest id sequence, or nil.
func bruteForce(chans []directory.Channel, a, from, to common.Address, amount int64,
	excluded map[directory.ChannelID]bool, maxHops int) []directory.ChannelID {
	type arc struct {
		id       directory.ChannelID
		from, to common.Address
	}
	var arcs []arc
	amt := big.NewInt(amount)
	for _, c := range chans {
		if c.Status != directory.StatusOpen || c.Asset != a || excluded[c.ID] {
			continue
		}
		if c.BalanceA.Cmp(amt) >= 0 {
			arcs = append(arcs, arc{c.ID, c.A, c.B})
		}
		if c.BalanceB.Cmp(amt) >= 0 {
			arcs = append(arcs, arc{c.ID, c.B, c.A})
		}
	}
	// Level-by-level reachability from `from`, scanning every arc each round.
	dist := map[common.Address]int{from: 0}
	for level := 0; ; level++ {
		grew := false
		for _, e := range arcs {
			if d, ok := dist[e.from]; ok && d == level {
				if _, seen := dist[e.to]; !seen {
					dist[e.to] = level + 1
					grew = true
				}
			}
		}
		if !grew {
			break
		}
	}
	d, ok := dist[to]
	if !ok || (maxHops > 0 && d > maxHops) {
		return nil
	}
	var best, path []directory.ChannelID
	var walk func(at common.Address)
	walk = func(at common.Address) {
		if len(path) == d {
			if at == to && (best == nil || slices.Compare(cmpKeys(path), cmpKeys(best)) < 0) {
				best = slices.Clone(path)
			}
			return
		}
		for _, e := range arcs {
			if e.from == at && dist[e.to] == len(path)+1 {
				path = append(path, e.id)
				walk(e.to)
				path = path[:len(path)-1]
			}
		}
	}
	walk(from)
	return best
}

// cmpKeys turns ids into strings so slices.Compare orders them bytewise.
func cmpKeys(ids []directory.ChannelID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id[:])
	}
	return out
}

func TestFindRouteMatchesBruteForce(t *testing.T) {
	rng := newRand(20240531)
	var found, none int
	for g := 0; g < 300; g++ {
		n := 3 + rng.IntN(20)
		chans := randomGraph(rng, n, n+rng.IntN(3*n), 1+rng.IntN(2))
		r := newRouter(t, chans...)
		for q := 0; q < 30; q++ {
			from, to := directorytest.Addr(uint64(rng.IntN(n))), directorytest.Addr(uint64(rng.IntN(n)))
			if from == to {
				continue
			}
			as := native
			if rng.IntN(3) == 0 {
				as = token
			}
			amount := 1 + rng.Int64N(100)
			excluded := map[directory.ChannelID]bool{}
			var opts []directory.RouteOption
			if rng.IntN(2) == 0 {
				var ex []directory.ChannelID
				for _, c := range chans {
					if rng.IntN(8) == 0 {
						excluded[c.ID] = true
						ex = append(ex, c.ID)
					}
				}
				opts = append(opts, directory.WithExclude(ex...))
			}
			maxHops := 0
			if rng.IntN(3) == 0 {
				maxHops = 1 + rng.IntN(4)
				opts = append(opts, directory.WithMaxHops(maxHops))
			}
			want := bruteForce(chans, as, from, to, amount, excluded, maxHops)
			hops, err := r.FindRoute(chain1, as, from, to, big.NewInt(amount), opts...)
			if want == nil {
				if err == nil {
					t.Fatalf("graph %d query %d: brute force finds nothing, router %v", g, q, hopIDs(hops))
				}
				if !isNoRouteOrUnknown(err) {
					t.Fatalf("graph %d query %d: unexpected %v", g, q, err)
				}
				none++
				continue
			}
			if err != nil {
				t.Fatalf("graph %d query %d: brute force %d hops, router error %v", g, q, len(want), err)
			}
			if len(hops) != len(want) || !slices.Equal(hopIDs(hops), want) {
				t.Fatalf("graph %d query %d: router %v, brute force %v", g, q, hopIDs(hops), want)
			}
			for _, h := range hops {
				if excluded[h.Channel] {
					t.Fatalf("excluded channel used")
				}
			}
			checkRoute(t, chans, chain1, as, from, to, amount, hops)
			found++
		}
	}
	// Guard against a generator that only produces trivial cases.
	if found < 500 || none < 500 {
		t.Fatalf("weak coverage: %d routes found, %d none", found, none)
	}
	t.Logf("%d routes, %d no-route cases", found, none)
}

func isNoRouteOrUnknown(err error) bool {
	return errorsIs(err, directory.ErrNoRoute) || errorsIs(err, directory.ErrUnknownAddress)
}

// An index kept up to date write by write equals one rebuilt from the store.
func TestIncrementalIndexMatchesRebuild(t *testing.T) {
	rng := newRand(99)
	const n = 30
	chans := randomGraph(rng, n, 90, 2)
	live := newRouter(t, chans[:40]...)
	routes := 0
	for step := 0; step < 400; step++ {
		c := chans[rng.IntN(len(chans))]
		var err error
		switch rng.IntN(4) {
		case 0:
			err = live.Put(c)
		case 1:
			err = live.Update(chain1, c.ID, func(x *directory.Channel) error {
				x.BalanceA.SetInt64(rng.Int64N(101))
				x.Status = directory.Status(1 + rng.IntN(3))
				return nil
			})
		case 2:
			err = live.Delete(chain1, c.ID)
		default:
			c2 := c.Clone()
			c2.Asset, c2.A = token, directorytest.Addr(uint64(rng.IntN(n)))
			if c2.A == c2.B {
				continue
			}
			err = live.Apply(chain1, []directory.Change{directory.PutChange(c2)}, directory.Cursor{BlockNumber: uint64(step)})
		}
		if err != nil && !errorsIs(err, directory.ErrNotFound) {
			t.Fatal(err)
		}
		rebuilt, err := directory.NewRouter(live.Unwrap())
		if err != nil {
			t.Fatal(err)
		}
		for q := 0; q < 5; q++ {
			from, to := directorytest.Addr(uint64(rng.IntN(n))), directorytest.Addr(uint64(rng.IntN(n)))
			as := []common.Address{native, token}[rng.IntN(2)]
			amt := big.NewInt(1 + rng.Int64N(100))
			h1, e1 := live.FindRoute(chain1, as, from, to, amt)
			h2, e2 := rebuilt.FindRoute(chain1, as, from, to, amt)
			if !slices.Equal(h1, h2) || (e1 == nil) != (e2 == nil) || (e1 != nil && e1.Error() != e2.Error()) {
				t.Fatalf("step %d: live %v/%v, rebuilt %v/%v", step, hopIDs(h1), e1, hopIDs(h2), e2)
			}
			if e1 == nil {
				routes++
			}
		}
	}
	if routes < 100 {
		t.Fatalf("only %d of 2000 queries found a route; the test compares too little", routes)
	}
}

// Benchmarks on a 10,000-channel, 2,000-node random graph.
const benchNodes, benchChannels = 2000, 10000

func benchGraph() []directory.Channel {
	rng := newRand(1)
	chans := randomGraph(rng, benchNodes, benchChannels, 1)
	for i := range chans {
		chans[i].Status = directory.StatusOpen
		chans[i].BalanceA = big.NewInt(rng.Int64N(1001))
		chans[i].BalanceB = big.NewInt(rng.Int64N(1001))
	}
	return chans
}

func BenchmarkFindRoute(b *testing.B) {
	chans := benchGraph()
	r := newRouter(b, chans...)
	rng := newRand(2)
	type pair struct{ from, to common.Address }
	pairs := make([]pair, 1024)
	for i := range pairs {
		f, t := rng.IntN(benchNodes), rng.IntN(benchNodes-1)
		if t >= f {
			t++
		}
		pairs[i] = pair{directorytest.Addr(uint64(f)), directorytest.Addr(uint64(t))}
	}
	var busy []directory.ChannelID
	for i := 0; i < 500; i++ {
		busy = append(busy, chans[rng.IntN(len(chans))].ID)
	}
	cases := []struct {
		name   string
		amount int64
		opts   []directory.RouteOption
	}{
		{"amount=100", 100, nil},
		{"amount=900", 900, nil},
		{"amount=100/exclude500", 100, []directory.RouteOption{directory.WithExclude(busy...)}},
		{"amount=100/maxhops3", 100, []directory.RouteOption{directory.WithMaxHops(3)}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			amount := big.NewInt(c.amount)
			var found, hops, i int
			for b.Loop() {
				p := pairs[i%len(pairs)]
				i++
				h, err := r.FindRoute(chain1, native, p.from, p.to, amount, c.opts...)
				if err == nil {
					found++
					hops += len(h)
				} else if !errorsIs(err, directory.ErrNoRoute) && !errorsIs(err, directory.ErrUnknownAddress) {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(found)/float64(i), "found/op")
			if found > 0 {
				b.ReportMetric(float64(hops)/float64(found), "hops/route")
			}
		})
	}
}

func BenchmarkNewRouter(b *testing.B) {
	s := directory.NewMemStore()
	for _, c := range benchGraph() {
		if err := s.Put(c); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := directory.NewRouter(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRouterUpdateBalance(b *testing.B) {
	chans := benchGraph()
	r := newRouter(b, chans...)
	i := 0
	for b.Loop() {
		c := chans[i%len(chans)]
		i++
		if err := r.Update(chain1, c.ID, func(x *directory.Channel) error { x.BalanceA.SetInt64(int64(i % 1000)); return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }
