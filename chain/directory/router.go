package directory

import (
	"errors"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/common"
)

// Route errors. A failed search returns a *NoRouteError, which matches
// ErrNoRoute with errors.Is.
var (
	ErrNoRoute        = errors.New("directory: no route")
	ErrUnknownAddress = errors.New("directory: address has no channel on this chain")
	ErrSameEndpoints  = errors.New("directory: sender and receiver are the same address")
	ErrInvalidAmount  = errors.New("directory: amount must be positive")
)

// NoRouteError says why FindRoute found nothing.
type NoRouteError struct {
	ChainID  uint64
	From, To common.Address
	Amount   *big.Int
	Reason   string
}

func (e *NoRouteError) Error() string {
	return fmt.Sprintf("directory: no route on chain %d from %s to %s for %s: %s",
		e.ChainID, e.From, e.To, e.Amount, e.Reason)
}

// Is makes errors.Is(err, ErrNoRoute) true.
func (e *NoRouteError) Is(target error) bool { return target == ErrNoRoute }

// Hop is one channel of a route, paid from Payer to Payee.
type Hop struct {
	Channel      ChannelID
	Payer, Payee common.Address
}

// RouteOption tunes FindRoute.
type RouteOption func(*routeOpts)

type routeOpts struct {
	exclude   []map[ChannelID]struct{}
	excludeFn func(ChannelID) bool
	maxHops   int
}

// WithExclude keeps the given channels out of the route, e.g. channels locked
// by in-flight instances. The set is built once when the option is made, so
// an option can be reused across calls cheaply. Repeated uses add up.
func WithExclude(ids ...ChannelID) RouteOption {
	set := make(map[ChannelID]struct{}, len(ids))
	for _, id := range ids {
		set[id] = struct{}{}
	}
	return func(o *routeOpts) { o.exclude = append(o.exclude, set) }
}

// WithExcludeFunc keeps every channel for which busy returns true out of the
// route. It is called under the router's read lock and must not call the
// router. A later WithExcludeFunc replaces an earlier one.
func WithExcludeFunc(busy func(ChannelID) bool) RouteOption {
	return func(o *routeOpts) { o.excludeFn = busy }
}

// WithMaxHops limits the route length; n <= 0 means no limit (the default).
func WithMaxHops(n int) RouteOption {
	return func(o *routeOpts) { o.maxHops = n }
}

func (o *routeOpts) excluded(id ChannelID) bool {
	for _, set := range o.exclude {
		if _, ok := set[id]; ok {
			return true
		}
	}
	return o.excludeFn != nil && o.excludeFn(id)
}

// Router is a Store that also finds routes. Writes go to the wrapped store
// first and then to an in-memory index of open channels per (chain, asset),
// so FindRoute never reads the store. All writes must go through the Router
// (or be followed by Reload) for the index to stay current. It is safe for
// concurrent use.
type Router struct {
	store   Store
	writeMu sync.Mutex   // serialises writers so store order == index order
	mu      sync.RWMutex // guards chains
	chains  map[uint64]*chainIndex
}

var _ Store = (*Router)(nil)

// NewRouter builds the index from everything in s.
func NewRouter(s Store) (*Router, error) {
	r := &Router{store: s}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload rebuilds the index from the store.
func (r *Router) Reload() error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	chainIDs, err := r.store.Chains()
	if err != nil {
		return err
	}
	chains := make(map[uint64]*chainIndex, len(chainIDs))
	for _, cid := range chainIDs {
		list, err := r.store.List(cid)
		if err != nil {
			return err
		}
		ci := newChainIndex()
		for i := range list {
			ci.set(list[i].ID, &list[i])
		}
		chains[cid] = ci
	}
	r.mu.Lock()
	r.chains = chains
	r.mu.Unlock()
	return nil
}

// chainIndex is one chain's view: every known channel (for ErrUnknownAddress)
// and a routing graph per asset holding only open channels.
type chainIndex struct {
	known     map[ChannelID]knownChannel
	addrCount map[common.Address]int
	graphs    map[common.Address]*graph
}

type knownChannel struct {
	a, b, asset common.Address
	open        bool
}

func newChainIndex() *chainIndex {
	return &chainIndex{
		known:     map[ChannelID]knownChannel{},
		addrCount: map[common.Address]int{},
		graphs:    map[common.Address]*graph{},
	}
}

// set records ch (owned by the index from now on) as the state of id; nil
// means deleted.
func (ci *chainIndex) set(id ChannelID, ch *Channel) {
	old, had := ci.known[id]
	if had {
		if ch != nil && old.open && ch.Status == StatusOpen &&
			old.a == ch.A && old.b == ch.B && old.asset == ch.Asset {
			ci.graphs[old.asset].setBalances(id, ch.BalanceA, ch.BalanceB)
			return
		}
		ci.decr(old.a)
		ci.decr(old.b)
		if old.open {
			ci.graphs[old.asset].remove(id)
		}
		delete(ci.known, id)
	}
	if ch == nil {
		return
	}
	k := knownChannel{a: ch.A, b: ch.B, asset: ch.Asset, open: ch.Status == StatusOpen}
	ci.known[id] = k
	ci.addrCount[k.a]++
	ci.addrCount[k.b]++
	if k.open {
		g := ci.graphs[k.asset]
		if g == nil {
			g = newGraph()
			ci.graphs[k.asset] = g
		}
		g.add(ch)
	}
}

