package sim

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/contracts"
)

// BaselineConfig configures the HTLC baseline.
type BaselineConfig struct {
	// BlockInterval is the embedded chains' block interval (mined on a
	// timer, empty or not).
	BlockInterval time.Duration
	// Confirmations is the depth each party waits for before acting on
	// the other's transaction (1: mined in the head block).
	Confirmations uint64
	Swaps         int // how many of the run's swaps to replay as HTLC swaps
	Concurrency   int
	Seed          int64
}

// DefaultBaseline is the baseline `teeswap sim --baseline htlc` runs: a
// 1 s block interval (a fast chain; Ethereum's is 12 s) and 2
// confirmations.
func DefaultBaseline() BaselineConfig {
	return BaselineConfig{BlockInterval: time.Second, Confirmations: 2, Swaps: 8, Concurrency: 8}
}

// BaselineSummary compares teeswap with the HTLC baseline on the same swaps.
type BaselineSummary struct {
	Kind          string  `json:"kind"`
	Swaps         int     `json:"swaps"`
	Failed        int     `json:"failed"`
	BlockInterval string  `json:"block_interval"`
	Confirmations uint64  `json:"confirmations"`
	Transactions  int     `json:"transactions_per_swap"`
	DurationS     float64 `json:"duration_s"`
	// LatencyMs: A's first lock sent to B's claim confirmed.
	LatencyMs Quantiles `json:"latency_ms"`
	// StepsMs: each step's latency, to confirmation at the set depth.
	StepsMs map[string]Quantiles `json:"steps_ms"`
	// TeeswapMs: the same swaps' end-to-end latency in the teeswap run.
	TeeswapMs Quantiles `json:"teeswap_latency_ms"`
	// Ratio is the HTLC p50 over teeswap's p50 on the same swaps.
	Ratio float64 `json:"ratio"`
	// TeeswapP50Ms is TeeswapMs.P50.
	TeeswapP50Ms float64 `json:"teeswap_p50_ms"`
}

// keySigner is a baseline party's chain account. HTLC parties are plain
// chain accounts, not enclaves.
type keySigner struct {
	key  *ecdsa.PrivateKey
	addr common.Address
}

func (k *keySigner) Address() common.Address { return k.addr }

func (k *keySigner) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	return types.SignTx(tx, types.LatestSignerForChainID(chainID), k.key)
}

func newKeySigner(rng *rand.Rand) *keySigner {
	for {
		var d [32]byte
		for i := range d {
			d[i] = byte(rng.Uint32())
		}
		if k, err := crypto.ToECDSA(d[:]); err == nil {
			return &keySigner{key: k, addr: crypto.PubkeyToAddress(k.PublicKey)}
		}
	}
}

// htlcSwap is one swap replayed: A pays amountA on chain 0 to B, B pays
// amountB on chain 1 to A (a teeswap swap's two legs, its senders as the
// two parties; HTLC needs no intermediaries, each pays on chain directly).
type htlcSwap struct {
	index            int
	a, b             *keySigner
	amountA, amountB *big.Int
	steps            [4]time.Duration
	total            time.Duration
	err              error
}

