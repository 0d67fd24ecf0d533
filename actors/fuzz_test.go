package actors_test

// Fuzz targets for the actors' entry points (issue 11.5), not only the
// pure machines: every message a stranger can send to the coordinator or
// a terminal actor, as protobuf bytes. Properties: the actor never panics
// (a recovering middleware records any), and it keeps answering. Run one
// with
//
//	go test ./actors/ -run '^$' -fuzz '^FuzzCoordinatorActor$' -fuzztime 20s

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

type fuzzDeployment struct {
	local    *actors.Local
	terminal *actor.PID
	panics   atomic.Int64
	last     atomic.Value
}

var (
	fuzzOnce sync.Once
	fuzzDep  *fuzzDeployment
)

// fuzzWorld is one coordinator and one terminal per fuzz process.
func fuzzWorld(tb testing.TB) *fuzzDeployment {
	fuzzOnce.Do(func() {
		d := &fuzzDeployment{}
		recoverer := func(next actor.ReceiverFunc) actor.ReceiverFunc {
			return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
				defer func() {
					if r := recover(); r != nil {
						d.panics.Add(1)
						d.last.Store(fmt.Sprint(r))
					}
				}()
				next(c, env)
			}
		}
		backend, err := sim.New(sim.Options{})
		if err != nil {
			panic(err)
		}
		router, err := directory.NewRouter(directory.NewMemStore())
		if err != nil {
			panic(err)
		}
		local, err := actors.NewLocal(actors.LocalConfig{
			Backend: backend, Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: true}),
			Routes: actors.DirectoryRoutes{Router: router}, RetryInterval: 50 * time.Millisecond, Linger: time.Second,
			Middleware: []actor.ReceiverMiddleware{recoverer},
		})
		if err != nil {
			panic(err)
		}
		key, err := local.NewKey()
		if err != nil {
			panic(err)
		}
		if d.terminal, err = local.AddTerminal("fuzz", key); err != nil {
			panic(err)
		}
		if err := local.WaitRegistered(10 * time.Second); err != nil {
			panic(err)
		}
		d.local = local
		fuzzDep = d
	})
	return fuzzDep
}

// entry decodes one fuzzed message for an actor; nil when the bytes do
// not decode.
func entry(sel uint8, data []byte, kinds []func() proto.Message) proto.Message {
	m := kinds[int(sel)%len(kinds)]()
	if proto.Unmarshal(data, m) != nil {
		return nil
	}
	return m
}

// deliver sends m to pid, then waits for an answer to a request behind
// it (the mailbox is FIFO), and fails on a panic.
func (d *fuzzDeployment) deliver(t *testing.T, pid *actor.PID, m proto.Message, barrier proto.Message) {
	before := d.panics.Load()
	d.local.System.Root.Send(pid, m)
	if _, err := d.local.System.Root.RequestFuture(pid, barrier, 10*time.Second).Result(); err != nil {
		t.Fatalf("actor stopped answering after %T: %v", m, err)
	}
	if d.panics.Load() != before {
		t.Fatalf("actor panicked on %T %v: %v", m, m, d.last.Load())
	}
}

func seedEnvelopes(f *testing.F, sels ...uint8) {
	for i, m := range protocoltest.SharedFuzzSwap().Sent {
		if i%3 != 0 {
			continue
		}
		b, err := proto.Marshal(m.Env)
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range sels {
			f.Add(s, b)
		}
	}
}

func FuzzCoordinatorActor(f *testing.F) {
	kinds := []func() proto.Message{
		func() proto.Message { return &messages.Envelope{} },
		func() proto.Message { return &messages.SubmitSwap{} },
		func() proto.Message { return &messages.RegisterTerminal{} },
		func() proto.Message { return &messages.AttestationRequest{} },
	}
	seedEnvelopes(f, 0)
	sub, _ := proto.Marshal(&messages.SubmitSwap{Request: &messages.SwapRequest{RequestId: "x", Legs: []*messages.Leg{{ChainId: 1, Amount: []byte{1}}}}})
	f.Add(uint8(1), sub)
	reg, _ := proto.Marshal(&messages.RegisterTerminal{Address: make([]byte, 20), Applied: []*messages.AppliedOutcome{{InstanceId: make([]byte, 32)}}})
	f.Add(uint8(2), reg)
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		d := fuzzWorld(t)
		m := entry(sel, data, kinds)
		if m == nil {
			return
		}
		if r, ok := m.(*messages.RegisterTerminal); ok {
			r.Peer = nil // a stranger cannot move the fuzz terminal's registration elsewhere
		}
		d.deliver(t, d.local.Coordinator, m, &messages.AttestationRequest{})
	})
}

func FuzzTerminalActor(f *testing.F) {
	kinds := []func() proto.Message{
		func() proto.Message { return &messages.Envelope{} },
		func() proto.Message { return &messages.Registered{} },
		func() proto.Message { return &messages.ChainEvent{} },
		func() proto.Message { return &messages.RegistrationRequest{} },
		func() proto.Message { return &messages.CloseSignature{} },
		func() proto.Message { return &messages.ChannelClose{} },
	}
	seedEnvelopes(f, 0)
	rr, _ := proto.Marshal(&messages.RegistrationRequest{InstanceIds: [][]byte{make([]byte, 32), {1}}})
	f.Add(uint8(3), rr)
	ev, _ := proto.Marshal(&messages.ChainEvent{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED, ChannelId: make([]byte, 32)})
	f.Add(uint8(2), ev)
	f.Fuzz(func(t *testing.T, sel uint8, data []byte) {
		d := fuzzWorld(t)
		m := entry(sel, data, kinds)
		if m == nil {
			return
		}
		d.deliver(t, d.terminal, m, &messages.ChannelListRequest{})
	})
}
