package protocoltest

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// ChainSpec describes one chain of a world: a path of terminals, each
// consecutive pair joined by a channel with Deposit on the first party's
// (A's) side and DepositB, or Deposit when zero, on the second's.
type ChainSpec struct {
	ChainID  uint64
	Path     []string
	Deposit  int64
	DepositB int64
}

// Hop is one channel of a chain's path.
type Hop struct {
	Channel      [32]byte
	Payer, Payee common.Address
}

// Chain is one chain of a world.
type Chain struct {
	ID       uint64
	Contract common.Address
	Hops     []Hop
	Deposit  *big.Int // party A's (each hop's payer's) opening deposit
	DepositB *big.Int // party B's (each hop's payee's)
}

// Message is one envelope in flight.
type Message struct {
	From, To common.Address
	Env      *messages.Envelope
}

// Settlement is one settled state in flight from a terminal to its
// counterparty.
type Settlement struct {
	From, To common.Address
	Msg      *messages.SettledState
}

// World is a set of terminals, one coordinator and the messages between
// them. Everything in it derives from Seed.
type World struct {
	Seed      int64
	Now       int64
	Coord     *Key
	Alloc     *coordinator.Allocator
	Instances map[[32]byte]*coordinator.Instance
	Keys      map[string]*Key
	Terminals map[string]*terminal.Machine
	Names     map[common.Address]string
	Chains    []Chain
	Queue     []Message
	// Settlements are the settled states (terminal to terminal) in
	// flight, apart from Queue: DeliverSettlements delivers them. The
	// Explorer neither delivers nor keeps them (a lost settled state only
	// leaves older evidence), so its state space is unchanged.
	Settlements []Settlement
	// discardPeer drops settled states instead of keeping them.
	discardPeer bool

	// ConfirmSigned and RefundSigned record every outcome the coordinator
	// ever signed, per instance: the central safety property is that no
	// instance appears in both.
	ConfirmSigned map[[32]byte]bool
	RefundSigned  map[[32]byte]bool
	// Rejected collects every error a machine returned while delivering.
	Rejected []error

	// persisted mirrors what a shell would have written: the records of
	// each terminal and instance, cloned at the time of the step.
	persistedChannels  map[string]map[string]*messages.ChannelRecord
	persistedInstances map[string]map[string]*messages.TerminalInstance
	// coordRestarts counts CrashCoordinator calls: a restored instance
	// must behave as the one it replaced, so the explorer never replays a
	// coordinator step taken before a restart after one.
	coordRestarts int
}

// Report is the harness's stand-in for an attestation report: the
// coordinator's address, accepted by ReportVerifier.
func Report(coord common.Address) []byte { return append([]byte("sim-report:"), coord.Bytes()...) }

// ReportVerifier accepts exactly Report(addr) for addr.
func ReportVerifier(report []byte, addr common.Address) error {
	if !bytes.Equal(report, Report(addr)) {
		return errors.New("report does not bind this coordinator")
	}
	return nil
}

// NewWorld builds terminals, channels and a coordinator for specs.
func NewWorld(seed int64, specs ...ChainSpec) *World {
	w := &World{
		Seed: seed, Now: 1_000, Coord: NewKey(seed, "coordinator"),
		Instances: map[[32]byte]*coordinator.Instance{}, Keys: map[string]*Key{},
		Terminals: map[string]*terminal.Machine{}, Names: map[common.Address]string{},
		ConfirmSigned: map[[32]byte]bool{}, RefundSigned: map[[32]byte]bool{},
		persistedChannels:  map[string]map[string]*messages.ChannelRecord{},
		persistedInstances: map[string]map[string]*messages.TerminalInstance{},
	}
	var err error
	if w.Alloc, err = coordinator.NewAllocator(w.Coord, nil); err != nil {
		panic(err)
	}
	for ci, spec := range specs {
		depB := spec.DepositB
		if depB == 0 {
			depB = spec.Deposit
		}
		ch := Chain{ID: spec.ChainID, Deposit: big.NewInt(spec.Deposit), DepositB: big.NewInt(depB),
			Contract: common.BytesToAddress(crypto.Keccak256([]byte(fmt.Sprintf("contract/%d", spec.ChainID))))}
		for i := 0; i+1 < len(spec.Path); i++ {
			a, b := w.terminal(spec.Path[i]), w.terminal(spec.Path[i+1])
			id := crypto.Keccak256Hash([]byte(fmt.Sprintf("channel/%d/%d/%d", seed, ci, i)))
			ch.Hops = append(ch.Hops, Hop{Channel: id, Payer: a.Address(), Payee: b.Address()})
			ev := terminal.Opened{ChainID: ch.ID, Contract: ch.Contract, ChannelID: id, A: a.Address(), B: b.Address(),
				Coordinator: w.Coord.Address(), DepositA: ch.Deposit}
			for _, t := range []*terminal.Machine{a, b} {
				w.persist(t, must(t.OpenChannel(ev)))
				w.persist(t, must(t.TopUp(id, ch.Deposit, ch.DepositB)))
			}
		}
		w.Chains = append(w.Chains, ch)
	}
	return w
}

