package contracts_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/accounts/abi/bind/v2"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient/simulated"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/contracts/testtokens"
	"github.com/teeswap/teeswap/messages"
)

const challengePeriod = 3600 // seconds

// Status, stage and outcome codes of PaymentChannels.sol.
const (
	statusNone    = 0
	statusOpen    = 1
	statusClosing = 2
	statusClosed  = 3

	stageNone      = 0
	stagePrepared  = 1
	stageCommitted = 2

	outcomeNone      = 0
	outcomeConfirmed = 1
	outcomeRefunded  = 2
)

var (
	pc       = contracts.NewPaymentChannels()
	tokenABI = testtokens.NewTestToken()
	hostile  = testtokens.NewHostileToken()
	walletC  = testtokens.NewTestWallet()

	ether = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
)

// key derives a fixed test key from name, so failures replay.
func key(name string) *ecdsa.PrivateKey {
	k, err := crypto.ToECDSA(crypto.Keccak256([]byte("teeswap contract test key: " + name)))
	if err != nil {
		panic(err)
	}
	return k
}

// party is a test account.
type party struct {
	name string
	key  *ecdsa.PrivateKey
	addr common.Address
}

func newParty(name string) *party {
	k := key(name)
	return &party{name: name, key: k, addr: crypto.PubkeyToAddress(k.PublicKey)}
}

// env is one simulated chain with a deployed PaymentChannels contract.
type env struct {
	t       *testing.T
	sim     *simulated.Backend
	client  simulated.Client
	chainID *big.Int
	addr    common.Address // the PaymentChannels contract
	inst    *bind.BoundContract

	alice, bob, carol, coord, mallory, deployer *party
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvAlloc(t, nil)
}

// newEnvAlloc is newEnv with extra genesis accounts.
func newEnvAlloc(t *testing.T, extra types.GenesisAlloc) *env {
	t.Helper()
	e := &env{t: t}
	e.alice, e.bob, e.carol = newParty("alice"), newParty("bob"), newParty("carol")
	e.coord, e.mallory, e.deployer = newParty("coordinator"), newParty("mallory"), newParty("deployer")
	alloc := types.GenesisAlloc{}
	for _, p := range []*party{e.alice, e.bob, e.carol, e.coord, e.mallory, e.deployer} {
		alloc[p.addr] = types.Account{Balance: new(big.Int).Mul(big.NewInt(1000), ether)}
	}
	for a, acc := range extra {
		alloc[a] = acc
	}
	e.sim = simulated.NewBackend(alloc)
	t.Cleanup(func() { _ = e.sim.Close() })
	e.client = e.sim.Client()
	id, err := e.client.ChainID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	e.chainID = id
	e.addr = e.deploy(e.deployer, contracts.PaymentChannelsMetaData.Bin, pc.PackConstructor(challengePeriod))
	e.inst = pc.Instance(e.client, e.addr)
	return e
}

// deploy deploys bytecode (hex) with constructor input and returns its address.
func (e *env) deploy(from *party, bin string, input []byte) common.Address {
	e.t.Helper()
	addr, tx, err := bind.DeployContract(e.opts(from, nil), common.FromHex(bin), e.client, input)
	if err != nil {
		e.t.Fatalf("deploy: %v", err)
	}
	e.mine(tx)
	return addr
}

func (e *env) opts(from *party, value *big.Int) *bind.TransactOpts {
	o := bind.NewKeyedTransactor(from.key, e.chainID)
	o.Value = value
	o.Context = context.Background()
	return o
}

func (e *env) mine(tx *types.Transaction) *types.Receipt {
	e.t.Helper()
	var r *types.Receipt
	var err error
	for range 100 { // commit until the block includes tx
		e.sim.Commit()
		if r, err = e.client.TransactionReceipt(context.Background(), tx.Hash()); !errors.Is(err, ethereum.NotFound) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatalf("receipt: %v", err)
	}
	if r.Status != types.ReceiptStatusSuccessful {
		e.t.Fatalf("transaction %s failed", tx.Hash())
	}
	return r
}

// send calls the contract at to with data, mines it and returns the receipt.
func (e *env) send(from *party, to common.Address, value *big.Int, data []byte) *types.Receipt {
	e.t.Helper()
	tx, err := bind.Transact(bind.NewBoundContract(to, pc.GetABI(), e.client, e.client, e.client), e.opts(from, value), data)
	if err != nil {
		e.t.Fatalf("%s: transaction: %v", from.name, err)
	}
	return e.mine(tx)
}

// do sends data to the PaymentChannels contract.
func (e *env) do(from *party, value *big.Int, data []byte) *types.Receipt {
	e.t.Helper()
	return e.send(from, e.addr, value, data)
}

// reverts checks that data sent to the PaymentChannels contract reverts
// with a reason containing want.
func (e *env) reverts(from *party, value *big.Int, data []byte, want string) {
	e.t.Helper()
	e.revertsAt(from, e.addr, value, data, want)
}

