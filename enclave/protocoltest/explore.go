package protocoltest

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"slices"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Budgets bound the adversary along one path of an exploration. Each move
// of a kind spends one unit; a kind with no units left is not offered.
type Budgets struct {
	Drops     int // queued messages lost
	Dups      int // queued messages delivered but kept (delivered twice)
	Refunds   int // refund requests by any terminal of an instance
	Ticks     int // deadline expiries: time jumps past every deadline
	Crashes   int // a terminal crashes and restarts from what it persisted
	Mutations int // moves offered by Explorer.Mutants (tests of the checker)
	// CoordCrashes: the coordinator crashes and restarts from its records
	// (World.CrashCoordinator), losing what was in flight to it.
	CoordCrashes int
	Lies         int // lies of Explorer.Liars's menu (World.Lies) sent
}

// Move is one step the explorer may take from a state.
type Move struct {
	Name  string
	Apply func(w *World)
}

// Violation is a broken property with the moves that lead to it.
type Violation struct {
	Trace    []string
	Problems []string
	Settled  bool // found after Settle, by Violations(true)
}

func (v Violation) String() string {
	var b bytes.Buffer
	kind := "state"
	if v.Settled {
		kind = "after settling"
	}
	fmt.Fprintf(&b, "%s: %v\n  trace:", kind, v.Problems)
	for i, m := range v.Trace {
		fmt.Fprintf(&b, "\n   %2d. %s", i+1, m)
	}
	return b.String()
}

// Result summarises an exploration.
type Result struct {
	States      int // distinct states visited (the start included)
	Transitions int // moves applied, duplicates of visited states included
	Leaves      int // states with no move left
	Settled     int // states from which Settle was run and checked
	Violations  int // states (or settled clones) with a broken property
	Found       []Violation
	Truncated   bool // stopped at MaxStates
}

// Explorer enumerates, depth first over World.Clone, every interleaving of
// deliveries (in any order), drops, duplicates, refund requests by any
// terminal, one deadline expiry and terminal crashes, within Budgets.
// States are deduplicated by a canonical hash of everything that can
// influence the future: machine records, coordinator instances, the
// multiset of queued messages, the outcomes signed, the clock and the
// budgets left. Every state is checked with Violations(false); every
// quiescent state (empty queue, which includes every leaf) is settled on a
// clone and checked with Violations(true).
type Explorer struct {
	Budgets Budgets
	// SettleEvery settles and checks every state, not only quiescent ones.
	SettleEvery bool
	// MaxStates stops the search (Result.Truncated) beyond this many
	// states; zero means no limit.
	MaxStates int
	// NoMemo turns off replaying a machine step already taken from an
	// equal machine state: every step then runs the machines (slower,
	// for checking that memoisation changes nothing).
	NoMemo bool
	// MaxFound bounds the violations kept with traces; zero means 5.
	MaxFound int
	// Mutants, when set, offers extra moves from each state, each
	// spending one Mutations unit. Tests use it to plant a fault and
	// check that the explorer reports it.
	Mutants func(w *World) []Move
	// Liars lie, within Budgets.Lies: the honest parties' properties must
	// hold whatever they send.
	Liars Liars

	lies    map[[32]byte][]Lie
	visited map[[32]byte][]Budgets     // per state, the budgets it was explored with
	recs    map[proto.Message][32]byte // immutable records and envelopes
	abouts  map[*messages.Envelope]about
	steps   map[[32]byte]*effect
	refunds map[[32]byte]refundMemo
	names   []string
	addrs   map[common.Address]string
	trace   []string
	res     Result
}

type node struct {
	w *World
	b Budgets
}

// Explore searches every state reachable from w, which it does not change.
func (e *Explorer) Explore(w *World) Result {
	e.reset(w)
	start := node{w.Clone(), e.Budgets}
	// Settled-state envelopes are not explored: losing one only leaves
	// older evidence, and delivering them is checked in role tests.
	start.w.discardPeer, start.w.Settlements = true, nil
	e.flushDead(start.w)
	e.visited[e.hash(start)] = []Budgets{start.b}
	e.res.States = 1
	e.visit(start)
	return e.res
}