func (ci *chainIndex) decr(a common.Address) {
	if ci.addrCount[a]--; ci.addrCount[a] <= 0 {
		delete(ci.addrCount, a)
	}
}

// graph is the adjacency index of one (chain, asset). Nodes are dense int32
// indices so a search can use slices instead of maps; a node whose channels
// all went away stays as an isolated node until the next Reload.
type graph struct {
	idx     map[common.Address]int32
	addrs   []common.Address
	adj     [][]*edge
	entries map[ChannelID]*edge
}

type edge struct {
	id         ChannelID
	a, b       int32
	balA, balB *big.Int
}

// capacity returns how much the side at node from can pay across e.
func (e *edge) capacity(from int32) *big.Int {
	if from == e.a {
		return e.balA
	}
	return e.balB
}

func (e *edge) other(n int32) int32 {
	if n == e.a {
		return e.b
	}
	return e.a
}

func newGraph() *graph {
	return &graph{idx: map[common.Address]int32{}, entries: map[ChannelID]*edge{}}
}

func (g *graph) node(a common.Address) int32 {
	if i, ok := g.idx[a]; ok {
		return i
	}
	i := int32(len(g.addrs))
	g.idx[a] = i
	g.addrs = append(g.addrs, a)
	g.adj = append(g.adj, nil)
	return i
}

func (g *graph) add(ch *Channel) {
	e := &edge{id: ch.ID, a: g.node(ch.A), b: g.node(ch.B), balA: ch.BalanceA, balB: ch.BalanceB}
	g.entries[ch.ID] = e
	g.adj[e.a] = append(g.adj[e.a], e)
	g.adj[e.b] = append(g.adj[e.b], e)
}

// setBalances replaces (never mutates) the balance values, so nothing else
// can observe a half-written big.Int.
func (g *graph) setBalances(id ChannelID, a, b *big.Int) {
	e := g.entries[id]
	e.balA, e.balB = a, b
}

func (g *graph) remove(id ChannelID) {
	e := g.entries[id]
	delete(g.entries, id)
	g.unlink(e.a, e)
	g.unlink(e.b, e)
}

func (g *graph) unlink(n int32, e *edge) {
	l := g.adj[n]
	for i, x := range l {
		if x == e {
			last := len(l) - 1
			l[i] = l[last]
			l[last] = nil
			g.adj[n] = l[:last]
			return
		}
	}
}

// FindRoute returns the shortest route (fewest hops) on chainID in asset from
// from to to such that every channel is open, not excluded, and its payer side
// holds at least amount. Among equally short routes it returns the one whose
// channel-ID sequence is lexicographically smallest.
//
// Errors: ErrInvalidAmount (nil, zero or negative amount), ErrSameEndpoints,
// ErrUnknownAddress (from or to has no channel of any asset or status on the
// chain), otherwise a *NoRouteError.
func (r *Router) FindRoute(chainID uint64, asset, from, to common.Address, amount *big.Int, opts ...RouteOption) ([]Hop, error) {
	if amount == nil || amount.Sign() <= 0 {
		return nil, fmt.Errorf("%w: %v", ErrInvalidAmount, amount)
	}
	if from == to {
		return nil, fmt.Errorf("%w: %s", ErrSameEndpoints, from)
	}
	var o routeOpts
	for _, opt := range opts {
		opt(&o)
	}
	noRoute := func(reason string) error {
		return &NoRouteError{ChainID: chainID, From: from, To: to, Amount: new(big.Int).Set(amount), Reason: reason}
	}

	r.mu.RLock()
	defer r.mu.RUnlock()
	ci := r.chains[chainID]
	for _, a := range [2]common.Address{from, to} {
		if ci == nil || ci.addrCount[a] == 0 {
			return nil, fmt.Errorf("%w: %s on chain %d", ErrUnknownAddress, a, chainID)
		}
	}
	g := ci.graphs[asset]
	if g == nil {
		return nil, noRoute("no open channel in this asset on the chain")
	}
	src, ok := g.idx[from]
	if !ok || len(g.adj[src]) == 0 {
		return nil, noRoute("sender has no open channel in this asset")
	}
	dst, ok := g.idx[to]
	if !ok || len(g.adj[dst]) == 0 {
		return nil, noRoute("receiver has no open channel in this asset")
	}
	hops, limited := g.search(src, dst, amount, &o)
	switch {
	case hops != nil:
		return hops, nil
	case limited:
		return nil, noRoute(fmt.Sprintf("no route within %d hops", o.maxHops))
	default:
		return nil, noRoute("no path of open, non-excluded channels with enough capacity")
	}
}

