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
	c, deployer, token := tokenChain(t)
	ctx := context.Background()
	counted := &countingChain{Chain: c}
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

// tokenChain is an embedded chain 4343 with a TestToken ("TST", 18
// decimals) deployed by a funded key.
func tokenChain(t *testing.T) (*evm.Simulated, *chaintest.KeySigner, common.Address) {
	t.Helper()
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
	t.Cleanup(func() { _ = chains[0].Close() })
	token, _, err := chain.Deploy(context.Background(), chains[0], deployer, common.FromHex(testtokens.TestTokenMetaData.Bin), testtokens.NewTestToken().PackConstructor("Test", "TST"))
	if err != nil {
		t.Fatal(err)
	}
	return chains[0], deployer, token
}

// statusMain stands in for a terminal actor: it names the tokens of its
// channels.
type statusMain struct{ tokens []*messages.ChainToken }

func (m statusMain) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*messages.NodeStatusRequest); ok {
		ctx.Respond(&messages.NodeStatus{Registered: true, ChannelTokens: m.tokens})
	}
}

// A terminal node's status shows, per chain, its address's balance of
// each token its channels use, with the token's decimals and symbol; a
// token it cannot read says why and shows no balance.
func TestStatusShowsTokenBalances(t *testing.T) {
	c, minter, token := tokenChain(t)
	ctx := context.Background()
	node := common.HexToAddress("0x00000000000000000000000000000000000000d0")
	if _, err := c.Transact(ctx, minter, &token, testtokens.NewTestToken().PackMint(node, big.NewInt(12_345)), nil); err != nil {
		t.Fatal(err)
	}
	bogus := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	main := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor {
		return statusMain{tokens: []*messages.ChainToken{{ChainId: 4343, Token: token.Bytes()}, {ChainId: 4343, Token: bogus.Bytes()}, {ChainId: 9, Token: token.Bytes()}}}
	}))
	pid := sys.Root.Spawn(actors.NewStatus(actors.StatusConfig{Role: "terminal", Address: node, Chains: []chain.Chain{c}, Main: main}))
	res, err := sys.Root.RequestFuture(pid, &messages.NodeStatusRequest{}, 10*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	st := res.(*messages.NodeStatus)
	if len(st.Chains) != 1 || len(st.Chains[0].Tokens) != 2 {
		t.Fatalf("status %v", st)
	}
	tb := st.Chains[0].Tokens[0]
	if common.BytesToAddress(tb.Token) != token || new(big.Int).SetBytes(tb.Balance).Int64() != 12_345 || !tb.DecimalsKnown ||
		tb.Decimals != 18 || tb.Symbol != "TST" || tb.Error != "" {
		t.Fatalf("token balance %v", tb)
	}
	if bad := st.Chains[0].Tokens[1]; bad.DecimalsKnown || len(bad.Balance) != 0 || bad.Error == "" {
		t.Fatalf("a non-token: %v", bad)
	}
}
