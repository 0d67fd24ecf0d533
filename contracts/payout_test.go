package contracts_test

import (
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/contracts/testtokens"
)

// hostileToken deploys a HostileToken, mints to each party and approves
// the channel contract.
func (e *env) hostileToken(amount *big.Int, to ...*party) common.Address {
	e.t.Helper()
	h := e.deploy(e.deployer, hostileBin(), nil)
	for _, p := range to {
		e.send(e.deployer, h, nil, hostile.PackMint(p.addr, amount))
		e.send(p, h, nil, hostile.PackApprove(e.addr, amount))
	}
	return h
}

// hookResult reads what a HostileToken's or TestWallet's last callback got.
func (e *env) hookResult(at common.Address) (calls int64, ok bool, ret string) {
	e.t.Helper()
	calls = call(e, at, hostile.PackHookCalls(), hostile.UnpackHookCalls).Int64()
	ok = call(e, at, hostile.PackLastHookOk(), hostile.UnpackLastHookOk)
	ret = string(call(e, at, hostile.PackLastHookReturn(), hostile.UnpackLastHookReturn))
	return calls, ok, ret
}

func (e *env) wantReentryBlocked(at common.Address, calls int64) {
	e.t.Helper()
	n, ok, ret := e.hookResult(at)
	if n != calls || ok || !strings.Contains(ret, "reentrant call") {
		e.t.Errorf("reentry: %d calls (want %d), ok %v, return %q; want it refused as reentrant", n, calls, ok, ret)
	}
}

// TestReentrancyHostileToken: a token that calls back into the contract
// from transferFrom and transfer is refused on every fund-moving path, and
// the outer call completes with exact balances.
func TestReentrancyHostileToken(t *testing.T) {
	e := newEnv(t)
	h := e.hostileToken(eth(100), e.alice, e.bob)

	// open: transferFrom tries to withdraw.
	e.send(e.deployer, h, nil, hostile.PackSetHook(e.addr, pc.PackWithdraw(h)))
	id := e.openedID(e.do(e.alice, nil, pc.PackOpen(e.bob.addr, h, eth(10), e.coord.addr)))
	e.wantReentryBlocked(h, 1)

	// topUp: transferFrom tries to top up again.
	e.send(e.deployer, h, nil, hostile.PackSetHook(e.addr, pc.PackTopUp(id, eth(1))))
	e.do(e.bob, nil, pc.PackTopUp(id, eth(5)))
	e.wantReentryBlocked(h, 2)
	c := e.channel(id)
	eq(t, "depositA", c.DepositA, eth(10))
	eq(t, "depositB", c.DepositB, eth(5))

	// finalize: transfer tries to finalize again (and would get nothing:
	// the channel is already closed when funds move).
	s := state{version: 2, depA: eth(10), depB: eth(5), balA: eth(8), balB: eth(7)}
	e.do(e.alice, nil, e.closeData(id, s))
	e.send(e.deployer, h, nil, hostile.PackSetHook(e.addr, pc.PackFinalize(id)))
	a, b := e.finalizeAfter(id)
	e.wantReentryBlocked(h, 4) // one attempt per payout
	eq(t, "payout A", a, eth(8))
	eq(t, "payout B", b, eth(7))
	eq(t, "alice tokens", e.tokenBalance(h, e.alice.addr), eth(98))
	eq(t, "bob tokens", e.tokenBalance(h, e.bob.addr), eth(102))
	eq(t, "contract tokens", e.tokenBalance(h, e.addr), new(big.Int))

	// cooperativeClose: transfer tries to close the same channel again.
	e.send(e.deployer, h, nil, hostile.PackSetHook(common.Address{}, nil))
	id = e.openedID(e.do(e.alice, nil, pc.PackOpen(e.bob.addr, h, eth(10), e.coord.addr)))
	w := e.at(id)
	sa, sb := sign(t, coopDigest(w, 1, eth(3), eth(7)), e.alice), sign(t, coopDigest(w, 1, eth(3), eth(7)), e.bob)
	closeAgain := pc.PackCooperativeClose(id, 1, eth(3), eth(7), sa, sb)
	e.send(e.deployer, h, nil, hostile.PackSetHook(e.addr, closeAgain))
	e.do(e.carol, nil, closeAgain)
	e.wantReentryBlocked(h, 6)
	eq(t, "alice tokens", e.tokenBalance(h, e.alice.addr), eth(91))
	eq(t, "bob tokens", e.tokenBalance(h, e.bob.addr), eth(109))
	eq(t, "contract tokens", e.tokenBalance(h, e.addr), new(big.Int))
}

// TestTokenWithoutReturnValue: tokens whose transfer functions return
// nothing work like ones that return true.
func TestTokenWithoutReturnValue(t *testing.T) {
	e := newEnv(t)
	h := e.hostileToken(eth(100), e.alice, e.bob)
	e.send(e.deployer, h, nil, hostile.PackSetModes(true, false, new(big.Int)))
	id := e.openedID(e.do(e.alice, nil, pc.PackOpen(e.bob.addr, h, eth(10), e.coord.addr)))
	w := e.at(id)
	e.do(e.carol, nil, pc.PackCooperativeClose(id, 1, eth(4), eth(6),
		sign(t, coopDigest(w, 1, eth(4), eth(6)), e.alice), sign(t, coopDigest(w, 1, eth(4), eth(6)), e.bob)))
	eq(t, "alice tokens", e.tokenBalance(h, e.alice.addr), eth(94))
	eq(t, "bob tokens", e.tokenBalance(h, e.bob.addr), eth(106))
	eq(t, "withdrawable", e.withdrawable(h, e.bob.addr), new(big.Int))
}

