package protocoltest

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/messages"
)

// CrashCoordinator restarts the coordinator from what it persisted, as
// actors/coordinator.go does: each step persists the instance record
// before sending (write-ahead), so the records are the instances' own;
// the machines are rebuilt from them with coordinator.Restore, and
// whatever was in flight to the coordinator is lost with the process.
// The restarted actor resends only what Instance.Resend gives for an
// undecided instance; a decided one answers only a terminal's refund
// request (see Settle).
func (w *World) CrashCoordinator() {
	kept := make([]Message, 0, len(w.Queue))
	for _, m := range w.Queue {
		if m.To != w.Coord.Address() {
			kept = append(kept, m)
		}
	}
	w.Queue = kept
	for _, id := range w.InstanceIDs() {
		in, err := coordinator.Restore(w.Coord, proto.Clone(w.Instances[id].Record()).(*messages.CoordinatorInstance))
		if err != nil {
			panic(err)
		}
		w.Instances[id] = in
	}
	a, err := coordinator.NewAllocator(w.Coord, proto.Clone(w.Alloc.Meta()).(*messages.CoordinatorMeta))
	if err != nil {
		panic(err)
	}
	w.Alloc = a
	w.coordRestarts++
}

// Liars says who lies in an exploration. A lying terminal keeps running
// its honest machine (its own records stay its own), and its key also
// signs the lies of the menu; a lying coordinator's key signs lies, and
// its host forges, tampers with and misroutes its envelopes.
type Liars struct {
	Terminal    string // name of the lying terminal, or ""
	Coordinator bool
}

// Lie is one envelope of the menu, with where it goes.
type Lie struct {
	Name string
	Msg  Message
}

// Lies lists the menu of lies open in w, in a fixed order:
//
//   - a terminal's: an ack of its with other balances in its signed
//     states, an ack naming another terminal, an ack re-signed for the
//     other instance, an ack forged in another terminal's name, a refund
//     request in another terminal's name;
//   - the coordinator's: a PREPARE from a key no terminal admitted, a COMMIT
//     or CONFIRM missing an ack or carrying one twice, a tampered COMMIT
//     under its original signature, a COMMIT replayed to another network's
//     terminal, a CONFIRM or REFUND-AUTHORIZED with an absent or wrong
//     outcome signature (another instance's, another key's).
//
// Every lie is built from the world's real envelopes and signed by the
// liar's key; none needs a key the liar does not hold.
func (w *World) Lies(l Liars) []Lie {
	var out []Lie
	if l.Terminal != "" {
		out = append(out, w.terminalLies(l.Terminal)...)
	}
	if l.Coordinator {
		out = append(out, w.coordinatorLies()...)
	}
	return out
}

func (w *World) terminalLies(name string) []Lie {
	k, t := w.Keys[name], w.Terminals[name]
	to := func(what string, env *messages.Envelope) Lie {
		return Lie{Name: name + " " + what, Msg: Message{From: k.Address(), To: w.Coord.Address(), Env: env}}
	}
	var out []Lie
	for _, id := range w.InstanceIDs() {
		in := w.Instances[id]
		victim, party := common.Address{}, false
		for ni, np := range in.Record().Networks {
			for _, a := range np.Network.Terminals() {
				if a != k.Address() && victim == (common.Address{}) {
					victim = a
				}
			}
			r := t.Instance(id, uint32(ni))
			if r == nil {
				continue
			}
			party = true
			for _, ack := range []*messages.Envelope{r.PreparedAck, r.CommittedAck} {
				if ack == nil {
					continue
				}
				kind := ack.Kind.String()[len("KIND_"):]
				out = append(out,
					to(kind+" with other balances", w.reAck(k, ack, func(h ackFields) { shiftBalance(k, h.states()) })),
					to(kind+" naming another terminal", w.reAck(k, ack, func(h ackFields) { h.setTerminal(victim) })))
				for _, other := range w.InstanceIDs() {
					if other != id {
						out = append(out, to(kind+" re-signed for another instance", w.reAck(k, ack, func(h ackFields) { h.setInstance(other) })))
					}
				}
				forged := w.reAck(k, ack, func(h ackFields) { h.setTerminal(victim) })
				forged.Signer = victim.Bytes()
				out = append(out, to(kind+" forged in another's name", forged))
			}
		}
		if party && victim != (common.Address{}) {
			req, err := messages.Seal(k, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: id[:], Terminal: victim.Bytes(), Reason: "lie"})
			if err != nil {
				panic(err)
			}
			out = append(out, to("refund request in another's name", req))
		}
	}
	return out
}

