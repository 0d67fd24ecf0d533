//go:build !race

package main

import (
	"context"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/asynkron/protoactor-go/actor"
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

// fakeTerminal records what the CLI asks a terminal and answers with
// fixed replies: the CLI side of token units, without a chain of
// channels behind it.
type fakeTerminal struct {
	mu     sync.Mutex
	opened []*messages.ChannelOpen
	list   *messages.ChannelList
}

func (f *fakeTerminal) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *messages.ChannelOpen:
		f.mu.Lock()
		f.opened = append(f.opened, m)
		f.mu.Unlock()
		ctx.Respond(&messages.ChannelOpened{ChannelId: common.HexToHash("0xc1").Bytes(), Txs: []*messages.TxReceipt{
			{Action: "approve", ChainId: m.ChainId, TxHash: common.HexToHash("0xa1").Bytes(), Block: 7, GasUsed: 46000},
			{Action: "open", ChainId: m.ChainId, TxHash: common.HexToHash("0xa2").Bytes(), Block: 8, GasUsed: 188000}}})
	case *messages.ChannelListRequest:
		ctx.Respond(f.list)
	}
}

// Token amounts go by the token's own decimals() and symbol(), which the
// node reads from its chain: "12.5TST" and "12.5tok" open a channel with
// 12.5 * 10^18 base units of a real ERC-20 on an embedded chain, channel
// list shows balances in TST (JSON in base units), --decimals overrides
// the chain, and a token the node cannot read takes base units only.
func TestTokenAmountsByTheTokensDecimals(t *testing.T) {
	key, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	deployer := chaintest.NewKeySigner(key)
	const chainID = 4545
	chains, err := evm.NewSimulated(1, evm.SimConfig{Mining: evm.MineOnSend, FirstChainID: chainID,
		Alloc: types.GenesisAlloc{deployer.Address(): {Balance: new(big.Int).Lsh(big.NewInt(1), 100)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer chains[0].Close()
	token, _, err := chain.Deploy(context.Background(), chains[0], deployer, common.FromHex(testtokens.TestTokenMetaData.Bin),
		testtokens.NewTestToken().PackConstructor("Test", "TST"))
	if err != nil {
		t.Fatal(err)
	}

	sys := actors.NewSystem(quiet)
	r, addr, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", Port: 0, Logger: quiet, InsecurePlaintext: true, Accept: actors.TerminalAccepts})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Shutdown(false); sys.Shutdown() }()
	if _, err := sys.Root.SpawnNamed(actors.NewStatus(actors.StatusConfig{Role: roleTerminal, Chains: []chain.Chain{chains[0]}}), actorStatus); err != nil {
		t.Fatal(err)
	}
	cp := common.HexToAddress("0x0000000000000000000000000000000000000b0b")
	e18 := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	fake := &fakeTerminal{list: &messages.ChannelList{Channels: []*messages.ChannelInfo{{ChainId: chainID, ChannelId: common.HexToHash("0xc1").Bytes(),
		PartyA: deployer.Address().Bytes(), PartyB: cp.Bytes(), Asset: token.Bytes(),
		BalanceA: new(big.Int).Mul(big.NewInt(125), new(big.Int).Div(e18, big.NewInt(10))).Bytes(), BalanceB: big.NewInt(5).Bytes()}}}}
	if _, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return fake }), actorTerminal); err != nil {
		t.Fatal(err)
	}
	open := func(amount string, extra ...string) (int, string) {
		t.Helper()
		args := append([]string{"channel", "open", "--terminal", addr, "--insecure-plaintext-loopback", "--wait", "20s", "--wait-tracked=false",
			"--chain", "4545", "--counterparty", cp.Hex(), "--token", token.Hex(), "--amount", amount}, extra...)
		return run(t, args...)
	}
	lastAmount := func() *big.Int {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return new(big.Int).SetBytes(fake.opened[len(fake.opened)-1].Amount)
	}
	want := new(big.Int).Div(new(big.Int).Mul(big.NewInt(125), e18), big.NewInt(10))
	for _, amount := range []string{"12.5TST", "12.5tst", "12.5tok"} {
		code, out := open(amount)
		if code != 0 || lastAmount().Cmp(want) != 0 {
			t.Fatalf("open %s: exit %d, sent %v: %s", amount, code, lastAmount(), out)
		}
		if !strings.Contains(out, "deposit 12.5TST") || !strings.Contains(out, "approve tx "+common.HexToHash("0xa1").Hex()+" in block 7, gas used 46000") ||
			!strings.Contains(out, "open tx "+common.HexToHash("0xa2").Hex()+" in block 8, gas used 188000") {
			t.Fatalf("open %s printed: %s", amount, out)
		}
	}
	// --decimals overrides what the chain says.
	if code, out := open("12.5tok", "--decimals", "6"); code != 0 || lastAmount().Int64() != 12_500_000 {
		t.Fatalf("open with --decimals 6: exit %d, sent %v: %s", code, lastAmount(), out)
	}
	// The native coin's units stay refused for a token.
	if code, out := open("12.5eth"); code != 2 || !strings.Contains(out, "native coin's unit") {
		t.Fatalf("open 12.5eth of a token: exit %d: %s", code, out)
	}

	code, out := run(t, "channel", "list", "--terminal", addr, "--insecure-plaintext-loopback", "--wait", "20s")
	if code != 0 || !strings.Contains(out, "12.5TST") || !strings.Contains(out, "0.000000000000000005TST") {
		t.Fatalf("channel list: exit %d: %s", code, out)
	}
	code, out = run(t, "--json", "channel", "list", "--terminal", addr, "--insecure-plaintext-loopback", "--wait", "20s")
	if code != 0 || !strings.Contains(out, `"balance_a":"`+want.String()+`"`) || !strings.Contains(out, `"balance_b":"5"`) {
		t.Fatalf("channel list --json: exit %d: %s", code, out)
	}

	// A "token" without decimals() (an account without code): whole
	// tokens cannot be told, base units still can.
	noToken := common.HexToAddress("0x00000000000000000000000000000000000000aa")
	code, out = run(t, "channel", "open", "--terminal", addr, "--insecure-plaintext-loopback", "--wait", "20s", "--wait-tracked=false",
		"--chain", "4545", "--counterparty", cp.Hex(), "--token", noToken.Hex(), "--amount", "1tok")
	if code != 2 || !strings.Contains(out, "decimals are not known") || !strings.Contains(out, "could not read token") {
		t.Fatalf("open 1tok of a non-token: exit %d: %s", code, out)
	}
	code, out = run(t, "channel", "open", "--terminal", addr, "--insecure-plaintext-loopback", "--wait", "20s", "--wait-tracked=false",
		"--chain", "4545", "--counterparty", cp.Hex(), "--token", noToken.Hex(), "--amount", "1000")
	if code != 0 || lastAmount().Int64() != 1000 || !strings.Contains(out, "deposit 1000 ") {
		t.Fatalf("open 1000 base units of a non-token: exit %d, sent %v: %s", code, lastAmount(), out)
	}
}
