package actors_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// fakeCoordinator answers every registration with a valid simulation
// coordinator's Registered.
type fakeCoordinator struct {
	reply    *messages.Registered
	answered *atomic.Int64
}

func (f *fakeCoordinator) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*messages.RegisterTerminal); ok {
		ctx.Respond(f.reply) // in process: in the terminal's mailbox before the count moves
		f.answered.Add(1)
	}
}

// TestTerminalAdmitsOnlyThePinnedCoordinator: with simulation enclaves
// any report verifies, so a terminal pinned to a coordinator address
// admits that coordinator and no other, even one with a valid report.
func TestTerminalAdmitsOnlyThePinnedCoordinator(t *testing.T) {
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	coordKey, _ := backend.NewKey()
	report, _ := enclave.ReportFor(backend, coordKey)
	reply := &messages.Registered{Coordinator: coordKey.Address().Bytes(), ReportKind: "simulation", Report: actors.FrameReport(report)}
	verify := actors.ReportVerifier(enclave.NewVerifier(enclave.Policy{AllowSimulation: true}))
	for _, tc := range []struct {
		name  string
		pin   common.Address
		admit bool
	}{
		{"pinned to it", coordKey.Address(), true},
		{"pinned to another", common.HexToAddress("0x00000000000000000000000000000000000000c0"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sys := actors.NewSystem(nil)
			defer sys.Shutdown()
			var answered atomic.Int64
			coord, err := sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &fakeCoordinator{reply: reply, answered: &answered} }), "coordinator")
			if err != nil {
				t.Fatal(err)
			}
			key, _ := backend.NewKey()
			props, err := actors.NewTerminal(actors.TerminalConfig{Signer: key, Store: actors.NewMemStore(), VerifyReport: verify,
				Coordinator: coord, TrustedCoordinator: tc.pin, RetryInterval: 10 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			term, err := sys.Root.SpawnNamed(props, "terminal")
			if err != nil {
				t.Fatal(err)
			}
			trusted := func() int {
				res, err := sys.Root.RequestFuture(term, &messages.ChannelListRequest{}, time.Second).Result()
				if err != nil {
					t.Fatal(err)
				}
				return len(res.(*messages.ChannelList).Coordinators)
			}
			if tc.admit {
				waitFor(t, func() bool { return trusted() == 1 })
				return
			}
			// Three registrations answered, none admitted.
			waitFor(t, func() bool { return answered.Load() >= 3 })
			if trusted() != 0 {
				t.Fatal("a coordinator other than the pinned one was admitted")
			}
		})
	}
}