// ackFields edits a decoded PREPARED or COMMITTED ack.
type ackFields struct{ m proto.Message }

func (h ackFields) states() []*messages.SignedChannelState {
	if p, ok := h.m.(*messages.Prepared); ok {
		return p.ChannelStates
	}
	return h.m.(*messages.Committed).ChannelStates
}

func (h ackFields) setTerminal(a common.Address) {
	if p, ok := h.m.(*messages.Prepared); ok {
		p.Terminal = a.Bytes()
		return
	}
	h.m.(*messages.Committed).Terminal = a.Bytes()
}

func (h ackFields) setInstance(id [32]byte) {
	if p, ok := h.m.(*messages.Prepared); ok {
		p.InstanceId = id[:]
		return
	}
	h.m.(*messages.Committed).InstanceId = id[:]
}

// reAck decodes ack, edits it and seals it with k.
func (w *World) reAck(k *Key, ack *messages.Envelope, edit func(ackFields)) *messages.Envelope {
	var m proto.Message = &messages.Prepared{}
	if ack.Kind == messages.Kind_KIND_COMMITTED {
		m = &messages.Committed{}
	}
	if err := proto.Unmarshal(ack.Payload, m); err != nil {
		panic(err)
	}
	edit(ackFields{m})
	env, err := messages.Seal(k, ack.Kind, m)
	if err != nil {
		panic(err)
	}
	return env
}

// shiftBalance moves one unit between the parties of the first state and
// re-signs it with k: a state with other balances, the same total.
func shiftBalance(k *Key, states []*messages.SignedChannelState) {
	if len(states) == 0 {
		return
	}
	st := proto.Clone(states[0].State).(*messages.ChannelState)
	a, b := new(big.Int).SetBytes(st.BalanceA), new(big.Int).SetBytes(st.BalanceB)
	one := big.NewInt(1)
	if a.Sign() > 0 {
		a.Sub(a, one)
		b.Add(b, one)
	} else {
		b.Sub(b, one)
		a.Add(a, one)
	}
	st.BalanceA, st.BalanceB = messages.AmountBytes(a), messages.AmountBytes(b)
	signed, err := messages.SignChannelState(k, st)
	if err != nil {
		panic(err)
	}
	states[0] = signed
}

