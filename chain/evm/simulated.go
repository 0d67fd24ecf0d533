package evm

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth/ethconfig"
	"github.com/ethereum/go-ethereum/ethclient/simulated"
	"github.com/ethereum/go-ethereum/node"
)

// Mining says when a simulated chain seals blocks.
type Mining int

const (
	// MineOnSend seals a block after every accepted transaction (sent through
	// the Client or its Backend), so a transaction is mined before Send returns.
	MineOnSend Mining = iota
	// MineInterval seals a block every SimConfig.BlockInterval, empty or not.
	MineInterval
	// MineManual seals blocks only on Commit.
	MineManual
)

// DefaultFirstChainID is the chain id of the first simulated chain; chain i
// of NewSimulated gets DefaultFirstChainID+i.
const DefaultFirstChainID = 1337

// SimConfig configures simulated chains.
type SimConfig struct {
	Config
	// Alloc funds accounts at genesis on every chain.
	Alloc types.GenesisAlloc
	// FirstChainID is chain 0's id; chain i gets FirstChainID+i. Default 1337.
	FirstChainID uint64
	Mining       Mining
	// BlockInterval is the sealing period for MineInterval. Default 100ms.
	BlockInterval time.Duration
	// BlockGasLimit overrides the genesis and target block gas limit.
	BlockGasLimit uint64
	// HTTPPorts, when set, serve chain i's JSON-RPC (eth, net, web3) over
	// HTTP on 127.0.0.1:HTTPPorts[i], for other processes (the
	// multi-process fault sim); they need MineInterval to see their
	// transactions mined.
	HTTPPorts []int
}

// Simulated is an in-process chain: a Client plus the controls tests need.
type Simulated struct {
	*Client
	sim *simulated.Backend

	mineMu sync.Mutex // serialises Commit, Fork, AdjustTime, Rollback
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// NewSimulated starts n independent simulated chains with ids
// cfg.FirstChainID .. cfg.FirstChainID+n-1.
func NewSimulated(n int, cfg SimConfig) ([]*Simulated, error) {
	if n <= 0 {
		return nil, errors.New("chain: NewSimulated needs n > 0")
	}
	first := cfg.FirstChainID
	if first == 0 {
		first = DefaultFirstChainID
	}
	out := make([]*Simulated, 0, n)
	for i := range n {
		c := cfg
		c.HTTPPorts = nil
		if i < len(cfg.HTTPPorts) {
			c.HTTPPorts = cfg.HTTPPorts[i : i+1]
		}
		s, err := NewSimulatedChain(first+uint64(i), c)
		if err != nil {
			for _, o := range out {
				_ = o.Close()
			}
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// NewSimulatedChain starts one simulated chain with the given chain id
// (cfg.FirstChainID is ignored; HTTPPorts[0], if any, is its HTTP port).
func NewSimulatedChain(chainID uint64, cfg SimConfig) (s *Simulated, err error) {
	if chainID == 0 {
		return nil, errors.New("chain: chain id 0")
	}
	opts := []func(*node.Config, *ethconfig.Config){withChainID(chainID)}
	if cfg.BlockGasLimit != 0 {
		opts = append(opts, simulated.WithBlockGasLimit(cfg.BlockGasLimit))
	}
	if len(cfg.HTTPPorts) > 0 {
		port := cfg.HTTPPorts[0]
		opts = append(opts, func(nc *node.Config, _ *ethconfig.Config) {
			nc.HTTPHost, nc.HTTPPort, nc.HTTPModules = "127.0.0.1", port, []string{"eth", "net", "web3"}
			nc.HTTPVirtualHosts = []string{"localhost", "127.0.0.1"}
		})
	}
	// NewBackend panics on node set-up failures; turn them into errors.
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("chain: simulated chain %d: %v", chainID, r)
		}
	}()
	sim := simulated.NewBackend(cfg.Alloc, opts...)
	s = &Simulated{sim: sim, stop: make(chan struct{}), done: make(chan struct{})}
	rpc := sim.Client()
	var after func()
	if cfg.Mining == MineOnSend {
		after = func() { s.Commit() }
	}
	backend := &hookedBackend{Client: rpc, after: after}
	ccfg := cfg.Config.withDefaults(2 * time.Millisecond)
	s.Client = newClient(&simRPC{hookedBackend: backend}, backend, chainID, ccfg, after, s.shutdown)
	if got, err := rpc.ChainID(context.Background()); err != nil || got.Uint64() != chainID {
		_ = sim.Close()
		return nil, fmt.Errorf("chain: simulated chain reports id %v (%v), want %d", got, err, chainID)
	}
	if cfg.Mining == MineInterval {
		iv := cfg.BlockInterval
		if iv <= 0 {
			iv = 100 * time.Millisecond
		}
		go s.mineLoop(iv)
	} else {
		close(s.done)
	}
	return s, nil
}

// withChainID sets the genesis chain id (and network id) of a simulated chain;
// go-ethereum's own options only cover gas limits.
func withChainID(id uint64) func(*node.Config, *ethconfig.Config) {
	return func(_ *node.Config, ec *ethconfig.Config) {
		cc := *ec.Genesis.Config // copy: the default config is a shared global
		cc.ChainID = new(big.Int).SetUint64(id)
		ec.Genesis.Config = &cc
		ec.NetworkId = id
	}
}

func (s *Simulated) mineLoop(iv time.Duration) {
	defer close(s.done)
	t := time.NewTicker(iv)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.Commit()
		}
	}
}

