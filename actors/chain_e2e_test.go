package actors_test

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/chaintest"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/contracts/testtokens"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

var genesisWei = new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))

type acctKey struct {
	chainID uint64
	addr    common.Address
}

// onChainWorld is Fig. 1 over actors and two embedded chains: channels are
// opened on chain through the terminals' enclave keys and reach the
// enclaves and the directory through the watcher actors.
type onChainWorld struct {
	t        *testing.T
	backend  enclave.Backend
	local    *actors.Local
	router   *directory.Router
	chains   []*evm.Simulated
	contract map[uint64]common.Address
	// keys are test keys in the clear: the dispute tests play
	// counterparties that run their own software and sign what they like
	// (rawKeyTx). The terminals' enclaves hold the same keys, imported
	// into the simulation backend, so they can be attested.
	keys     map[string]*protocoltest.Key
	chainOf  map[string]uint64
	ops      map[string]*actors.ContractOps
	deployer enclave.Key

	mu        sync.Mutex
	gas       map[acctKey]*big.Int
	start     map[acctKey]*big.Int
	transfers map[acctKey]*big.Int
}

func newOnChainWorld(t *testing.T) *onChainWorld {
	t.Helper()
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &onChainWorld{t: t, backend: backend, contract: map[uint64]common.Address{}, keys: map[string]*protocoltest.Key{},
		chainOf: map[string]uint64{}, ops: map[string]*actors.ContractOps{},
		gas: map[acctKey]*big.Int{}, start: map[acctKey]*big.Int{}, transfers: map[acctKey]*big.Int{}}
	if w.deployer, err = backend.NewKey(); err != nil {
		t.Fatal(err)
	}
	alloc := types.GenesisAlloc{w.deployer.Address(): {Balance: genesisWei}}
	for _, name := range []string{"s1", "i1", "r1", "s2", "i2", "r2"} {
		k := protocoltest.NewKey(1, name)
		w.keys[name] = k
		alloc[k.Address()] = types.Account{Balance: genesisWei}
	}
	w.chains, err = evm.NewSimulated(2, evm.SimConfig{Alloc: alloc, Mining: evm.MineOnSend})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range w.chains {
			_ = c.Close()
		}
	})
	ctx := context.Background()
	var deps []actors.Deployment
	for i, c := range w.chains {
		for _, name := range []string{"s", "i", "r"} {
			w.chainOf[fmt.Sprint(name, i+1)] = c.ChainID()
		}
		for _, k := range append([]enclave.Key{w.deployer}, w.keyList()...) {
			w.start[acctKey{c.ChainID(), k.Address()}] = genesisWei
		}
		addr, r, err := actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(w.deployer), 3600)
		if err != nil {
			t.Fatal(err)
		}
		w.book(c.ChainID(), w.deployer.Address(), r)
		w.contract[c.ChainID()] = addr
		deps = append(deps, actors.Deployment{Chain: c, Contract: addr})
	}
	for name, k := range w.keys {
		k := k
		ops, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps,
			OnReceipt: func(chainID uint64, r *types.Receipt) { w.book(chainID, k.Address(), r) }})
		if err != nil {
			t.Fatal(err)
		}
		w.ops[name] = ops
	}
	if w.router, err = directory.NewRouter(directory.NewMemStore()); err != nil {
		t.Fatal(err)
	}
	w.local, err = actors.NewLocal(actors.LocalConfig{
		Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: actors.DirectoryRoutes{Router: w.router}, RetryInterval: 50 * time.Millisecond, Linger: time.Second,
		Chain: func(key enclave.Key) actors.ChainOps {
			for name, k := range w.keys {
				if k.Address() == key.Address() {
					return w.ops[name]
				}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.local.Shutdown)
	for _, name := range []string{"s1", "i1", "r1", "s2", "i2", "r2"} {
		// The terminal's enclave holds the same key (imported into the
		// simulation backend), so it can be attested.
		held, err := backend.ImportKey(w.keys[name].Raw())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.local.AddTerminal(name, held); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.local.WaitRegistered(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	for _, d := range deps {
		props, err := actors.NewWatcher(actors.WatcherConfig{Source: d.Chain, Store: w.router, ChainID: d.Chain.ChainID(),
			Contract: d.Contract, Interval: 5 * time.Millisecond, Peers: w.local})
		if err != nil {
			t.Fatal(err)
		}
		pid := w.local.System.Root.Spawn(props)
		t.Cleanup(func() { _ = w.local.System.Root.StopFuture(pid).Wait() })
	}
	return w
}

func (w *onChainWorld) keyList() []enclave.Key {
	var out []enclave.Key
	for _, k := range w.keys {
		out = append(out, k)
	}
	return out
}

func (w *onChainWorld) addr(name string) common.Address { return w.keys[name].Address() }

// tx is name's terminal enclave as a transaction builder.
func (w *onChainWorld) tx(name string) actors.TxBuilder {
	return actors.TerminalTx(w.local.System, w.local.Peer(w.addr(name)), w.addr(name))
}

// book adds a receipt's gas cost to its sender's account.
func (w *onChainWorld) book(chainID uint64, from common.Address, r *types.Receipt) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := acctKey{chainID, from}
	if w.gas[k] == nil {
		w.gas[k] = new(big.Int)
	}
	w.gas[k].Add(w.gas[k], new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice))
}

// moved books a confirmed transfer for the final on-chain check.
func (w *onChainWorld) moved(from, to string, amount int64) {
	for _, side := range []struct {
		name string
		sign int64
	}{{from, -1}, {to, 1}} {
		k := acctKey{w.chainOf[side.name], w.addr(side.name)}
		if w.transfers[k] == nil {
			w.transfers[k] = new(big.Int)
		}
		w.transfers[k].Add(w.transfers[k], big.NewInt(side.sign*amount))
	}
}

// open asks a's terminal to open a channel to b on chain and returns its id.
func (w *onChainWorld) open(a, b string, deposit int64) [32]byte {
	w.t.Helper()
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr(a)), &messages.ChannelOpen{
		ChainId: w.chainOf[a], Counterparty: w.addr(b).Bytes(), Amount: big.NewInt(deposit).Bytes()}, 30*time.Second).Result()
	if err != nil {
		w.t.Fatal(err)
	}
	opened := res.(*messages.ChannelOpened)
	if opened.Error != "" {
		w.t.Fatalf("open %s-%s: %s", a, b, opened.Error)
	}
	w.checkTxs(w.chainOf[a], opened.Txs, "open")
	return [32]byte(opened.ChannelId)
}

