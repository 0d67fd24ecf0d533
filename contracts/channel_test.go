package contracts_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/contracts"
)

func TestDeployChallengePeriodBounds(t *testing.T) {
	e := newEnv(t)
	if got := call(e, e.addr, pc.PackChallengePeriod(), pc.UnpackChallengePeriod); got != challengePeriod {
		t.Errorf("challengePeriod = %d, want %d", got, challengePeriod)
	}
	for _, p := range []uint64{0, 30*24*3600 + 1, 1<<64 - 1} {
		if _, _, err := deployRaw(e, pc.PackConstructor(p)); !contains(err, "challenge period out of range") {
			t.Fatalf("deploy with period %d: %v, want revert", p, err)
		}
	}
	for _, p := range []uint64{1, 30 * 24 * 3600} {
		if _, _, err := deployRaw(e, pc.PackConstructor(p)); err != nil {
			t.Fatalf("deploy with period %d: %v", p, err)
		}
	}
}

func TestOpenNative(t *testing.T) {
	e := newEnv(t)
	before := e.balance(e.alice.addr)
	id, r := e.openNative(e.alice, e.bob, eth(10))

	eq(t, "alice balance", e.balance(e.alice.addr), sub(before, add(eth(10), fee(r))))
	eq(t, "contract balance", e.balance(e.addr), eth(10))

	// channelId = keccak256(abi.encode(chainid, contract, a, b, nonce)).
	args := abi.Arguments{{Type: mustType("uint256")}, {Type: mustType("address")}, {Type: mustType("address")},
		{Type: mustType("address")}, {Type: mustType("uint256")}}
	enc, err := args.Pack(e.chainID, e.addr, e.alice.addr, e.bob.addr, big.NewInt(0))
	if err != nil {
		t.Fatal(err)
	}
	if want := crypto.Keccak256Hash(enc); want != id {
		t.Errorf("channel id %x, want %x", id, want)
	}
	ev, err := pc.UnpackChannelOpenedEvent(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev.A != e.alice.addr || ev.B != e.bob.addr || ev.Token != (common.Address{}) || ev.Coordinator != e.coord.addr || ev.DepositA.Cmp(eth(10)) != 0 {
		t.Errorf("ChannelOpened = %+v", ev)
	}
	c := e.channel(id)
	if c.A != e.alice.addr || c.B != e.bob.addr || c.Coordinator != e.coord.addr || c.Status != statusOpen ||
		c.DepositA.Cmp(eth(10)) != 0 || c.DepositB.Sign() != 0 {
		t.Errorf("channel = %+v", c)
	}
	if n := call(e, e.addr, pc.PackNonce(), pc.UnpackNonce); n.Int64() != 1 {
		t.Errorf("nonce = %s, want 1", n)
	}
	// The same parties get a fresh id next time.
	id2, _ := e.openNative(e.alice, e.bob, eth(1))
	if id2 == id {
		t.Error("second channel reused the id")
	}
	if c := e.channel(id32("unknown")); c.Status != statusNone {
		t.Errorf("unknown channel status %d", c.Status)
	}
}

func TestOpenRejects(t *testing.T) {
	e := newEnv(t)
	tok := e.newToken(eth(100), e.alice)
	zero := common.Address{}
	for _, tc := range []struct {
		name  string
		value *big.Int
		data  []byte
		want  string
	}{
		{"zero amount", nil, pc.PackOpen(e.bob.addr, zero, new(big.Int), e.coord.addr), "zero amount"},
		{"zero counterparty", eth(1), pc.PackOpen(zero, zero, eth(1), e.coord.addr), "zero counterparty"},
		{"self", eth(1), pc.PackOpen(e.alice.addr, zero, eth(1), e.coord.addr), "counterparty is caller"},
		{"zero coordinator", eth(1), pc.PackOpen(e.bob.addr, zero, eth(1), zero), "zero coordinator"},
		{"value too small", eth(1), pc.PackOpen(e.bob.addr, zero, eth(2), e.coord.addr), "value does not match amount"},
		{"value too large", eth(3), pc.PackOpen(e.bob.addr, zero, eth(2), e.coord.addr), "value does not match amount"},
		{"value with token", eth(1), pc.PackOpen(e.bob.addr, tok, eth(1), e.coord.addr), "value sent with token deposit"},
		{"token not a contract", nil, pc.PackOpen(e.bob.addr, e.carol.addr, eth(1), e.coord.addr), "token is not a contract"},
		{"no allowance", nil, pc.PackOpen(e.bob.addr, tok, eth(101), e.coord.addr), "transferFrom failed"},
	} {
		t.Run(tc.name, func(t *testing.T) { e.t = t; e.reverts(e.alice, tc.value, tc.data, tc.want) })
	}
	e.t = t
	// A token that delivers less than asked would let one channel draw on
	// another's funds: rejected.
	h := e.deploy(e.deployer, hostileBin(), nil)
	e.send(e.deployer, h, nil, hostile.PackMint(e.alice.addr, eth(10)))
	e.send(e.alice, h, nil, hostile.PackApprove(e.addr, eth(10)))
	e.send(e.deployer, h, nil, hostile.PackSetModes(false, false, big.NewInt(1)))
	e.reverts(e.alice, nil, pc.PackOpen(e.bob.addr, h, eth(1), e.coord.addr), "token transfer amount mismatch")
	eq(t, "contract balance", e.balance(e.addr), new(big.Int))
}

func TestTopUp(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	bobBefore := e.balance(e.bob.addr)
	r := e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	eq(t, "bob balance", e.balance(e.bob.addr), sub(bobBefore, add(eth(5), fee(r))))
	ev, err := pc.UnpackChannelToppedUpEvent(r.Logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev.By != e.bob.addr || ev.Amount.Cmp(eth(5)) != 0 || ev.DepositA.Cmp(eth(10)) != 0 || ev.DepositB.Cmp(eth(5)) != 0 {
		t.Errorf("ChannelToppedUp = %+v", ev)
	}
	e.do(e.alice, eth(2), pc.PackTopUp(id, eth(2)))
	c := e.channel(id)
	eq(t, "depositA", c.DepositA, eth(12))
	eq(t, "depositB", c.DepositB, eth(5))
	eq(t, "contract balance", e.balance(e.addr), eth(17))

	e.reverts(e.carol, eth(1), pc.PackTopUp(id, eth(1)), "not a party")
	e.reverts(e.bob, nil, pc.PackTopUp(id, new(big.Int)), "zero amount")
	e.reverts(e.bob, eth(1), pc.PackTopUp(id, eth(2)), "value does not match amount")
	e.reverts(e.bob, eth(1), pc.PackTopUp(id32("nope"), eth(1)), "unknown channel")

	e.do(e.alice, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil))
	e.reverts(e.bob, eth(1), pc.PackTopUp(id, eth(1)), "channel not open")
}

func TestTokenChannel(t *testing.T) {
	e := newEnv(t)
	tok := e.newToken(eth(100), e.alice, e.bob)
	r := e.do(e.alice, nil, pc.PackOpen(e.bob.addr, tok, eth(30), e.coord.addr))
	id := e.openedID(r)
	e.do(e.bob, nil, pc.PackTopUp(id, eth(20)))
	eq(t, "contract tokens", e.tokenBalance(tok, e.addr), eth(50))
	eq(t, "alice tokens", e.tokenBalance(tok, e.alice.addr), eth(70))
	eq(t, "bob tokens", e.tokenBalance(tok, e.bob.addr), eth(80))

	s := state{version: 4, depA: eth(30), depB: eth(20), balA: eth(10), balB: eth(40)}
	st, sa, sb := e.signed(id, s)
	e.do(e.bob, nil, pc.PackCloseUnilateral(id, st, sa, sb))
	e.advance(challengePeriod * time.Second)
	e.do(e.carol, nil, pc.PackFinalize(id))
	eq(t, "contract tokens", e.tokenBalance(tok, e.addr), new(big.Int))
	eq(t, "alice tokens", e.tokenBalance(tok, e.alice.addr), eth(80))
	eq(t, "bob tokens", e.tokenBalance(tok, e.bob.addr), eth(120))
}

func TestCooperativeClose(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	other, _ := e.openNative(e.alice, e.bob, eth(10))

	w := e.at(id)
	bal := func(a, b int64) (*big.Int, *big.Int) { return eth(a), eth(b) }
	ba, bb := bal(4, 11)
	coop := func(w where, p *party, a, b *big.Int) []byte {
		return sign(t, coopDigest(w, 7, a, b), p)
	}
	sa, sb := coop(w, e.alice, ba, bb), coop(w, e.bob, ba, bb)

	// Balances must add up to the deposits.
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 7, eth(4), eth(10), coop(w, e.alice, eth(4), eth(10)), coop(w, e.bob, eth(4), eth(10))), "balances do not match deposits")
	// Swapped, forged, and replayed from another channel.
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 7, ba, bb, sb, sa), "bad signature of A")
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 7, ba, bb, sa, coop(w, e.mallory, ba, bb)), "bad signature of B")
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 8, ba, bb, sa, sb), "bad signature of A")
	e.reverts(e.carol, nil, pc.PackCooperativeClose(other, 7, eth(4), eth(6), coop(w, e.alice, eth(4), eth(6)), coop(w, e.bob, eth(4), eth(6))), "bad signature of A")
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id32("nope"), 7, ba, bb, sa, sb), "unknown channel")

	aliceBefore, bobBefore := e.balance(e.alice.addr), e.balance(e.bob.addr)
	r := e.do(e.carol, nil, pc.PackCooperativeClose(id, 7, ba, bb, sa, sb))
	eq(t, "alice", e.balance(e.alice.addr), add(aliceBefore, eth(4)))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(11)))
	eq(t, "contract", e.balance(e.addr), eth(10))
	ev, err := pc.UnpackChannelClosedEvent(r.Logs[0])
	if err != nil || ev.ChannelId != id || ev.PayoutA.Cmp(ba) != 0 || ev.PayoutB.Cmp(bb) != 0 {
		t.Errorf("ChannelClosed = %+v, %v", ev, err)
	}
	if c := e.channel(id); c.Status != statusClosed {
		t.Errorf("status %d after close", c.Status)
	}
	// Double close, by either route.
	e.reverts(e.carol, nil, pc.PackCooperativeClose(id, 7, ba, bb, sa, sb), "channel closed")
	e.reverts(e.alice, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil), "channel not open")
	e.reverts(e.alice, nil, pc.PackFinalize(id), "channel not closing")
}

