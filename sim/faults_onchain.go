package sim

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// `sim --faults --onchain` (issue 11): the channels exist on embedded
// simulated chains. They are opened through the terminals' enclaves before
// the load (party A opens, party B tops up, as the demo does), the load
// runs with its faults, and afterwards every channel is closed: each
// party's payout from the contract must equal its off-chain final balance,
// and every contract must be left empty.

// onChainChallenge is the contracts' challenge period (chain seconds); a
// forced close moves the simulated chain's clock past it.
const onChainChallenge = 600

// OnChainSummary is what the on-chain close check saw.
type OnChainSummary struct {
	Channels int `json:"channels"`
	Opened   int `json:"opened"`
	// ClosedCooperatively and ClosedForced: forced closes are of channels
	// whose counterparty was stopped on purpose before the close.
	ClosedCooperatively int     `json:"closed_cooperatively"`
	ClosedForced        int     `json:"closed_forced"`
	PayoutsChecked      int     `json:"payouts_checked"`
	SetupS              float64 `json:"setup_s"`
	CloseS              float64 `json:"close_s"`
}

// onChain is the on-chain part of a world.
type onChain struct {
	chains   []*evm.Simulated
	deps     []actors.Deployment
	funder   *ecdsa.PrivateKey // multiproc: funds the terminals' accounts
	watchers map[uint64]*actor.PID
	mu       sync.Mutex
	payouts  map[[32]byte][2]*big.Int // from the watchers' ChannelClosed events
	summary  OnChainSummary
}

func (o *onChain) onEvent(ev watcher.Event) {
	if ev.Kind != watcher.KindClosed || ev.Closed == nil || ev.Removed {
		return
	}
	o.mu.Lock()
	o.payouts[[32]byte(ev.ChannelID)] = [2]*big.Int{new(big.Int).Set(ev.Closed.PayoutA), new(big.Int).Set(ev.Closed.PayoutB)}
	o.mu.Unlock()
}

func (o *onChain) payout(id [32]byte) ([2]*big.Int, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.payouts[id]
	return p, ok
}

// newOnChainLocalWorld is newLocalWorld with the channels on chains.
func newOnChainLocalWorld(ctx context.Context, cfg Config, log *slog.Logger) (*world, error) {
	start := time.Now()
	w := &world{cfg: cfg, log: log, applied: &appliedLog{m: map[[32]byte]*applied{}}}
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler), Signatures: &w.signs})
	if err != nil {
		return nil, err
	}
	// Keys first: the chains fund them at genesis.
	fund := new(big.Int).Mul(big.NewInt(cfg.Deposit), big.NewInt(int64(4*cfg.Terminals+1000)))
	fund.Add(fund, new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil)) // gas
	alloc := types.GenesisAlloc{}
	keys := make([][]enclave.Key, cfg.Chains)
	for c := range cfg.Chains {
		for range cfg.Terminals {
			k, err := backend.NewKey()
			if err != nil {
				return nil, err
			}
			keys[c] = append(keys[c], k)
			alloc[k.Address()] = types.Account{Balance: fund}
		}
	}
	deployer, err := backend.NewKey()
	if err != nil {
		return nil, err
	}
	alloc[deployer.Address()] = types.Account{Balance: fund}
	quiet := slog.New(slog.DiscardHandler)
	chains, err := evm.NewSimulated(cfg.Chains, evm.SimConfig{Config: evm.Config{Logger: quiet}, Alloc: alloc, Mining: evm.MineOnSend, FirstChainID: FirstChainID})
	if err != nil {
		return nil, fmt.Errorf("sim: simulated chains: %w", err)
	}
	oc := &onChain{chains: chains, watchers: map[uint64]*actor.PID{}, payouts: map[[32]byte][2]*big.Int{}}
	var deps []actors.Deployment
	closeChains := func() {
		for _, c := range chains {
			_ = c.Close()
		}
	}
	w.contract = map[uint64]common.Address{}
	for _, c := range chains {
		addr, _, err := actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(deployer), onChainChallenge)
		if err != nil {
			closeChains()
			return nil, err
		}
		deps = append(deps, actors.Deployment{Chain: c, Contract: addr})
		w.contract[c.ChainID()] = addr
		w.chains = append(w.chains, c.ChainID())
	}
	oc.deps = deps
	ops := map[common.Address]actors.ChainOps{}
	for _, ks := range keys {
		for _, k := range ks {
			o, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps, Timeout: time.Minute})
			if err != nil {
				closeChains()
				return nil, err
			}
			ops[k.Address()] = o
		}
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		closeChains()
		return nil, err
	}
	w.router = router
	w.routes = &ledgerRoutes{DirectoryRoutes: actors.DirectoryRoutes{Router: router}, transfers: map[[32]byte][]transfer{}, seen: map[versionKey]bool{}}
	lc := actors.LocalConfig{
		Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: w.routes, RetryInterval: cfg.RetryInterval, Linger: 2 * cfg.RetryInterval, ForgetDecided: true,
		Logger: log, OnOutcome: w.applied.record,
		Chain: func(key enclave.Key) actors.ChainOps { return ops[key.Address()] },
	}
	w.injectFaults(&lc)
	local, err := actors.NewLocal(lc)
	if err != nil {
		closeChains()
		return nil, err
	}
	w.local = local
	w.system, w.coord, w.coordKey = local.System, local.Coordinator, local.CoordKey.Address()
	w.channelsOf, w.tell, w.peer = local.Channels, local.Tell, local.Peer
	w.shutdown = func() {
		for _, pid := range oc.watchers {
			_ = local.System.Root.StopFuture(pid).Wait()
		}
		local.Shutdown()
		closeChains()
	}
	w.childUsage = func() usage { return usage{} }
	fail := func(err error) (*world, error) {
		w.shutdown()
		return nil, err
	}
	w.addrs = make([][]common.Address, cfg.Chains)
	for c := range cfg.Chains {
		for i, k := range keys[c] {
			if _, err := local.AddTerminal(fmt.Sprintf("c%d-t%d", c, i), k); err != nil {
				return fail(err)
			}
			w.addrs[c] = append(w.addrs[c], k.Address())
		}
	}
	if err := local.WaitRegistered(time.Minute); err != nil {
		return fail(err)
	}
	for _, d := range deps {
		props, err := actors.NewWatcher(actors.WatcherConfig{Source: d.Chain, Store: router, ChainID: d.Chain.ChainID(), Contract: d.Contract,
			Interval: 20 * time.Millisecond, Peers: local, Logger: quiet, OnEvent: oc.onEvent})
		if err != nil {
			return fail(err)
		}
		pid, err := local.System.Root.SpawnNamed(props, fmt.Sprint("watcher-", d.Chain.ChainID()))
		if err != nil {
			return fail(err)
		}
		oc.watchers[d.Chain.ChainID()] = pid
	}
	if err := w.openChannelsOnChain(oc); err != nil {
		return fail(err)
	}
	oc.summary.SetupS = round3(time.Since(start).Seconds())
	w.onChain = oc
	return w, nil
}