// balances returns what name's enclave holds for both sides of the channel
// it shares with peer, and whether it is idle.
func (w *onChainWorld) balances(name, peer string) (own, theirs int64, idle, found bool) {
	list, err := w.local.Channels(w.addr(name), time.Second)
	if err != nil {
		return 0, 0, false, false
	}
	for _, c := range list.Channels {
		a, b := common.BytesToAddress(c.PartyA), common.BytesToAddress(c.PartyB)
		idle := c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE
		balA, balB := new(big.Int).SetBytes(c.BalanceA).Int64(), new(big.Int).SetBytes(c.BalanceB).Int64()
		switch {
		case a == w.addr(name) && b == w.addr(peer):
			return balA, balB, idle, true
		case b == w.addr(name) && a == w.addr(peer):
			return balB, balA, idle, true
		}
	}
	return 0, 0, false, false
}

// expect waits until both parties of a-b hold aBal/bBal, idle.
func (w *onChainWorld) expect(a, b string, aBal, bBal int64) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o1, t1, idle1, ok1 := w.balances(a, b)
		o2, t2, idle2, ok2 := w.balances(b, a)
		if ok1 && ok2 && idle1 && idle2 && o1 == aBal && t1 == bBal && o2 == bBal && t2 == aBal {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("channel %s-%s: %s sees %d/%d (idle %v, known %v), %s sees %d/%d (idle %v, known %v); want %d/%d",
				a, b, a, o1, t1, idle1, ok1, b, t2, o2, idle2, ok2, aBal, bBal)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *onChainWorld) leg(from, to string, amount int64) *messages.Leg {
	return &messages.Leg{ChainId: w.chainOf[from], Sender: w.addr(from).Bytes(), Receiver: w.addr(to).Bytes(),
		Asset: make([]byte, 20), Amount: big.NewInt(amount).Bytes()}
}