// StopMining stops interval mining (a no-op in the other modes).
func (s *Simulated) StopMining() {
	s.once.Do(func() { close(s.stop) })
	<-s.done
}

// Commit seals a block with the pending transactions and returns its hash.
func (s *Simulated) Commit() common.Hash {
	s.mineMu.Lock()
	defer s.mineMu.Unlock()
	return s.sim.Commit()
}

// Fork makes parent the head, so the next Commit starts a side chain that
// replaces the blocks after parent (a reorg). It fails while transactions are
// pending. Transactions of the dropped blocks return to the pool and are
// mined again unless replaced (same sender and nonce, higher fees).
func (s *Simulated) Fork(parent common.Hash) error {
	s.mineMu.Lock()
	defer s.mineMu.Unlock()
	return s.sim.Fork(parent)
}

// AdjustTime seals an empty block whose timestamp is d after its parent's.
// It fails while transactions are pending.
func (s *Simulated) AdjustTime(d time.Duration) error {
	s.mineMu.Lock()
	defer s.mineMu.Unlock()
	// The pool adopts a new head asynchronously and, until it has, still
	// lists just-mined transactions as pending, which AdjustTime refuses
	// (Fork waits for the pool itself). Give it a moment.
	var err error
	for range 200 {
		if err = s.sim.AdjustTime(d); err == nil || !strings.Contains(err.Error(), "non-empty block") {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

// Rollback drops all pending transactions. Senders' nonces are resynced.
func (s *Simulated) Rollback() {
	s.mineMu.Lock()
	s.sim.Rollback()
	s.mineMu.Unlock()
	s.mu.Lock()
	for _, a := range s.accounts {
		a.mu.Lock()
		a.known = false
		a.mu.Unlock()
	}
	s.mu.Unlock()
}

func (s *Simulated) shutdown() error {
	s.StopMining()
	s.mineMu.Lock()
	defer s.mineMu.Unlock()
	return s.sim.Close()
}

// hookedBackend runs after() once a transaction was accepted, so bindings
// sending through Backend() are auto-mined like Client.Send.
type hookedBackend struct {
	simulated.Client
	after func()
}

func (h *hookedBackend) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	if err := h.Client.SendTransaction(ctx, tx); err != nil {
		return err
	}
	if h.after != nil {
		h.after()
	}
	return nil
}

// simRPC is the Client's view: sends must not trigger the hook twice (Client
// runs it itself after releasing the sender's lock).
type simRPC struct{ *hookedBackend }

func (r *simRPC) SendTransaction(ctx context.Context, tx *types.Transaction) error {
	return r.hookedBackend.Client.SendTransaction(ctx, tx)
}
