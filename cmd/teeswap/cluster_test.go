package main

import (
	"context"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/actors/cluster"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// A member's gateway routes over the channels its chain watchers see (a
// ChannelOpened on a simulated chain) and over those published in etcd.
func TestMemberGatewayFollowsChainsAndEtcdDirectory(t *testing.T) {
	etcd, err := cluster.StartEmbedded(t.TempDir(), true)
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{etcd.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()

	backend, err := sim.New(sim.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ka, _ := backend.NewKey()
	kb, _ := backend.NewKey()
	wei := new(big.Int).Mul(big.NewInt(100), big.NewInt(1e18))
	chains, err := evm.NewSimulated(1, evm.SimConfig{Alloc: types.GenesisAlloc{ka.Address(): {Balance: wei}, kb.Address(): {Balance: wei}},
		Mining: evm.MineOnSend})
	if err != nil {
		t.Fatal(err)
	}
	c := chains[0]
	defer c.Close()
	ctx := context.Background()
	contract, receipt, err := actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(ka), 60)
	if err != nil {
		t.Fatal(err)
	}
	deps := []actors.Deployment{{Chain: c, Contract: contract}}

	sys := actors.NewSystem(quiet)
	defer sys.Shutdown()
	const prefix = "/test/"
	router, err := followChannels(memberGateway{cli: cli, prefix: prefix, log: quiet, chains: deps,
		chainConfigs: []chainConfig{{StartBlock: receipt.BlockNumber.Uint64()}}, poll: 20 * time.Millisecond}, sys)
	if err != nil {
		t.Fatal(err)
	}

	// A channel opened on chain reaches the router through the watcher.
	coord := common.HexToAddress("0xc0")
	m := terminal.New(terminal.Config{Signer: ka, Contracts: map[uint64]common.Address{c.ChainID(): contract},
		VerifyReport: func([]byte, common.Address) error { return nil }})
	if err := m.AdmitCoordinator(coord, nil); err != nil {
		t.Fatal(err)
	}
	ops, err := actors.NewContractOps(actors.ContractOpsConfig{Chains: deps})
	if err != nil {
		t.Fatal(err)
	}
	opened, err := ops.Open(ctx, actors.MachineTx{M: m}, &messages.ChannelOpen{ChainId: c.ChainID(), Counterparty: kb.Address().Bytes(),
		Amount: big.NewInt(70).Bytes()}, coord)
	if err != nil {
		t.Fatal(err)
	}
	waitChannel(t, router, c.ChainID(), directory.ChannelID(opened), func(ch directory.Channel) bool {
		return ch.A == ka.Address() && ch.B == kb.Address() && ch.BalanceA.Int64() == 70
	})

	// A channel published in etcd still reaches it too.
	published := directory.Channel{ChainID: c.ChainID(), ID: directory.ChannelID{1}, A: kb.Address(), B: ka.Address(),
		BalanceA: big.NewInt(5), BalanceB: big.NewInt(0), Status: directory.StatusOpen, Coordinator: coord}
	if err := cluster.PutChannel(ctx, cli, prefix, published); err != nil {
		t.Fatal(err)
	}
	waitChannel(t, router, c.ChainID(), published.ID, func(ch directory.Channel) bool { return ch.BalanceA.Int64() == 5 })
}

// waitChannel waits until the router holds the channel and ok accepts it.
func waitChannel(t *testing.T, r *directory.Router, chainID uint64, id directory.ChannelID, ok func(directory.Channel) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ch, err := r.Get(chainID, id)
		if err == nil && ok(ch) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("router: channel %x on chain %d: %+v (%v)", id, chainID, ch, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