func (e *Explorer) reset(w *World) {
	e.visited = map[[32]byte][]Budgets{}
	e.recs = map[proto.Message][32]byte{}
	e.abouts = map[*messages.Envelope]about{}
	e.steps = map[[32]byte]*effect{}
	e.refunds = map[[32]byte]refundMemo{}
	e.lies = map[[32]byte][]Lie{}
	e.names = e.names[:0]
	for n := range w.Terminals {
		e.names = append(e.names, n)
	}
	sort.Strings(e.names)
	e.addrs = map[common.Address]string{w.Coord.Address(): "coord"}
	for a, n := range w.Names {
		e.addrs[a] = n
	}
	e.trace = nil
	e.res = Result{}
	if e.MaxFound == 0 {
		e.MaxFound = 5
	}
}

func (e *Explorer) visit(n node) {
	if v := n.w.Violations(false); len(v) > 0 {
		e.report(v, false)
	}
	moves := e.moves(n)
	if len(moves) == 0 {
		e.res.Leaves++
	}
	if e.SettleEvery || len(n.w.Queue) == 0 || len(moves) == 0 {
		c := n.w.Clone()
		c.Settle()
		e.res.Settled++
		if v := c.Violations(true); len(v) > 0 {
			e.report(v, true)
		}
	}
	for _, m := range moves {
		if e.MaxStates > 0 && e.res.States >= e.MaxStates {
			e.res.Truncated = true
			return
		}
		c := node{n.w.Clone(), n.b}
		m.apply(&c)
		e.res.Transitions++
		e.trace = append(e.trace, m.name)
		e.flushDead(c.w)
		e.trace = e.trace[:len(e.trace)-1]
		if !e.firstVisit(c) {
			continue
		}
		e.res.States++
		e.trace = append(e.trace, m.name)
		e.visit(c)
		e.trace = e.trace[:len(e.trace)-1]
	}
}

func (e *Explorer) report(problems []string, settled bool) {
	e.res.Violations++
	if len(e.res.Found) < e.MaxFound {
		e.res.Found = append(e.res.Found, Violation{Trace: append([]string(nil), e.trace...), Problems: problems, Settled: settled})
	}
}

// firstVisit records n and reports whether it must be explored: a state
// already explored with at least n's budgets of every kind can only reach
// what it reached then, so n is subsumed.
func (e *Explorer) firstVisit(n node) bool {
	h := e.hash(n)
	prev := e.visited[h]
	kept := prev[:0]
	for _, b := range prev {
		if b.covers(n.b) {
			return false
		}
		if !n.b.covers(b) {
			kept = append(kept, b)
		}
	}
	e.visited[h] = append(kept, n.b)
	return true
}

// covers reports whether b allows at least what o allows, kind by kind.
func (b Budgets) covers(o Budgets) bool {
	return b.Drops >= o.Drops && b.Dups >= o.Dups && b.Refunds >= o.Refunds &&
		b.Ticks >= o.Ticks && b.Crashes >= o.Crashes && b.Mutations >= o.Mutations &&
		b.CoordCrashes >= o.CoordCrashes && b.Lies >= o.Lies
}

// flushDead delivers at once every queued message that can no longer
// change anything: coordinator messages for an instance the receiving
// terminal has finished (CONFIRMED and REFUNDED are final), acks for a
// decided instance or for a phase it has left, and refund denials (which
// the shells only log). Delivering such a message commutes with every
// other move, so the search need not branch on when it arrives, nor on
// dropping or duplicating it. Each delivery is checked to change nothing.
func (e *Explorer) flushDead(w *World) {
	for {
		i := slices.IndexFunc(w.Queue, func(m Message) bool { return e.dead(w, m) })
		if i < 0 {
			return
		}
		m := w.Queue[i]
		w.Queue = append(w.Queue[:i:i], w.Queue[i+1:]...)
		before, queued := e.receiverDigest(w, m), len(w.Queue)
		w.Deliver(m)
		if after := e.receiverDigest(w, m); after != before || len(w.Queue) != queued {
			e.report([]string{fmt.Sprintf("%s for a finished instance or phase changed its receiver or was answered", e.describe(m))}, false)
		}
	}
}

