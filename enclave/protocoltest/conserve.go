package protocoltest

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// channelViolations checks one party's view of a channel in any state,
// its reservation included: every state it has signed or holds (the
// latest, and the prepared and committed states of the instance holding
// the channel) carries exactly the deposits, a prepared state only moves
// the amount from the payer into the lock, a committed one only hands the
// lock to the payee, the reservation is the payer's lock and never more
// than it owns, and no state is past the highest version it signed.
func (w *World) channelViolations(ci, hi int, name string, t *terminal.Machine, c *messages.ChannelRecord) []string {
	ch := w.Chains[ci]
	total := new(big.Int).Add(ch.Deposit, ch.DepositB)
	where := fmt.Sprintf("chain %d hop %d: %s", ci, hi, name)
	var v []string
	bad := func(format string, args ...any) { v = append(v, where+" "+fmt.Sprintf(format, args...)) }
	holds := func(what string, st *messages.ChannelState) {
		if sum := channelSum(st); sum.Cmp(total) != 0 {
			bad("%s state holds %s, deposits were %s", what, sum, total)
		}
		if !bytes.Equal(st.DepositA, messages.AmountBytes(ch.Deposit)) || !bytes.Equal(st.DepositB, messages.AmountBytes(ch.DepositB)) {
			bad("%s state counts deposits %x/%x", what, st.DepositA, st.DepositB)
		}
		if st.Version > c.MaxSignedVersion {
			bad("%s state at version %d beyond the highest signed %d", what, st.Version, c.MaxSignedVersion)
		}
	}
	holds("latest", c.Latest)
	if st := c.Settled; st != nil {
		// The settled state after the last outcome: lock-free, above the
		// latest, and (idle, no top-up since) the latest's balances.
		holds("settled", st)
		if st.Lock != nil || st.Version <= c.Latest.Version {
			bad("settled state at version %d holds a lock or is not past the latest %d", st.Version, c.Latest.Version)
		}
		sameDeposits := bytes.Equal(st.DepositA, c.Latest.DepositA) && bytes.Equal(st.DepositB, c.Latest.DepositB)
		if c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE && sameDeposits && !sameBalances(st, terminal.Resolved(c.Latest)) {
			bad("settled state at version %d moves value the latest does not", st.Version)
		}
	}
	self := t.Address()
	isA := common.BytesToAddress(c.PartyA) == self
	avail, reserved, err := t.Balances([32]byte(c.ChannelId))
	if err != nil {
		return append(v, where+" "+err.Error())
	}
	if avail.Sign() < 0 {
		bad("can spend %s: overdrawn by its reservation of %s", avail, reserved)
	}
	if c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		if reserved.Sign() != 0 || len(c.ActiveInstance) != 0 {
			bad("idle channel reserves %s for %x", reserved, c.ActiveInstance)
		}
		return v
	}
	id, err := messages.Hash32(c.ActiveInstance)
	var r *messages.TerminalInstance
	if err == nil {
		r = t.Instance(id, c.ActiveNetwork)
	}
	if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_PREPARED && r.Phase != messages.TerminalPhase_TERMINAL_PHASE_COMMITTED {
		bad("channel %v is held by an instance not in flight (%v)", c.Phase, phaseOf(r))
		return v
	}
	var leg *messages.ChannelLeg
	for _, l := range r.Legs {
		if bytes.Equal(l.ChannelId, c.ChannelId) {
			leg = l
		}
	}
	if leg == nil || leg.Prepared == nil || leg.Prepared.Lock == nil {
		return append(v, where+" holding instance has no prepared state for the channel")
	}
	p := leg.Prepared
	holds("prepared", p)
	amount := new(big.Int).SetBytes(r.Prepare.GetNetwork().GetAmount())
	if new(big.Int).SetBytes(p.Lock.Amount).Cmp(amount) != 0 {
		bad("prepared lock of %x, the network moves %s", p.Lock.Amount, amount)
	}
	if p.Version <= c.Latest.Version {
		bad("prepared at version %d, not past the latest %d", p.Version, c.Latest.Version)
	}
	before := terminal.Resolved(c.Latest)
	if !sameBalances(terminal.Resolved(p), before) {
		bad("prepared state changes more than the lock")
	}
	if want := p.Lock.AToB == isA; want != (reserved.Sign() != 0) || want && reserved.Cmp(amount) != 0 {
		bad("reserves %s; payer=%v, amount %s", reserved, want, amount)
	}
	if cm := leg.Committed; cm != nil {
		holds("committed", cm)
		after := proto.Clone(before).(*messages.ChannelState)
		pay := func(b []byte) []byte { return messages.AmountBytes(new(big.Int).Add(new(big.Int).SetBytes(b), amount)) }
		if p.Lock.AToB {
			after.BalanceB = pay(after.BalanceB)
			after.BalanceA = messages.AmountBytes(new(big.Int).Sub(new(big.Int).SetBytes(after.BalanceA), amount))
		} else {
			after.BalanceA = pay(after.BalanceA)
			after.BalanceB = messages.AmountBytes(new(big.Int).Sub(new(big.Int).SetBytes(after.BalanceB), amount))
		}
		if cm.Version != p.Version+1 || cm.Lock == nil || cm.Lock.Stage != messages.LockStage_LOCK_STAGE_COMMITTED || !sameBalances(terminal.Resolved(cm), after) {
			bad("committed state at version %d is not the prepared one's transfer", cm.Version)
		}
	}
	return v
}

func sameBalances(a, b *messages.ChannelState) bool {
	return bytes.Equal(a.BalanceA, b.BalanceA) && bytes.Equal(a.BalanceB, b.BalanceB)
}

// agreementViolations checks the two parties' views of one channel: at
// the same version they hold the same state, and once outcomes are
// delivered each holds a latest state its counterparty signed (the one
// the contract would accept).
func (w *World) agreementViolations(ci, hi int, delivered bool) []string {
	h := w.Chains[ci].Hops[hi]
	a, b := w.Terminals[w.Names[h.Payer]].Channel(h.Channel), w.Terminals[w.Names[h.Payee]].Channel(h.Channel)
	var v []string
	if a.Latest.Version == b.Latest.Version && !proto.Equal(a.Latest, b.Latest) {
		v = append(v, fmt.Sprintf("chain %d hop %d: the parties hold different states at version %d", ci, hi, a.Latest.Version))
	}
	if a.Settled != nil && b.Settled != nil && a.Settled.Version == b.Settled.Version && !proto.Equal(a.Settled, b.Settled) {
		v = append(v, fmt.Sprintf("chain %d hop %d: the parties settled different states at version %d", ci, hi, a.Settled.Version))
	}
	if !delivered {
		return v
	}
	for _, c := range []*messages.ChannelRecord{a, b} {
		if c.Latest.Version == 0 || c.LatestSigA == nil && c.LatestSigB == nil {
			continue // the opening or topped-up state: agreed by the chain
		}
		d, err := messages.ChannelStateDigest(c.Latest)
		if err != nil {
			v = append(v, fmt.Sprintf("chain %d hop %d: latest state: %v", ci, hi, err))
			continue
		}
		for _, s := range []struct {
			sig   []byte
			party []byte
		}{{c.LatestSigA, c.PartyA}, {c.LatestSigB, c.PartyB}} {
			if got, err := messages.RecoverAddress(d, s.sig); err != nil || got != common.BytesToAddress(s.party) {
				v = append(v, fmt.Sprintf("chain %d hop %d: latest state at version %d lacks %x's signature", ci, hi, c.Latest.Version, s.party))
			}
		}
	}
	return v
}