// search runs a BFS backwards from dst over usable edges until src is
// labelled, giving every node its hop distance to dst. Walking forward from
// src, always taking the smallest-ID usable edge that gets one hop closer,
// then yields the lexicographically smallest shortest route: all candidates
// have the same length, each step minimises the next ID, and a step to a
// node at distance k-1 can always be completed. limited reports that the
// hop limit cut the search short.
func (g *graph) search(src, dst int32, amount *big.Int, o *routeOpts) (hops []Hop, limited bool) {
	usable := func(e *edge, payer int32) bool {
		return e.capacity(payer).Cmp(amount) >= 0 && !o.excluded(e.id)
	}
	dist := make([]int32, len(g.addrs))
	for i := range dist {
		dist[i] = -1
	}
	dist[dst] = 0
	queue := make([]int32, 1, 64)
	queue[0] = dst
	found := false
bfs:
	for head := 0; head < len(queue); head++ {
		v := queue[head]
		d := dist[v]
		for _, e := range g.adj[v] {
			u := e.other(v)
			if dist[u] >= 0 || !usable(e, u) {
				continue
			}
			if o.maxHops > 0 && int(d) >= o.maxHops {
				limited = true
				break
			}
			dist[u] = d + 1
			if u == src {
				found = true
				break bfs
			}
			queue = append(queue, u)
		}
	}
	if !found {
		return nil, limited
	}
	hops = make([]Hop, 0, dist[src])
	for u := src; u != dst; {
		var best *edge
		for _, e := range g.adj[u] {
			if dist[e.other(u)] == dist[u]-1 && usable(e, u) &&
				(best == nil || e.id.Compare(best.id) < 0) {
				best = e
			}
		}
		next := best.other(u)
		hops = append(hops, Hop{Channel: best.id, Payer: g.addrs[u], Payee: g.addrs[next]})
		u = next
	}
	return hops, false
}

// Store methods: reads delegate; writes go to the store, then to the index.

func (r *Router) Get(chainID uint64, id ChannelID) (Channel, error) { return r.store.Get(chainID, id) }
func (r *Router) List(chainID uint64) ([]Channel, error)            { return r.store.List(chainID) }
func (r *Router) Chains() ([]uint64, error)                         { return r.store.Chains() }
func (r *Router) Cursor(chainID uint64) (Cursor, error)             { return r.store.Cursor(chainID) }

func (r *Router) SetCursor(chainID uint64, c Cursor) error { return r.store.SetCursor(chainID, c) }

// Close closes the wrapped store.
func (r *Router) Close() error { return r.store.Close() }

func (r *Router) Put(ch Channel) error {
	return r.write(ch.ChainID, []Change{PutChange(ch)}, func() error { return r.store.Put(ch) })
}

func (r *Router) Update(chainID uint64, id ChannelID, fn func(*Channel) error) error {
	return r.write(chainID, []Change{UpdateChange(id, fn)}, func() error { return r.store.Update(chainID, id, fn) })
}

func (r *Router) Delete(chainID uint64, id ChannelID) error {
	return r.write(chainID, []Change{DeleteChange(id)}, func() error { return r.store.Delete(chainID, id) })
}

func (r *Router) Apply(chainID uint64, changes []Change, newCursor Cursor) error {
	return r.write(chainID, changes, func() error { return r.store.Apply(chainID, changes, newCursor) })
}

// write performs do and then brings the index in line with the channels that
// changes touched. The final state of a channel whose last change was a put
// or delete is known without reading; after an update it is read back.
func (r *Router) write(chainID uint64, changes []Change, do func() error) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if err := do(); err != nil {
		return err
	}
	last := make(map[ChannelID]int, len(changes))
	order := make([]ChannelID, 0, len(changes))
	for i, c := range changes {
		id := c.ID
		if c.Op == OpPut {
			id = c.Channel.ID
		}
		if _, seen := last[id]; !seen {
			order = append(order, id)
		}
		last[id] = i
	}
	states := make([]*Channel, len(order))
	for i, id := range order {
		switch c := changes[last[id]]; c.Op {
		case OpPut:
			ch := c.Channel.Clone()
			states[i] = &ch
		case OpUpdate:
			ch, err := r.store.Get(chainID, id)
			if err != nil {
				return fmt.Errorf("directory: written, but index refresh failed (call Reload): %w", err)
			}
			states[i] = &ch
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ci := r.chains[chainID]
	if ci == nil {
		ci = newChainIndex()
		r.chains[chainID] = ci
	}
	for i, id := range order {
		ci.set(id, states[i])
	}
	return nil
}

// Unwrap returns the wrapped store. Writing to it directly leaves the index
// stale until Reload.
func (r *Router) Unwrap() Store { return r.store }