// dead reports whether delivering m can never change anything.
func (e *Explorer) dead(w *World, m Message) bool {
	k := m.Env.Kind
	if k == messages.Kind_KIND_REFUND_DENIED {
		return true
	}
	id, net, ok := e.about(m.Env)
	if !ok {
		return false
	}
	if m.To == w.Coord.Address() {
		in := w.Instances[id]
		if in == nil || k == messages.Kind_KIND_REFUND_REQUEST {
			return false
		}
		switch in.Phase() {
		case messages.InstancePhase_INSTANCE_PHASE_COMMITTED, messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
			return true
		case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
			if k == messages.Kind_KIND_PREPARED {
				return w.Now < in.Deadline()
			}
			return k == messages.Kind_KIND_COMMITTED && e.slotFilled(in, net, m.Env, false)
		case messages.InstancePhase_INSTANCE_PHASE_NONE:
			return k == messages.Kind_KIND_PREPARED && e.slotFilled(in, net, m.Env, true)
		}
		return false
	}
	t := w.Terminals[w.Names[m.To]]
	if t == nil {
		return false
	}
	r := t.Instance(id, net)
	return r != nil && (r.Phase == messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED || r.Phase == messages.TerminalPhase_TERMINAL_PHASE_REFUNDED)
}

// slotFilled reports whether the instance already holds the envelope
// signer's ack of this phase: a slot once filled never changes, so a
// second ack is ignored or refused from then on.
func (e *Explorer) slotFilled(in *coordinator.Instance, net uint32, env *messages.Envelope, prepared bool) bool {
	nets := in.Record().Networks
	if int(net) >= len(nets) {
		return false
	}
	np := nets[net]
	slots := np.CommittedAcks
	if prepared {
		slots = np.PreparedAcks
	}
	i := slices.Index(np.Network.Terminals(), common.BytesToAddress(env.Signer))
	return i >= 0 && i < len(slots) && slots[i].GetKind() != messages.Kind_KIND_UNSPECIFIED
}