func (w *World) coordinatorLies() []Lie {
	var out []Lie
	mallory := NewKey(w.Seed, "mallory")
	add := func(what string, env *messages.Envelope, to []common.Address) {
		for _, t := range to {
			out = append(out, Lie{Name: fmt.Sprintf("coordinator %s to %s", what, w.Names[t]), Msg: Message{From: w.Coord.Address(), To: t, Env: env}})
		}
	}
	seal := func(k *Key, kind messages.Kind, m proto.Message) *messages.Envelope {
		env, err := messages.Seal(k, kind, m)
		if err != nil {
			panic(err)
		}
		return env
	}
	ids := w.InstanceIDs()
	for _, id := range ids {
		in := w.Instances[id]
		nets := in.Record().Networks
		for ni, np := range nets {
			n := np.Network
			ts := n.Terminals()
			outcome := func(k *Key, of [32]byte, confirmed bool) []byte {
				sig, err := k.Sign(messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), of, confirmed))
				if err != nil {
					panic(err)
				}
				return sig
			}
			wrongID := id
			wrongID[0] ^= 1
			switch in.Phase() {
			case messages.InstancePhase_INSTANCE_PHASE_NONE:
				if np.Prepare != nil {
					add("PREPARE from an unadmitted key", SealPayload(mallory, messages.Kind_KIND_PREPARE, np.Prepare.Payload), ts[:1])
				}
			case messages.InstancePhase_INSTANCE_PHASE_PREPARED:
				var c messages.Commit
				if err := proto.Unmarshal(np.Commit.Payload, &c); err != nil {
					panic(err)
				}
				missing := proto.Clone(&c).(*messages.Commit)
				missing.PreparedAcks = missing.PreparedAcks[:len(missing.PreparedAcks)-1]
				add("COMMIT missing an ack", seal(w.Coord, messages.Kind_KIND_COMMIT, missing), ts[:1])
				twice := proto.Clone(&c).(*messages.Commit)
				twice.PreparedAcks[len(twice.PreparedAcks)-1] = twice.PreparedAcks[0]
				add("COMMIT carrying an ack twice", seal(w.Coord, messages.Kind_KIND_COMMIT, twice), ts[:1])
				tampered := proto.Clone(np.Commit).(*messages.Envelope)
				tampered.Payload = mustMarshal(missing)
				add("tampered COMMIT", tampered, ts[len(ts)-1:])
				for nj, other := range nets {
					if nj != ni {
						add("COMMIT of another network", np.Commit, other.Network.Terminals()[:1])
					}
				}
			case messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
				var c messages.Confirm
				if err := proto.Unmarshal(np.Confirm.Payload, &c); err != nil {
					panic(err)
				}
				absent := proto.Clone(&c).(*messages.Confirm)
				absent.OutcomeSignature = nil
				add("CONFIRM without outcome signature", seal(w.Coord, messages.Kind_KIND_CONFIRM, absent), ts[:1])
				wrong := proto.Clone(&c).(*messages.Confirm)
				wrong.OutcomeSignature = outcome(w.Coord, wrongID, true)
				add("CONFIRM with another instance's outcome signature", seal(w.Coord, messages.Kind_KIND_CONFIRM, wrong), ts[len(ts)-1:])
				missing := proto.Clone(&c).(*messages.Confirm)
				missing.CommittedAcks = missing.CommittedAcks[1:]
				add("CONFIRM missing an ack", seal(w.Coord, messages.Kind_KIND_CONFIRM, missing), ts[len(ts)-1:])
			}
			if !in.Decided() {
				ra := &messages.RefundAuthorized{InstanceId: id[:], NetworkIndex: uint32(ni), Reason: messages.RefundReason_REFUND_REASON_REQUESTED}
				add("REFUND-AUTHORIZED without outcome signature", seal(w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, ra), ts[:1])
				bad := proto.Clone(ra).(*messages.RefundAuthorized)
				bad.OutcomeSignature = outcome(mallory, id, false)
				add("REFUND-AUTHORIZED with another key's outcome signature", seal(w.Coord, messages.Kind_KIND_REFUND_AUTHORIZED, bad), ts[len(ts)-1:])
				forged := proto.Clone(ra).(*messages.RefundAuthorized)
				forged.OutcomeSignature = outcome(mallory, id, false)
				add("REFUND-AUTHORIZED from an unadmitted key", seal(mallory, messages.Kind_KIND_REFUND_AUTHORIZED, forged), ts[len(ts)-1:])
			}
		}
	}
	return out
}

// Walk plays one path of the exploration instead of all: at each step
// the next choice picks one of the moves Explore would offer (modulo
// their number: deliveries, drops, duplicates, refund requests, the
// tick, crashes of terminals and coordinator, lies), until the choices
// or the moves run out; then it settles. It returns the moves taken and
// every broken property, checked on every state and after settling. The
// fuzz targets drive it.
func (e *Explorer) Walk(w *World, choices []byte) (trace, problems []string) {
	e.reset(w)
	n := node{w.Clone(), e.Budgets}
	e.flushDead(n.w)
	for _, c := range choices {
		if v := n.w.Violations(false); len(v) > 0 {
			problems = append(problems, v...)
			break
		}
		moves := e.moves(n)
		if len(moves) == 0 {
			break
		}
		m := moves[int(c)%len(moves)]
		m.apply(&n)
		trace = append(trace, m.name)
		e.flushDead(n.w)
	}
	problems = append(problems, n.w.Violations(false)...)
	for _, f := range e.res.Found {
		problems = append(problems, f.Problems...)
	}
	n.w.Settle()
	return trace, append(problems, n.w.Violations(true)...)
}