func must(o terminal.Output, err error) terminal.Output {
	if err != nil {
		panic(err)
	}
	return o
}

func (w *World) terminal(name string) *terminal.Machine {
	if t := w.Terminals[name]; t != nil {
		return t
	}
	k := NewKey(w.Seed, name)
	t := terminal.New(terminal.Config{Signer: k, VerifyReport: ReportVerifier})
	if err := t.AdmitCoordinator(w.Coord.Address(), Report(w.Coord.Address())); err != nil {
		panic(err)
	}
	w.Keys[name], w.Terminals[name], w.Names[k.Address()] = k, t, name
	w.persistedChannels[name] = map[string]*messages.ChannelRecord{}
	w.persistedInstances[name] = map[string]*messages.TerminalInstance{}
	return t
}

// Terminal returns the machine of a named terminal.
func (w *World) Terminal(name string) *terminal.Machine { return w.Terminals[name] }

// Addr returns a named terminal's address.
func (w *World) Addr(name string) common.Address { return w.Keys[name].Address() }

// persist records a terminal's output as a write-ahead store would.
func (w *World) persist(t *terminal.Machine, o terminal.Output) {
	name := w.Names[t.Address()]
	for _, c := range o.Channels {
		w.persistedChannels[name][string(c.ChannelId)] = proto.Clone(c).(*messages.ChannelRecord)
	}
	for _, r := range o.Instances {
		w.persistedInstances[name][fmt.Sprintf("%x/%d", r.InstanceId, r.NetworkIndex)] = proto.Clone(r).(*messages.TerminalInstance)
	}
}

// Crash replaces a terminal's machine with one restored from what it had
// persisted, as a restarted process would.
func (w *World) Crash(name string) {
	var chans []*messages.ChannelRecord
	for _, c := range w.persistedChannels[name] {
		chans = append(chans, proto.Clone(c).(*messages.ChannelRecord))
	}
	var insts []*messages.TerminalInstance
	for _, r := range w.persistedInstances[name] {
		insts = append(insts, proto.Clone(r).(*messages.TerminalInstance))
	}
	old := w.Terminals[name]
	t, err := terminal.Restore(terminal.Config{Signer: w.Keys[name], VerifyReport: ReportVerifier}, old.Coordinators(), chans, insts)
	if err != nil {
		panic(err)
	}
	w.Terminals[name] = t
}

// Leg is a request leg over a whole chain path: first terminal to last.
func (w *World) Leg(chain int, amount int64) (*messages.Leg, *messages.Network) {
	ch := w.Chains[chain]
	n := &messages.Network{ChainId: ch.ID, Contract: ch.Contract.Bytes(), Asset: common.Address{}.Bytes(),
		Amount: messages.AmountBytes(big.NewInt(amount))}
	for _, h := range ch.Hops {
		n.Hops = append(n.Hops, &messages.Hop{ChannelId: h.Channel[:], Payer: h.Payer.Bytes(), Payee: h.Payee.Bytes()})
	}
	leg := &messages.Leg{ChainId: ch.ID, Sender: ch.Hops[0].Payer.Bytes(), Receiver: ch.Hops[len(ch.Hops)-1].Payee.Bytes(),
		Asset: n.Asset, Amount: n.Amount}
	return leg, n
}

// Start creates an instance over the given chains' whole paths and queues
// its PREPAREs. One chain makes a payment, several a cross-chain swap.
func (w *World) Start(amount int64, chains ...int) ([32]byte, error) {
	flows := make([]Flow, len(chains))
	for i, c := range chains {
		flows[i] = Flow{Chain: c, Amount: amount}
	}
	return w.StartFlows(flows...)
}

