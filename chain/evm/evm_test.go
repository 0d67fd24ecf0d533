package evm_test

import (
	"context"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/chaintest"
	"github.com/teeswap/teeswap/chain/evm"
)

func TestNewSimulatedIndependentChains(t *testing.T) {
	s := chaintest.NewRandomSigner()
	sims, err := evm.NewSimulated(3, evm.SimConfig{
		Alloc: types.GenesisAlloc{s.Address(): {Balance: chaintest.Ether(1)}}, FirstChainID: 500,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, c := range sims {
			_ = c.Close()
		}
	}()
	ctx := context.Background()
	to := chaintest.NewRandomSigner().Address()
	for i, c := range sims {
		if c.ChainID() != 500+uint64(i) {
			t.Fatalf("chain %d has id %d", i, c.ChainID())
		}
		id, err := c.Backend().(interface {
			ChainID(context.Context) (*big.Int, error)
		}).ChainID(ctx)
		if err != nil || id.Uint64() != c.ChainID() {
			t.Fatalf("node reports %v (%v)", id, err)
		}
	}
	// A transfer on chain 1 changes nothing on chains 0 and 2.
	if _, err := sims[1].Transact(ctx, s, &to, nil, big.NewInt(5)); err != nil {
		t.Fatal(err)
	}
	for i, c := range sims {
		bal, err := c.BalanceAt(ctx, to, nil)
		want := int64(0)
		if i == 1 {
			want = 5
		}
		if err != nil || bal.Int64() != want {
			t.Fatalf("chain %d: balance %v (%v), want %d", i, bal, err, want)
		}
	}
	// A transaction signed for chain 500 is rejected by chain 501.
	tx, err := s.SignTx(types.NewTx(&types.DynamicFeeTx{ChainID: big.NewInt(500), Gas: 21000, To: &to,
		GasFeeCap: big.NewInt(1e12), GasTipCap: big.NewInt(1e9)}), big.NewInt(500))
	if err != nil {
		t.Fatal(err)
	}
	if err := sims[1].Backend().SendTransaction(ctx, tx); err == nil {
		t.Fatal("chain 501 accepted a chain-500 transaction")
	}
}

func TestIntervalMiningAndStop(t *testing.T) {
	sims, err := evm.NewSimulated(1, evm.SimConfig{Mining: evm.MineInterval, BlockInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	c := sims[0]
	defer c.Close()
	ctx := context.Background()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h, err := c.HeaderByNumber(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h.Number.Uint64() >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("interval mining produced no blocks")
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.StopMining()
	h1, _ := c.HeaderByNumber(ctx, nil)
	time.Sleep(50 * time.Millisecond)
	h2, _ := c.HeaderByNumber(ctx, nil)
	if h1.Number.Cmp(h2.Number) != 0 {
		t.Fatalf("blocks after StopMining: %v -> %v", h1.Number, h2.Number)
	}
	c.Commit()
	if h3, _ := c.HeaderByNumber(ctx, nil); h3.Number.Uint64() != h2.Number.Uint64()+1 {
		t.Fatalf("manual Commit after StopMining: head %v", h3.Number)
	}
}

func TestManualMiningTimeout(t *testing.T) {
	s := chaintest.NewRandomSigner()
	sims, err := evm.NewSimulated(1, evm.SimConfig{
		Alloc:  types.GenesisAlloc{s.Address(): {Balance: chaintest.Ether(1)}},
		Mining: evm.MineManual, Config: evm.Config{ReceiptTimeout: 100 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	c := sims[0]
	defer c.Close()
	to := chaintest.NewRandomSigner().Address()
	// Nothing mines: Transact times out with ErrTimeout...
	if _, err := c.Transact(context.Background(), s, &to, nil, big.NewInt(1)); !errors.Is(err, chain.ErrTimeout) {
		t.Fatalf("unmined transact: %v", err)
	}
	// ...and once a block is sealed the transaction is there.
	c.Commit()
	r, err := c.Transact(context.Background(), s, &to, nil, big.NewInt(1))
	if !errors.Is(err, chain.ErrTimeout) || r != nil {
		t.Fatalf("second unmined transact: %v", err)
	}
	c.Commit()
	if bal, _ := c.BalanceAt(context.Background(), to, nil); bal.Int64() != 2 {
		t.Fatalf("balance %v, want 2", bal)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Send(context.Background(), s, &to, nil, nil); !errors.Is(err, chain.ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
}
