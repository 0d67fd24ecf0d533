package contracts_test

import (
	"context"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"
)

// TestSettlementRandomInterleavings is a seeded property test over random
// interleavings of top-ups, cooperative and unilateral closes, challenges
// (by parties and a watchtower), outcome submissions and finalizes across
// every channel of one payment over two or three hops. Each party is
// honest or malicious at random. Malicious parties close on any state they
// hold (including version 0 and stale locks), challenge with any newer one,
// never answer, and grief with top-ups. Honest parties answer every close
// of their channels before its deadline: they challenge with their newest
// state and submit the coordinator's outcome when the closing state still
// has a lock. The property: every honest party gets at least its due from
// every one of its channels (its balance in the state the payment ends in,
// plus its unseen top-ups), and every channel pays out exactly what it holds.
func TestSettlementRandomInterleavings(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 6
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) { runInterleaving(t, seed) })
	}
}

// propHop is one channel of the payment in the property test.
type propHop struct {
	hop
	states   []state // states[v-1] is version v, both parties hold all
	seenA    *big.Int
	seenB    *big.Int
	extra    map[*party]*big.Int // unseen top-ups by party
	due      map[*party]*big.Int // what the payment's end owes each party
	payout   map[*party]*big.Int // set once closed
	status   uint8
	reacted  map[*party]bool // honest party answered the current closing state
	closeVer uint64
	deadline uint64
}

func (h *propHop) newest() uint64 { return uint64(len(h.states)) }

func (h *propHop) state(v uint64) state {
	if v == 0 {
		return state{}
	}
	return h.states[v-1]
}

type interleaving struct {
	t          *testing.T
	e          *env
	rng        *rand.Rand
	hops       []*propHop
	honest     map[*party]bool
	x          [32]byte
	confirmed  bool
	outcomeSet bool
	tower      *party
	trace      []string
}

func (it *interleaving) logf(format string, args ...any) {
	it.trace = append(it.trace, fmt.Sprintf(format, args...))
}

func (it *interleaving) now() uint64 {
	it.t.Helper()
	h, err := it.e.client.HeaderByNumber(context.Background(), nil)
	if err != nil {
		it.t.Fatal(err)
	}
	return h.Time
}

func runInterleaving(t *testing.T, seed uint64) {
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(seed, 0x7ee5))
	it := &interleaving{t: t, e: e, rng: rng, honest: map[*party]bool{}, tower: e.deployer,
		x: id32(fmt.Sprint("property instance ", seed)), confirmed: rng.IntN(2) == 0}
	defer func() {
		if t.Failed() {
			t.Logf("seed %d trace:\n  %s", seed, strings.Join(it.trace, "\n  "))
		}
	}()
	path := []*party{e.alice, e.carol, e.bob, e.mallory}[:2+rng.IntN(2)]
	for _, p := range path {
		it.honest[p] = rng.IntN(3) != 0
	}
	it.logf("confirmed=%v path=%d honest=%v", it.confirmed, len(path), it.honestNames())
	amount := eth(1)
	for i := 0; i+1 < len(path); i++ {
		it.hops = append(it.hops, it.openHop(path[i], path[i+1], amount))
	}

	period := uint64(challengePeriod)
	for round := 0; round < 14; round++ {
		step := period/8 + rng.Uint64N(period/3)
		for _, i := range rng.Perm(len(it.hops)) {
			it.act(it.hops[i], step, false)
		}
		if !it.outcomeSet && rng.IntN(12) == 0 {
			it.submitOutcome(it.tower, "outsider")
		}
		e.advance(time.Duration(step) * time.Second)
	}
	// Everything still open is closed by one of its parties, and the
	// rounds go on until every channel is finalized.
	for guard := 0; ; guard++ {
		open := 0
		for _, h := range it.hops {
			if h.status != statusClosed {
				open++
			}
			if h.status == statusOpen {
				it.closeUnilateral(h, []*party{h.payer, h.payee}[rng.IntN(2)])
			}
		}
		if open == 0 {
			break
		}
		if guard > 40 {
			t.Fatal("channels never finalized")
		}
		step := period/8 + rng.Uint64N(period/3)
		for _, i := range rng.Perm(len(it.hops)) {
			it.act(it.hops[i], step, true)
		}
		e.advance(time.Duration(step) * time.Second)
	}

	for _, h := range it.hops {
		total := add(h.seenA, h.seenB, h.extra[h.payer], h.extra[h.payee])
		eq(t, fmt.Sprintf("hop %s->%s pays out", h.payer.name, h.payee.name), add(h.payout[h.payer], h.payout[h.payee]), total)
		for _, p := range []*party{h.payer, h.payee} {
			want := add(h.due[p], h.extra[p])
			if it.honest[p] && h.payout[p].Cmp(want) < 0 {
				t.Errorf("honest %s got %s from hop %s->%s, due %s", p.name, h.payout[p], h.payer.name, h.payee.name, want)
			}
		}
	}
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