// TestCooperativeCloseWhileClosing: both parties may settle at once even
// after a unilateral close started.
func TestCooperativeCloseWhileClosing(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.alice, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil))
	w := e.at(id)
	bobBefore := e.balance(e.bob.addr)
	e.do(e.carol, nil, pc.PackCooperativeClose(id, 1, eth(7), eth(3),
		sign(t, coopDigest(w, 1, eth(7), eth(3)), e.alice), sign(t, coopDigest(w, 1, eth(7), eth(3)), e.bob)))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(3)))
	e.advance(challengePeriod * time.Second)
	e.reverts(e.alice, nil, pc.PackFinalize(id), "channel not closing")
}

func TestUnilateralCloseAndFinalize(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	// The state saw only alice's deposit; bob's top-up goes back to bob on
	// top of his balance in the state.
	s := state{version: 3, depA: eth(10), depB: new(big.Int), balA: eth(6), balB: eth(4)}
	st, sa, sb := e.signed(id, s)

	e.reverts(e.carol, nil, pc.PackCloseUnilateral(id, st, sa, sb), "not a party")
	e.reverts(e.alice, nil, pc.PackCloseUnilateral(id32("nope"), st, sa, sb), "unknown channel")
	e.reverts(e.alice, nil, pc.PackFinalize(id), "channel not closing")

	r := e.do(e.alice, nil, pc.PackCloseUnilateral(id, st, sa, sb))
	head, err := e.client.HeaderByNumber(t.Context(), r.BlockNumber)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := pc.UnpackCloseRequestedEvent(r.Logs[0])
	if err != nil || ev.By != e.alice.addr || ev.Version != 3 || ev.Deadline != head.Time+challengePeriod {
		t.Errorf("CloseRequested = %+v, %v (block time %d)", ev, err, head.Time)
	}
	c := e.channel(id)
	if c.Status != statusClosing || c.ClosingVersion != 3 || c.Deadline != ev.Deadline {
		t.Errorf("channel = %+v", c)
	}
	e.reverts(e.bob, nil, pc.PackCloseUnilateral(id, st, sa, sb), "channel not open")
	e.reverts(e.bob, nil, pc.PackFinalize(id), "challenge period not over")
	e.advance((challengePeriod - 60) * time.Second)
	e.reverts(e.bob, nil, pc.PackFinalize(id), "challenge period not over")
	e.advance(60 * time.Second)

	aliceBefore, bobBefore := e.balance(e.alice.addr), e.balance(e.bob.addr)
	r = e.do(e.carol, nil, pc.PackFinalize(id))
	eq(t, "alice", e.balance(e.alice.addr), add(aliceBefore, eth(6)))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(9)))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
	closed, err := pc.UnpackChannelClosedEvent(r.Logs[0])
	if err != nil || closed.PayoutA.Cmp(eth(6)) != 0 || closed.PayoutB.Cmp(eth(9)) != 0 {
		t.Errorf("ChannelClosed = %+v, %v", closed, err)
	}
	e.reverts(e.bob, nil, pc.PackFinalize(id), "channel not closing")
	e.reverts(e.bob, nil, pc.PackChallenge(id, st, sa, sb), "channel not closing")
}

