package contracts_test

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Disputes over states produced by the real terminal and coordinator
// machines (enclave/protocoltest): a payment s -> i -> r runs to CONFIRM or
// REFUND in a protocoltest World, then its channels are settled on chain
// with every doubly-signed state the terminals ever held, the outcome
// signature they received and the cooperative close they sign.

const simChainID = 1337 // the simulated backend's chain id

// signedState is one doubly-signed state a terminal held.
type signedState struct {
	st       contracts.PaymentChannelsState
	sigA, sb []byte
}

// machineRun is a finished World with the history of its signed states.
type machineRun struct {
	w        *protocoltest.World
	id       [32]byte
	history  map[[32]byte]map[uint64]signedState // channel -> version -> state
	seed     int64
	deposit  int64
	names    []string
	parties  map[string]*party
	contract common.Address
}

func toSolidity(t *testing.T, m *messages.ChannelState) contracts.PaymentChannelsState {
	t.Helper()
	amount := func(b []byte) *big.Int {
		x, err := messages.Amount(b)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	st := contracts.PaymentChannelsState{Version: m.Version, DepositA: amount(m.DepositA), DepositB: amount(m.DepositB),
		BalanceA: amount(m.BalanceA), BalanceB: amount(m.BalanceB), LockAmount: new(big.Int)}
	if l := m.GetLock(); l != nil {
		st.LockId, st.LockAmount, st.LockAToB, st.LockStage, st.LockCrossChain =
			[32]byte(l.LockId), amount(l.Amount), l.AToB, uint8(l.Stage), l.CrossChain
	}
	return st
}

// runMachines runs one payment of amount over s -> i -> r; refund has i
// ask for a refund once it committed.
func runMachines(t *testing.T, seed int64, amount int64, refund bool) *machineRun {
	t.Helper()
	r := &machineRun{seed: seed, deposit: 1000, names: []string{"s", "i", "r"}, parties: map[string]*party{},
		history: map[[32]byte]map[uint64]signedState{}}
	r.w = protocoltest.NewWorld(seed, protocoltest.ChainSpec{ChainID: simChainID, Path: r.names, Deposit: r.deposit})
	r.contract = r.w.Chains[0].Contract
	for _, n := range r.names {
		r.parties[n] = worldParty(seed, n)
		if r.parties[n].addr != r.w.Addr(n) {
			t.Fatalf("key of %s does not match the world's", n)
		}
	}
	add := func(id [32]byte, st *messages.ChannelState, sigA, sigB []byte) {
		if r.history[id] == nil {
			r.history[id] = map[uint64]signedState{}
		}
		r.history[id][st.Version] = signedState{toSolidity(t, st), sigA, sigB}
	}
	// own[channel][version][signer] is a terminal's own signature on a
	// lock state of the instance. A host relaying its acks can read it, so
	// the counterparty may end up holding both.
	own := map[[32]byte]map[uint64]map[common.Address][]byte{}
	states := map[[32]byte]map[uint64]*messages.ChannelState{}
	record := func() {
		for _, n := range r.names {
			self := r.w.Addr(n)
			if in := r.w.Terminal(n).Instance(r.id, 0); in != nil {
				for _, leg := range in.Legs {
					id := [32]byte(leg.ChannelId)
					isA := common.BytesToAddress(r.w.Terminal(n).Channel(id).PartyA) == self
					for _, ls := range []struct {
						st        *messages.ChannelState
						mine, his []byte
					}{{leg.Prepared, leg.PreparedSigSelf, leg.PreparedSigPeer}, {leg.Committed, leg.CommittedSigSelf, leg.CommittedSigPeer}} {
						if ls.st == nil || len(ls.mine) == 0 {
							continue
						}
						if own[id] == nil {
							own[id], states[id] = map[uint64]map[common.Address][]byte{}, map[uint64]*messages.ChannelState{}
						}
						if own[id][ls.st.Version] == nil {
							own[id][ls.st.Version] = map[common.Address][]byte{}
						}
						own[id][ls.st.Version][self], states[id][ls.st.Version] = ls.mine, ls.st
						if len(ls.his) > 0 {
							if isA {
								add(id, ls.st, ls.mine, ls.his)
							} else {
								add(id, ls.st, ls.his, ls.mine)
							}
						}
					}
				}
			}
			for _, c := range r.w.Terminal(n).Channels() {
				if len(c.LatestSigA) > 0 && len(c.LatestSigB) > 0 {
					add([32]byte(c.ChannelId), c.Latest, c.LatestSigA, c.LatestSigB)
				}
				if c.Settled != nil && len(c.SettledSigA) > 0 && len(c.SettledSigB) > 0 {
					add([32]byte(c.ChannelId), c.Settled, c.SettledSigA, c.SettledSigB)
				}
			}
		}
	}
	var err error
	if r.id, err = r.w.Start(amount, 0); err != nil {
		t.Fatal(err)
	}
	// The intermediary has signed its committed states: a refund is still
	// granted then ([0102]), so locked states are the newest evidence.
	committed := func() bool {
		record()
		in := r.w.Terminal("i").Instance(r.id, 0)
		return in != nil && in.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED
	}
	if refund {
		if !r.w.DeliverUntil(committed) {
			t.Fatal("the intermediary never committed")
		}
		if err := r.w.RequestRefund("i", r.id); err != nil {
			t.Fatal(err)
		}
		// The request overtakes the acks still in flight.
		r.w.Queue = append(r.w.Queue[len(r.w.Queue)-1:], r.w.Queue[:len(r.w.Queue)-1]...)
	}
	r.w.DeliverUntil(func() bool { record(); return false })
	r.w.DeliverSettlements() // the parties countersign the settled states
	record()
	for _, h := range r.w.Chains[0].Hops {
		for v, sigs := range own[h.Channel] {
			if a, b := sigs[h.Payer], sigs[h.Payee]; a != nil && b != nil {
				add(h.Channel, states[h.Channel][v], a, b)
			}
		}
	}
	if refund != r.w.RefundSigned[r.id] || refund == r.w.ConfirmSigned[r.id] {
		t.Fatalf("confirm=%v refund=%v", r.w.ConfirmSigned[r.id], r.w.RefundSigned[r.id])
	}
	return r
}

// worldParty rebuilds the key protocoltest.NewKey derives for name.
func worldParty(seed int64, name string) *party {
	for i := 0; ; i++ {
		k, err := crypto.ToECDSA(crypto.Keccak256([]byte(fmt.Sprintf("teeswap-test/%d/%s/%d", seed, name, i))))
		if err == nil {
			return &party{name: name, key: k, addr: crypto.PubkeyToAddress(k.PublicKey)}
		}
	}
}

// chainFor starts a simulated chain on which the World's contract address
// holds PaymentChannels with the World's channels open at their deposits,
// as if opened and topped up there, and the terminals have gas money.
func (r *machineRun) chainFor(t *testing.T) *env {
	t.Helper()
	scratch := newEnv(t)
	ctx := context.Background()
	code, err := scratch.client.CodeAt(ctx, scratch.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	storage := map[common.Hash]common.Hash{}
	for i := int64(0); i < 16; i++ { // the constructor's writes (the reentrancy flag)
		v, err := scratch.client.StorageAt(ctx, scratch.addr, common.BigToHash(big.NewInt(i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		if common.BytesToHash(v) != (common.Hash{}) {
			storage[common.BigToHash(big.NewInt(i))] = common.BytesToHash(v)
		}
	}
	word := func(x *big.Int) common.Hash { return common.BigToHash(x) }
	// Storage layout of PaymentChannels.sol: nonce 0, channels 1, depositsAt 2.
	dep := big.NewInt(r.deposit)
	for _, h := range r.w.Chains[0].Hops {
		base := new(big.Int).SetBytes(crypto.Keccak256(h.Channel[:], word(big.NewInt(1)).Bytes()))
		field := func(i int64) common.Hash { return word(new(big.Int).Add(base, big.NewInt(i))) }
		storage[field(0)] = common.BytesToHash(h.Payer.Bytes())
		storage[field(1)] = common.BytesToHash(h.Payee.Bytes())
		storage[field(3)] = common.BytesToHash(r.w.Coord.Address().Bytes())
		storage[field(4)] = word(dep)
		storage[field(5)] = word(dep)
		storage[field(6)] = word(big.NewInt(statusOpen))
		inner := crypto.Keccak256(h.Channel[:], word(big.NewInt(2)).Bytes())
		for _, total := range []*big.Int{dep, add(dep, dep)} {
			storage[common.BytesToHash(crypto.Keccak256(word(total).Bytes(), inner))] = word(add(dep, big.NewInt(1)))
		}
	}
	held := new(big.Int).Mul(big.NewInt(int64(2*len(r.w.Chains[0].Hops))), dep)
	alloc := types.GenesisAlloc{r.contract: {Code: code, Storage: storage, Balance: held}}
	for _, p := range r.parties {
		alloc[p.addr] = types.Account{Balance: eth(10)}
	}
	e := newEnvAlloc(t, alloc)
	if e.chainID.Uint64() != simChainID {
		t.Fatalf("simulated chain id %d", e.chainID)
	}
	e.addr = r.contract
	for _, h := range r.w.Chains[0].Hops {
		c := e.channel(h.Channel)
		if c.A != h.Payer || c.B != h.Payee || c.Coordinator != r.w.Coord.Address() || c.Status != statusOpen ||
			c.DepositA.Cmp(dep) != 0 || c.DepositB.Cmp(dep) != 0 {
			t.Fatalf("planted channel reads back as %+v", c)
		}
	}
	return e
}

// newest returns the newest signed state of channel id.
func (r *machineRun) newest(id [32]byte) signedState {
	var best signedState
	for v, s := range r.history[id] {
		if v >= best.st.Version {
			best = s
		}
	}
	return best
}

// lockedStalest returns the oldest signed state of channel id with a lock.
func (r *machineRun) lockedStalest(t *testing.T, id [32]byte) signedState {
	t.Helper()
	var best *signedState
	for _, s := range r.history[id] {
		if s.st.LockStage != 0 && (best == nil || s.st.Version < best.st.Version) {
			s := s
			best = &s
		}
	}
	if best == nil {
		t.Fatalf("channel %x never had a signed lock", id)
	}
	return *best
}

func (r *machineRun) outcomeSig(t *testing.T, name string) []byte {
	t.Helper()
	in := r.w.Terminal(name).Instance(r.id, 0)
	if in == nil || len(in.OutcomeSignature) == 0 {
		t.Fatalf("%s holds no outcome signature", name)
	}
	return in.OutcomeSignature
}

func (r *machineRun) hop(i int) hop {
	h := r.w.Chains[0].Hops[i]
	return hop{id: h.Channel, payer: r.parties[r.names[i]], payee: r.parties[r.names[i+1]]}
}

// TestMachinesConfirmedPaymentDisputed: the payment s -> i -> r (100) is
// confirmed. The intermediary's channels close two ways: i and r close
// i -> r cooperatively with the terminal machines' own signatures; s, the
// payer upstream, closes s -> i on its stalest locked state (the prepared
// lock) and then on version 0. i challenges with its newest state and
// submits the outcome its terminal received. Everyone ends with exactly
// what its terminal says it holds.
func TestMachinesConfirmedPaymentDisputed(t *testing.T) {
	r := runMachines(t, 41, 100, false)
	e := r.chainFor(t)
	up, down := r.hop(0), r.hop(1)

	// Downstream, cooperatively, with the machines' signatures.
	terms, _, err := r.w.Terminal("i").CooperativeClose(down.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	peer, _, err := r.w.Terminal("r").CooperativeClose(down.id, &terminal.CloseTerms{ChainID: terms.ChainID,
		Version: terms.Version, BalanceA: terms.BalanceA, BalanceB: terms.BalanceB})
	if err != nil {
		t.Fatal(err)
	}
	rc := e.do(e.mallory, nil, pc.PackCooperativeClose(down.id, terms.Version, terms.BalanceA, terms.BalanceB, terms.Signature, peer.Signature))
	ev, err := pc.UnpackChannelClosedEvent(rc.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "i downstream", ev.PayoutA, big.NewInt(900))
	eq(t, "r downstream", ev.PayoutB, big.NewInt(1100))

	// Upstream: s closes on its stalest locked state.
	stale := r.lockedStalest(t, up.id)
	e.do(up.payer, nil, pc.PackCloseUnilateral(up.id, stale.st, stale.sigA, stale.sb))
	newest := r.newest(up.id)
	if newest.st.Version > stale.st.Version {
		e.do(up.payee, nil, pc.PackChallenge(up.id, newest.st, newest.sigA, newest.sb))
	}
	e.do(up.payee, nil, pc.PackSubmitOutcome(r.id, true, r.w.Coord.Address(), r.outcomeSig(t, "i")))
	e.wantPayouts(up, big.NewInt(900), big.NewInt(1100))
	for _, c := range []struct {
		name string
		hop  int
		want int64
	}{{"s", 0, 900}, {"i", 0, 1100}, {"i", 1, 900}, {"r", 1, 1100}} {
		if got := r.w.Balance(c.name, 0, c.hop); got.Int64() != c.want {
			t.Errorf("terminal %s says it holds %s on hop %d, the chain paid %d", c.name, got, c.hop, c.want)
		}
	}
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestMachinesRefundedPaymentDisputed: i asks for a refund once it has
// signed its committed states, and the refund is granted. Both payees
// close on the newest lock state, the committed one, doubly signed with
// the payer's signature read off its relayed ack, and nobody challenges
// with the settled state. The payer upstream submits the REFUND outcome
// its terminal received; the one downstream does nothing. Everyone gets
// its deposit back.
func TestMachinesRefundedPaymentDisputed(t *testing.T) {
	r := runMachines(t, 42, 100, true)
	e := r.chainFor(t)
	for i := range 2 {
		h := r.hop(i)
		var locked *signedState
		for _, s := range r.history[h.id] {
			if s.st.LockStage != 0 && (locked == nil || s.st.Version > locked.st.Version) {
				s := s
				locked = &s
			}
		}
		if locked == nil {
			t.Fatalf("hop %d: the machines left no doubly-signed lock state to close on", i)
		}
		e.do(h.payee, nil, pc.PackCloseUnilateral(h.id, locked.st, locked.sigA, locked.sb))
		if i == 0 {
			e.do(h.payer, nil, pc.PackSubmitOutcome(r.id, false, r.w.Coord.Address(), r.outcomeSig(t, "s")))
		}
	}
	e.wantPayouts(r.hop(0), big.NewInt(1000), big.NewInt(1000))
	e.wantPayouts(r.hop(1), big.NewInt(1000), big.NewInt(1000))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

// TestMachinesSettledStateBeatsStaleLock: after the outcome the terminals
// countersigned the lock-free settled state (issue 9), so neither party
// needs the coordinator's outcome on chain. After a REFUND the payee of
// each hop closes on its stalest doubly-signed lock state (the prepared
// lock); the payer challenges with the settled state, which is newer, and
// the channel pays exactly the deposits back with no outcome recorded.
// After a CONFIRM the payer closes stale and the payee's settled state
// pays it the amount, again with no outcome recorded.
func TestMachinesSettledStateBeatsStaleLock(t *testing.T) {
	for _, refund := range []bool{true, false} {
		name := map[bool]string{true: "refunded", false: "confirmed"}[refund]
		t.Run(name, func(t *testing.T) {
			r := runMachines(t, 43, 100, refund)
			e := r.chainFor(t)
			for i := range 2 {
				h := r.hop(i)
				stale, newest := r.lockedStalest(t, h.id), r.newest(h.id)
				want := r.w.Instances[r.id].Record().Networks[0].Network.Hops[i].Version + messages.SettledVersionOffset
				h.wantSettledAt(t, r, want)
				if newest.st.Version != want || newest.st.LockStage != 0 || newest.st.Version <= stale.st.Version {
					t.Fatalf("hop %d: newest state at %d with lock stage %d, want the lock-free settled state at %d above the stale lock at %d",
						i, newest.st.Version, newest.st.LockStage, want, stale.st.Version)
				}
				closer, defender := h.payee, h.payer
				if !refund {
					closer, defender = h.payer, h.payee
				}
				e.do(closer, nil, pc.PackCloseUnilateral(h.id, stale.st, stale.sigA, stale.sb))
				e.do(defender, nil, pc.PackChallenge(h.id, newest.st, newest.sigA, newest.sb))
				if refund {
					e.wantPayouts(h, big.NewInt(1000), big.NewInt(1000))
				} else {
					e.wantPayouts(h, big.NewInt(900), big.NewInt(1100))
				}
			}
			if got := e.outcome(r.w.Coord.Address(), r.id); got != 0 {
				t.Fatalf("an outcome (%d) is on chain; the test must settle without one", got)
			}
			eq(t, "contract", e.balance(e.addr), new(big.Int))
		})
	}
}

// wantSettledAt checks that both terminals of the hop hold its settled
// state at version, signed by both.
func (h hop) wantSettledAt(t *testing.T, r *machineRun, version uint64) {
	t.Helper()
	for _, p := range []*party{h.payer, h.payee} {
		c := r.w.Terminal(p.name).Channel(h.id)
		if c.Settled == nil || c.Settled.Version != version || len(c.SettledSigA) == 0 || len(c.SettledSigB) == 0 {
			t.Fatalf("channel %x: %s holds no doubly-signed settled state at %d", h.id, p.name, version)
		}
	}
}