func (e *env) revertsAt(from *party, to common.Address, value *big.Int, data []byte, want string) {
	e.t.Helper()
	tx, err := bind.Transact(bind.NewBoundContract(to, pc.GetABI(), e.client, e.client, e.client), e.opts(from, value), data)
	if err == nil {
		r := e.mine(tx)
		e.t.Fatalf("%s: transaction succeeded (status %d), want revert %q", from.name, r.Status, want)
	}
	if !strings.Contains(err.Error(), want) {
		e.t.Fatalf("%s: error %q, want revert %q", from.name, err, want)
	}
}

// fee is what a receipt's sender paid for gas.
func fee(r *types.Receipt) *big.Int {
	return new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice)
}

func (e *env) balance(a common.Address) *big.Int {
	e.t.Helper()
	b, err := e.client.BalanceAt(context.Background(), a, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func call[T any](e *env, to common.Address, data []byte, unpack func([]byte) (T, error)) T {
	e.t.Helper()
	v, err := bind.Call(bind.NewBoundContract(to, pc.GetABI(), e.client, e.client, e.client), &bind.CallOpts{Context: context.Background()}, data, unpack)
	if err != nil {
		e.t.Fatalf("call: %v", err)
	}
	return v
}

func (e *env) channel(id [32]byte) contracts.PaymentChannelsChannel {
	e.t.Helper()
	return call(e, e.addr, pc.PackGetChannel(id), pc.UnpackGetChannel)
}

func (e *env) tokenBalance(token, a common.Address) *big.Int {
	e.t.Helper()
	return call(e, token, tokenABI.PackBalanceOf(a), tokenABI.UnpackBalanceOf)
}

func (e *env) withdrawable(token, a common.Address) *big.Int {
	e.t.Helper()
	return call(e, e.addr, pc.PackWithdrawable(token, a), pc.UnpackWithdrawable)
}

// advance moves the chain's clock by d and mines a block.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	// The tx pool drops just-mined transactions asynchronously, and
	// AdjustTime refuses to run while it still lists any: retry briefly.
	var err error
	for range 500 {
		if err = e.sim.AdjustTime(d); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	e.sim.Commit()
}

// openNative opens a channel from a to b with a native deposit and
// returns its id and the receipt.
func (e *env) openNative(a, b *party, amount *big.Int) ([32]byte, *types.Receipt) {
	e.t.Helper()
	r := e.do(a, amount, pc.PackOpen(b.addr, common.Address{}, amount, e.coord.addr))
	return e.openedID(r), r
}

func (e *env) openedID(r *types.Receipt) [32]byte {
	e.t.Helper()
	for _, l := range r.Logs {
		if ev, err := pc.UnpackChannelOpenedEvent(l); err == nil {
			return ev.ChannelId
		}
	}
	e.t.Fatal("no ChannelOpened event")
	return [32]byte{}
}

// newToken deploys a TestToken and mints amount to each party.
func (e *env) newToken(amount *big.Int, to ...*party) common.Address {
	e.t.Helper()
	tok := e.deploy(e.deployer, testtokens.TestTokenMetaData.Bin, tokenABI.PackConstructor("Test", "TST"))
	for _, p := range to {
		e.send(e.deployer, tok, nil, tokenABI.PackMint(p.addr, amount))
		e.send(p, tok, nil, tokenABI.PackApprove(e.addr, amount))
	}
	return tok
}

// lock is the pending transfer of a test state.
type lock struct {
	id     [32]byte
	amount *big.Int
	aToB   bool
	stage  uint8
	cross  bool
}

// state is a channel state in test form.
type state struct {
	version                uint64
	depA, depB, balA, balB *big.Int
	lock                   *lock
}

func (s state) solidity() contracts.PaymentChannelsState {
	st := contracts.PaymentChannelsState{
		Version: s.version, DepositA: nz(s.depA), DepositB: nz(s.depB), BalanceA: nz(s.balA), BalanceB: nz(s.balB),
		LockAmount: new(big.Int),
	}
	if s.lock != nil {
		st.LockId, st.LockAmount, st.LockAToB, st.LockStage, st.LockCrossChain =
			s.lock.id, s.lock.amount, s.lock.aToB, s.lock.stage, s.lock.cross
	}
	return st
}

// proto is s as the messages package signs it.
func (s state) proto(chainID uint64, contract common.Address, channelID [32]byte) *messages.ChannelState {
	m := &messages.ChannelState{
		ChainId: chainID, Contract: contract.Bytes(), ChannelId: channelID[:], Version: s.version,
		DepositA: messages.AmountBytes(s.depA), DepositB: messages.AmountBytes(s.depB),
		BalanceA: messages.AmountBytes(s.balA), BalanceB: messages.AmountBytes(s.balB),
	}
	if s.lock != nil {
		m.Lock = &messages.Lock{
			LockId: s.lock.id[:], Amount: messages.AmountBytes(s.lock.amount),
			AToB: s.lock.aToB, Stage: messages.LockStage(s.lock.stage), CrossChain: s.lock.cross,
		}
	}
	return m
}

// where names the chain, contract and channel a signature is made for.
type where struct {
	chainID  uint64
	contract common.Address
	channel  [32]byte
}

func (e *env) at(id [32]byte) where {
	return where{chainID: e.chainID.Uint64(), contract: e.addr, channel: id}
}

func sign(t *testing.T, digest [32]byte, p *party) []byte {
	t.Helper()
	sig, err := crypto.Sign(digest[:], p.key)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signState signs s for w with p's key through messages.ChannelStateDigest.
func signState(t *testing.T, w where, s state, p *party) []byte {
	t.Helper()
	d, err := messages.ChannelStateDigest(s.proto(w.chainID, w.contract, w.channel))
	if err != nil {
		t.Fatal(err)
	}
	return sign(t, d, p)
}

// signed returns s with both parties' signatures for channel id.
func (e *env) signed(id [32]byte, s state) (contracts.PaymentChannelsState, []byte, []byte) {
	e.t.Helper()
	w := e.at(id)
	return s.solidity(), signState(e.t, w, s, e.alice), signState(e.t, w, s, e.bob)
}

func (e *env) signOutcome(instance [32]byte, confirmed bool, p *party) []byte {
	e.t.Helper()
	return sign(e.t, messages.OutcomeDigest(e.chainID.Uint64(), e.addr, instance, confirmed), p)
}

// nz is x, or zero for nil.
func nz(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

func eth(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), ether) }

func add(xs ...*big.Int) *big.Int {
	s := new(big.Int)
	for _, x := range xs {
		s.Add(s, x)
	}
	return s
}

func sub(x, y *big.Int) *big.Int { return new(big.Int).Sub(x, y) }

func id32(s string) [32]byte { return crypto.Keccak256Hash([]byte(s)) }

func eq(t *testing.T, what string, got, want *big.Int) {
	t.Helper()
	if got.Cmp(want) != 0 {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

// closeData packs closeUnilateral on s signed by both parties.
func (e *env) closeData(id [32]byte, s state) []byte {
	e.t.Helper()
	st, sa, sb := e.signed(id, s)
	return pc.PackCloseUnilateral(id, st, sa, sb)
}

// challengeData packs challenge on s signed by both parties.
func (e *env) challengeData(id [32]byte, s state) []byte {
	e.t.Helper()
	st, sa, sb := e.signed(id, s)
	return pc.PackChallenge(id, st, sa, sb)
}

func coopDigest(w where, version uint64, a, b *big.Int) [32]byte {
	return messages.CooperativeCloseDigest(w.chainID, w.contract, w.channel, version, a, b)
}

func hostileBin() string { return testtokens.HostileTokenMetaData.Bin }

func contains(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

func mustType(name string) abi.Type {
	t, err := abi.NewType(name, "", nil)
	if err != nil {
		panic(err)
	}
	return t
}

// deployRaw deploys PaymentChannels with input and returns the error
// instead of failing.
func deployRaw(e *env, input []byte) (common.Address, *types.Transaction, error) {
	return bind.DeployContract(e.opts(e.deployer, nil), common.FromHex(contracts.PaymentChannelsMetaData.Bin), e.client, input)
}

// signedBy returns s signed by pa (party A) and pb (party B) for channel id.
func (e *env) signedBy(id [32]byte, s state, pa, pb *party) (contracts.PaymentChannelsState, []byte, []byte) {
	e.t.Helper()
	w := e.at(id)
	return s.solidity(), signState(e.t, w, s, pa), signState(e.t, w, s, pb)
}

func (e *env) closeDataBy(id [32]byte, s state, pa, pb *party) []byte {
	e.t.Helper()
	st, sa, sb := e.signedBy(id, s, pa, pb)
	return pc.PackCloseUnilateral(id, st, sa, sb)
}

func (e *env) challengeDataBy(id [32]byte, s state, pa, pb *party) []byte {
	e.t.Helper()
	st, sa, sb := e.signedBy(id, s, pa, pb)
	return pc.PackChallenge(id, st, sa, sb)
}

func (e *env) outcome(coordinator common.Address, instance [32]byte) uint8 {
	e.t.Helper()
	return call(e, e.addr, pc.PackOutcome(coordinator, instance), pc.UnpackOutcome)
}

// finalizeAfter waits out the challenge period and finalizes id, returning
// the payouts of its ChannelClosed event.
func (e *env) finalizeAfter(id [32]byte) (a, b *big.Int) {
	e.t.Helper()
	e.advance(challengePeriod * time.Second)
	r := e.do(e.mallory, nil, pc.PackFinalize(id))
	for _, l := range r.Logs {
		if ev, err := pc.UnpackChannelClosedEvent(l); err == nil {
			return ev.PayoutA, ev.PayoutB
		}
	}
	e.t.Fatal("no ChannelClosed event")
	return nil, nil
}