// about decodes the instance and network an envelope concerns.
func (e *Explorer) about(env *messages.Envelope) ([32]byte, uint32, bool) {
	if a, ok := e.abouts[env]; ok {
		return a.id, a.net, a.ok
	}
	var m interface {
		proto.Message
		GetInstanceId() []byte
	}
	net := func() uint32 { return 0 }
	switch env.Kind {
	case messages.Kind_KIND_PREPARE:
		p := &messages.Prepare{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_PREPARED:
		p := &messages.Prepared{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_COMMIT:
		p := &messages.Commit{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_COMMITTED:
		p := &messages.Committed{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_CONFIRM:
		p := &messages.Confirm{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		p := &messages.RefundAuthorized{}
		m, net = p, p.GetNetworkIndex
	case messages.Kind_KIND_REFUND_REQUEST:
		m = &messages.RefundRequest{}
	}
	var a about
	if m != nil && proto.Unmarshal(env.Payload, m) == nil && len(m.GetInstanceId()) == 32 {
		a = about{[32]byte(m.GetInstanceId()), net(), true}
	}
	e.abouts[env] = a
	return a.id, a.net, a.ok
}

type about struct {
	id  [32]byte
	net uint32
	ok  bool
}

func (e *Explorer) receiverDigest(w *World, m Message) [32]byte {
	if m.To == w.Coord.Address() {
		h := sha256.New()
		for _, id := range w.InstanceIDs() {
			h.Write(mustMarshal(w.Instances[id].Record()))
		}
		var out [32]byte
		h.Sum(out[:0])
		return out
	}
	if t := w.Terminals[w.Names[m.To]]; t != nil {
		return TerminalDigest(t)
	}
	return [32]byte{}
}

type move struct {
	name  string
	apply func(n *node)
}

// moves lists the moves offered from n, in a fixed order.
func (e *Explorer) moves(n node) []move {
	var out []move
	w := n.w
	// Queued messages, once per distinct message: identical copies lead
	// to identical states.
	seen := map[[32]byte]bool{}
	for i, m := range w.Queue {
		k := e.msgKey(m)
		if seen[k] {
			continue
		}
		seen[k] = true
		i, d := i, e.describe(m)
		out = append(out, move{"deliver " + d, func(n *node) {
			m := n.w.Queue[i]
			n.w.Queue = append(n.w.Queue[:i:i], n.w.Queue[i+1:]...)
			e.deliver(n.w, m)
		}})
		if n.b.Drops > 0 {
			out = append(out, move{"drop " + d, func(n *node) {
				n.w.Queue = append(n.w.Queue[:i:i], n.w.Queue[i+1:]...)
				n.b.Drops--
			}})
		}
		if n.b.Dups > 0 {
			out = append(out, move{"duplicate " + d, func(n *node) {
				e.deliver(n.w, n.w.Queue[i])
				n.b.Dups--
			}})
		}
	}
	if n.b.Refunds > 0 {
		for _, name := range e.names {
			for _, id := range w.InstanceIDs() {
				out2, err := e.refundRequest(w, name, id)
				if err != nil {
					continue // not a party, or the instance has ended there
				}
				name, id := name, id
				out = append(out, move{fmt.Sprintf("refund request by %s for %x", name, id[:4]), func(n *node) {
					n.w.queueTerminal(n.w.Terminals[name].Address(), out2)
					n.b.Refunds--
				}})
			}
		}
	}
	if n.b.Ticks > 0 {
		var latest int64
		for _, in := range w.Instances {
			latest = max(latest, in.Deadline())
		}
		if w.Now <= latest {
			out = append(out, move{"tick past every deadline", func(n *node) {
				e.tick(n.w, latest+1)
				n.b.Ticks--
			}})
		}
	}
	if n.b.Crashes > 0 {
		for _, name := range e.names {
			name := name
			out = append(out, move{"crash and restore " + name, func(n *node) {
				n.w.Crash(name)
				n.b.Crashes--
			}})
		}
	}
	if n.b.CoordCrashes > 0 {
		out = append(out, move{"crash and restore the coordinator", func(n *node) {
			n.w.CrashCoordinator()
			n.b.CoordCrashes--
		}})
	}
	if n.b.Lies > 0 {
		for _, l := range e.lieMenu(w) {
			l := l
			out = append(out, move{"LIE " + l.Name, func(n *node) {
				n.w.Queue = append(n.w.Queue, l.Msg)
				n.b.Lies--
			}})
		}
	}
	if n.b.Mutations > 0 && e.Mutants != nil {
		for _, m := range e.Mutants(w) {
			m := m
			out = append(out, move{"MUTANT " + m.Name, func(n *node) {
				m.Apply(n.w)
				n.b.Mutations--
			}})
		}
	}
	return out
}

func (e *Explorer) describe(m Message) string {
	from, to := e.name(m.From), e.name(m.To)
	return fmt.Sprintf("%s %s->%s", m.Env.Kind.String()[len("KIND_"):], from, to)
}

func (e *Explorer) name(a common.Address) string {
	if n, ok := e.addrs[a]; ok {
		return n
	}
	return a.Hex()[:8]
}

// hash is the canonical hash of a node's world; budgets are compared
// apart, by firstVisit.
func (e *Explorer) hash(n node) [32]byte {
	h := sha256.New()
	w := n.w
	putInt(h, w.Now)
	for _, name := range e.names {
		t := w.Terminals[name]
		h.Write([]byte(name))
		for _, c := range t.Channels() {
			e.putRec(h, c)
		}
		h.Write([]byte{0})
		for _, r := range t.Instances() {
			e.putRec(h, r)
		}
		h.Write([]byte{1})
		if e.Budgets.Crashes > 0 {
			// What a restart would restore, which may differ from the
			// machine when a step was not persisted.
			for _, k := range sortedKeys(w.persistedChannels[name]) {
				e.putRec(h, w.persistedChannels[name][k])
			}
			h.Write([]byte{2})
			for _, k := range sortedKeys(w.persistedInstances[name]) {
				e.putRec(h, w.persistedInstances[name][k])
			}
			h.Write([]byte{3})
		}
	}
	for _, id := range w.InstanceIDs() {
		// Instance records are updated in place: never cached.
		h.Write(mustMarshal(w.Instances[id].Record()))
	}
	h.Write(mustMarshal(w.Alloc.Meta()))
	keys := make([][32]byte, len(w.Queue))
	for i, m := range w.Queue {
		keys[i] = e.msgKey(m)
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i][:], keys[j][:]) < 0 })
	putInt(h, int64(len(keys)))
	for _, k := range keys {
		h.Write(k[:])
	}
	for _, set := range []map[[32]byte]bool{w.ConfirmSigned, w.RefundSigned} {
		ids := make([][32]byte, 0, len(set))
		for id, ok := range set {
			if ok {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
		putInt(h, int64(len(ids)))
		for _, id := range ids {
			h.Write(id[:])
		}
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// putRec hashes a record the machines never change once handed out.
func (e *Explorer) putRec(h hash.Hash, m proto.Message) {
	k, ok := e.recs[m]
	if !ok {
		k = sha256.Sum256(mustMarshal(m))
		e.recs[m] = k
	}
	h.Write(k[:])
}

func (e *Explorer) msgKey(m Message) [32]byte {
	k, ok := e.recs[m.Env]
	if !ok {
		k = sha256.Sum256(mustMarshal(m.Env))
		e.recs[m.Env] = k
	}
	return sha256.Sum256(append(append(append([]byte(nil), m.From[:]...), m.To[:]...), k[:]...))
}

func mustMarshal(m proto.Message) []byte {
	b, err := deterministic.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func putInt(h hash.Hash, v int64) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(v))
	h.Write(b[:])
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// RogueRefund is a fault for testing the explorer: the coordinator's key
// signs REFUND-AUTHORIZED for every network of a COMMITTED instance, as a
// coordinator that skipped its phase check would. With record set, the
// harness sees the signing (so Violations(false) must flag both outcomes);
// without, only the terminals' divergent outcomes can reveal it.
func RogueRefund(record bool) func(w *World) []Move {
	return func(w *World) []Move {
		var out []Move
		for _, id := range w.InstanceIDs() {
			in := w.Instances[id]
			if in.Phase() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
				continue
			}
			id := id
			out = append(out, Move{Name: fmt.Sprintf("rogue REFUND-AUTHORIZED for %x", id[:4]), Apply: func(w *World) {
				for i, np := range w.Instances[id].Record().Networks {
					n := np.Network
					sig, err := w.Coord.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), id, false))
					if err != nil {
						panic(err)
					}
					env, err := messages.Seal(w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, &messages.RefundAuthorized{
						InstanceId: id[:], NetworkIndex: uint32(i), Reason: messages.RefundReason_REFUND_REASON_REQUESTED, OutcomeSignature: sig})
					if err != nil {
						panic(err)
					}
					for _, t := range n.Terminals() {
						w.Queue = append(w.Queue, Message{From: w.Coord.Address(), To: t, Env: env})
					}
				}
				if record {
					w.RefundSigned[id] = true
				}
			}})
		}
		return out
	}
}

// Amnesia is a fault for testing the explorer: a terminal restarts having
// lost every instance record, as a shell that did not persist them would.
func Amnesia(w *World) []Move {
	var out []Move
	for _, name := range sortedKeys(w.Terminals) {
		name := name
		out = append(out, Move{Name: "amnesiac restart of " + name, Apply: func(w *World) {
			old := w.Terminals[name]
			t, err := terminal.Restore(terminal.Config{Signer: w.Keys[name], VerifyReport: ReportVerifier}, old.Coordinators(), old.Channels(), nil)
			if err != nil {
				panic(err)
			}
			w.Terminals[name] = t
			w.persistedInstances[name] = map[string]*messages.TerminalInstance{}
		}})
	}
	return out
}

// effect is what one harness step did to a world: the machine it stepped
// (as it was after), what it queued, signed, persisted and rejected.
// Machines are deterministic, so the same step from an equal machine
// state at the same time has the same effect, and the explorer replays it
// instead of repeating the signature work.
type effect struct {
	terminal  string
	machine   *terminal.Machine
	instances map[[32]byte]*coordinator.Instance
	queued    []Message
	confirmed [][32]byte
	refunded  [][32]byte
	channels  map[string]*messages.ChannelRecord
	records   map[string]*messages.TerminalInstance
	rejected  []error
}

// step runs a harness step that changes only the named terminal (or, with
// name empty, only coordinator instances), or replays it.
func (e *Explorer) step(w *World, name string, key []byte, run func()) {
	if e.NoMemo {
		run()
		return
	}
	h := sha256.New()
	putInt(h, w.Now)
	putInt(h, int64(w.coordRestarts))
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(key)
	if name != "" {
		e.putTerminal(h, w.Terminals[name])
	} else {
		for _, id := range w.InstanceIDs() {
			h.Write(id[:])
			h.Write(mustMarshal(w.Instances[id].Record()))
		}
	}
	var k [32]byte
	h.Sum(k[:0])
	if eff, ok := e.steps[k]; ok {
		eff.replay(w)
		return
	}
	e.steps[k] = capture(w, name, run)
}

func (e *Explorer) putTerminal(h hash.Hash, t *terminal.Machine) {
	for _, c := range t.Channels() {
		e.putRec(h, c)
	}
	h.Write([]byte{0})
	for _, r := range t.Instances() {
		e.putRec(h, r)
	}
	h.Write([]byte{1})
}

func capture(w *World, name string, run func()) *effect {
	queued, rejected := len(w.Queue), len(w.Rejected)
	confirmed, refunded := copySet(w.ConfirmSigned), copySet(w.RefundSigned)
	var chans map[string]*messages.ChannelRecord
	var recs map[string]*messages.TerminalInstance
	if name != "" {
		chans, recs = copyMap(w.persistedChannels[name]), copyMap(w.persistedInstances[name])
	}
	run()
	eff := &effect{terminal: name, queued: slices.Clone(w.Queue[queued:]), rejected: slices.Clone(w.Rejected[rejected:])}
	for id := range w.ConfirmSigned {
		if !confirmed[id] {
			eff.confirmed = append(eff.confirmed, id)
		}
	}
	for id := range w.RefundSigned {
		if !refunded[id] {
			eff.refunded = append(eff.refunded, id)
		}
	}
	if name != "" {
		eff.machine = w.Terminals[name].Clone()
		eff.channels, eff.records = changed(chans, w.persistedChannels[name]), changed(recs, w.persistedInstances[name])
	} else {
		eff.instances = map[[32]byte]*coordinator.Instance{}
		for id, in := range w.Instances {
			eff.instances[id] = in.Clone()
		}
	}
	return eff
}

func changed[V comparable](before, after map[string]V) map[string]V {
	out := map[string]V{}
	for k, v := range after {
		if old, ok := before[k]; !ok || old != v {
			out[k] = v
		}
	}
	return out
}

func (eff *effect) replay(w *World) {
	if eff.terminal != "" {
		w.Terminals[eff.terminal] = eff.machine.Clone()
		for k, v := range eff.channels {
			w.persistedChannels[eff.terminal][k] = v
		}
		for k, v := range eff.records {
			w.persistedInstances[eff.terminal][k] = v
		}
	} else {
		for id, in := range eff.instances {
			w.Instances[id] = in.Clone()
		}
	}
	w.Queue = append(w.Queue, eff.queued...)
	w.Rejected = append(w.Rejected, eff.rejected...)
	for _, id := range eff.confirmed {
		w.ConfirmSigned[id] = true
	}
	for _, id := range eff.refunded {
		w.RefundSigned[id] = true
	}
}

// deliver is World.Deliver, memoised.
func (e *Explorer) deliver(w *World, m Message) {
	name := ""
	if m.To != w.Coord.Address() {
		name = w.Names[m.To]
		if w.Terminals[name] == nil {
			w.Deliver(m)
			return
		}
	}
	k := e.msgKey(m)
	e.step(w, name, k[:], func() { w.Deliver(m) })
}

// tick is World.Tick, memoised.
func (e *Explorer) tick(w *World, now int64) {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(now))
	e.step(w, "", append([]byte("tick"), k[:]...), func() { w.Tick(now) })
	// A replayed effect restores machines, not the clock: set it here too.
	w.Now = now
}

type refundMemo struct {
	out terminal.Output
	err error
}

// refundRequest is the terminal's RequestRefund, memoised by the
// terminal's records: it changes nothing and signs deterministically.
func (e *Explorer) refundRequest(w *World, name string, id [32]byte) (terminal.Output, error) {
	t := w.Terminals[name]
	if e.NoMemo {
		return t.RequestRefund(id, "explorer")
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(id[:])
	e.putTerminal(h, t)
	var k [32]byte
	h.Sum(k[:0])
	r, ok := e.refunds[k]
	if !ok {
		r.out, r.err = t.RequestRefund(id, "explorer")
		e.refunds[k] = r
	}
	return r.out, r.err
}

// lieMenu is World.Lies, memoised by what the lies are built from: the
// coordinator's instances and the lying terminal's records.
func (e *Explorer) lieMenu(w *World) []Lie {
	if e.Liars == (Liars{}) {
		return nil
	}
	h := sha256.New()
	for _, id := range w.InstanceIDs() {
		h.Write(mustMarshal(w.Instances[id].Record()))
	}
	if t := w.Terminals[e.Liars.Terminal]; t != nil {
		e.putTerminal(h, t)
	}
	var k [32]byte
	h.Sum(k[:0])
	if l, ok := e.lies[k]; ok {
		return l
	}
	l := w.Lies(e.Liars)
	e.lies[k] = l
	return l
}
