package protocoltest

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// Settle plays the shells' recovery, as actors/ ships it: time passes
// every deadline (the coordinator's deadline timer refunds what is not
// COMMITTED); the coordinator resends the current phase's messages of an
// undecided instance only (its retry timer stops once decided); and every
// terminal with an instance still PREPARED or COMMITTED asks for refund
// (its tick after the deadline), which the coordinator answers with the
// REFUND-AUTHORIZED, or with a denial and the CONFIRM it missed. Nothing
// else resends a decided outcome.
func (w *World) Settle() {
	var latest int64
	for _, in := range w.Instances {
		if d := in.Deadline(); d > latest {
			latest = d
		}
	}
	if w.Now <= latest {
		w.Tick(latest + 1)
	}
	for round := 0; round < 4; round++ {
		w.DeliverAll()
		for _, id := range w.InstanceIDs() {
			if in := w.Instances[id]; !in.Decided() {
				for _, s := range in.Resend() {
					w.Queue = append(w.Queue, Message{From: w.Coord.Address(), To: s.To, Env: s.Env})
				}
			}
		}
		for _, name := range sortedKeys(w.Terminals) {
			t := w.Terminals[name]
			asked := map[[32]byte]bool{}
			for _, r := range t.Instances() {
				id := [32]byte(r.InstanceId)
				if asked[id] || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_PREPARED && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_COMMITTED {
					continue
				}
				asked[id] = true
				out, err := t.RequestRefund(id, "no outcome by the deadline")
				if err != nil {
					w.Rejected = append(w.Rejected, err)
					continue
				}
				w.queueTerminal(t.Address(), out)
			}
		}
	}
	w.DeliverAll()
}

// Violations checks the safety properties and returns what is broken.
// With delivered set, it also demands what must hold once every outcome
// has reached every terminal (after Settle).
func (w *World) Violations(delivered bool) []string {
	var v []string
	for id := range w.ConfirmSigned {
		if w.RefundSigned[id] {
			v = append(v, fmt.Sprintf("instance %x: both CONFIRM and REFUND-AUTHORIZED signed", id[:4]))
		}
	}
	expected := w.expectedBalances()
	for ci, ch := range w.Chains {
		total := new(big.Int)
		for hi, h := range ch.Hops {
			for _, party := range []common.Address{h.Payer, h.Payee} {
				name := w.Names[party]
				t := w.Terminals[name]
				c := t.Channel(h.Channel)
				v = append(v, w.channelViolations(ci, hi, name, t, c)...)
				if !delivered {
					continue
				}
				if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
					v = append(v, fmt.Sprintf("chain %d hop %d: %s left %v with a reservation", ci, hi, name, c.Phase))
				}
				got := w.Balance(name, ci, hi)
				if want := expected[balanceKey{h.Channel, party}]; got.Cmp(want) != 0 {
					v = append(v, fmt.Sprintf("chain %d hop %d: %s holds %s, outcomes say %s", ci, hi, name, got, want))
				}
				total.Add(total, got)
			}
		}
		for hi := range ch.Hops {
			v = append(v, w.agreementViolations(ci, hi, delivered)...)
		}
		if delivered && total.Cmp(new(big.Int).Mul(new(big.Int).Add(ch.Deposit, ch.DepositB), big.NewInt(int64(len(ch.Hops))))) != 0 {
			v = append(v, fmt.Sprintf("chain %d: value not conserved: %s", ci, total))
		}
	}
	if delivered {
		v = append(v, w.outcomeViolations()...)
	}
	return v
}

