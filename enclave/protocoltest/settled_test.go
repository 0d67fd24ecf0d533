package protocoltest_test

import (
	"errors"
	"math/big"
	"testing"

	gethcommon "github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Settled states (issue 9): after CONFIRM and after REFUND-AUTHORIZED
// both parties of every channel of the instance sign the lock-free state
// at the hop's version + 2, so a lock is never the newest evidence.

// line is one payment path s -> i -> r with 1000 on each side.
func line(seed int64) *protocoltest.World {
	return protocoltest.NewWorld(seed, protocoltest.ChainSpec{ChainID: 1, Path: []string{"s", "i", "r"}, Deposit: 1000})
}

// hopVersion is the version the coordinator gave hop h of an instance.
func hopVersion(w *protocoltest.World, id [32]byte, h int) uint64 {
	return w.Instances[id].Record().Networks[0].Network.Hops[h].Version
}

// wantSettled checks that both parties of every hop hold the same
// lock-free settled state at the hop's version + 2, with payer and payee
// balances as given, signed by both, and that it is their evidence.
func wantSettled(t *testing.T, w *protocoltest.World, id [32]byte, payer, payee int64) {
	t.Helper()
	names := []string{"s", "i", "r"}
	for h, hop := range w.Chains[0].Hops {
		want := hopVersion(w, id, h) + messages.SettledVersionOffset
		var first *messages.ChannelState
		for _, name := range names[h : h+2] {
			m := w.Terminal(name)
			c := m.Channel(hop.Channel)
			st := c.Settled
			if st == nil || st.Version != want || st.Lock != nil {
				t.Fatalf("hop %d: %s settled %v, want version %d without a lock", h, name, st, want)
			}
			if first != nil && !proto.Equal(first, st) {
				t.Fatalf("hop %d: the parties settled different states", h)
			}
			first = st
			if a, b := amount(st.BalanceA), amount(st.BalanceB); a.Int64() != payer || b.Int64() != payee {
				t.Fatalf("hop %d: %s settled %s/%s, want %d/%d", h, name, a, b, payer, payee)
			}
			d, err := messages.ChannelStateDigest(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []struct {
				sig   []byte
				party gethcommon.Address
			}{{c.SettledSigA, hop.Payer}, {c.SettledSigB, hop.Payee}} {
				if got, err := messages.RecoverAddress(d, s.sig); err != nil || got != s.party {
					t.Fatalf("hop %d: %s's settled state lacks %s's signature (%v)", h, name, s.party, err)
				}
			}
			if v, err := m.Evidence(hop.Channel); err != nil || v != want {
				t.Fatalf("hop %d: %s's evidence at version %d (%v), want the settled %d", h, name, v, err, want)
			}
			if c.MaxSignedVersion != want {
				t.Fatalf("hop %d: %s signed up to %d, want %d", h, name, c.MaxSignedVersion, want)
			}
		}
	}
}

func amount(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// balances returns every party's balance on every hop.
func balances(w *protocoltest.World) []int64 {
	var out []int64
	for h, name := range []string{"s", "i"} {
		out = append(out, w.Balance(name, 0, h).Int64(), w.Balance([]string{"i", "r"}[h], 0, h).Int64())
	}
	return out
}

// The honest pair after CONFIRM: each party signed its settled state at
// the outcome, the committed state stays the evidence until the
// counterparty's signature arrives, then the settled state is. Exchanging
// signatures moves no value.
func TestSettledStateAfterConfirm(t *testing.T) {
	w := line(60)
	id, err := w.Start(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] {
		t.Fatal("payment not confirmed")
	}
	for h, hop := range w.Chains[0].Hops {
		if v, _ := w.Terminal("i").Evidence(hop.Channel); v != hopVersion(w, id, h)+1 {
			t.Fatalf("hop %d: before the exchange the evidence is at %d, want the committed %d", h, v, hopVersion(w, id, h)+1)
		}
	}
	if len(w.Settlements) != 2 {
		t.Fatalf("%d settled-state offers, want one per channel, by its party A", len(w.Settlements))
	}
	before := balances(w)
	w.DeliverSettlements()
	wantSettled(t, w, id, 900, 1100)
	if after := balances(w); !equalInts(before, after) {
		t.Fatalf("balances moved from %v to %v", before, after)
	}
	if len(w.Rejected) > 0 {
		t.Fatalf("honest exchange had rejections: %v", w.Rejected)
	}
	assertClean(t, w)
	// The next payment starts above the settled state, from its balances.
	id2, err := w.Start(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	w.DeliverSettlements()
	if !w.ConfirmSigned[id2] {
		t.Fatalf("second payment not confirmed: %v", w.Rejected)
	}
	if v1, v2 := hopVersion(w, id, 0), hopVersion(w, id2, 0); v2 != v1+messages.VersionsPerHop {
		t.Fatalf("second payment at version %d after %d", v2, v1)
	}
	wantSettled(t, w, id2, 800, 1200)
	assertClean(t, w)
}

// After REFUND-AUTHORIZED, of terminals that only prepared and of ones
// that committed: the settled state returns the lock to the payer, at a
// version above the doubly-signed lock states.
func TestSettledStateAfterRefund(t *testing.T) {
	for _, tc := range []struct {
		name  string
		phase messages.TerminalPhase
	}{{"prepared", messages.TerminalPhase_TERMINAL_PHASE_PREPARED}, {"committed", messages.TerminalPhase_TERMINAL_PHASE_COMMITTED}} {
		t.Run(tc.name, func(t *testing.T) {
			w := line(61)
			id, err := w.Start(100, 0)
			if err != nil {
				t.Fatal(err)
			}
			reached := func() bool {
				for _, n := range []string{"s", "i", "r"} {
					if in := w.Terminal(n).Instance(id, 0); in == nil || in.Phase != tc.phase {
						return false
					}
				}
				return true
			}
			if !w.DeliverUntil(reached) {
				t.Fatalf("terminals never all %v", tc.phase)
			}
			if err := w.RequestRefund("i", id); err != nil {
				t.Fatal(err)
			}
			// The request overtakes the acks still in flight.
			w.Queue = append(w.Queue[len(w.Queue)-1:], w.Queue[:len(w.Queue)-1]...)
			w.DeliverAll()
			if !w.RefundSigned[id] || w.ConfirmSigned[id] {
				t.Fatalf("confirm=%v refund=%v", w.ConfirmSigned[id], w.RefundSigned[id])
			}
			w.DeliverSettlements()
			wantSettled(t, w, id, 1000, 1000)
			assertClean(t, w)
		})
	}
}

// settledCase is a confirmed payment whose settled-state offers are not
// delivered yet: i holds its own signature over the settled state of
// channel s-i, and s's offer to i is at hand.
type settledCase struct {
	w       *protocoltest.World
	channel [32]byte
	settled *messages.ChannelState  // i's settled state of s-i
	offer   protocoltest.Settlement // s's genuine offer to i
}

func newSettledCase(t *testing.T) settledCase {
	t.Helper()
	w := line(62)
	if _, err := w.Start(100, 0); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	ch := w.Chains[0].Hops[0].Channel
	var offer protocoltest.Settlement
	for i, m := range w.Settlements {
		if m.From == w.Addr("s") && m.To == w.Addr("i") {
			offer = m
			w.Settlements = append(w.Settlements[:i:i], w.Settlements[i+1:]...)
			break
		}
	}
	if offer.Msg == nil {
		t.Fatal("s offered i no settled state")
	}
	return settledCase{w: w, channel: ch, settled: w.Terminal("i").Channel(ch).Settled, offer: offer}
}

// forged is an offer of st signed by key.
func forged(t *testing.T, key messages.Signer, st *messages.ChannelState, haveYours bool) *messages.SettledState {
	t.Helper()
	signed, err := messages.SignChannelState(key, st)
	if err != nil {
		t.Fatal(err)
	}
	return &messages.SettledState{State: signed, HaveYours: haveYours}
}

// Everything a settled-state offer must be, each refused with a typed
// error and without changing the receiver's channel or balances.
func TestSettledStateRejections(t *testing.T) {
	sc := newSettledCase(t)
	w, i := sc.w, sc.w.Terminal("i")
	edited := func(edit func(st *messages.ChannelState)) *messages.ChannelState {
		st := proto.Clone(sc.settled).(*messages.ChannelState)
		edit(st)
		return st
	}
	s, r := w.Keys["s"], w.Keys["r"]
	stranger := protocoltest.NewKey(62, "mallory")
	// A state naming s as its signer, signed by r.
	innerByR := forged(t, r, sc.settled, false)
	innerByR.State.Signer = s.Address().Bytes()
	for _, c := range []struct {
		name string
		msg  *messages.SettledState
		want error
	}{
		{"a stranger", forged(t, stranger, sc.settled, false), terminal.ErrNotCounterparty},
		{"a party of another channel of the payment", forged(t, r, sc.settled, false), terminal.ErrNotCounterparty},
		{"a signature naming the counterparty made by another", innerByR, terminal.ErrBadSignature},
		{"an unknown channel", forged(t, s, edited(func(st *messages.ChannelState) { st.ChannelId = make([]byte, 32) }), false), terminal.ErrUnknownChannel},
		{"a state moving value to the sender", forged(t, s, edited(func(st *messages.ChannelState) {
			st.BalanceA = messages.AmountBytes(new(big.Int).Add(amount(st.BalanceA), big.NewInt(50)))
			st.BalanceB = messages.AmountBytes(new(big.Int).Sub(amount(st.BalanceB), big.NewInt(50)))
		}), false), terminal.ErrStateMismatch},
		{"a state with a lock", forged(t, s, edited(func(st *messages.ChannelState) {
			st.BalanceB = messages.AmountBytes(new(big.Int).Sub(amount(st.BalanceB), big.NewInt(100)))
			st.Lock = &messages.Lock{LockId: make([]byte, 32), Amount: messages.AmountBytes(big.NewInt(100)), Stage: messages.LockStage_LOCK_STAGE_PREPARED}
		}), false), terminal.ErrStateMismatch},
		{"other deposits", forged(t, s, edited(func(st *messages.ChannelState) {
			st.DepositA = messages.AmountBytes(big.NewInt(1))
		}), false), terminal.ErrStateMismatch},
		{"an older version", forged(t, s, edited(func(st *messages.ChannelState) { st.Version-- }), false), terminal.ErrStaleVersion},
		{"a version not settled here", forged(t, s, edited(func(st *messages.ChannelState) { st.Version++ }), false), terminal.ErrWrongPhase},
		{"no state", &messages.SettledState{}, terminal.ErrMalformed},
	} {
		before, avail := i.Channel(sc.channel), w.Balance("i", 0, 0)
		out, err := i.HandleSettledState(c.msg)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if !out.Empty() || !proto.Equal(before, i.Channel(sc.channel)) || w.Balance("i", 0, 0).Cmp(avail) != 0 {
			t.Errorf("%s: the rejected offer changed something", c.name)
		}
	}
	if v, _ := i.Evidence(sc.channel); v != sc.settled.Version-1 {
		t.Fatalf("after rejected offers the evidence is at %d, want the committed %d", v, sc.settled.Version-1)
	}

	// The genuine offer: taken once, answered once with i's signature.
	out, err := i.HandleSettledState(sc.offer.Msg)
	if err != nil || len(out.Channels) != 1 || len(out.Peer) != 1 || out.Peer[0].To != w.Addr("s") {
		t.Fatalf("genuine offer: %v, %d records, %d answers", err, len(out.Channels), len(out.Peer))
	}
	answer := out.Peer[0].Msg
	if v, _ := i.Evidence(sc.channel); v != sc.settled.Version {
		t.Fatalf("evidence at %d, want the settled %d", v, sc.settled.Version)
	}
	// The same offer again (s lost our answer): answered again, no change.
	held := i.Channel(sc.channel)
	out, err = i.HandleSettledState(sc.offer.Msg)
	if err != nil || len(out.Channels) != 0 || len(out.Peer) != 1 || !proto.Equal(held, i.Channel(sc.channel)) {
		t.Fatalf("resent offer: %v, %d records, %d answers", err, len(out.Channels), len(out.Peer))
	}
	// s takes the answer, which asks for none; replayed, it is a duplicate.
	sm := w.Terminal("s")
	if out, err := sm.HandleSettledState(answer); err != nil || len(out.Channels) != 1 || len(out.Peer) != 0 {
		t.Fatalf("answer: %v, %d records, %d answers", err, len(out.Channels), len(out.Peer))
	}
	if _, err := sm.HandleSettledState(answer); !errors.Is(err, terminal.ErrDuplicate) {
		t.Fatalf("replayed answer: %v, want %v", err, terminal.ErrDuplicate)
	}
	if v, _ := sm.Evidence(sc.channel); v != sc.settled.Version {
		t.Fatalf("s's evidence at %d, want the settled %d", v, sc.settled.Version)
	}
	// Nothing left to resend for the channel on either side.
	for _, name := range []string{"s", "i"} {
		for _, o := range w.Terminal(name).SettledOffers() {
			if [32]byte(o.Msg.State.State.ChannelId) == sc.channel {
				t.Fatalf("%s still offers channel s-i", name)
			}
		}
	}
}

// A settled state whose offers were all lost stays pending and is offered
// again, from the persisted record after a crash; once the counterparty
// moved on to the next outcome, the old offer is stale.
func TestSettledStateResentAfterLossAndCrash(t *testing.T) {
	w := line(63)
	id, err := w.Start(100, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	w.Settlements = nil // every offer lost
	w.Crash("i")
	w.Crash("s")
	for _, name := range []string{"s", "i", "r"} {
		w.OfferSettled(name)
	}
	if len(w.Settlements) != 4 {
		t.Fatalf("%d offers resent, want one per party per channel", len(w.Settlements))
	}
	stale := w.Settlements[0]
	w.DeliverSettlements()
	wantSettled(t, w, id, 900, 1100)

	// The next payment ends; the first one's offer is now stale.
	if _, err := w.Start(100, 0); err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	w.Settlements = nil
	to := w.Terminal(w.Names[stale.To])
	if _, err := to.HandleSettledState(stale.Msg); !errors.Is(err, terminal.ErrStaleVersion) {
		t.Fatalf("stale offer: %v, want %v", err, terminal.ErrStaleVersion)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
