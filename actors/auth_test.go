//go:build !race

package actors_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// strangerNode is another process on the network with the stock client
// code and no credential.
func strangerNode(t *testing.T) *actor.ActorSystem {
	t.Helper()
	sys := actors.NewSystem(nil)
	r, _, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false); sys.Shutdown() })
	return sys
}

// fresh copies a PID: a PID caches the process it last resolved to, and
// one from the world's side would reach its actor in memory, around
// remoting, in a test that runs both sides in one process.
func fresh(pid *actor.PID) *actor.PID { return actor.NewPID(pid.Address, pid.Id) }

func askRemote[T any](t *testing.T, sys *actor.ActorSystem, pid *actor.PID, msg any) T {
	t.Helper()
	res, err := sys.Root.RequestFuture(pid, msg, 5*time.Second).Result()
	if err != nil {
		t.Fatalf("%T: %v", msg, err)
	}
	v, ok := res.(T)
	if !ok {
		t.Fatalf("%T answered %T", msg, res)
	}
	return v
}

// TestRoleStrangerCannotRegisterAVictimsAddress: a stranger registers a
// victim terminal's address with his own PID, unsigned and then signed
// with his own key; both are refused, and the victim still receives its
// PREPAREs (a payment to it confirms).
func TestRoleStrangerCannotRegisterAVictimsAddress(t *testing.T) {
	w, _ := remoteWorld(t, actors.RemoteConfig{})
	st := strangerNode(t)
	coord := fresh(w.local.Coordinator)
	victim := w.names["r1"]
	mine := &messages.Peer{Address: st.Address(), Id: "mallory"}

	reg := askRemote[*messages.Registered](t, st, coord, &messages.RegisterTerminal{Address: victim.Bytes(), Peer: mine, TimestampMs: time.Now().UnixMilli()})
	if !strings.Contains(reg.Error, actors.ErrRegistrationRefused.Error()) {
		t.Fatalf("unsigned registration of a victim: %q", reg.Error)
	}
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The stranger's own key, in the clear: he signs what he likes with it.
	key := protocoltest.NewKey(7, "mallory")
	now := time.Now().UnixMilli()
	sig, err := key.Sign(hostapi.RegistrationDigest(victim, mine, now))
	if err != nil {
		t.Fatal(err)
	}
	report, _ := enclave.ReportFor(backend, key)
	reg = askRemote[*messages.Registered](t, st, coord, &messages.RegisterTerminal{Address: victim.Bytes(), Peer: mine, TimestampMs: now,
		Signature: sig, Report: actors.FrameReport(report)})
	if !strings.Contains(reg.Error, actors.ErrRegistrationRefused.Error()) {
		t.Fatalf("registration of a victim signed by another key: %q", reg.Error)
	}
	// His own, valid registration for another node's actor is refused too.
	victimPeer := &messages.Peer{Address: w.local.System.Address(), Id: "terminal-r1"}
	sig, _ = hostapi.SignRegistration(key, victimPeer, now)
	reg = askRemote[*messages.Registered](t, st, coord, &messages.RegisterTerminal{Address: key.Address().Bytes(), Peer: victimPeer,
		TimestampMs: now, Signature: sig, Report: actors.FrameReport(report)})
	if !strings.Contains(reg.Error, actors.ErrRegistrationRefused.Error()) {
		t.Fatalf("registration of another node's actor: %q", reg.Error)
	}

	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "pay-victim", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg(1, 50)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment to the victim: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1050 })
}