func TestVersionZeroCloseReturnsDeposits(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	junk := make([]byte, 65)
	e.reverts(e.bob, nil, pc.PackCloseUnilateral(id, state{}.solidity(), junk, nil), "version 0 takes no signatures")
	bobBefore := e.balance(e.bob.addr)
	r := e.do(e.bob, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil))
	e.advance(challengePeriod * time.Second)
	r2 := e.do(e.bob, nil, pc.PackFinalize(id))
	eq(t, "bob", e.balance(e.bob.addr), sub(add(bobBefore, eth(5)), add(fee(r), fee(r2))))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}

func TestChallenge(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	stale := state{version: 1, depA: eth(10), depB: new(big.Int), balA: eth(9), balB: eth(1)}
	newer := state{version: 2, depA: eth(10), depB: new(big.Int), balA: eth(2), balB: eth(8)}
	newest := state{version: 5, depA: eth(10), depB: new(big.Int), balA: eth(3), balB: eth(7)}

	e.reverts(e.bob, nil, e.challengeData(id, newer), "channel not closing")
	// Alice closes on a stale state that favours her.
	e.do(e.alice, nil, e.closeData(id, stale))
	// Equal or lower versions never win.
	e.reverts(e.bob, nil, e.challengeData(id, stale), "version not newer")
	e.reverts(e.carol, nil, e.challengeData(id, stale), "version not newer")
	// A newer state signed by bob twice is not a newer state.
	st, _, sb := e.signed(id, newer)
	e.reverts(e.bob, nil, pc.PackChallenge(id, st, sb, sb), "bad signature of A")

	r := e.do(e.bob, nil, e.challengeData(id, newer))
	ev, err := pc.UnpackChallengedEvent(r.Logs[0])
	if err != nil || ev.By != e.bob.addr || ev.Version != 2 {
		t.Errorf("Challenged = %+v, %v", ev, err)
	}
	e.reverts(e.alice, nil, e.challengeData(id, newer), "version not newer")
	// The closer may bring a newer state too.
	e.do(e.alice, nil, e.challengeData(id, newest))
	if c := e.channel(id); c.ClosingVersion != 5 {
		t.Errorf("closing version %d, want 5", c.ClosingVersion)
	}

	e.advance(challengePeriod * time.Second)
	later := state{version: 9, depA: eth(10), depB: new(big.Int), balA: eth(10), balB: new(big.Int)}
	e.reverts(e.alice, nil, e.challengeData(id, later), "challenge period over")

	aliceBefore, bobBefore := e.balance(e.alice.addr), e.balance(e.bob.addr)
	e.do(e.carol, nil, pc.PackFinalize(id))
	eq(t, "alice", e.balance(e.alice.addr), add(aliceBefore, eth(3)))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(7)))
}