func (w *world) poke(oc *onChain, chainID uint64) {
	if pid := oc.watchers[chainID]; pid != nil {
		w.system.Root.Send(pid, actors.Poke{})
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitUntil(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); ; {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tracks reports whether the terminal holds channel id with the given
// balances, idle.
func (w *world) tracks(addr common.Address, id [32]byte, balA, balB *big.Int) bool {
	l, err := w.channelsOf(addr, 2*time.Second)
	if err != nil {
		return false
	}
	for _, ci := range l.Channels {
		if [32]byte(ci.ChannelId) == id {
			return balA == nil || (new(big.Int).SetBytes(ci.BalanceA).Cmp(balA) == 0 && new(big.Int).SetBytes(ci.BalanceB).Cmp(balB) == 0)
		}
	}
	return false
}

// openChannelsOnChain opens the seed's graph on the chains, one channel
// at a time (a terminal's transactions must not race for its nonce).
func (w *world) openChannelsOnChain(oc *onChain) error {
	cfg := w.cfg
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6772617068))
	w.channels = map[[32]byte]*channel{}
	dep := big.NewInt(cfg.Deposit)
	for c := range cfg.Chains {
		chainID := w.chains[c]
		g, err := newGraph(cfg.Graph, cfg.Terminals, cfg.Hops, cfg.Degree, cfg.Parallel, rng)
		if err != nil {
			return err
		}
		w.graphs = append(w.graphs, g)
		for _, e := range g.edges {
			a, b := w.addrs[c][e[0]], w.addrs[c][e[1]]
			res, err := w.system.Root.RequestFuture(w.peer(a), &messages.ChannelOpen{ChainId: chainID, Counterparty: b.Bytes(),
				Amount: messages.AmountBytes(dep)}, time.Minute).Result()
			if err != nil {
				return fmt.Errorf("sim: open a channel on chain %d: %w", chainID, err)
			}
			opened, ok := res.(*messages.ChannelOpened)
			if !ok || opened.Error != "" || len(opened.ChannelId) != 32 {
				return fmt.Errorf("sim: open a channel on chain %d: %s", chainID, opened.GetError())
			}
			id := [32]byte(opened.ChannelId)
			w.poke(oc, chainID)
			if !waitUntil(30*time.Second, func() bool { w.poke(oc, chainID); return w.tracks(b, id, nil, nil) }) {
				return fmt.Errorf("sim: %s never saw channel %x open", b, id[:4])
			}
			// B tops up through its terminal, whose enclave signs.
			res, err = w.system.Root.RequestFuture(w.peer(b), &messages.ChannelTopUp{ChannelId: id[:], Amount: messages.AmountBytes(dep)}, time.Minute).Result()
			if err != nil {
				return fmt.Errorf("sim: top up channel %x: %w", id[:4], err)
			}
			if up, ok := res.(*messages.ChannelToppedUp); !ok || up.Error != "" {
				return fmt.Errorf("sim: top up channel %x: %s", id[:4], up.GetError())
			}
			if !waitUntil(30*time.Second, func() bool {
				w.poke(oc, chainID)
				return w.tracks(a, id, dep, dep) && w.tracks(b, id, dep, dep)
			}) {
				return fmt.Errorf("sim: the parties of channel %x never saw its top-up", id[:4])
			}
			w.channels[id] = &channel{chain: chainID, id: id, a: a, b: b, ai: e[0], bi: e[1], balA: new(big.Int).Set(dep), balB: new(big.Int).Set(dep)}
			oc.summary.Opened++
		}
	}
	oc.summary.Channels = len(w.channels)
	return nil
}

// closeOnChain closes every channel after the run and checks the payouts
// against the off-chain final balances. A few channels (from the seed)
// have their counterparty stopped first and are closed by force on the
// newest doubly-signed state, the chain's clock moved past the challenge
// period. It returns violations by kind.
func (w *world) closeOnChain(ctx context.Context) map[string]int {
	oc := w.onChain
	start := time.Now()
	v := map[string]int{}
	// The off-chain result: what party A holds of each channel (verify
	// checked that both ends and the ledger agree).
	final := map[[32]byte][2]*big.Int{}
	for _, ch := range w.channels {
		l, err := w.channelsOf(ch.a, 5*time.Second)
		if err != nil {
			v["onchain_offchain_state_unreadable"]++
			continue
		}
		for _, ci := range l.Channels {
			if [32]byte(ci.ChannelId) == ch.id {
				final[ch.id] = [2]*big.Int{new(big.Int).SetBytes(ci.BalanceA), new(big.Int).SetBytes(ci.BalanceB)}
			}
		}
	}
	rng := rand.New(rand.NewPCG(uint64(w.cfg.Seed), 0x636c6f7365))
	for id, ch := range w.channels {
		want, ok := final[id]
		if !ok {
			continue
		}
		// One channel in ten is closed by force, its counterparty down
		// (in process; in processes it stays up, which changes nothing
		// for the contract).
		forced := rng.IntN(10) == 0
		stopped := forced && w.local != nil && w.local.StopTerminal(ch.b) == nil
		res, err := w.system.Root.RequestFuture(w.peer(ch.a), &messages.ChannelClose{ChannelId: id[:], Force: forced}, time.Minute).Result()
		closed, _ := res.(*messages.ChannelClosed)
		if err != nil || closed == nil || closed.Error != "" {
			w.log.Error("on-chain close", "channel", fmt.Sprintf("%x", id[:4]), "forced", forced, "err", err, "answer", closed.GetError())
			v["onchain_close_failed"]++
			if stopped {
				_, _ = w.local.RestartTerminal(ch.b)
			}
			continue
		}
		if forced {
			for _, c := range oc.chains {
				if c.ChainID() == ch.chain {
					_ = c.AdjustTime(time.Duration(onChainChallenge+1) * time.Second)
				}
			}
		}
		if !waitUntil(time.Minute, func() bool { w.poke(oc, ch.chain); _, ok := oc.payout(id); return ok }) {
			w.log.Error("on-chain close: no ChannelClosed event", "channel", fmt.Sprintf("%x", id[:4]), "forced", forced)
			v["onchain_close_failed"]++
		} else {
			p, _ := oc.payout(id)
			oc.summary.PayoutsChecked++
			if p[0].Cmp(want[0]) != 0 || p[1].Cmp(want[1]) != 0 {
				w.log.Error("on-chain payout differs from the off-chain result", "channel", fmt.Sprintf("%x", id[:4]),
					"paid", fmt.Sprint(p[0], "/", p[1]), "off-chain", fmt.Sprint(want[0], "/", want[1]))
				v["onchain_payout_differs"]++
			}
			if forced {
				oc.summary.ClosedForced++
			} else {
				oc.summary.ClosedCooperatively++
			}
		}
		if stopped {
			if _, err := w.local.RestartTerminal(ch.b); err != nil {
				w.log.Error("restart after a forced close", "err", err)
			}
		}
	}
	// Value conserved on chain: every deposit went back out.
	for _, c := range oc.chains {
		held, err := c.BalanceAt(ctx, w.contract[c.ChainID()], nil)
		if err != nil || held.Sign() != 0 {
			v["onchain_contract_not_empty"]++
		}
	}
	oc.summary.CloseS = round3(time.Since(start).Seconds())
	return v
}

func (o *onChain) close() {
	for _, c := range o.chains {
		_ = c.Close()
	}
}

// peerFunc is a PeerResolver from a function.
type peerFunc func(common.Address) *actor.PID

func (f peerFunc) Peer(a common.Address) *actor.PID { return f(a) }

// startSharedChains starts the multiproc run's chains, served over HTTP to
// the terminal processes and mined every 50 ms, and deploys the contract
// on each. It returns the terminals' --chain arguments.
func startSharedChains(ctx context.Context, cfg Config, backend enclave.Backend, w *world) (*onChain, []string, error) {
	deployer, err := backend.NewKey()
	if err != nil {
		return nil, nil, err
	}
	// The funder is no enclave key: it only pays the terminals' gas and
	// deposits, and an enclave's deploy signer signs contract creations only.
	funder, err := crypto.GenerateKey()
	if err != nil {
		return nil, nil, err
	}
	ports := make([]int, cfg.Chains)
	for i := range ports {
		if ports[i], err = freePort(); err != nil {
			return nil, nil, err
		}
	}
	huge := new(big.Int).Exp(big.NewInt(10), big.NewInt(30), nil)
	chains, err := evm.NewSimulated(cfg.Chains, evm.SimConfig{Config: evm.Config{Logger: slog.New(slog.DiscardHandler)},
		Alloc: types.GenesisAlloc{deployer.Address(): {Balance: huge}, crypto.PubkeyToAddress(funder.PublicKey): {Balance: huge}}, Mining: evm.MineInterval, BlockInterval: 50 * time.Millisecond,
		FirstChainID: FirstChainID, HTTPPorts: ports})
	if err != nil {
		return nil, nil, fmt.Errorf("sim: simulated chains: %w", err)
	}
	oc := &onChain{chains: chains, funder: funder, watchers: map[uint64]*actor.PID{}, payouts: map[[32]byte][2]*big.Int{}}
	w.contract = map[uint64]common.Address{}
	var args []string
	for i, c := range chains {
		addr, _, err := actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(deployer), onChainChallenge)
		if err != nil {
			oc.close()
			return nil, nil, err
		}
		oc.deps = append(oc.deps, actors.Deployment{Chain: c, Contract: addr})
		w.contract[c.ChainID()] = addr
		w.chains = append(w.chains, c.ChainID())
		args = append(args, "--chain", fmt.Sprintf("http://127.0.0.1:%d=%s", ports[i], addr.Hex()))
	}
	return oc, args, nil
}