func (it *interleaving) honestNames() []string {
	var out []string
	for _, p := range []*party{it.e.alice, it.e.carol, it.e.bob, it.e.mallory} {
		if it.honest[p] {
			out = append(out, p.name)
		}
	}
	return out
}

// openHop opens payer->payee with random deposits and an earlier balance
// split, and the states the machines sign for this payment up to a random
// point consistent with its outcome.
func (it *interleaving) openHop(payer, payee *party, amount *big.Int) *propHop {
	e, rng := it.e, it.rng
	dA := eth(int64(2 + rng.IntN(10)))
	h := &propHop{hop: e.openHop2(payer, payee, dA), seenA: dA, seenB: new(big.Int),
		extra:  map[*party]*big.Int{payer: new(big.Int), payee: new(big.Int)},
		payout: map[*party]*big.Int{payer: new(big.Int), payee: new(big.Int)}, status: statusOpen}
	if rng.IntN(2) == 0 {
		h.seenB = eth(int64(1 + rng.IntN(5)))
		e.do(payee, h.seenB, pc.PackTopUp(h.id, h.seenB))
	}
	moved := new(big.Int).Mul(big.NewInt(int64(rng.IntN(int(new(big.Int).Div(sub(dA, amount), ether).Int64())+1))), ether)
	balA, balB := sub(dA, moved), add(h.seenB, moved)
	at := func(v uint64, a, b *big.Int, l *lock) state {
		return state{version: v, depA: h.seenA, depB: h.seenB, balA: a, balB: b, lock: l}
	}
	cross := rng.IntN(2) == 0
	lk := func(stage uint8) *lock {
		return &lock{id: it.x, amount: amount, aToB: true, stage: stage, cross: cross}
	}
	progress := 3 + rng.IntN(2) // confirmed: every hop committed
	if !it.confirmed {
		progress = 1 + rng.IntN(4)
	}
	h.states = append(h.states, at(1, balA, balB, nil))
	if progress >= 2 {
		h.states = append(h.states, at(2, sub(balA, amount), balB, lk(stagePrepared)))
	}
	if progress >= 3 {
		h.states = append(h.states, at(3, sub(balA, amount), balB, lk(stageCommitted)))
	}
	if it.confirmed {
		h.due = map[*party]*big.Int{payer: sub(balA, amount), payee: add(balB, amount)}
	} else {
		h.due = map[*party]*big.Int{payer: balA, payee: balB}
	}
	if progress == 4 {
		h.states = append(h.states, at(4, h.due[payer], h.due[payee], nil))
	}
	it.logf("hop %s->%s deposits %s/%s balances %s/%s progress %d", payer.name, payee.name, h.seenA, h.seenB, balA, balB, progress)
	return h
}

func (e *env) openHop2(payer, payee *party, deposit *big.Int) hop {
	e.t.Helper()
	r := e.do(payer, deposit, pc.PackOpen(payee.addr, [20]byte{}, deposit, e.coord.addr))
	return hop{id: e.openedID(r), payer: payer, payee: payee}
}