// TestStateRules covers every reason a signed state is refused.
func TestStateRules(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	e.do(e.bob, eth(5), pc.PackTopUp(id, eth(5)))
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	l := func(stage uint8, amount *big.Int) *lock {
		return &lock{id: id32("p"), amount: amount, aToB: true, stage: stage}
	}
	for _, tc := range []struct {
		name string
		s    state
		want string
	}{
		{"bad stage", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(9), balB: eth(5), lock: l(3, eth(1))}, "bad lock stage"},
		{"lock fields without lock", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(10), balB: eth(5), lock: &lock{id: id32("p"), amount: new(big.Int)}}, "lock fields without a lock"},
		{"zero lock amount", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(10), balB: eth(5), lock: l(stagePrepared, new(big.Int))}, "zero lock amount"},
		{"more than deposits", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(10), balB: eth(6)}, "state does not add up"},
		{"less than deposits", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(10), balB: eth(4)}, "state does not add up"},
		{"lock not counted", state{version: 1, depA: eth(10), depB: eth(5), balA: eth(10), balB: eth(5), lock: l(stagePrepared, eth(1))}, "state does not add up"},
		{"deposit A beyond chain", state{version: 1, depA: eth(11), depB: eth(4), balA: eth(11), balB: eth(4)}, "state deposits exceed deposits"},
		{"deposit B beyond chain", state{version: 1, depA: eth(9), depB: eth(6), balA: eth(9), balB: eth(6)}, "state deposits exceed deposits"},
		{"balance overflow", state{version: 1, depA: eth(10), depB: eth(5), balA: max, balB: big.NewInt(1)}, "arithmetic underflow or overflow"},
		{"deposit overflow", state{version: 1, depA: max, depB: eth(5), balA: eth(10), balB: eth(5)}, "arithmetic underflow or overflow"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			st := tc.s.solidity()
			// Sign the contract's own digest: messages refuses some of these
			// malformed states before it would sign them.
			d := call(e, e.addr, pc.PackStateDigest(id, st), pc.UnpackStateDigest)
			e.reverts(e.alice, nil, pc.PackCloseUnilateral(id, st, sign(t, d, e.alice), sign(t, d, e.bob)), tc.want)
		})
	}
	e.t = t
	// Cooperative close checks its sum with checked arithmetic too.
	w := e.at(id)
	e.reverts(e.alice, nil, pc.PackCooperativeClose(id, 1, max, big.NewInt(1),
		sign(t, coopDigest(w, 1, max, big.NewInt(1)), e.alice), sign(t, coopDigest(w, 1, max, big.NewInt(1)), e.bob)),
		"arithmetic underflow or overflow")
}

