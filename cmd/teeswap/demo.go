package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/messages"
)

// demoOptions are the demo's knobs; the defaults make the embedded run.
type demoOptions struct {
	SwapTimeout time.Duration // deadline of the swap that meets an offline terminal
	Timeout     time.Duration // bound on the whole run
	StateDir    string        // sealed stores; empty: a temporary directory
	Backend     string        // enclave backend: auto, sgx or simulation
	Out         io.Writer     // the story; nil prints nothing
	Logger      *slog.Logger
}

func init() {
	opts := demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the embedded demo: 2 chains, 6 terminals, a swap, a payment, a refund and closes, all on chain",
		Long: `demo runs the patent's Fig. 1 set-up in one process: two simulated EVM chains
(each with its own chain id, a block per transaction), enclaves (simulated when
there is no SGX), one coordinator and per chain a sender -> intermediary ->
receiver path of terminals. It deploys the payment-channel contract on each
chain, opens every channel on chain through the terminals' enclave keys, and
runs in order: a cross-chain swap, a same-chain multi-hop payment, a swap
during which a terminal goes offline (refunded at its deadline; the terminal
then restarts from its sealed store), and a cooperative close of every
channel on chain. It ends with the on-chain balances before and after and
checks them to the wei: every account holds its start plus or minus exactly
the confirmed transfers, minus the gas it paid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.SwapTimeout <= 0 || opts.Timeout <= 0 {
				return usageError("--swap-timeout and --timeout must be positive")
			}
			opts.Logger = logger()
			if !flagJSON {
				opts.Out = cmd.OutOrStdout()
			}
			rep, err := runDemo(cmd.Context(), opts)
			if flagJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				if jerr := enc.Encode(rep); jerr != nil && err == nil {
					err = jerr
				}
			}
			if err != nil {
				return fmt.Errorf("demo failed: %w", err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.DurationVar(&opts.SwapTimeout, "swap-timeout", time.Second, "deadline of the swap that meets an offline terminal")
	f.DurationVar(&opts.Timeout, "timeout", 2*time.Minute, "give up if the whole demo takes longer")
	f.StringVar(&opts.StateDir, "state-dir", "", "directory for the sealed stores (default: a temporary directory, removed afterwards)")
	f.StringVar(&opts.Backend, "enclave", enclave.BackendAuto, "enclave backend: auto, sgx or simulation")
	rootCmd.AddCommand(cmd)
}

// demoReport is the --json output.
type demoReport struct {
	SwapsConfirmed    int  `json:"swaps_confirmed"`
	SwapsRefunded     int  `json:"swaps_refunded"`
	PaymentsConfirmed int  `json:"payments_confirmed"`
	ChannelsOpened    int  `json:"channels_opened"`
	ChannelsClosed    int  `json:"channels_closed"`
	OnchainConserved  bool `json:"onchain_conserved"`
	// ContractsEmpty: after the closes each contract holds nothing.
	ContractsEmpty   bool               `json:"contracts_empty"`
	ElapsedMs        int64              `json:"elapsed_ms"`
	EnclaveBackend   string             `json:"enclave_backend"`
	EnclaveSimulated bool               `json:"enclave_simulated"`
	Coordinator      string             `json:"coordinator,omitempty"`
	Instances        []demoInstanceJSON `json:"instances"`
	Chains           []demoChainJSON    `json:"chains"`
	Steps            []demoStepJSON     `json:"steps"`
	Error            string             `json:"error,omitempty"`
	channels         []*demoChannel     // model, in open order
	ledger           map[demoKey]*demoLedger
}

type demoInstanceJSON struct {
	Name         string   `json:"name"`
	Kind         string   `json:"kind"`
	Outcome      string   `json:"outcome"`
	RefundReason string   `json:"refund_reason,omitempty"`
	InstanceID   string   `json:"instance_id"`
	Legs         []string `json:"legs"`
	// Orders names the payers whose terminals signed an order for it.
	Orders []string `json:"orders"`
	// PreparedMs and DecidedMs are the coordinator's phase times; Ms runs
	// until every terminal applied the outcome.
	PreparedMs float64 `json:"prepared_ms,omitempty"`
	DecidedMs  float64 `json:"decided_ms"`
	Ms         int64   `json:"ms"`
}

type demoChainJSON struct {
	ChainID          uint64            `json:"chain_id"`
	Contract         string            `json:"contract"`
	ContractFinalWei string            `json:"contract_final_wei"`
	Accounts         []demoAccountJSON `json:"accounts"`
	Channels         []demoChannelJSON `json:"channels"`
}

// demoAccountJSON is one account on one chain, amounts in wei.
type demoAccountJSON struct {
	Name         string `json:"name"`
	Address      string `json:"address"`
	StartWei     string `json:"start_wei"`
	EndWei       string `json:"end_wei"`
	DeltaWei     string `json:"delta_wei"`
	GasWei       string `json:"gas_wei"`
	TransfersWei string `json:"confirmed_transfers_wei"`
	Conserved    bool   `json:"conserved"`
}

type demoChannelJSON struct {
	ChannelID string `json:"channel_id"`
	A         string `json:"a"`
	B         string `json:"b"`
	DepositA  string `json:"deposit_a_wei"`
	DepositB  string `json:"deposit_b_wei"`
	PayoutA   string `json:"payout_a_wei"`
	PayoutB   string `json:"payout_b_wei"`
	OpenedIn  uint64 `json:"opened_block"`
	ClosedIn  uint64 `json:"closed_block"`
	Directory string `json:"directory_status"`
}

type demoStepJSON struct {
	AtMs   int64  `json:"at_ms"`
	TookMs int64  `json:"took_ms"`
	Step   string `json:"step"`
	Text   string `json:"text"`
}

type demoKey struct {
	chainID uint64
	addr    common.Address
}

// demoLedger is one account on one chain.
type demoLedger struct {
	start, end, gas, transfers *big.Int
}

type demoAccount struct {
	name    string
	chainID uint64 // 0: the deployer, on every chain
	key     enclave.Key
	ops     *actors.ContractOps
}

func (a *demoAccount) addr() common.Address { return a.key.Address() }

// demoChannel is the demo's own model of a channel, checked against the
// terminals, the contract's payouts and the directory.
type demoChannel struct {
	chainID    uint64
	a, b       *demoAccount
	id         [32]byte
	depA, depB *big.Int
	balA, balB *big.Int
	payA, payB *big.Int
}

func (c *demoChannel) label() string { return c.a.name + "–" + c.b.name }

// The demo's amounts, in wei.
var (
	demoEther    = big.NewInt(1e18)
	demoGenesis  = eth(100, 1)
	demoDeposit  = eth(5, 1)
	demoTopUp    = eth(1, 1)
	demoSwap1    = eth(3, 2) // 1.5 ETH on the first chain
	demoSwap2    = eth(2, 1) // 2 ETH on the second chain
	demoPayment  = eth(1, 4) // 0.25 ETH
	demoOffline  = eth(1, 2) // 0.5 ETH on each chain
	demoChallPer = uint64(3600)
)

// eth returns num/den ether in wei.
func eth(num, den int64) *big.Int {
	v := new(big.Int).Mul(big.NewInt(num), demoEther)
	return v.Quo(v, big.NewInt(den))
}

type demoRun struct {
	opts   demoOptions
	t0     time.Time
	ctx    context.Context
	rep    *demoReport
	outMu  sync.Mutex
	gasMu  sync.Mutex
	gasErr error

	backend    enclave.Backend
	chains     []*evm.Simulated
	contract   map[uint64]common.Address
	deployer   *demoAccount
	terms      []*demoAccount // s1 i1 r1 s2 i2 r2
	byName     map[string]*demoAccount
	byAddr     map[common.Address]*demoAccount
	router     *directory.Router
	local      *actors.Local
	watchers   map[uint64]*actor.PID
	stores     []actors.Store
	offline    map[string]bool
	cleanupDir string
}

// runDemo runs the whole demo and returns its report; the report is
// filled as far as the run got even when it fails.
func runDemo(parent context.Context, opts demoOptions) (rep *demoReport, err error) {
	if parent == nil {
		parent = context.Background()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithTimeout(parent, opts.Timeout)
	defer cancel()
	d := &demoRun{opts: opts, t0: time.Now(), ctx: ctx, contract: map[uint64]common.Address{},
		byName: map[string]*demoAccount{}, byAddr: map[common.Address]*demoAccount{},
		watchers: map[uint64]*actor.PID{}, offline: map[string]bool{},
		rep: &demoReport{ledger: map[demoKey]*demoLedger{}, Instances: []demoInstanceJSON{}, Chains: []demoChainJSON{}, Steps: []demoStepJSON{}}}
	defer d.shutdown()
	defer func() {
		d.rep.ElapsedMs = time.Since(d.t0).Milliseconds()
		if err != nil {
			d.rep.Error = err.Error()
		}
	}()
	for _, phase := range []func() error{d.setup, d.openChannels, d.crossChainSwap, d.multiHopPayment, d.offlineSwap, d.closeAll, d.settle} {
		if err := phase(); err != nil {
			return d.rep, err
		}
		if err := ctx.Err(); err != nil {
			return d.rep, fmt.Errorf("gave up after %s: %w", opts.Timeout, err)
		}
	}
	return d.rep, nil
}

// say prints one story line and records it as a step.
func (d *demoRun) say(step string, took time.Duration, format string, args ...any) {
	at := time.Since(d.t0)
	text := fmt.Sprintf(format, args...)
	d.outMu.Lock()
	defer d.outMu.Unlock()
	d.rep.Steps = append(d.rep.Steps, demoStepJSON{AtMs: at.Milliseconds(), TookMs: took.Milliseconds(), Step: step, Text: text})
	if d.opts.Out == nil {
		return
	}
	suffix := ""
	if took > 0 {
		suffix = fmt.Sprintf("  (%s)", fmtDur(took))
	}
	fmt.Fprintf(d.opts.Out, "%8s  %-9s %s%s\n", "+"+fmtDur(at), step, text, suffix)
}

func (d *demoRun) print(format string, args ...any) {
	if d.opts.Out == nil {
		return
	}
	d.outMu.Lock()
	defer d.outMu.Unlock()
	fmt.Fprintf(d.opts.Out, format, args...)
}

func fmtDur(t time.Duration) string {
	switch {
	case t < time.Millisecond:
		return fmt.Sprintf("%dµs", t.Microseconds())
	case t < 10*time.Second:
		return fmt.Sprintf("%dms", t.Milliseconds())
	default:
		return fmt.Sprintf("%.1fs", t.Seconds())
	}
}

// fmtEth prints wei as ether with 9 decimals (exact wei are in --json).
func fmtEth(wei *big.Int) string {
	neg := wei.Sign() < 0
	abs := new(big.Int).Abs(wei)
	q, r := new(big.Int).QuoRem(abs, demoEther, new(big.Int))
	frac := fmt.Sprintf("%018s", r.String())[:9]
	s := q.String() + "." + frac
	if neg {
		return "-" + s
	}
	return s
}

// fmtAmount prints a round amount briefly ("1.5 ETH").
func fmtAmount(wei *big.Int) string {
	s := strings.TrimRight(strings.TrimRight(fmtEth(wei), "0"), ".")
	return s + " ETH"
}

func short(b []byte) string { return fmt.Sprintf("0x%x…", b[:4]) }

// ---------------------------------------------------------------- set-up

func (d *demoRun) setup() error {
	start := time.Now()
	backend, err := enclave.Open(enclave.Options{Backend: d.opts.Backend, Logger: d.opts.Logger})
	if err != nil {
		return fmt.Errorf("open the enclave backend: %w", err)
	}
	d.backend = backend
	d.rep.EnclaveBackend = backend.Kind().String()
	d.rep.EnclaveSimulated = backend.Kind() == enclave.KindSimulation
	d.print("teeswap demo: the patent's Fig. 1 on two embedded chains\n")
	if d.rep.EnclaveSimulated {
		d.print("enclaves: SIMULATED (no SGX on this machine): keys live in process memory, reports are self-signed; not secure\n")
	} else {
		d.print("enclaves: SGX\n")
	}
	d.print("terminals: s = sender, i = intermediary, r = receiver; chain 1 path s1 → i1 → r1, chain 2 path s2 → i2 → r2\n\n")

	// Keys first: the chains fund them at genesis.
	newAccount := func(name string) (*demoAccount, error) {
		k, err := backend.NewKey()
		if err != nil {
			return nil, fmt.Errorf("enclave key for %s: %w", name, err)
		}
		a := &demoAccount{name: name, key: k}
		d.byName[name], d.byAddr[k.Address()] = a, a
		return a, nil
	}
	if d.deployer, err = newAccount("deployer"); err != nil {
		return err
	}
	for _, name := range []string{"s1", "i1", "r1", "s2", "i2", "r2"} {
		a, err := newAccount(name)
		if err != nil {
			return err
		}
		d.terms = append(d.terms, a)
	}
	alloc := types.GenesisAlloc{}
	for addr := range d.byAddr {
		alloc[addr] = types.Account{Balance: new(big.Int).Set(demoGenesis)}
	}
	d.chains, err = evm.NewSimulated(2, evm.SimConfig{Config: evm.Config{Logger: d.opts.Logger}, Alloc: alloc, Mining: evm.MineOnSend})
	if err != nil {
		return fmt.Errorf("start the simulated chains: %w", err)
	}
	for i, a := range d.terms {
		a.chainID = d.chains[i/3].ChainID()
	}
	d.say("keys", time.Since(start), "%d enclave keys (deployer + 6 terminals); chains %d and %d started, each account funded with %s at genesis",
		len(d.byAddr), d.chains[0].ChainID(), d.chains[1].ChainID(), fmtAmount(demoGenesis))
	for _, c := range d.chains {
		for addr := range d.byAddr {
			bal, err := c.BalanceAt(d.ctx, addr, nil)
			if err != nil {
				return fmt.Errorf("chain %d: balance of %s: %w", c.ChainID(), addr, err)
			}
			d.rep.ledger[demoKey{c.ChainID(), addr}] = &demoLedger{start: bal, gas: new(big.Int), transfers: new(big.Int)}
		}
	}

	// The contract, deployed through the deployer's enclave key.
	deployerSigner := hostapi.NewDeployer(d.deployer.key)
	var deps []actors.Deployment
	for _, c := range d.chains {
		t := time.Now()
		addr, r, err := actors.DeployPaymentChannels(d.ctx, c, deployerSigner, demoChallPer)
		if r != nil {
			d.addGas(c.ChainID(), d.deployer.addr(), r)
		}
		if err != nil {
			return err
		}
		d.contract[c.ChainID()] = addr
		deps = append(deps, actors.Deployment{Chain: c, Contract: addr})
		d.say("deploy", time.Since(t), "chain %d: PaymentChannels at %s (block %d, gas %d)", c.ChainID(), addr.Hex(), r.BlockNumber, r.GasUsed)
	}
	for _, a := range d.terms {
		acct := a
		ops, err := actors.NewContractOps(actors.ContractOpsConfig{
			Chains: deps, Timeout: 30 * time.Second,
			OnReceipt: func(chainID uint64, r *types.Receipt) { d.addGas(chainID, acct.addr(), r) },
		})
		if err != nil {
			return err
		}
		a.ops = ops
	}

	// The directory, the coordinator and the terminals.
	t := time.Now()
	if d.router, err = directory.NewRouter(directory.NewMemStore()); err != nil {
		return err
	}
	policy := enclave.Policy{AllowSimulation: d.rep.EnclaveSimulated}
	if !d.rep.EnclaveSimulated {
		// Terminals accept a coordinator running this very binary.
		self, err := enclave.ReportFor(backend, d.deployer.key)
		if err != nil {
			return fmt.Errorf("own attestation report: %w", err)
		}
		policy.UniqueID, policy.AllowDebug = self.UniqueID, self.Debug
	}
	dir := d.opts.StateDir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "teeswap-demo-")
		if err != nil {
			return err
		}
		d.cleanupDir = tmp
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	d.local, err = actors.NewLocal(actors.LocalConfig{
		Backend: backend, Verifier: enclave.NewVerifier(policy), Routes: actors.DirectoryRoutes{Router: d.router},
		Chain: func(key enclave.Key) actors.ChainOps {
			if a := d.byAddr[key.Address()]; a != nil && a.ops != nil {
				return a.ops
			}
			return nil
		},
		NewStore: func(name string) (actors.Store, error) {
			s, err := actors.OpenBolt(filepath.Join(dir, name+".db"), backend, false)
			if err != nil {
				return nil, fmt.Errorf("sealed store for %s: %w", name, err)
			}
			d.stores = append(d.stores, s)
			return s, nil
		},
		RetryInterval: 50 * time.Millisecond, Linger: 2 * time.Second, Logger: d.opts.Logger,
	})
	if err != nil {
		return fmt.Errorf("start the coordinator: %w", err)
	}
	d.rep.Coordinator = d.local.CoordKey.Address().Hex()
	for _, a := range d.terms {
		if _, err := d.local.AddTerminal(a.name, a.key); err != nil {
			return fmt.Errorf("start terminal %s: %w", a.name, err)
		}
	}
	if err := d.local.WaitRegistered(10 * time.Second); err != nil {
		return err
	}
	d.say("actors", time.Since(t), "coordinator %s and 6 terminal actors up; every terminal verified the coordinator's %s attestation report and keeps a sealed store",
		short(d.local.CoordKey.Address().Bytes()), backend.Kind())

	// One watcher actor per chain.
	for _, dep := range deps {
		c := dep.Chain
		props, err := actors.NewWatcher(actors.WatcherConfig{
			Source: c, Store: d.router, ChainID: c.ChainID(), Contract: dep.Contract, Interval: 10 * time.Millisecond,
			Peers: d.local, Logger: d.opts.Logger, OnEvent: d.onChainEvent,
		})
		if err != nil {
			return fmt.Errorf("watcher for chain %d: %w", c.ChainID(), err)
		}
		pid, err := d.local.System.Root.SpawnNamed(props, fmt.Sprintf("watcher-%d", c.ChainID()))
		if err != nil {
			return err
		}
		d.watchers[c.ChainID()] = pid
	}
	d.say("watchers", 0, "one watcher actor per chain follows its contract into the channel directory and tells both parties of each event")
	return nil
}

// addGas books what a receipt cost its sender: gasUsed × effectiveGasPrice.
func (d *demoRun) addGas(chainID uint64, from common.Address, r *types.Receipt) {
	d.gasMu.Lock()
	defer d.gasMu.Unlock()
	l := d.rep.ledger[demoKey{chainID, from}]
	if l == nil || r.EffectiveGasPrice == nil {
		d.gasErr = fmt.Errorf("cannot account gas of tx %s on chain %d", r.TxHash.Hex(), chainID)
		return
	}
	l.gas.Add(l.gas, new(big.Int).Mul(new(big.Int).SetUint64(r.GasUsed), r.EffectiveGasPrice))
}

// onChainEvent narrates what the watchers forwarded (watcher goroutine).
func (d *demoRun) onChainEvent(ev watcher.Event) {
	var what string
	switch ev.Kind {
	case watcher.KindOpened:
		what = fmt.Sprintf("ChannelOpened (deposit %s)", fmtAmount(ev.Opened.DepositA))
	case watcher.KindToppedUp:
		what = fmt.Sprintf("ChannelToppedUp (deposits now %s / %s)", fmtAmount(ev.ToppedUp.DepositA), fmtAmount(ev.ToppedUp.DepositB))
	case watcher.KindClosed:
		what = fmt.Sprintf("ChannelClosed (payouts %s / %s)", fmtAmount(ev.Closed.PayoutA), fmtAmount(ev.Closed.PayoutB))
	default:
		what = ev.Kind.String()
	}
	ch, err := d.router.Get(ev.ChainID, ev.ChannelID)
	parties := "?"
	if err == nil {
		parties = d.name(ch.A) + " and " + d.name(ch.B)
	}
	d.say("watcher", 0, "chain %d block %d: %s of %s final → directory updated, told %s", ev.ChainID, ev.Block, what, short(ev.ChannelID[:]), parties)
}

func (d *demoRun) name(addr common.Address) string {
	if a := d.byAddr[addr]; a != nil {
		return a.name
	}
	return addr.Hex()
}

func (d *demoRun) poke(chainID uint64) {
	if pid := d.watchers[chainID]; pid != nil {
		d.local.System.Root.Send(pid, actors.Poke{})
	}
}

func (d *demoRun) shutdown() {
	if d.local != nil {
		for _, pid := range d.watchers {
			_ = d.local.System.Root.StopFuture(pid).Wait()
		}
		d.local.Shutdown()
	}
	for _, s := range d.stores {
		_ = s.Close()
	}
	for _, c := range d.chains {
		_ = c.Close()
	}
	if d.cleanupDir != "" {
		_ = os.RemoveAll(d.cleanupDir)
	}
}

// ---------------------------------------------------------------- channels

// openChannels opens the four channels on chain through the payers'
// terminals (their enclaves sign), tops each up from the other side so it
// can carry value back, and waits until the watchers told both parties.
func (d *demoRun) openChannels() error {
	t := time.Now()
	for chain := 0; chain < 2; chain++ {
		path := d.terms[3*chain : 3*chain+3]
		for i := 0; i+1 < len(path); i++ {
			d.rep.channels = append(d.rep.channels, &demoChannel{chainID: path[i].chainID, a: path[i], b: path[i+1],
				depA: new(big.Int).Set(demoDeposit), depB: new(big.Int), balA: new(big.Int).Set(demoDeposit), balB: new(big.Int)})
		}
	}
	errs := make([]error, len(d.rep.channels))
	var wg sync.WaitGroup
	for i, c := range d.rep.channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.openOne(c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	d.rep.ChannelsOpened = len(d.rep.channels)
	if err := d.waitChannels("the opened channels to reach both parties' enclaves"); err != nil {
		return err
	}
	d.say("opened", time.Since(t), "4 channels open on chain and tracked by both parties' enclaves and by the directory")
	return nil
}

func (d *demoRun) openOne(c *demoChannel) error {
	t := time.Now()
	res, err := d.local.System.Root.RequestFuture(d.local.Peer(c.a.addr()), &messages.ChannelOpen{
		ChainId: c.chainID, Counterparty: c.b.addr().Bytes(), Amount: messages.AmountBytes(demoDeposit),
	}, 60*time.Second).Result()
	if err != nil {
		return fmt.Errorf("open %s on chain %d: terminal %s did not answer: %w", c.label(), c.chainID, c.a.name, err)
	}
	opened, ok := res.(*messages.ChannelOpened)
	if !ok || opened.Error != "" {
		return fmt.Errorf("open %s on chain %d: %s", c.label(), c.chainID, opened.GetError())
	}
	c.id = [32]byte(opened.ChannelId)
	d.poke(c.chainID)
	d.say("open", time.Since(t), "chain %d: %s opened channel %s to %s with %s (its enclave signed the tx)",
		c.chainID, c.a.name, short(c.id[:]), c.b.name, fmtAmount(demoDeposit))
	t = time.Now()
	// B's enclave builds the top-up only for a channel it tracks: wait
	// until the watcher told it of the open.
	for deadline := time.Now().Add(15 * time.Second); ; {
		l, err := d.local.Channels(c.b.addr(), time.Second)
		tracked := false
		for _, ch := range l.GetChannels() {
			tracked = tracked || [32]byte(ch.ChannelId) == c.id
		}
		if err == nil && tracked {
			break
		}
		if time.Now().After(deadline) || d.ctx.Err() != nil {
			return fmt.Errorf("top up %s: %s's enclave never saw the channel open (%v)", c.label(), c.b.name, err)
		}
		d.poke(c.chainID)
		time.Sleep(3 * time.Millisecond)
	}
	depA, depB, err := c.b.ops.TopUp(d.ctx, actors.TerminalTx(d.local.System, d.local.Peer(c.b.addr()), c.b.addr()), c.chainID, c.id, demoTopUp)
	if err != nil {
		return err
	}
	if depA.Cmp(c.depA) != 0 || depB.Cmp(demoTopUp) != 0 {
		return fmt.Errorf("top up %s: contract reports deposits %s/%s", c.label(), depA, depB)
	}
	c.depB, c.balB = new(big.Int).Set(demoTopUp), new(big.Int).Set(demoTopUp)
	d.poke(c.chainID)
	d.say("top-up", time.Since(t), "chain %d: %s topped up %s with %s", c.chainID, c.b.name, short(c.id[:]), fmtAmount(demoTopUp))
	return nil
}

// waitChannels waits until every online terminal reports each of its
// channels idle with the balances of the demo's model.
func (d *demoRun) waitChannels(what string) error {
	deadline := time.Now().Add(15 * time.Second)
	for {
		why := d.checkChannels()
		if why == "" {
			return nil
		}
		if time.Now().After(deadline) || d.ctx.Err() != nil {
			return fmt.Errorf("waiting for %s: %s", what, why)
		}
		time.Sleep(3 * time.Millisecond)
	}
}

func (d *demoRun) checkChannels() string {
	for _, t := range d.terms {
		if d.offline[t.name] {
			continue
		}
		list, err := d.local.Channels(t.addr(), 2*time.Second)
		if err != nil {
			return err.Error()
		}
		have := map[[32]byte]*messages.ChannelInfo{}
		for _, ci := range list.Channels {
			if len(ci.ChannelId) == 32 {
				have[[32]byte(ci.ChannelId)] = ci
			}
		}
		for _, c := range d.rep.channels {
			if c.a != t && c.b != t {
				continue
			}
			ci := have[c.id]
			switch {
			case ci == nil:
				return fmt.Sprintf("%s does not know channel %s yet", t.name, c.label())
			case ci.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE:
				return fmt.Sprintf("%s holds channel %s in %v", t.name, c.label(), ci.Phase)
			case new(big.Int).SetBytes(ci.BalanceA).Cmp(c.balA) != 0 || new(big.Int).SetBytes(ci.BalanceB).Cmp(c.balB) != 0:
				return fmt.Sprintf("%s sees %s at %s/%s, want %s/%s", t.name, c.label(),
					new(big.Int).SetBytes(ci.BalanceA), new(big.Int).SetBytes(ci.BalanceB), c.balA, c.balB)
			case ci.Closed != (c.payA != nil):
				return fmt.Sprintf("%s has channel %s closed=%v", t.name, c.label(), ci.Closed)
			}
		}
	}
	return ""
}

// ---------------------------------------------------------------- instances

type demoLeg struct {
	from, to *demoAccount
	amount   *big.Int
}

func (l demoLeg) leg() *messages.Leg {
	return &messages.Leg{ChainId: l.from.chainID, Sender: l.from.addr().Bytes(), Receiver: l.to.addr().Bytes(),
		Asset: make([]byte, 20), Amount: messages.AmountBytes(l.amount)}
}

func (l demoLeg) String() string {
	return fmt.Sprintf("%s → %s %s on chain %d", l.from.name, l.to.name, fmtAmount(l.amount), l.from.chainID)
}

// submit runs one instance and books its outcome; on COMMITTED it moves
// the model's balances along each leg's path and waits for the terminals.
func (d *demoRun) submit(name string, kind messages.InstanceKind, timeout time.Duration, legs ...demoLeg) (*messages.SwapResult, time.Duration, error) {
	req := &messages.SwapRequest{RequestId: name, Kind: kind, TimeoutMs: timeout.Milliseconds()}
	var texts []string
	for _, l := range legs {
		req.Legs = append(req.Legs, l.leg())
		texts = append(texts, l.String())
	}
	t := time.Now()
	// Every payer's terminal signs its consent to exactly these legs; the
	// coordinator and the payer's enclave both check it.
	if err := d.local.SignOrders(req, time.Minute); err != nil {
		return nil, 0, err
	}
	var payers []string
	for _, env := range req.Orders {
		o, payer, id, err := messages.OpenOrder(env)
		if err != nil {
			return nil, 0, err
		}
		who := payer.Hex()
		for _, l := range legs {
			if l.from.addr() == payer {
				who = l.from.name
			}
		}
		payers = append(payers, who)
		d.say("order", 0, "%s's enclave signed order %s for %s: %s, valid until %s", who, short(id[:]), name,
			strings.Join(texts, " and "), time.UnixMilli(o.ExpiresMs).UTC().Format("15:04:05"))
	}
	res, err := d.local.Submit(req, 30*time.Second)
	if err != nil {
		return nil, 0, err
	}
	if res.Outcome == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		for _, l := range legs {
			d.transfer(l)
		}
	}
	if err := d.waitChannels(fmt.Sprintf("the outcome of %s to reach every terminal", name)); err != nil {
		return nil, 0, err
	}
	took := time.Since(t)
	inst := demoInstanceJSON{Name: name, Kind: strings.ToLower(strings.TrimPrefix(kind.String(), "INSTANCE_KIND_")),
		Outcome: strings.ToLower(strings.TrimPrefix(res.Outcome.String(), "INSTANCE_PHASE_")), InstanceID: fmt.Sprintf("0x%x", res.InstanceId),
		Legs: texts, Orders: payers, Ms: took.Milliseconds(),
		PreparedMs: float64(res.GetTimes().GetPreparedUs()) / 1000, DecidedMs: float64(res.GetTimes().GetDecidedUs()) / 1000}
	if res.Outcome == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
		inst.RefundReason = strings.ToLower(strings.TrimPrefix(res.RefundReason.String(), "REFUND_REASON_"))
	}
	d.rep.Instances = append(d.rep.Instances, inst)
	return res, took, nil
}

// transfer applies a confirmed leg to the model: along the path from the
// sender to the receiver, and to the ledger's expected on-chain deltas.
func (d *demoRun) transfer(l demoLeg) {
	for _, c := range d.rep.channels {
		if c.chainID != l.from.chainID {
			continue
		}
		// The Fig. 1 paths have every payer as party A.
		c.balA.Sub(c.balA, l.amount)
		c.balB.Add(c.balB, l.amount)
	}
	from := d.rep.ledger[demoKey{l.from.chainID, l.from.addr()}]
	to := d.rep.ledger[demoKey{l.to.chainID, l.to.addr()}]
	from.transfers.Sub(from.transfers, l.amount)
	to.transfers.Add(to.transfers, l.amount)
}

func (d *demoRun) crossChainSwap() error {
	s1, r1, s2, r2 := d.byName["s1"], d.byName["r1"], d.byName["s2"], d.byName["r2"]
	// A stranger who reaches the coordinator asks for the same transfers
	// without the payers' orders: refused before anything is reserved.
	theft := &messages.SwapRequest{RequestId: "no-orders", Legs: []*messages.Leg{demoLeg{s1, r1, demoSwap1}.leg(), demoLeg{s2, r2, demoSwap2}.leg()}}
	if res, err := d.local.Submit(theft, 30*time.Second); err == nil {
		return fmt.Errorf("a swap without the payers' orders was accepted: %v", res.Outcome)
	} else {
		d.say("refused", 0, "the same swap without the payers' orders is refused by the coordinator: %s", res.GetError())
	}
	res, took, err := d.submit("swap-1", messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, 10*time.Second,
		demoLeg{s1, r1, demoSwap1}, demoLeg{s2, r2, demoSwap2})
	if err != nil {
		return fmt.Errorf("cross-chain swap: %w", err)
	}
	if res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		return fmt.Errorf("cross-chain swap ended %v, want COMMITTED", res.Outcome)
	}
	d.rep.SwapsConfirmed++
	d.say("swap", took, "cross-chain swap %s CONFIRMED: s1 → i1 → r1 %s on chain %d and s2 → i2 → r2 %s on chain %d, all or nothing",
		short(res.InstanceId), fmtAmount(demoSwap1), s1.chainID, fmtAmount(demoSwap2), s2.chainID)
	return nil
}

func (d *demoRun) multiHopPayment() error {
	s1, r1 := d.byName["s1"], d.byName["r1"]
	res, took, err := d.submit("pay-1", messages.InstanceKind_INSTANCE_KIND_PAYMENT, 10*time.Second, demoLeg{s1, r1, demoPayment})
	if err != nil {
		return fmt.Errorf("multi-hop payment: %w", err)
	}
	if res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		return fmt.Errorf("multi-hop payment ended %v, want COMMITTED", res.Outcome)
	}
	d.rep.PaymentsConfirmed++
	d.say("payment", took, "multi-hop payment %s CONFIRMED: s1 → i1 → r1 %s on chain %d", short(res.InstanceId), fmtAmount(demoPayment), s1.chainID)
	return nil
}

func (d *demoRun) offlineSwap() error {
	s1, r1, s2, r2 := d.byName["s1"], d.byName["r1"], d.byName["s2"], d.byName["r2"]
	if err := d.local.StopTerminal(r2.addr()); err != nil {
		return err
	}
	d.offline[r2.name] = true
	d.say("offline", 0, "r2's terminal stopped, as if its process died; its sealed store stays on disk")
	res, took, err := d.submit("swap-2", messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, d.opts.SwapTimeout,
		demoLeg{s1, r1, demoOffline}, demoLeg{s2, r2, demoOffline})
	if err != nil {
		return fmt.Errorf("swap with r2 offline: %w", err)
	}
	if res.Outcome != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
		return fmt.Errorf("swap with r2 offline ended %v, want REFUND_AUTHORIZED", res.Outcome)
	}
	d.rep.SwapsRefunded++
	d.say("refund", took, "swap %s (%s each way, deadline %s) REFUNDED (%s): r2 never answered PREPARE; every reservation released, no balance moved",
		short(res.InstanceId), fmtAmount(demoOffline), fmtDur(d.opts.SwapTimeout),
		strings.ToLower(strings.TrimPrefix(res.RefundReason.String(), "REFUND_REASON_")))

	t := time.Now()
	if _, err := d.local.RestartTerminal(r2.addr()); err != nil {
		return fmt.Errorf("restart r2: %w", err)
	}
	delete(d.offline, r2.name)
	if err := d.local.WaitRegistered(10 * time.Second); err != nil {
		return err
	}
	if err := d.waitChannels("r2 to come back from its sealed store"); err != nil {
		return err
	}
	var held *big.Int
	for _, c := range d.rep.channels {
		if c.b == r2 {
			held = c.balB
		}
	}
	d.say("restart", time.Since(t), "r2's terminal restarted from its sealed store: its enclave unsealed its channel (%s on its side) and trusts the coordinator again", fmtAmount(held))
	return nil
}

// closeAll closes every channel cooperatively: party A's terminal asks B's
// enclave to co-sign the final balances and submits them to the contract.
func (d *demoRun) closeAll() error {
	t := time.Now()
	errs := make([]error, len(d.rep.channels))
	var wg sync.WaitGroup
	for i, c := range d.rep.channels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = d.closeOne(c)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// The watchers' ChannelClosed events reach the directory.
	deadline := time.Now().Add(15 * time.Second)
	for _, c := range d.rep.channels {
		for {
			ch, err := d.router.Get(c.chainID, c.id)
			if err == nil && ch.Status == directory.StatusClosed {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the directory did not see channel %s close (%v)", c.label(), err)
			}
			d.poke(c.chainID)
			time.Sleep(3 * time.Millisecond)
		}
	}
	if err := d.waitChannels("both parties to record the closes"); err != nil {
		return err
	}
	d.rep.ChannelsClosed = len(d.rep.channels)
	d.say("closed", time.Since(t), "all 4 channels closed on chain; the directory marks them closed")
	return nil
}

func (d *demoRun) closeOne(c *demoChannel) error {
	t := time.Now()
	res, err := d.local.System.Root.RequestFuture(d.local.Peer(c.a.addr()), &messages.ChannelClose{ChannelId: c.id[:]}, 60*time.Second).Result()
	if err != nil {
		return fmt.Errorf("close %s: terminal %s did not answer: %w", c.label(), c.a.name, err)
	}
	closed, ok := res.(*messages.ChannelClosed)
	if !ok || closed.Error != "" {
		return fmt.Errorf("close %s on chain %d: %s", c.label(), c.chainID, closed.GetError())
	}
	payA, payB := new(big.Int).SetBytes(closed.PayoutA), new(big.Int).SetBytes(closed.PayoutB)
	if payA.Cmp(c.balA) != 0 || payB.Cmp(c.balB) != 0 {
		return fmt.Errorf("close %s: contract paid %s/%s, the off-chain balances were %s/%s", c.label(), payA, payB, c.balA, c.balB)
	}
	c.payA, c.payB = payA, payB
	d.poke(c.chainID)
	d.say("close", time.Since(t), "chain %d: %s closed cooperatively (both enclaves signed): %s gets %s, %s gets %s",
		c.chainID, c.label(), c.a.name, fmtAmount(payA), c.b.name, fmtAmount(payB))
	return nil
}

// ---------------------------------------------------------------- balances

// settle reads the final on-chain balances and checks each against its
// start, the confirmed transfers and the gas its transactions cost.
func (d *demoRun) settle() error {
	d.gasMu.Lock()
	gasErr := d.gasErr
	d.gasMu.Unlock()
	conserved, empty := gasErr == nil, true
	var problems []string
	if gasErr != nil {
		problems = append(problems, gasErr.Error())
	}
	for _, c := range d.chains {
		cj := demoChainJSON{ChainID: c.ChainID(), Contract: d.contract[c.ChainID()].Hex()}
		held, err := c.BalanceAt(d.ctx, d.contract[c.ChainID()], nil)
		if err != nil {
			return err
		}
		cj.ContractFinalWei = held.String()
		if held.Sign() != 0 {
			empty = false
			problems = append(problems, fmt.Sprintf("contract on chain %d still holds %s wei", c.ChainID(), held))
		}
		for _, a := range append([]*demoAccount{d.deployer}, d.terms...) {
			l := d.rep.ledger[demoKey{c.ChainID(), a.addr()}]
			if l.end, err = c.BalanceAt(d.ctx, a.addr(), nil); err != nil {
				return err
			}
			want := new(big.Int).Add(l.start, l.transfers)
			want.Sub(want, l.gas)
			ok := want.Cmp(l.end) == 0
			if !ok {
				conserved = false
				problems = append(problems, fmt.Sprintf("%s on chain %d holds %s wei, want %s", a.name, c.ChainID(), l.end, want))
			}
			if a.chainID != 0 && a.chainID != c.ChainID() {
				continue // untouched on this chain (checked above), not listed
			}
			cj.Accounts = append(cj.Accounts, demoAccountJSON{Name: a.name, Address: a.addr().Hex(), StartWei: l.start.String(),
				EndWei: l.end.String(), DeltaWei: new(big.Int).Sub(l.end, l.start).String(), GasWei: l.gas.String(),
				TransfersWei: l.transfers.String(), Conserved: ok})
		}
		for _, ch := range d.rep.channels {
			if ch.chainID != c.ChainID() {
				continue
			}
			dc, _ := d.router.Get(ch.chainID, ch.id)
			cj.Channels = append(cj.Channels, demoChannelJSON{ChannelID: fmt.Sprintf("0x%x", ch.id), A: ch.a.name, B: ch.b.name,
				DepositA: ch.depA.String(), DepositB: ch.depB.String(), PayoutA: ch.payA.String(), PayoutB: ch.payB.String(),
				OpenedIn: dc.OpenedAtBlock, ClosedIn: dc.UpdatedAtBlock, Directory: dc.Status.String()})
		}
		d.rep.Chains = append(d.rep.Chains, cj)
	}
	d.rep.OnchainConserved, d.rep.ContractsEmpty = conserved, empty
	d.table()
	verdict := "CONSERVED: every account holds its start ± exactly the confirmed transfers − the gas it paid, to the wei"
	if !conserved {
		verdict = "NOT CONSERVED"
	}
	d.print("\n%d swap confirmed, %d swap refunded, %d payment confirmed, %d channels opened and closed on chain; on-chain balances %s\n",
		d.rep.SwapsConfirmed, d.rep.SwapsRefunded, d.rep.PaymentsConfirmed, d.rep.ChannelsClosed, verdict)
	d.print("done in %s\n", fmtDur(time.Since(d.t0)))
	if len(problems) > 0 {
		return fmt.Errorf("on-chain balances do not add up: %s", strings.Join(problems, "; "))
	}
	return nil
}

// table prints the on-chain balances before and after, per chain.
func (d *demoRun) table() {
	if d.opts.Out == nil {
		return
	}
	d.print("\non-chain balances (ETH; exact wei in --json)\n")
	for _, cj := range d.rep.Chains {
		d.print("chain %d (contract %s, holds %s wei at the end)\n", cj.ChainID, cj.Contract, cj.ContractFinalWei)
		d.print("  %-9s %-11s %15s %15s %14s %12s %14s  %s\n", "account", "address", "before", "after", "delta", "gas paid", "transfers", "check")
		for _, a := range cj.Accounts {
			w := func(s string) *big.Int { v, _ := new(big.Int).SetString(s, 10); return v }
			check := "ok"
			if !a.Conserved {
				check = "MISMATCH"
			}
			d.print("  %-9s %-11s %15s %15s %14s %12s %14s  %s\n", a.Name, a.Address[:10], fmtEth(w(a.StartWei)), fmtEth(w(a.EndWei)),
				signed(w(a.DeltaWei)), fmtEth(w(a.GasWei)), signed(w(a.TransfersWei)), check)
		}
	}
}

func signed(v *big.Int) string {
	if v.Sign() > 0 {
		return "+" + fmtEth(v)
	}
	return fmtEth(v)
}