// TestRoleStrangerCannotPoseAsCoordinatorWatcherOrCounterparty: an
// unsolicited Registered, forged chain events and a close co-signature
// request from a stranger change nothing.
func TestRoleStrangerCannotPoseAsCoordinatorWatcherOrCounterparty(t *testing.T) {
	w, _ := remoteWorld(t, actors.RemoteConfig{})
	st := strangerNode(t)
	target := fresh(w.local.Peer(w.names["s1"]))
	before, err := w.local.Channels(w.names["s1"], time.Second)
	if err != nil {
		t.Fatal(err)
	}

	// A stranger's own, valid simulation coordinator.
	backend, err := sim.New(sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	key, _ := backend.NewKey()
	report, _ := enclave.ReportFor(backend, key)
	st.Root.Send(target, &messages.Registered{Coordinator: key.Address().Bytes(), ReportKind: "simulation", Report: actors.FrameReport(report)})

	// Forged chain events: a channel opened with a deposit that never
	// happened, and s1's real channel closed.
	ch := before.Channels[0]
	st.Root.Send(target, &messages.ChainEvent{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED, ChainId: 1, Contract: make([]byte, 20),
		ChannelId: make([]byte, 32), PartyA: w.names["s1"].Bytes(), PartyB: key.Address().Bytes(), Token: make([]byte, 20),
		Coordinator: w.local.CoordKey.Address().Bytes(), DepositA: []byte{100}})
	st.Root.Send(target, &messages.ChainEvent{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED, ChainId: 1, ChannelId: ch.ChannelId})

	// A close co-signature for s1's channel with i1.
	signed := askRemote[*messages.CloseSigned](t, st, target, &messages.CloseSignature{ChainId: 1, ChannelId: ch.ChannelId, Version: ch.Version,
		BalanceA: ch.BalanceA, BalanceB: ch.BalanceB})
	if len(signed.Signature) != 0 || !strings.Contains(signed.Error, actors.ErrSenderNotAllowed.Error()) {
		t.Fatalf("a stranger's close co-signature request: %x %q", signed.Signature, signed.Error)
	}

	// The terminal took none of it: the same coordinator, the same one
	// channel, open. (A payment through it orders the check after the
	// stranger's messages, which were sent earlier on one connection.)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "after-forgeries", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg(1, 5)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment after the forgeries: %v %v", res.GetOutcome(), err)
	}
	after, err := w.local.Channels(w.names["s1"], time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Coordinators) != 1 || string(after.Coordinators[0]) != string(w.local.CoordKey.Address().Bytes()) {
		t.Fatalf("trusted coordinators %x", after.Coordinators)
	}
	if len(after.Channels) != 1 || after.Channels[0].Closed {
		t.Fatalf("channels after forged events: %+v", after.Channels)
	}
}

// TestRoleStrangerWithoutCredentialCannotUseTheControlAPI: without the
// control credential a stranger can neither open, close, list nor submit;
// with it the same requests are served.
func TestRoleStrangerWithoutCredentialCannotUseTheControlAPI(t *testing.T) {
	const cred = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sys := actors.NewSystem(testLogger())
	r, _, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false) })
	w := newOffChainWorld(t, 1000, func(c *actors.LocalConfig) { c.System, c.Credential = sys, cred })
	st := strangerNode(t)
	s1 := fresh(w.local.Peer(w.names["s1"]))
	list, _ := w.local.Channels(w.names["s1"], time.Second)
	ch := list.Channels[0]
	unauth := actors.ErrUnauthenticated.Error()

	for _, wrong := range []string{"", "guess", cred[:63] + "0"} {
		if l := askRemote[*messages.ChannelList](t, st, s1, &messages.ChannelListRequest{Credential: wrong}); len(l.Channels) != 0 || !strings.Contains(l.Error, unauth) {
			t.Fatalf("list with %q: %d channels, %q", wrong, len(l.Channels), l.Error)
		}
		if o := askRemote[*messages.ChannelOpened](t, st, s1, &messages.ChannelOpen{ChainId: 1, Counterparty: make([]byte, 20), Amount: []byte{1}, Credential: wrong}); !strings.Contains(o.Error, unauth) {
			t.Fatalf("open with %q: %q", wrong, o.Error)
		}
		if c := askRemote[*messages.ChannelClosed](t, st, s1, &messages.ChannelClose{ChannelId: ch.ChannelId, Credential: wrong}); !strings.Contains(c.Error, unauth) {
			t.Fatalf("close with %q: %q", wrong, c.Error)
		}
		if o := askRemote[*messages.OrderSigned](t, st, s1, &messages.SignOrder{Credential: wrong, RequestId: "theft",
			Legs: []*messages.Leg{w.leg(1, 500)}, ExpiresMs: time.Now().Add(time.Minute).UnixMilli()}); o.Order != nil || !strings.Contains(o.Error, unauth) {
			t.Fatalf("sign order with %q: %+v", wrong, o)
		}
		req := &messages.SwapRequest{RequestId: "stranger-" + wrong, Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT, Legs: []*messages.Leg{w.leg(1, 500)}}
		if res := askRemote[*messages.SwapResult](t, st, fresh(w.local.Coordinator), &messages.SubmitSwap{Request: req, Credential: wrong}); !strings.Contains(res.Error, unauth) {
			t.Fatalf("submit with %q: %+v", wrong, res)
		}
	}
	if got := w.own(t, "s1", "i1"); got != 1000 {
		t.Fatalf("s1 holds %d after the stranger's requests", got)
	}

	// The owner, with the credential, over the same network path.
	if l := askRemote[*messages.ChannelList](t, st, s1, &messages.ChannelListRequest{Credential: cred}); len(l.Channels) != 1 || l.Error != "" {
		t.Fatalf("owner's list: %+v", l)
	}
	if c := askRemote[*messages.ChannelClosed](t, st, s1, &messages.ChannelClose{ChannelId: ch.ChannelId, Credential: cred}); strings.Contains(c.Error, unauth) {
		t.Fatalf("owner's close was refused as unauthenticated: %q", c.Error)
	}
	req := &messages.SwapRequest{RequestId: "owner", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT, Legs: []*messages.Leg{w.leg(1, 500)}}
	o := askRemote[*messages.OrderSigned](t, st, s1, &messages.SignOrder{Credential: cred, RequestId: req.RequestId, Kind: req.Kind,
		Legs: req.Legs, ExpiresMs: time.Now().Add(time.Minute).UnixMilli()})
	if o.Order == nil || o.Error != "" {
		t.Fatalf("owner's order: %+v", o)
	}
	req.Orders = append(req.Orders, o.Order)
	if res := askRemote[*messages.SwapResult](t, st, fresh(w.local.Coordinator), &messages.SubmitSwap{Request: req, Credential: cred}); res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("owner's payment: %+v", res)
	}
}

