package chaintest_test

import (
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/chaintest"
	"github.com/teeswap/teeswap/chain/evm"
)

func simulated(t *testing.T, mining evm.Mining) (chain.Chain, chain.TxSigner) {
	funded := chaintest.NewRandomSigner()
	sims, err := evm.NewSimulated(2, evm.SimConfig{
		Alloc:         types.GenesisAlloc{funded.Address(): {Balance: chaintest.Ether(1000)}},
		Mining:        mining,
		BlockInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, s := range sims {
			_ = s.Close()
		}
	})
	// Use the second chain so a chain id other than the default is covered.
	if sims[1].ChainID() != evm.DefaultFirstChainID+1 {
		t.Fatalf("chain id %d", sims[1].ChainID())
	}
	return sims[1], funded
}

func TestSimulatedMineOnSend(t *testing.T) {
	chaintest.TestChain(t, func(t *testing.T) (chain.Chain, chain.TxSigner) {
		return simulated(t, evm.MineOnSend)
	})
}

func TestSimulatedMineInterval(t *testing.T) {
	chaintest.TestChain(t, func(t *testing.T) (chain.Chain, chain.TxSigner) {
		return simulated(t, evm.MineInterval)
	})
}

func TestRealNode(t *testing.T) {
	if os.Getenv(chaintest.EnvRPC) == "" {
		t.Skip(chaintest.SkipMessage)
	}
	chaintest.TestChain(t, func(t *testing.T) (chain.Chain, chain.TxSigner) {
		return chaintest.RealNode(t, evm.Config{PollInterval: 20 * time.Millisecond}, 100)
	})
}
