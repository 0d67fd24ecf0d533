package sim_test

import (
	"context"
	"log/slog"
	"math/big"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	simenclave "github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
	"github.com/teeswap/teeswap/sim"
)

// prepared is a PREPARED ack as a terminal sends it in a 2-hop network:
// two signed channel states inside a signed envelope.
func prepared(b *testing.B, k *protocoltest.Key) *messages.Prepared {
	b.Helper()
	id := crypto.Keccak256([]byte("instance"))
	ack := &messages.Prepared{InstanceId: id, NetworkIndex: 1, Terminal: k.Address().Bytes(), PrepareDigest: crypto.Keccak256([]byte("prepare"))}
	for i := range 2 {
		st := &messages.ChannelState{ChainId: 1337, Contract: make([]byte, 20), ChannelId: crypto.Keccak256([]byte{byte(i)}),
			Version: 7, BalanceA: []byte{1, 0, 0}, BalanceB: []byte{2, 0, 0},
			Lock: &messages.Lock{LockId: id, Amount: []byte{100}, AToB: true, Stage: messages.LockStage_LOCK_STAGE_PREPARED, CrossChain: true}}
		signed, err := messages.SignChannelState(k, st)
		if err != nil {
			b.Fatal(err)
		}
		ack.ChannelStates = append(ack.ChannelStates, signed)
	}
	return ack
}

// BenchmarkSealEnvelope: marshal a PREPARED ack and sign its envelope.
func BenchmarkSealEnvelope(b *testing.B) {
	k := protocoltest.NewKey(1, "bench")
	ack := prepared(b, k)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := messages.Seal(k, messages.Kind_KIND_PREPARED, ack); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenEnvelope: verify a PREPARED ack's envelope and decode it.
func BenchmarkOpenEnvelope(b *testing.B) {
	k := protocoltest.NewKey(1, "bench")
	env, err := messages.Seal(k, messages.Kind_KIND_PREPARED, prepared(b, k))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var a messages.Prepared
		if _, err := env.Open(messages.Kind_KIND_PREPARED, &a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeOnly: the same ack's protobuf round trip without
// signatures, to set the signature cost apart.
func BenchmarkEncodeOnly(b *testing.B) {
	k := protocoltest.NewKey(1, "bench")
	env, err := messages.Seal(k, messages.Kind_KIND_PREPARED, prepared(b, k))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		raw, err := proto.Marshal(env)
		if err != nil {
			b.Fatal(err)
		}
		var back messages.Envelope
		if err := proto.Unmarshal(raw, &back); err != nil {
			b.Fatal(err)
		}
		var a messages.Prepared
		if err := proto.Unmarshal(back.Payload, &a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSign and BenchmarkVerify: one secp256k1 signature and one
// recovery with address check, as the sim measures them for its bound.
func BenchmarkSign(b *testing.B) {
	k := protocoltest.NewKey(1, "bench")
	var d [32]byte
	for b.Loop() {
		d[0]++
		if _, err := k.Sign(d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := protocoltest.NewKey(1, "bench")
	d := [32]byte{1}
	sig, _ := k.Sign(d)
	for b.Loop() {
		if a, err := messages.RecoverAddress(d, sig); err != nil || a != k.Address() {
			b.Fatal(err)
		}
	}
}

// BenchmarkActorRoundTrip: one request and its reply between the caller
// and a terminal actor in process (ChannelListRequest / ChannelList).
func BenchmarkActorRoundTrip(b *testing.B) {
	backend, err := simenclave.New(simenclave.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	local, err := actors.NewLocal(actors.LocalConfig{Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
		Routes: noRoutes{}})
	if err != nil {
		b.Fatal(err)
	}
	defer local.Shutdown()
	key, _ := local.NewKey()
	pid, err := local.AddTerminal("t", key)
	if err != nil {
		b.Fatal(err)
	}
	if err := local.WaitRegistered(5 * time.Second); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := local.System.Root.RequestFuture(pid, &messages.ChannelListRequest{}, time.Second).Result(); err != nil {
			b.Fatal(err)
		}
	}
}

type noRoutes struct{}

func (noRoutes) Route(uint64, common.Address, common.Address, common.Address, *big.Int, map[[32]byte]bool) (*messages.Network, error) {
	return nil, actors.ErrNoRoute
}

// BenchmarkSwapSequential: one 6-party 2-chain swap at a time through the
// actors; ns/op is the unloaded end-to-end latency.
func BenchmarkSwapSequential(b *testing.B) {
	benchSim(b, 1)
}

// BenchmarkSim: the sim at 64 swaps in flight on channels of their own;
// ns/op is the inverse throughput.
func BenchmarkSim(b *testing.B) {
	benchSim(b, 64)
}

func benchSim(b *testing.B, concurrency int) {
	cfg := sim.Defaults()
	cfg.Graph, cfg.Terminals, cfg.SwapFraction, cfg.RefundFraction = sim.GraphDisjoint, 0, 1, 0
	cfg.Concurrency, cfg.Instances = concurrency, max(b.N, 1)
	res, err := sim.Run(context.Background(), cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	s := res.Summary
	if s.Lost != 0 || s.Confirmed != s.Instances {
		b.Fatalf("confirmed %d of %d, lost %d", s.Confirmed, s.Instances, s.Lost)
	}
	b.ReportMetric(0, "ns/op")
	b.ReportMetric(s.ThroughputPerS, "instances/s")
	b.ReportMetric(s.LatencyMs.EndToEnd.P50, "p50-ms")
	b.ReportMetric(s.BoundRatio, "bound-ratio")
}
