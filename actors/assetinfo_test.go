package actors_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/chaintest"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/contracts/testtokens"
	"github.com/teeswap/teeswap/messages"
)

// countingChain counts eth_calls, to see what the cache saves.
type countingChain struct {
	chain.Chain
	calls atomic.Int32
}

func (c *countingChain) Call(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error) {
	c.calls.Add(1)
	return c.Chain.Call(ctx, msg, block)
}

// A node reads a token's decimals() and symbol() from its chain once, on
// the first AssetInfoRequest for it, and answers every later one from its
// cache; a contract without decimals() and a chain it does not follow are
// refused with a reason.
func TestAssetInfoReadsTheTokenOnce(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	deployer := chaintest.NewKeySigner(key)
	chains, err := evm.NewSimulated(1, evm.SimConfig{Mining: evm.MineOnSend, FirstChainID: 4343,
		Alloc: types.GenesisAlloc{deployer.Address(): {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer chains[0].Close()
	ctx := context.Background()
	token, _, err := chain.Deploy(ctx, chains[0], deployer, common.FromHex(testtokens.TestTokenMetaData.Bin), testtokens.NewTestToken().PackConstructor("Test", "TST"))
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingChain{Chain: chains[0]}
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	pid := sys.Root.Spawn(actors.NewStatus(actors.StatusConfig{Role: "watcher", Chains: []chain.Chain{counted}}))
	ask := func(chainID uint64, asset common.Address) *messages.AssetInfo {
		t.Helper()
		res, err := sys.Root.RequestFuture(pid, &messages.AssetInfoRequest{ChainId: chainID, Asset: asset.Bytes()}, 10*time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		return res.(*messages.AssetInfo)
	}
	for i := 0; i < 3; i++ {
		got := ask(4343, token)
		if got.Error != "" || got.Decimals != 18 || got.Symbol != "TST" || common.BytesToAddress(got.Asset) != token || got.ChainId != 4343 {
			t.Fatalf("asset info %d: %+v", i, got)
		}
	}
	if n := counted.calls.Load(); n != 2 {
		t.Fatalf("%d chain calls for three lookups, want 2 (decimals and symbol, once)", n)
	}
	if got := ask(4343, deployer.Address()); !strings.Contains(got.Error, "decimals") {
		t.Fatalf("an account without code: %+v", got)
	}
	if got := ask(1, token); !strings.Contains(got.Error, "does not follow chain 1") {
		t.Fatalf("another chain: %+v", got)
	}
	if _, err := actors.NewTokenInfoCache(nil).Lookup(ctx, 4343, token); err == nil {
		t.Fatal("a cache without chains answered")
	}
	if _, err := actors.NewTokenInfoCache([]chain.Chain{counted}).Lookup(ctx, 4343, common.Address{}); !errors.Is(err, actors.ErrNotAToken) {
		t.Fatalf("the native coin as a token: %v", err)
	}
}