// act lets the hop's parties and the world do random things in one round;
// step is how far the clock moves after the round.
func (it *interleaving) act(h *propHop, step uint64, ending bool) {
	rng := it.rng
	parties := []*party{h.payer, h.payee}
	switch h.status {
	case statusOpen:
		if rng.IntN(8) == 0 {
			p := parties[rng.IntN(2)]
			amt := big.NewInt(1)
			if rng.IntN(2) == 0 {
				amt = eth(1)
			}
			it.e.do(p, amt, pc.PackTopUp(h.id, amt))
			h.extra[p].Add(h.extra[p], amt)
			it.logf("%s tops up %s on %s->%s", p.name, amt, h.payer.name, h.payee.name)
			return
		}
		if last := h.state(h.newest()); h.newest() == 4 && rng.IntN(6) == 0 {
			it.coopClose(h, last)
			return
		}
		if rng.IntN(4) == 0 {
			it.closeUnilateral(h, parties[rng.IntN(2)])
		}
	case statusClosing:
		now := it.now()
		if now >= h.deadline {
			if ending || rng.IntN(2) == 0 {
				it.finalize(h)
			}
			return
		}
		// A malicious party challenges with any newer state it holds.
		for _, p := range parties {
			if !it.honest[p] && h.closeVer < h.newest() && now+60 < h.deadline && rng.IntN(3) == 0 {
				it.challenge(h, p, h.closeVer+1+rng.Uint64N(h.newest()-h.closeVer))
			}
		}
		if h.newest() == 4 && rng.IntN(8) == 0 {
			it.coopClose(h, h.state(4))
			return
		}
		// Honest parties answer before the deadline, sometimes late. The
		// margin covers the blocks the other transactions of a round mine.
		forced := now+step+120 >= h.deadline
		for _, p := range parties {
			if it.honest[p] && !h.reacted[p] && (forced || rng.IntN(2) == 0) {
				it.react(h, p)
			}
		}
	}
}

// react is an honest party's (or its watchtower's) answer to a close.
func (it *interleaving) react(h *propHop, p *party) {
	by := p
	if it.rng.IntN(3) == 0 {
		by = it.tower
	}
	if h.closeVer < h.newest() {
		it.challenge(h, by, h.newest())
	}
	if h.state(h.closeVer).lock != nil && !it.outcomeSet {
		it.submitOutcome(by, "for "+p.name)
	}
	h.reacted[p] = true
}

func (it *interleaving) closeUnilateral(h *propHop, p *party) {
	v := h.newest()
	if !it.honest[p] {
		v = it.rng.Uint64N(h.newest() + 1)
	}
	var r *types.Receipt
	if v == 0 {
		r = it.e.do(p, nil, pc.PackCloseUnilateral(h.id, state{}.solidity(), nil, nil))
	} else {
		r = it.e.closeHop(h.hop, p, h.state(v))
	}
	ev, err := pc.UnpackCloseRequestedEvent(r.Logs[0])
	if err != nil {
		it.t.Fatal(err)
	}
	h.status, h.closeVer, h.deadline, h.reacted = statusClosing, v, ev.Deadline, map[*party]bool{}
	it.logf("%s closes %s->%s on v%d, deadline %d", p.name, h.payer.name, h.payee.name, v, ev.Deadline)
}

func (it *interleaving) challenge(h *propHop, by *party, v uint64) {
	it.e.challengeHop(h.hop, by, h.state(v))
	h.closeVer = v
	it.logf("%s challenges %s->%s with v%d", by.name, h.payer.name, h.payee.name, v)
	// A newer closing state is a new question for the honest parties.
	for p := range h.reacted {
		h.reacted[p] = false
	}
}

func (it *interleaving) submitOutcome(by *party, why string) {
	it.e.submitOutcome(by, it.x, it.confirmed)
	it.outcomeSet = true
	it.logf("%s submits the outcome (%s)", by.name, why)
}

func (it *interleaving) coopClose(h *propHop, last state) {
	r := it.e.coopClose(h.hop, last.version, last.balA, last.balB)
	it.closed(h, r, "cooperatively")
}

func (it *interleaving) finalize(h *propHop) {
	r := it.e.do(it.tower, nil, pc.PackFinalize(h.id))
	it.closed(h, r, "by finalize")
}

func (it *interleaving) closed(h *propHop, r *types.Receipt, how string) {
	for _, l := range r.Logs {
		if ev, err := pc.UnpackChannelClosedEvent(l); err == nil {
			h.payout[h.payer], h.payout[h.payee] = ev.PayoutA, ev.PayoutB
		}
	}
	h.status = statusClosed
	it.logf("%s->%s closed %s: %s/%s", h.payer.name, h.payee.name, how, h.payout[h.payer], h.payout[h.payee])
}