func deferred(r *types.Receipt) []string {
	var out []string
	for _, l := range r.Logs {
		if ev, err := pc.UnpackPayoutDeferredEvent(l); err == nil {
			out = append(out, ev.Account.Hex()+":"+ev.Amount.String())
		}
	}
	return out
}

// TestFailedTokenPayoutIsWithdrawable: when a token transfer fails the
// close still completes and the payout waits in withdrawable.
func TestFailedTokenPayoutIsWithdrawable(t *testing.T) {
	e := newEnv(t)
	h := e.hostileToken(eth(100), e.alice, e.bob)
	id := e.openedID(e.do(e.alice, nil, pc.PackOpen(e.bob.addr, h, eth(10), e.coord.addr)))
	e.send(e.deployer, h, nil, hostile.PackSetModes(false, true, new(big.Int)))
	w := e.at(id)
	r := e.do(e.carol, nil, pc.PackCooperativeClose(id, 1, eth(4), eth(6),
		sign(t, coopDigest(w, 1, eth(4), eth(6)), e.alice), sign(t, coopDigest(w, 1, eth(4), eth(6)), e.bob)))
	if got := deferred(r); len(got) != 2 {
		t.Errorf("PayoutDeferred events %v, want two", got)
	}
	if c := e.channel(id); c.Status != statusClosed {
		t.Fatalf("status %d", c.Status)
	}
	eq(t, "withdrawable A", e.withdrawable(h, e.alice.addr), eth(4))
	eq(t, "withdrawable B", e.withdrawable(h, e.bob.addr), eth(6))
	// While the token still fails, withdraw reverts and keeps the credit.
	e.reverts(e.bob, nil, pc.PackWithdraw(h), "transfer failed")
	eq(t, "withdrawable B", e.withdrawable(h, e.bob.addr), eth(6))

	e.send(e.deployer, h, nil, hostile.PackSetModes(false, false, new(big.Int)))
	r = e.do(e.bob, nil, pc.PackWithdraw(h))
	var ev *contracts.PaymentChannelsWithdrawn
	for _, l := range r.Logs {
		if w, err := pc.UnpackWithdrawnEvent(l); err == nil {
			ev = w
		}
	}
	if ev == nil || ev.Account != e.bob.addr || ev.Token != h || ev.Amount.Cmp(eth(6)) != 0 {
		t.Errorf("Withdrawn = %+v", ev)
	}
	eq(t, "bob tokens", e.tokenBalance(h, e.bob.addr), eth(106))
	eq(t, "withdrawable B", e.withdrawable(h, e.bob.addr), new(big.Int))
	e.reverts(e.bob, nil, pc.PackWithdraw(h), "nothing to withdraw")
	e.do(e.alice, nil, pc.PackWithdraw(h))
	eq(t, "alice tokens", e.tokenBalance(h, e.alice.addr), eth(94))
	eq(t, "contract tokens", e.tokenBalance(h, e.addr), new(big.Int))
}

// newWallet deploys a TestWallet owned by owner.
func (e *env) newWallet(owner *party) common.Address {
	e.t.Helper()
	return e.deploy(owner, testtokens.TestWalletMetaData.Bin, nil)
}

// TestNativePayoutToRejectingWallet: a contract party that refuses the
// native coin cannot block the close; its payout waits in withdrawable.
// A wallet that calls back into the contract on receipt is refused.
func TestNativePayoutToRejectingWallet(t *testing.T) {
	e := newEnv(t)
	wal := e.newWallet(e.alice)
	zero := common.Address{}
	r := e.send(e.alice, wal, eth(5), walletC.PackExec(e.addr, eth(5), pc.PackOpen(e.bob.addr, zero, eth(5), e.coord.addr)))
	id := e.openedID(r)
	e.do(e.bob, eth(2), pc.PackTopUp(id, eth(2)))
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(1, zero, nil))

	e.do(e.bob, nil, pc.PackCloseUnilateral(id, state{}.solidity(), nil, nil))
	bobBefore := e.balance(e.bob.addr)
	a, b := e.finalizeAfter(id)
	eq(t, "payout A", a, eth(5))
	eq(t, "payout B", b, eth(2))
	eq(t, "bob", e.balance(e.bob.addr), add(bobBefore, eth(2)))
	eq(t, "wallet", e.balance(wal), new(big.Int))
	eq(t, "withdrawable", e.withdrawable(zero, wal), eth(5))

	// The wallet accepts again, but tries to withdraw a second time from
	// inside the payment.
	e.send(e.alice, wal, nil, walletC.PackSetReceiveMode(2, e.addr, pc.PackWithdraw(zero)))
	e.send(e.alice, wal, nil, walletC.PackExec(e.addr, new(big.Int), pc.PackWithdraw(zero)))
	e.wantReentryBlocked(wal, 1)
	eq(t, "wallet", e.balance(wal), eth(5))
	eq(t, "withdrawable", e.withdrawable(zero, wal), new(big.Int))
	eq(t, "contract", e.balance(e.addr), new(big.Int))
}