// OrderTTL is how long the orders SignOrders makes stay valid.
const OrderTTL = 60_000

// SignOrders has every distinct sender of req's legs that is a terminal
// of the world sign its order for req, valid OrderTTL from Now, and
// appends the orders to req: what the payers' terminals do for a client.
func (w *World) SignOrders(req *messages.SwapRequest) {
	seen := map[common.Address]bool{}
	for _, l := range req.Legs {
		a := common.BytesToAddress(l.Sender)
		t := w.Terminals[w.Names[a]]
		if seen[a] || t == nil || t.Address() != a {
			continue
		}
		seen[a] = true
		env, err := t.SignOrder(req.RequestId, req.Kind, req.Legs, w.Now+OrderTTL)
		if err != nil {
			panic(err)
		}
		req.Orders = append(req.Orders, env)
	}
}

func (w *World) queueCoord(o coordinator.Output) {
	for _, s := range o.Send {
		switch s.Env.Kind {
		case messages.Kind_KIND_CONFIRM:
			var c messages.Confirm
			_ = proto.Unmarshal(s.Env.Payload, &c)
			w.ConfirmSigned[[32]byte(c.InstanceId)] = true
		case messages.Kind_KIND_REFUND_AUTHORIZED:
			var r messages.RefundAuthorized
			_ = proto.Unmarshal(s.Env.Payload, &r)
			w.RefundSigned[[32]byte(r.InstanceId)] = true
		}
		w.Queue = append(w.Queue, Message{From: w.Coord.Address(), To: s.To, Env: s.Env})
	}
}

func (w *World) queueTerminal(from common.Address, o terminal.Output) {
	for _, e := range o.Send {
		w.Queue = append(w.Queue, Message{From: from, To: w.Coord.Address(), Env: e})
	}
	if !w.discardPeer {
		for _, p := range o.Peer {
			w.Settlements = append(w.Settlements, Settlement{From: from, To: p.To, Msg: p.Msg})
		}
	}
}

// DeliverSettlements delivers settled states, and the answers they draw,
// in FIFO order until none is left. Rejections are recorded.
func (w *World) DeliverSettlements() {
	for len(w.Settlements) > 0 {
		m := w.Settlements[0]
		w.Settlements = w.Settlements[1:]
		t := w.Terminals[w.Names[m.To]]
		if t == nil {
			w.Rejected = append(w.Rejected, fmt.Errorf("no terminal %s", m.To))
			continue
		}
		out, err := t.HandleSettledState(m.Msg)
		if err != nil {
			w.Rejected = append(w.Rejected, err)
			continue
		}
		w.persist(t, out)
		w.queueTerminal(t.Address(), out)
	}
}

// OfferSettled queues every settled state the named terminal holds
// without its counterparty's signature, as its shell's resend does.
func (w *World) OfferSettled(name string) {
	t := w.Terminals[name]
	for _, p := range t.SettledOffers() {
		w.Settlements = append(w.Settlements, Settlement{From: t.Address(), To: p.To, Msg: p.Msg})
	}
}

// Deliver hands one message to its receiver, as the shells would, and
// queues whatever the receiver sends back. Rejections are recorded.
func (w *World) Deliver(msg Message) {
	if msg.To == w.Coord.Address() {
		w.deliverToCoordinator(msg.Env)
		return
	}
	t := w.Terminals[w.Names[msg.To]]
	if t == nil {
		w.Rejected = append(w.Rejected, fmt.Errorf("no terminal %s", msg.To))
		return
	}
	var (
		out terminal.Output
		err error
	)
	switch msg.Env.Kind {
	case messages.Kind_KIND_PREPARE:
		out, err = t.HandlePrepare(msg.Env, w.Now)
		if errors.Is(err, terminal.ErrInsufficientBalance) || errors.Is(err, terminal.ErrChannelBusy) || errors.Is(err, terminal.ErrStaleVersion) || errors.Is(err, terminal.ErrExpired) {
			w.Rejected = append(w.Rejected, err)
			out, err = t.Decline(msg.Env, err.Error())
		}
	case messages.Kind_KIND_COMMIT:
		out, err = t.HandleCommit(msg.Env, w.Now)
	case messages.Kind_KIND_CONFIRM:
		out, err = t.HandleConfirm(msg.Env)
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		out, err = t.HandleRefundAuthorized(msg.Env)
	case messages.Kind_KIND_REFUND_DENIED:
		return
	default:
		err = fmt.Errorf("unexpected %v at a terminal", msg.Env.Kind)
	}
	if err != nil {
		w.Rejected = append(w.Rejected, err)
		return
	}
	w.persist(t, out)
	w.queueTerminal(t.Address(), out)
}

