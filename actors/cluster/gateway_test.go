//go:build !race

package cluster

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// resultActor hands a client's SwapResults to the test.
type resultActor struct{ out chan *messages.SwapResult }

func (r *resultActor) Receive(ctx actor.Context) {
	if m, ok := ctx.Message().(*messages.SwapResult); ok {
		r.out <- m
	}
}

// Roles: real terminal actors and a client, using two members' gateways as
// their coordinator (unchanged protocol): the payer and the receiver
// registered with one gateway, the intermediary with the other, so every
// instance's envelopes are relayed between members. Requests go through
// the coordinator actor's checks: a wrong credential and a request
// without its payer's order are refused, and a good one confirms, with
// value moved on both channels as both parties see them (once: a repeat
// through the other gateway gets the same instance's outcome).
func TestGatewayServesRealTerminals(t *testing.T) {
	backend, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	coordKey, err := backend.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	verifier := enclave.NewVerifier(enclave.Policy{AllowSimulation: true})
	report, err := enclave.ReportFor(backend, coordKey)
	if err != nil {
		t.Fatal(err)
	}
	const credential = "client-secret"
	prefix := fmt.Sprintf("/t/gateway-%d/", time.Now().UnixNano())
	agent := test.NewInMemAgent()

	// Three terminals on one chain, s - i - r, and the two channels.
	tsys := actors.NewSystem(nil)
	if _, _, err := actors.StartRemote(tsys, actors.RemoteConfig{InsecurePlaintext: true}); err != nil {
		t.Fatal(err)
	}
	defer tsys.Shutdown()
	var (
		addrs []common.Address
		pids  = map[common.Address]*actor.PID{}
		gws   []*Gateway
	)
	gwAddrs := make([]string, 2)
	gwSystems := make([]*actor.ActorSystem, 2)
	for i := range 2 {
		gwSystems[i] = actors.NewSystem(nil)
		_, addr, err := actors.StartRemote(gwSystems[i], actors.RemoteConfig{InsecurePlaintext: true, Accept: actors.CoordinatorAccepts})
		if err != nil {
			t.Fatal(err)
		}
		gwAddrs[i] = addr
		defer gwSystems[i].Shutdown()
	}
	for i, gw := range []int{0, 1, 0} {
		key, err := backend.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := enclave.ReportFor(backend, key)
		if err != nil {
			t.Fatal(err)
		}
		props, err := actors.NewTerminal(actors.TerminalConfig{Signer: key, Store: actors.NewMemStore(), VerifyReport: actors.ReportVerifier(verifier),
			Coordinator: actor.NewPID(gwAddrs[gw], "coordinator"), TrustedCoordinator: coordKey.Address(), Report: actors.FrameReport(rep),
			RetryInterval: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		pid, err := tsys.Root.SpawnNamed(props, fmt.Sprint("t", i))
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, key.Address())
		pids[key.Address()] = pid
	}
	const chainID, deposit = 1337, 1000
	contract := common.BytesToAddress(crypto.Keccak256([]byte("gateway-test/contract")))
	var channels []directory.Channel
	for k := range 2 {
		a, b := addrs[k], addrs[k+1]
		id := crypto.Keccak256Hash([]byte(fmt.Sprint("gateway-test/channel/", k)))
		channels = append(channels, directory.Channel{ChainID: chainID, Contract: contract, ID: directory.ChannelID(id), A: a, B: b,
			BalanceA: big.NewInt(deposit), BalanceB: big.NewInt(deposit), Status: directory.StatusOpen, Coordinator: coordKey.Address()})
	}

	// Two members, each with its gateway.
	for i := range 2 {
		n, err := StartNode(NodeConfig{InsecurePlaintextLoopback: true, Member: join(t, prefix, fmt.Sprint("m", i), 2, true), Signer: coordKey,
			Provider: test.NewTestProvider(agent), Logger: discard(), CallTimeout: 3 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer n.Stop(true)
		router, err := directory.NewRouter(directory.NewMemStore())
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range channels {
			if err := router.Put(ch); err != nil {
				t.Fatal(err)
			}
		}
		gw, err := StartGateway(GatewayConfig{Node: n, System: gwSystems[i], Coordinator: actors.CoordinatorConfig{
			Signer: coordKey, Routes: actors.DirectoryRoutes{Router: router}, ReportKind: report.Kind.String(), Report: actors.FrameReport(report),
			VerifyReport: actors.ReportVerifier(verifier), ClientCredential: credential, RetryInterval: 200 * time.Millisecond}})
		if err != nil {
			t.Fatal(err)
		}
		defer gw.Stop()
		gws = append(gws, gw)
	}
	// Each terminal admits the coordinator through its own gateway.
	channelsOf := func(addr common.Address) *messages.ChannelList {
		res, err := tsys.Root.RequestFuture(pids[addr], &messages.ChannelListRequest{}, 5*time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		return res.(*messages.ChannelList)
	}
	waitFor(t, 30*time.Second, func() bool {
		for _, a := range addrs {
			if len(channelsOf(a).Coordinators) == 0 {
				return false
			}
		}
		return true
	})
	for _, ch := range channels {
		for _, ev := range []*messages.ChainEvent{
			{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED, ChainId: chainID, Contract: contract.Bytes(), ChannelId: ch.ID[:],
				PartyA: ch.A.Bytes(), PartyB: ch.B.Bytes(), Token: make([]byte, 20), Coordinator: coordKey.Address().Bytes(), DepositA: big.NewInt(deposit).Bytes()},
			{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP, ChainId: chainID, ChannelId: ch.ID[:], DepositA: big.NewInt(deposit).Bytes(), DepositB: big.NewInt(deposit).Bytes()},
		} {
			tsys.Root.Send(pids[ch.A], ev)
			tsys.Root.Send(pids[ch.B], ev)
		}
	}

	results := make(chan *messages.SwapResult, 8)
	client := tsys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &resultActor{out: results} }))
	submitTo := func(gw int, req *messages.SwapRequest, cred string) *messages.SwapResult {
		t.Helper()
		tsys.Root.RequestWithCustomSender(gws[gw].PID(), &messages.SubmitSwap{Request: req, Credential: cred}, client)
		select {
		case r := <-results:
			return r
		case <-time.After(30 * time.Second):
			t.Fatalf("no answer to %s", req.RequestId)
			return nil
		}
	}
	submit := func(req *messages.SwapRequest, cred string) *messages.SwapResult { return submitTo(0, req, cred) }
	request := func(id string, amount int64) *messages.SwapRequest {
		return &messages.SwapRequest{RequestId: id, Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT, TimeoutMs: 10_000,
			Legs: []*messages.Leg{{ChainId: chainID, Sender: addrs[0].Bytes(), Receiver: addrs[2].Bytes(), Asset: make([]byte, 20), Amount: big.NewInt(amount).Bytes()}}}
	}
	peer := func(a common.Address) *actor.PID { return pids[a] }

	bad := request("wrong-credential", 10)
	if err := actors.RequestOrders(tsys.Root, peer, bad, time.Now().Add(time.Minute).UnixMilli(), "", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := submit(bad, "guess"); r.Error == "" {
		t.Fatalf("a wrong credential was taken: %v", r)
	}
	if r := submit(request("no-order", 10), credential); r.Error == "" || len(r.InstanceId) != 0 {
		t.Fatalf("a request without its payer's order ran: %v", r)
	}
	good := request("pay", 25)
	if err := actors.RequestOrders(tsys.Root, peer, good, time.Now().Add(time.Minute).UnixMilli(), "", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	first := submit(good, credential)
	if first.Error != "" || first.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v", first)
	}
	// The same request again through the other gateway (its client's
	// gateway died, say): the first outcome, never a second instance. A
	// different request under the same id is refused.
	if r := submitTo(1, good, credential); r.Error != "" || string(r.InstanceId) != string(first.InstanceId) || r.Outcome != first.Outcome {
		t.Fatalf("repeat through another gateway: %v, want instance %x committed", r, first.InstanceId[:6])
	}
	other := request("pay", 26)
	if err := actors.RequestOrders(tsys.Root, peer, other, time.Now().Add(time.Minute).UnixMilli(), "", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if r := submitTo(1, other, credential); !errors.Is(actors.SwapError(r), actors.ErrDuplicateRequest) {
		t.Fatalf("another request reusing the id: %v, want ErrDuplicateRequest", r)
	}
	// Both parties of both channels hold the transfer.
	waitFor(t, 30*time.Second, func() bool {
		for _, ch := range channels {
			for _, a := range []common.Address{ch.A, ch.B} {
				for _, ci := range channelsOf(a).Channels {
					if [32]byte(ci.ChannelId) != [32]byte(ch.ID) {
						continue
					}
					if new(big.Int).SetBytes(ci.BalanceA).Int64() != deposit-25 || new(big.Int).SetBytes(ci.BalanceB).Int64() != deposit+25 ||
						ci.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
						return false
					}
				}
			}
		}
		return true
	})
}