func TestSignatureRules(t *testing.T) {
	e := newEnv(t)
	id, _ := e.openNative(e.alice, e.bob, eth(10))
	other, _ := e.openNative(e.alice, e.bob, eth(10))
	s := state{version: 1, depA: eth(10), depB: new(big.Int), balA: eth(4), balB: eth(6)}
	w := e.at(id)
	good := func(p *party) []byte { return signState(t, w, s, p) }

	// A second contract instance on the same chain.
	second := e.deploy(e.deployer, contracts.PaymentChannelsMetaData.Bin, pc.PackConstructor(challengePeriod))
	otherChain := w
	otherChain.chainID = w.chainID + 1
	otherContract := w
	otherContract.contract = second
	otherChannel := w
	otherChannel.channel = other

	highS := func(sig []byte) []byte {
		n := crypto.S256().Params().N
		out := append([]byte(nil), sig...)
		hs := new(big.Int).Sub(n, new(big.Int).SetBytes(sig[32:64]))
		hs.FillBytes(out[32:64])
		out[64] ^= 1
		return out
	}
	v27 := func(sig []byte) []byte { out := append([]byte(nil), sig...); out[64] += 27; return out }
	zeroR := make([]byte, 65)
	zeroR[63], zeroR[64] = 1, 27
	badV := append([]byte(nil), good(e.bob)...)
	badV[64] = 29

	for _, tc := range []struct {
		name       string
		sigA, sigB []byte
		want       string
	}{
		{"forged by mallory", good(e.alice), good(e.mallory), "bad signature of B"},
		{"swapped", good(e.bob), good(e.alice), "bad signature of A"},
		{"same signer twice", good(e.alice), good(e.alice), "bad signature of B"},
		{"replayed from another channel", signState(t, otherChannel, s, e.alice), signState(t, otherChannel, s, e.bob), "bad signature of A"},
		{"replayed from another contract", signState(t, otherContract, s, e.alice), signState(t, otherContract, s, e.bob), "bad signature of A"},
		{"replayed from another chain", signState(t, otherChain, s, e.alice), signState(t, otherChain, s, e.bob), "bad signature of A"},
		{"high s", good(e.alice), highS(good(e.bob)), "high-s signature"},
		{"short", good(e.alice), good(e.bob)[:64], "bad signature length"},
		{"missing", good(e.alice), nil, "bad signature length"},
		{"bad v", good(e.alice), badV, "bad signature v"},
		{"unrecoverable", good(e.alice), zeroR, "invalid signature"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.reverts(e.alice, nil, pc.PackCloseUnilateral(id, s.solidity(), tc.sigA, tc.sigB), tc.want)
		})
	}
	e.t = t
	// v as 27/28 is accepted as well as 0/1.
	e.do(e.alice, nil, pc.PackCloseUnilateral(id, s.solidity(), v27(good(e.alice)), good(e.bob)))
	// The same signatures on the second contract fail there too.
	e.revertsAt(e.alice, second, nil, pc.PackCloseUnilateral(id, s.solidity(), good(e.alice), good(e.bob)), "unknown channel")
}

func TestWithdrawNothing(t *testing.T) {
	e := newEnv(t)
	e.reverts(e.alice, nil, pc.PackWithdraw(common.Address{}), "nothing to withdraw")
}