func (w *World) deliverToCoordinator(env *messages.Envelope) {
	id, ok := messages.InstanceOf(env)
	in := w.Instances[id]
	if !ok || in == nil {
		w.Rejected = append(w.Rejected, fmt.Errorf("%w: %x", coordinator.ErrUnknownInstance, id))
		return
	}
	var (
		out coordinator.Output
		err error
	)
	switch env.Kind {
	case messages.Kind_KIND_PREPARED:
		out, err = in.HandlePrepared(env, w.Now)
	case messages.Kind_KIND_COMMITTED:
		out, err = in.HandleCommitted(env, w.Now)
	case messages.Kind_KIND_REFUND_REQUEST:
		out, err = in.HandleRefundRequest(env, w.Now)
	}
	if err != nil {
		w.Rejected = append(w.Rejected, err)
		return
	}
	w.queueCoord(out)
}

// DeliverAll delivers queued messages in FIFO order until none is left.
func (w *World) DeliverAll() {
	for len(w.Queue) > 0 {
		m := w.Queue[0]
		w.Queue = w.Queue[1:]
		w.Deliver(m)
	}
}

// Drop removes every queued message for or from the named terminal.
func (w *World) Drop(name string) int {
	addr := w.Addr(name)
	kept := w.Queue[:0]
	n := 0
	for _, m := range w.Queue {
		if m.To == addr || m.From == addr {
			n++
			continue
		}
		kept = append(kept, m)
	}
	w.Queue = kept
	return n
}

// RequestRefund has a named terminal ask for refund of an instance.
func (w *World) RequestRefund(name string, id [32]byte) error {
	t := w.Terminals[name]
	out, err := t.RequestRefund(id, "test")
	if err != nil {
		return err
	}
	w.queueTerminal(t.Address(), out)
	return nil
}

// Tick advances time and lets every instance see it.
func (w *World) Tick(now int64) {
	w.Now = now
	for _, id := range w.InstanceIDs() {
		out, err := w.Instances[id].Tick(now)
		if err != nil {
			w.Rejected = append(w.Rejected, err)
			continue
		}
		w.queueCoord(out)
	}
}

// InstanceIDs lists instance ids in a fixed order.
func (w *World) InstanceIDs() [][32]byte {
	ids := make([][32]byte, 0, len(w.Instances))
	for id := range w.Instances {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return bytes.Compare(ids[i][:], ids[j][:]) < 0 })
	return ids
}

// Balance is a named terminal's own balance (available plus reserved) in
// its channel on a chain's hop.
func (w *World) Balance(name string, chain, hop int) *big.Int {
	avail, reserved, err := w.Terminals[name].Balances(w.Chains[chain].Hops[hop].Channel)
	if err != nil {
		panic(err)
	}
	return avail.Add(avail, reserved)
}

// Available is a named terminal's spendable balance in a hop's channel.
func (w *World) Available(name string, chain, hop int) *big.Int {
	avail, _, err := w.Terminals[name].Balances(w.Chains[chain].Hops[hop].Channel)
	if err != nil {
		panic(err)
	}
	return avail
}

type (
	coordinatorInstance = coordinator.Instance
	terminalMachine     = terminal.Machine
)

// DeliverUntil delivers queued messages in FIFO order until done reports
// true or the queue is empty. It reports whether done became true.
func (w *World) DeliverUntil(done func() bool) bool {
	for !done() {
		if len(w.Queue) == 0 {
			return false
		}
		m := w.Queue[0]
		w.Queue = w.Queue[1:]
		w.Deliver(m)
	}
	return true
}

// Take removes and returns the first queued message matching match.
func (w *World) Take(match func(Message) bool) (Message, bool) {
	for i, m := range w.Queue {
		if match(m) {
			w.Queue = append(w.Queue[:i:i], w.Queue[i+1:]...)
			return m, true
		}
	}
	return Message{}, false
}