// outcomeViolations demands that every terminal of a decided instance
// ended as the coordinator decided: all applied, or all reverted.
func (w *World) outcomeViolations() []string {
	var v []string
	for _, id := range w.InstanceIDs() {
		in := w.Instances[id]
		confirmed, refunded := w.ConfirmSigned[id], w.RefundSigned[id]
		if !confirmed && !refunded {
			v = append(v, fmt.Sprintf("instance %x: no outcome after settling", id[:4]))
			continue
		}
		for ni, np := range in.Record().Networks {
			for _, addr := range np.Network.Terminals() {
				r := w.Terminals[w.Names[addr]].Instance(id, uint32(ni))
				switch {
				case confirmed && (r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED):
					v = append(v, fmt.Sprintf("instance %x network %d: %s did not apply the confirmed transfer (%v)", id[:4], ni, w.Names[addr], phaseOf(r)))
				case refunded && r != nil && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED:
					v = append(v, fmt.Sprintf("instance %x network %d: %s did not roll back (%v)", id[:4], ni, w.Names[addr], phaseOf(r)))
				}
			}
		}
	}
	return v
}

func phaseOf(r *messages.TerminalInstance) string {
	if r == nil {
		return "never prepared"
	}
	return r.Phase.String()
}

type balanceKey struct {
	channel [32]byte
	party   common.Address
}

// expectedBalances applies every confirmed instance to the opening
// deposits: what each party must hold in each channel.
func (w *World) expectedBalances() map[balanceKey]*big.Int {
	out := map[balanceKey]*big.Int{}
	for _, ch := range w.Chains {
		for _, h := range ch.Hops {
			out[balanceKey{h.Channel, h.Payer}] = new(big.Int).Set(ch.Deposit)
			out[balanceKey{h.Channel, h.Payee}] = new(big.Int).Set(ch.DepositB)
		}
	}
	for id := range w.ConfirmSigned {
		for _, np := range w.Instances[id].Record().Networks {
			amount := new(big.Int).SetBytes(np.Network.Amount)
			for _, h := range np.Network.Hops {
				ch := [32]byte(h.ChannelId)
				payer, payee := balanceKey{ch, common.BytesToAddress(h.Payer)}, balanceKey{ch, common.BytesToAddress(h.Payee)}
				out[payer].Sub(out[payer], amount)
				out[payee].Add(out[payee], amount)
			}
		}
	}
	return out
}

// channelSum is balances plus any lock: what the channel holds.
func channelSum(st *messages.ChannelState) *big.Int {
	s := new(big.Int).Add(new(big.Int).SetBytes(st.BalanceA), new(big.Int).SetBytes(st.BalanceB))
	if l := st.GetLock(); l != nil {
		s.Add(s, new(big.Int).SetBytes(l.Amount))
	}
	return s
}

// Clone copies the world, machines and queue included, for exploration.
func (w *World) Clone() *World {
	c := *w
	c.Alloc = w.Alloc.Clone()
	c.Instances = make(map[[32]byte]*coordinatorInstance, len(w.Instances))
	for id, in := range w.Instances {
		c.Instances[id] = in.Clone()
	}
	c.Terminals = make(map[string]*terminalMachine, len(w.Terminals))
	for n, t := range w.Terminals {
		c.Terminals[n] = t.Clone()
	}
	c.Queue = append([]Message(nil), w.Queue...)
	c.Settlements = append([]Settlement(nil), w.Settlements...)
	c.ConfirmSigned = copySet(w.ConfirmSigned)
	c.RefundSigned = copySet(w.RefundSigned)
	c.Rejected = nil
	c.persistedChannels = map[string]map[string]*messages.ChannelRecord{}
	for n, m := range w.persistedChannels {
		c.persistedChannels[n] = copyMap(m)
	}
	c.persistedInstances = map[string]map[string]*messages.TerminalInstance{}
	for n, m := range w.persistedInstances {
		c.persistedInstances[n] = copyMap(m)
	}
	return &c
}

func copySet(m map[[32]byte]bool) map[[32]byte]bool {
	out := make(map[[32]byte]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// copyMap copies a map of records; records are immutable once persisted.
func copyMap[V proto.Message](m map[string]V) map[string]V {
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