func (w *onChainWorld) close(by string, id [32]byte) (payoutA, payoutB int64) {
	w.t.Helper()
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.addr(by)), &messages.ChannelClose{ChannelId: id[:]}, 30*time.Second).Result()
	if err != nil {
		w.t.Fatal(err)
	}
	closed := res.(*messages.ChannelClosed)
	if closed.Error != "" {
		w.t.Fatalf("close by %s: %s", by, closed.Error)
	}
	return new(big.Int).SetBytes(closed.PayoutA).Int64(), new(big.Int).SetBytes(closed.PayoutB).Int64()
}

func TestChainEndToEnd(t *testing.T) {
	w := newOnChainWorld(t)
	const deposit, topUp = 1_000_000, 300_000
	c1, c2 := w.chainOf["s1"], w.chainOf["s2"]

	// Open every channel on chain; r1 also deposits into its channel.
	ids := map[string][32]byte{
		"s1-i1": w.open("s1", "i1", deposit), "i1-r1": w.open("i1", "r1", deposit),
		"s2-i2": w.open("s2", "i2", deposit), "i2-r2": w.open("i2", "r2", deposit),
	}
	depA, depB, err := w.ops["r1"].TopUp(context.Background(), w.tx("r1"), c1, ids["i1-r1"], big.NewInt(topUp))
	if err != nil || depA.Int64() != deposit || depB.Int64() != topUp {
		t.Fatalf("top up: %v/%v %v", depA, depB, err)
	}
	w.expect("s1", "i1", deposit, 0)
	w.expect("i1", "r1", deposit, topUp)
	w.expect("s2", "i2", deposit, 0)
	w.expect("i2", "r2", deposit, 0)
	ch, err := w.router.Get(c1, directory.ChannelID(ids["i1-r1"]))
	if err != nil || ch.Status != directory.StatusOpen || ch.BalanceA.Int64() != deposit || ch.BalanceB.Int64() != topUp {
		t.Fatalf("directory holds %+v (%v)", ch, err)
	}

	// A cross-chain swap.
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-1", Legs: []*messages.Leg{w.leg("s1", "r1", 100), w.leg("s2", "r2", 40)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap: %v %v", res.GetOutcome(), err)
	}
	// The answer names the route: per chain, sender -> intermediary -> receiver.
	if len(res.Networks) != 2 {
		t.Fatalf("swap answer carries %d networks, want 2", len(res.Networks))
	}
	for i, want := range [][3]string{{"s1", "i1", "r1"}, {"s2", "i2", "r2"}} {
		n := res.Networks[i]
		if len(n.Hops) != 2 || common.BytesToAddress(n.Hops[0].Payer) != w.addr(want[0]) || common.BytesToAddress(n.Hops[0].Payee) != w.addr(want[1]) ||
			common.BytesToAddress(n.Hops[1].Payee) != w.addr(want[2]) || [32]byte(n.Hops[0].ChannelId) != ids[want[0]+"-"+want[1]] {
			t.Fatalf("network %d: %v", i, n)
		}
	}
	if tm := res.Times; tm == nil || tm.PreparedUs <= 0 || tm.CommittedUs < tm.PreparedUs || tm.DecidedUs < tm.PreparedUs {
		t.Fatalf("phase times %v", tm)
	}
	w.moved("s1", "r1", 100)
	w.moved("s2", "r2", 40)
	w.expect("s1", "i1", deposit-100, 100)
	w.expect("i1", "r1", deposit-100, topUp+100)
	w.expect("i2", "r2", deposit-40, 40)

	// A same-chain multi-hop payment.
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay-1", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg("s1", "r1", 50)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res.GetOutcome(), err)
	}
	w.moved("s1", "r1", 50)
	w.expect("i1", "r1", deposit-150, topUp+150)

	// r2 goes offline: refund at the deadline; then it comes back from its
	// store with its channel intact.
	if err := w.local.StopTerminal(w.addr("r2")); err != nil {
		t.Fatal(err)
	}
	res, err = signedSubmit(w.local, &messages.SwapRequest{RequestId: "swap-2", TimeoutMs: 300,
		Legs: []*messages.Leg{w.leg("s1", "r1", 10), w.leg("s2", "r2", 10)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED ||
		res.RefundReason != messages.RefundReason_REFUND_REASON_DEADLINE {
		t.Fatalf("offline swap: %v %v %v", res.GetOutcome(), res.GetRefundReason(), err)
	}
	w.expect("s1", "i1", deposit-150, 150)
	w.expect("i1", "r1", deposit-150, topUp+150)
	if _, err := w.local.RestartTerminal(w.addr("r2")); err != nil {
		t.Fatal(err)
	}
	w.expect("i2", "r2", deposit-40, 40)
	w.expect("s2", "i2", deposit-40, 40)

	// Close every channel cooperatively; one by its B side.
	for _, c := range []struct {
		by, ch     string
		payA, payB int64
	}{
		{"s1", "s1-i1", deposit - 150, 150},
		{"r1", "i1-r1", deposit - 150, topUp + 150},
		{"s2", "s2-i2", deposit - 40, 40},
		{"i2", "i2-r2", deposit - 40, 40},
	} {
		a, b := w.close(c.by, ids[c.ch])
		if a != c.payA || b != c.payB {
			t.Fatalf("close %s paid %d/%d, want %d/%d", c.ch, a, b, c.payA, c.payB)
		}
	}
	waitFor(t, func() bool {
		for name, id := range ids {
			chainID := c1
			if name[1] == '2' {
				chainID = c2
			}
			ch, err := w.router.Get(chainID, directory.ChannelID(id))
			if err != nil || ch.Status != directory.StatusClosed {
				return false
			}
		}
		return true
	})

	// Exact on-chain balances: start ± confirmed transfers − gas.
	ctx := context.Background()
	for _, c := range w.chains {
		if held, err := c.BalanceAt(ctx, w.contract[c.ChainID()], nil); err != nil || held.Sign() != 0 {
			t.Fatalf("chain %d: contract holds %v (%v)", c.ChainID(), held, err)
		}
		for _, k := range append([]enclave.Key{w.deployer}, w.keyList()...) {
			key := acctKey{c.ChainID(), k.Address()}
			want := new(big.Int).Set(w.start[key])
			w.mu.Lock()
			if g := w.gas[key]; g != nil {
				want.Sub(want, g)
			}
			w.mu.Unlock()
			if tr := w.transfers[key]; tr != nil {
				want.Add(want, tr)
			}
			got, err := c.BalanceAt(ctx, k.Address(), nil)
			if err != nil || got.Cmp(want) != 0 {
				t.Errorf("chain %d: %s holds %v, want %v (%v)", c.ChainID(), k.Address(), got, want, err)
			}
		}
	}
}

// testTx is a terminal machine outside any actor, trusting coord, for
// ContractOps tests without a running terminal.
func testTx(t *testing.T, key enclave.Key, deps []actors.Deployment, coord common.Address) actors.MachineTx {
	t.Helper()
	contracts := map[uint64]common.Address{}
	for _, d := range deps {
		contracts[d.Chain.ChainID()] = d.Contract
	}
	m := terminal.New(terminal.Config{Signer: key, Contracts: contracts, VerifyReport: func([]byte, common.Address) error { return nil }})
	if err := m.AdmitCoordinator(coord, nil); err != nil {
		t.Fatal(err)
	}
	return actors.MachineTx{M: m}
}

// learnOpen tells b's machine of a channel a opened (what the watcher does).
func learnOpen(t *testing.T, b actors.MachineTx, chainID uint64, contract common.Address, id [32]byte, a common.Address, token, coord common.Address, deposit int64) {
	t.Helper()
	if _, err := b.M.OpenChannel(terminal.Opened{ChainID: chainID, Contract: contract, ChannelID: id, A: a, B: b.Address(),
		Asset: token, Coordinator: coord, DepositA: big.NewInt(deposit)}); err != nil {
		t.Fatal(err)
	}
}

// TestContractOpsTokenAndErrors opens an ERC-20 channel (approve + open),
// tops it up from the other side, and checks that reverts come back with
// the contract's reason.
func TestContractOpsTokenAndErrors(t *testing.T) {
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys [3]enclave.Key
	minterKey, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	alloc := types.GenesisAlloc{crypto.PubkeyToAddress(minterKey.PublicKey): {Balance: genesisWei}}
	for i := range keys {
		if keys[i], err = backend.NewKey(); err != nil {
			t.Fatal(err)
		}
		alloc[keys[i].Address()] = types.Account{Balance: genesisWei}
	}
	chains, err := evm.NewSimulated(1, evm.SimConfig{Alloc: alloc, Mining: evm.MineOnSend, FirstChainID: 4242})
	if err != nil {
		t.Fatal(err)
	}
	c := chains[0]
	defer c.Close()
	ctx := context.Background()
	deployer := hostapi.NewDeployer(keys[0])
	contract, _, err := actors.DeployPaymentChannels(ctx, c, deployer, 60)
	if err != nil {
		t.Fatal(err)
	}
	tok := testtokens.NewTestToken()
	minter := chaintest.NewKeySigner(minterKey)
	// The enclave key's deployer creates PaymentChannels only: not the
	// token, and no call; the minter's plain key deploys the token.
	if _, _, err := chain.Deploy(ctx, c, deployer, common.FromHex(testtokens.TestTokenMetaData.Bin), tok.PackConstructor("Test", "TST")); !errors.Is(err, hostapi.ErrNotDeployment) || !errors.Is(err, chain.ErrSigner) {
		t.Fatalf("the deployer signed another contract's creation: %v", err)
	}
	token, _, err := chain.Deploy(ctx, c, minter, common.FromHex(testtokens.TestTokenMetaData.Bin), tok.PackConstructor("Test", "TST"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Transact(ctx, deployer, &token, tok.PackMint(minter.Address(), big.NewInt(1)), nil); !errors.Is(err, hostapi.ErrNotDeployment) {
		t.Fatalf("the deployer signed a call: %v", err)
	}
	for _, k := range keys[1:] {
		if _, err := c.Transact(ctx, minter, &token, tok.PackMint(k.Address(), big.NewInt(1000)), nil); err != nil {
			t.Fatal(err)
		}
	}
	deps := []actors.Deployment{{Chain: c, Contract: contract}}
	coord := common.HexToAddress("0xc0")
	a, b := testTx(t, keys[1], deps, coord), testTx(t, keys[2], deps, coord)
	var receipts int
	var mu sync.Mutex
	opsA, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps,
		OnReceipt: func(uint64, *types.Receipt) { mu.Lock(); receipts++; mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	opsB, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps})
	if err != nil {
		t.Fatal(err)
	}
	id, err := opsA.Open(ctx, a, &messages.ChannelOpen{ChainId: 4242, Counterparty: b.Address().Bytes(), Token: token.Bytes(), Amount: big.NewInt(600).Bytes()}, coord)
	if err != nil {
		t.Fatal(err)
	}
	learnOpen(t, b, 4242, contract, id, a.Address(), token, coord, 600)
	if receipts != 2 { // approve + open
		t.Fatalf("%d receipts reported, want 2", receipts)
	}
	depA, depB, err := opsB.TopUp(ctx, b, 4242, id, big.NewInt(250))
	if err != nil || depA.Int64() != 600 || depB.Int64() != 250 {
		t.Fatalf("top up: %v/%v %v", depA, depB, err)
	}
	ch, err := opsA.Channel(ctx, 4242, id)
	if err != nil || ch.Token != token || ch.A != a.Address() || ch.B != b.Address() || ch.Coordinator != coord {
		t.Fatalf("channel %+v (%v)", ch, err)
	}

	// Errors: the contract's reason, unknown chains, bad requests.
	_, err = opsA.Open(ctx, a, &messages.ChannelOpen{ChainId: 4242, Counterparty: a.Address().Bytes(), Amount: big.NewInt(1).Bytes()}, coord)
	if !errors.Is(err, terminal.ErrMalformed) {
		t.Fatalf("open with oneself: %v", err)
	}
	_, err = opsA.Open(ctx, a, &messages.ChannelOpen{ChainId: 4242, Counterparty: b.Address().Bytes(), Amount: big.NewInt(1).Bytes()}, common.HexToAddress("0xbad"))
	if !errors.Is(err, terminal.ErrUntrustedCoordinator) {
		t.Fatalf("open naming an unattested coordinator: %v", err)
	}
	_, _, err = opsB.TopUp(ctx, b, 4242, id, big.NewInt(10_000))
	var rev *chain.RevertError
	if !errors.As(err, &rev) {
		t.Fatalf("top up beyond the token balance: %v", err)
	}
	if _, err := opsA.Open(ctx, a, &messages.ChannelOpen{ChainId: 1, Counterparty: b.Address().Bytes(), Amount: big.NewInt(1).Bytes()}, coord); err == nil {
		t.Fatal("open on an unknown chain succeeded")
	}
	if _, err := opsA.Open(ctx, a, &messages.ChannelOpen{ChainId: 4242, Counterparty: b.Address().Bytes()}, coord); err == nil {
		t.Fatal("open without a deposit succeeded")
	}
	if _, err := opsA.Channel(ctx, 4242, [32]byte{1}); err == nil {
		t.Fatal("reading an unknown channel succeeded")
	}
}

// TestWatcherForwardsToSubscribers checks the Subscribe path: a watcher
// with no resolver tells the actor that subscribed for an address.
func TestWatcherForwardsToSubscribers(t *testing.T) {
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ka, _ := backend.NewKey()
	kb, _ := backend.NewKey()
	chains, err := evm.NewSimulated(1, evm.SimConfig{Alloc: types.GenesisAlloc{ka.Address(): {Balance: genesisWei}, kb.Address(): {Balance: genesisWei}},
		Mining: evm.MineOnSend})
	if err != nil {
		t.Fatal(err)
	}
	c := chains[0]
	defer c.Close()
	ctx := context.Background()
	contract, r, err := actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(ka), 60)
	if err != nil {
		t.Fatal(err)
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	system := actors.NewSystem(nil)
	defer system.Shutdown()
	props, err := actors.NewWatcher(actors.WatcherConfig{Source: c, Store: router, ChainID: c.ChainID(), Contract: contract,
		StartBlock: r.BlockNumber.Uint64(), Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	watcherPID := system.Root.Spawn(props)
	defer func() { _ = system.Root.StopFuture(watcherPID).Wait() }()
	got := make(chan *messages.ChainEvent, 8)
	probe := system.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if ev, ok := ctx.Message().(*messages.ChainEvent); ok {
			got <- ev
		}
	}))
	system.Root.Send(watcherPID, &messages.Subscribe{Address: kb.Address().Bytes(), Peer: &messages.Peer{Address: probe.Address, Id: probe.Id}})

	deps := []actors.Deployment{{Chain: c, Contract: contract}}
	ops, _ := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps})
	coord := common.HexToAddress("0xc0")
	a, b := testTx(t, ka, deps, coord), testTx(t, kb, deps, coord)
	id, err := ops.Open(ctx, a, &messages.ChannelOpen{ChainId: c.ChainID(), Counterparty: kb.Address().Bytes(), Amount: big.NewInt(70).Bytes()}, coord)
	if err != nil {
		t.Fatal(err)
	}
	learnOpen(t, b, c.ChainID(), contract, id, ka.Address(), common.Address{}, coord, 70)
	if _, _, err := ops.TopUp(ctx, b, c.ChainID(), id, big.NewInt(30)); err != nil {
		t.Fatal(err)
	}
	system.Root.Send(watcherPID, actors.Poke{}) // the interval is an hour
	next := func() *messages.ChainEvent {
		select {
		case ev := <-got:
			return ev
		case <-time.After(10 * time.Second):
			t.Fatal("no chain event reached the subscriber")
			return nil
		}
	}
	opened, topped := next(), next()
	if opened.Kind != messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED || [32]byte(opened.ChannelId) != id ||
		common.BytesToAddress(opened.PartyA) != ka.Address() || common.BytesToAddress(opened.PartyB) != kb.Address() ||
		new(big.Int).SetBytes(opened.DepositA).Int64() != 70 {
		t.Fatalf("opened event %v", opened)
	}
	if topped.Kind != messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP || new(big.Int).SetBytes(topped.DepositA).Int64() != 70 ||
		new(big.Int).SetBytes(topped.DepositB).Int64() != 30 {
		t.Fatalf("topped-up event %v", topped)
	}
	ch, err := router.Get(c.ChainID(), directory.ChannelID(id))
	if err != nil || ch.BalanceA.Int64() != 70 || ch.BalanceB.Int64() != 30 {
		t.Fatalf("directory %+v (%v)", ch, err)
	}
}
