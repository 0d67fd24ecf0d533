package sim

import (
	"fmt"
	"math/rand/v2"
)

// graph is one chain's channel graph over terminal indices 0..n-1.
type graph struct {
	kind  string
	n     int
	hops  int
	edges [][2]int // channel k joins edges[k][0] and edges[k][1]
	adj   [][]int  // neighbour terminals (deduplicated)
	next  int      // disjoint: next segment, round robin
}

// newGraph builds a graph of the given kind from rng, with parallel
// channels between each pair of neighbours.
func newGraph(kind string, n, hops, degree, parallel int, rng *rand.Rand) (*graph, error) {
	g := &graph{kind: kind, n: n, hops: hops, adj: make([][]int, n)}
	seen := map[[2]int]bool{}
	add := func(a, b int) {
		if a == b {
			return
		}
		k := [2]int{min(a, b), max(a, b)}
		if seen[k] {
			return
		}
		seen[k] = true
		g.edges = append(g.edges, [2]int{a, b})
		g.adj[a] = append(g.adj[a], b)
		g.adj[b] = append(g.adj[b], a)
	}
	switch kind {
	case GraphLine:
		for i := 0; i+1 < n; i++ {
			add(i, i+1)
		}
	case GraphHub:
		if n < 3 {
			return nil, fmt.Errorf("sim: a hub graph needs at least 3 terminals")
		}
		for i := 1; i < n; i++ {
			add(0, i)
		}
	case GraphDisjoint:
		seg := hops + 1
		for s := 0; s+seg <= n; s += seg {
			for i := s; i+1 < s+seg; i++ {
				add(i, i+1)
			}
		}
	case GraphRandom:
		// A random recursive tree keeps the graph connected; extra random
		// edges bring the average degree up.
		for i := 1; i < n; i++ {
			add(i, rng.IntN(i))
		}
		want := n * degree / 2
		for tries := 0; len(g.edges) < want && tries < 20*want; tries++ {
			add(rng.IntN(n), rng.IntN(n))
		}
	}
	if parallel > 1 {
		base := g.edges
		g.edges = make([][2]int, 0, len(base)*parallel)
		for _, e := range base {
			for range parallel {
				g.edges = append(g.edges, e)
			}
		}
	}
	return g, nil
}

// segments is the number of disjoint segments (disjoint graphs).
func (g *graph) segments() int { return g.n / (g.hops + 1) }

// pick returns a sender and a receiver g.hops channels apart.
func (g *graph) pick(rng *rand.Rand) (from, to int, err error) {
	switch g.kind {
	case GraphDisjoint:
		s := g.next % g.segments()
		g.next++
		from, to = s*(g.hops+1), s*(g.hops+1)+g.hops
		if rng.IntN(2) == 1 {
			from, to = to, from
		}
		return from, to, nil
	case GraphLine:
		s := rng.IntN(g.n - g.hops)
		from, to = s, s+g.hops
		if rng.IntN(2) == 1 {
			from, to = to, from
		}
		return from, to, nil
	case GraphHub:
		from = 1 + rng.IntN(g.n-1)
		to = 1 + rng.IntN(g.n-2)
		if to >= from {
			to++
		}
		return from, to, nil
	}
	for range 1000 {
		from = rng.IntN(g.n)
		far := g.atDistance(from, g.hops)
		if len(far) > 0 {
			return from, far[rng.IntN(len(far))], nil
		}
	}
	return 0, 0, fmt.Errorf("sim: no two terminals %d hops apart in the %s graph", g.hops, g.kind)
}

// atDistance lists the terminals exactly d hops from src (BFS).
func (g *graph) atDistance(src, d int) []int {
	dist := map[int]int{src: 0}
	frontier := []int{src}
	for k := 1; k <= d && len(frontier) > 0; k++ {
		var next []int
		for _, v := range frontier {
			for _, u := range g.adj[v] {
				if _, ok := dist[u]; !ok {
					dist[u] = k
					next = append(next, u)
				}
			}
		}
		frontier = next
	}
	return frontier
}