// fundAndWatch funds every terminal's account on every chain and starts a
// watcher per chain that tells the terminals (through peers) and the
// directory of their channels' events.
func (w *world) fundAndWatch(ctx context.Context, oc *onChain, addrs []common.Address, peers actors.PeerResolver) error {
	fund := new(big.Int).Mul(big.NewInt(w.cfg.Deposit), big.NewInt(int64(4*w.cfg.Terminals+1000)))
	fund.Add(fund, new(big.Int).Exp(big.NewInt(10), big.NewInt(21), nil))
	signer := &keySigner{key: oc.funder, addr: crypto.PubkeyToAddress(oc.funder.PublicKey)}
	for _, d := range oc.deps {
		c := d.Chain.(*evm.Simulated)
		var last *types.Transaction
		for _, a := range addrs {
			tx, err := c.Send(ctx, signer, &a, nil, fund)
			if err != nil {
				return fmt.Errorf("sim: fund %s on chain %d: %w", a, c.ChainID(), err)
			}
			last = tx
		}
		if last != nil {
			if _, err := c.WaitReceipt(ctx, last.Hash(), 0); err != nil {
				return fmt.Errorf("sim: funding on chain %d: %w", c.ChainID(), err)
			}
		}
		props, err := actors.NewWatcher(actors.WatcherConfig{Source: c, Store: w.router, ChainID: c.ChainID(), Contract: d.Contract,
			Interval: 20 * time.Millisecond, Peers: peers, Logger: slog.New(slog.DiscardHandler), OnEvent: oc.onEvent})
		if err != nil {
			return err
		}
		pid, err := w.system.Root.SpawnNamed(props, fmt.Sprint("watcher-", c.ChainID()))
		if err != nil {
			return err
		}
		oc.watchers[c.ChainID()] = pid
	}
	return nil
}