// TestCredentialFileIsMadeOnceAndPrivate: the first start makes a random
// credential, mode 0600; later starts read the same; a file others can
// read is refused.
func TestCredentialFileIsMadeOnceAndPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "control.cookie")
	c1, created, err := actors.LoadOrCreateCredential(path)
	if err != nil || !created || len(c1) != 2*actors.CredentialBytes {
		t.Fatalf("first start: %q %v %v", c1, created, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", st.Mode().Perm())
	}
	c2, created, err := actors.LoadOrCreateCredential(path)
	if err != nil || created || c2 != c1 {
		t.Fatalf("second start: %q %v %v", c2, created, err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := actors.ReadCredential(path); err == nil {
		t.Fatal("a world-readable credential was accepted")
	}
	if err := actors.CheckCredential(c1, &messages.ChannelListRequest{Credential: c1}); err != nil {
		t.Fatal(err)
	}
	if err := actors.CheckCredential(c1, &messages.ChannelListRequest{}); err != actors.ErrUnauthenticated {
		t.Fatalf("no credential: %v", err)
	}
}

// TestRoleStrangerCannotRelayASettledState: a stranger's node replays a
// genuine settled-state offer of s1 (captured on its way to i1, and every
// offer of s1's own node to i1 is lost) to i1. It carries the
// counterparty's signatures, so only the sender binding stops it: i1 does
// not take it from the stranger's node, and takes the very same envelope
// when the harness hands it over in-process.
func TestRoleStrangerCannotRelayASettledState(t *testing.T) {
	var captured atomic.Pointer[messages.SettledState]
	sys := actors.NewSystem(testLogger())
	r, _, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false) })
	// tap loses at i1 every settled state s1's terminal (an actor of this
	// node) sends, keeping the first; others pass.
	var s1 atomic.Pointer[common.Address]
	tap := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if m, ok := env.Message.(*messages.SettledState); ok && c.Self().Id == "terminal-i1" &&
				s1.Load() != nil && common.BytesToAddress(m.GetState().GetSigner()) == *s1.Load() &&
				env.Sender != nil && env.Sender.Address == c.Self().Address {
				captured.CompareAndSwap(nil, m)
				return
			}
			next(c, env)
		}
	}
	w := newOffChainWorld(t, 1000, func(c *actors.LocalConfig) {
		c.System, c.Middleware = sys, append(c.Middleware, tap)
	})
	addr := w.names["s1"]
	s1.Store(&addr)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "relay", Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT,
		Legs: []*messages.Leg{w.leg(1, 50)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res.GetOutcome(), err)
	}
	waitFor(t, func() bool { return captured.Load() != nil })
	hasS1 := func() bool {
		c := w.persistedChannel(t, "i1", "s1")
		sig := c.SettledSigA
		if common.BytesToAddress(c.PartyB) == w.names["s1"] {
			sig = c.SettledSigB
		}
		return c.Settled != nil && len(sig) > 0
	}

	st := strangerNode(t)
	target := fresh(w.local.Peer(w.names["i1"]))
	st.Root.Send(target, captured.Load())
	// An answer on the same connection orders the check after the replay.
	askRemote[*messages.ChannelList](t, st, target, &messages.ChannelListRequest{})
	if hasS1() {
		t.Fatal("i1 took s1's settled state from a stranger's node")
	}
	w.local.Tell(w.names["i1"], captured.Load())
	waitFor(t, hasS1)
}