// RunBaseline replays up to cfg.Swaps of the run's confirmed two-chain
// swaps as HTLC atomic swaps (Herlihy's ACCS with one hashlock):
//
//  1. A locks amountA for B on chain 1 under sha256(secret);
//  2. B waits for that lock's confirmation, then locks amountB for A on
//     chain 2 under the same hash with a shorter timelock;
//  3. A waits for B's lock's confirmation and claims it with the secret;
//  4. B waits for the claim's confirmation, reads the secret from its
//     Claimed event and claims A's lock on chain 1; the swap ends when
//     that claim is confirmed.
func RunBaseline(ctx context.Context, cfg BaselineConfig, res *Result, log *slog.Logger) (*BaselineSummary, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Swaps <= 0 || cfg.Concurrency <= 0 || cfg.BlockInterval <= 0 {
		return nil, errors.New("sim: baseline needs swaps, concurrency and a block interval")
	}
	if cfg.Confirmations == 0 {
		cfg.Confirmations = 1
	}
	// The same swaps: the run's confirmed swaps over two chains.
	var same []*Instance
	for _, in := range res.Instances {
		if in.Swap && len(in.legs) == 2 && in.Outcome() == "confirmed" && len(same) < cfg.Swaps {
			same = append(same, in)
		}
	}
	if len(same) == 0 {
		return nil, errors.New("sim: the run has no confirmed two-chain swap to replay")
	}
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 0x68746c63))
	deployer := newKeySigner(rng)
	swaps := make([]*htlcSwap, len(same))
	alloc := types.GenesisAlloc{deployer.addr: {Balance: ether(1000)}}
	for i, in := range same {
		s := &htlcSwap{index: in.Index, a: newKeySigner(rng), b: newKeySigner(rng),
			amountA: big.NewInt(in.legs[0].amount), amountB: big.NewInt(in.legs[1].amount)}
		alloc[s.a.addr] = types.Account{Balance: ether(1000)}
		alloc[s.b.addr] = types.Account{Balance: ether(1000)}
		swaps[i] = s
	}
	chains, err := evm.NewSimulated(2, evm.SimConfig{Alloc: alloc, Mining: evm.MineInterval, BlockInterval: cfg.BlockInterval,
		Config: evm.Config{Confirmations: cfg.Confirmations, Logger: log}})
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range chains {
			_ = c.Close()
		}
	}()
	htlc := contracts.NewHTLC()
	var addrs [2]common.Address
	for i, c := range chains {
		// Deployment is set-up, confirmed at depth 1 and not timed.
		addr, _, err := chain.Deploy(ctx, c, deployer, common.FromHex(contracts.HTLCMetaData.Bin), nil)
		if err != nil {
			return nil, fmt.Errorf("deploy HTLC on chain %d: %w", c.ChainID(), err)
		}
		addrs[i] = addr
	}
	start := time.Now()
	sem := make(chan struct{}, cfg.Concurrency)
	var wg sync.WaitGroup
	for i, s := range swaps {
		secret := [32]byte{}
		for j := range secret {
			secret[j] = byte(rng.Uint32())
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.err = runHTLCSwap(ctx, [2]chain.Chain{chains[0].Client, chains[1].Client}, addrs, htlc, s, secret, uint64(i), cfg.Confirmations)
			if s.err != nil {
				log.Error("htlc swap failed", "swap", s.index, "err", s.err)
			}
		}()
	}
	wg.Wait()
	out := &BaselineSummary{Kind: "htlc", BlockInterval: cfg.BlockInterval.String(), Confirmations: cfg.Confirmations,
		Transactions: 4, DurationS: round3(time.Since(start).Seconds()), StepsMs: map[string]Quantiles{}}
	var total, tee []float64
	steps := make([][]float64, 4)
	for i, s := range swaps {
		if s.err != nil {
			out.Failed++
			continue
		}
		out.Swaps++
		total = append(total, ms(s.total))
		for j := range steps {
			steps[j] = append(steps[j], ms(s.steps[j]))
		}
		if p, ok := same[i].phases(); ok {
			tee = append(tee, p.e2e)
		}
	}
	out.LatencyMs, out.TeeswapMs = quantiles(total), quantiles(tee)
	for j, name := range []string{"1_a_locks_chain1", "2_b_locks_chain2", "3_a_claims_chain2", "4_b_claims_chain1"} {
		out.StepsMs[name] = quantiles(steps[j])
	}
	out.TeeswapP50Ms = out.TeeswapMs.P50
	if out.TeeswapMs.P50 > 0 {
		out.Ratio = round3(out.LatencyMs.P50 / out.TeeswapMs.P50)
	}
	if out.Swaps == 0 {
		return out, errors.New("sim: every HTLC swap failed")
	}
	return out, nil
}

func runHTLCSwap(ctx context.Context, c [2]chain.Chain, addrs [2]common.Address, htlc *contracts.HTLC, s *htlcSwap, secret [32]byte, n uint64, conf uint64) error {
	hash := sha256.Sum256(secret[:])
	id1 := crypto.Keccak256Hash([]byte("teeswap-sim/htlc/a"), hash[:], new(big.Int).SetUint64(n).Bytes())
	id2 := crypto.Keccak256Hash([]byte("teeswap-sim/htlc/b"), hash[:], new(big.Int).SetUint64(n).Bytes())
	// Timelocks far enough ahead of the chains' clocks; B's is shorter,
	// so A must claim (and reveal) while B can still claim on chain 1.
	now := uint64(time.Now().Unix())
	t0 := time.Now()
	mark := t0
	step := func(i int) {
		now := time.Now()
		s.steps[i] = now.Sub(mark)
		mark = now
	}
	send := func(ch chain.Chain, from chain.TxSigner, to common.Address, data []byte, value *big.Int) (*types.Receipt, error) {
		tx, err := ch.Send(ctx, from, &to, data, value)
		if err != nil {
			return nil, err
		}
		return ch.WaitReceipt(ctx, tx.Hash(), conf)
	}
	if _, err := send(c[0], s.a, addrs[0], htlc.PackLock(id1, s.b.addr, hash, now+48*3600), s.amountA); err != nil {
		return fmt.Errorf("party A locks on chain 1: %w", err)
	}
	step(0)
	if _, err := send(c[1], s.b, addrs[1], htlc.PackLock(id2, s.a.addr, hash, now+24*3600), s.amountB); err != nil {
		return fmt.Errorf("party B locks on chain 2: %w", err)
	}
	step(1)
	rcpt, err := send(c[1], s.a, addrs[1], htlc.PackClaim(id2, secret), nil)
	if err != nil {
		return fmt.Errorf("party A claims on chain 2: %w", err)
	}
	step(2)
	var preimage [32]byte
	found := false
	for _, l := range rcpt.Logs {
		if ev, err := htlc.UnpackClaimedEvent(l); err == nil && ev.Id == id2 {
			preimage, found = ev.Preimage, true
		}
	}
	if !found {
		return errors.New("no Claimed event in A's claim")
	}
	if _, err := send(c[0], s.b, addrs[0], htlc.PackClaim(id1, preimage), nil); err != nil {
		return fmt.Errorf("party B claims on chain 1: %w", err)
	}
	step(3)
	s.total = time.Since(t0)
	return nil
}

func ether(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
