package actors_test

import (
	"context"
	"errors"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Incidents of issue 11, each as the role that caused it.

func payment(w *offChainWorld, id string, amount int64, timeoutMs int64) *messages.SwapRequest {
	return &messages.SwapRequest{RequestId: id, Kind: messages.InstanceKind_INSTANCE_KIND_PAYMENT, TimeoutMs: timeoutMs,
		Legs: []*messages.Leg{w.leg(1, amount)}}
}

func channelPhase(t *testing.T, w *offChainWorld, name string) messages.ChannelPhase {
	list, err := w.local.Channels(w.names[name], time.Second)
	if err != nil || len(list.Channels) == 0 {
		return messages.ChannelPhase_CHANNEL_PHASE_IDLE
	}
	return list.Channels[0].Phase
}

// Honest client retrying: the same --id gave two instances and moved the
// amount twice. A repeat now gets the first outcome.
func TestRepeatedRequestIDPaysOnce(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	req := payment(w, "pay-once", 50, 0)
	first, err := signedSubmit(w.local, req, 10*time.Second)
	if err != nil || first.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("first: %v %v", first, err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1050 })
	again, err := signedSubmit(w.local, proto.Clone(req).(*messages.SwapRequest), 10*time.Second)
	if err != nil || string(again.InstanceId) != string(first.InstanceId) || again.Outcome != first.Outcome {
		t.Fatalf("repeat: %v %v, want instance %x again", again, err, first.InstanceId)
	}
	// Another request under the same id is refused, not run.
	other := payment(w, "pay-once", 60, 0)
	res, err := signedSubmit(w.local, other, 10*time.Second)
	if err == nil || !errors.Is(actors.SwapError(res), actors.ErrDuplicateRequest) {
		t.Fatalf("another request under a used id: %v %v", res, err)
	}
	if got := w.own(t, "r1", "i1"); got != 1050 {
		t.Fatalf("r1 holds %d, want 1050: paid more than once", got)
	}
}

// Malicious or careless client: two legs that need the same channels
// never ran and never failed; a sender with no channel must fail too.
func TestUnroutableRequestsRefusedAtOnce(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: "overlap", Legs: []*messages.Leg{w.leg(1, 10), w.leg(1, 20)}}, 5*time.Second)
	if res == nil || !errors.Is(actors.SwapError(res), actors.ErrUnroutable) {
		t.Fatalf("legs on the same channels: %v %v, want ErrUnroutable", res, err)
	}
	leg := w.leg(1, 10)
	leg.Sender = common.HexToAddress("0xdead").Bytes()
	// No terminal of 0xdead could sign: the request goes without orders,
	// and the route is refused before the orders are looked at.
	res, err = w.local.Submit(&messages.SwapRequest{RequestId: "nochannel", Legs: []*messages.Leg{leg}}, 5*time.Second)
	if res == nil || !errors.Is(actors.SwapError(res), actors.ErrUnroutable) {
		t.Fatalf("sender without a channel: %v %v, want ErrUnroutable", res, err)
	}
}

// A request behind a busy channel was answered "no answer" and ran 30 s
// later. Now it expires in the queue and its client is told it did not run.
func TestQueuedRequestExpiresAndDoesNotRun(t *testing.T) {
	w := newOffChainWorldWith(t, 1000, func(c *actors.LocalConfig) { c.QueueTTL = 300 * time.Millisecond })
	if err := w.local.StopTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	firstDone := make(chan *messages.SwapResult, 1)
	go func() {
		res, _ := signedSubmit(w.local, payment(w, "holds-channels", 10, 20_000), 30*time.Second)
		firstDone <- res
	}()
	waitFor(t, func() bool { return channelPhase(t, w, "s1") == messages.ChannelPhase_CHANNEL_PHASE_PREPARED })
	queued := payment(w, "queued", 5, 0)
	res, err := signedSubmit(w.local, queued, 5*time.Second)
	if res == nil || !errors.Is(actors.SwapError(res), actors.ErrQueueExpired) {
		t.Fatalf("queued request: %v %v, want ErrQueueExpired", res, err)
	}
	// A repeat (the same request, orders and all) is told the same.
	if again, _ := signedSubmit(w.local, proto.Clone(queued).(*messages.SwapRequest), 5*time.Second); !errors.Is(actors.SwapError(again), actors.ErrQueueExpired) {
		t.Fatalf("repeat of an expired request: %v", again)
	}
	if _, err := w.local.RestartTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	if r := <-firstDone; r.GetOutcome() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("first payment: %v", r)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1010 && w.own(t, "s1", "i1") == 990 })
}

// SIGKILL during a burst left queued requests unanswered: the queue was
// in memory. It is now persisted write-ahead and resumes after a restart.
func TestQueuedRequestSurvivesCoordinatorRestart(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	if err := w.local.StopTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = signedSubmit(w.local, payment(w, "holds-channels", 10, 20_000), 30*time.Second) }()
	waitFor(t, func() bool { return channelPhase(t, w, "s1") == messages.ChannelPhase_CHANNEL_PHASE_PREPARED })
	queued := make(chan *messages.SwapResult, 1)
	go func() {
		res, _ := signedSubmit(w.local, payment(w, "queued", 5, 0), 30*time.Second)
		queued <- res
	}()
	waitFor(t, func() bool {
		recs, err := w.local.CoordinatorStore().LoadRequests()
		for _, r := range recs {
			if r.RequestId == "queued" && r.Request != nil {
				return err == nil
			}
		}
		return false
	})
	if err := w.local.RestartCoordinator(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.local.RestartTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-queued:
		if res.GetOutcome() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			t.Fatalf("queued request after restart: %v", res)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("queued request never answered after a coordinator restart")
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1015 })
}

// Malicious host: the coordinator restarted on a copy of its store (and
// of its high-water mark) from before a decision. It must not sign the
// other outcome at the deadline: the terminals' reports hold its own
// CONFIRM signature, and it adopts that outcome.
func TestCoordinatorOnRolledBackStoreAdoptsTerminalsOutcome(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	if err := w.local.StopTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = signedSubmit(w.local, payment(w, "rolled-back", 10, 2_000), 30*time.Second) }()
	waitFor(t, func() bool { return channelPhase(t, w, "s1") == messages.ChannelPhase_CHANNEL_PHASE_PREPARED })
	old := w.local.CoordinatorStore().(*actors.MemStore).Clone()
	st, err := old.LoadCoordinator()
	if err != nil || len(st.Instances) != 1 {
		t.Fatalf("old copy: %v %v", st.Instances, err)
	}
	id := st.Instances[0].InstanceId
	if _, err := w.local.RestartTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1010 && w.own(t, "s1", "i1") == 990 })
	if err := w.local.RestartCoordinatorOn(old); err != nil {
		t.Fatal(err)
	}
	// The deadline (2 s) passes while it resumes; its record must end
	// COMMITTED (adopted), never REFUND_AUTHORIZED.
	waitFor(t, func() bool {
		rec, err := old.LoadInstance(id)
		return err == nil && rec != nil && rec.Phase != messages.InstancePhase_INSTANCE_PHASE_NONE && rec.Phase != messages.InstancePhase_INSTANCE_PHASE_PREPARED
	})
	rec, _ := old.LoadInstance(id)
	if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_COMMITTED || !rec.Adopted {
		t.Fatalf("rolled-back coordinator decided %v (adopted %v); the terminals hold COMMITTED", rec.Phase, rec.Adopted)
	}
	if w.own(t, "r1", "i1") != 1010 || w.own(t, "s1", "i1") != 990 {
		t.Fatal("balances moved after the rolled-back restart")
	}
}

// Host deleting the store: the coordinator began again at nonce 0 and
// reused instance ids. Ids are now drawn from randomness.
func TestInstanceIDsNotReusedAfterLostStore(t *testing.T) {
	w := newOffChainWorld(t, 1000)
	first, err := signedSubmit(w.local, payment(w, "a", 10, 0), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.local.RestartCoordinatorOn(actors.NewMemStore()); err != nil {
		t.Fatal(err)
	}
	// The fresh store knows no terminal: the instance refunds at its deadline.
	second, _ := signedSubmit(w.local, payment(w, "b", 10, 500), 10*time.Second)
	if len(second.GetInstanceId()) != 32 || string(second.InstanceId) == string(first.InstanceId) {
		t.Fatalf("instance id %x reused", second.GetInstanceId())
	}
	for n := range uint64(4) {
		if nonce := coordinator.InstanceID(w.local.CoordKey.Address(), n); string(first.InstanceId) == string(nonce[:]) {
			t.Fatalf("instance id is the predictable nonce-%d id", n)
		}
	}
}

// Lost message: a terminal missed the CONFIRM and waited for its deadline
// (60 s seen, 24 h possible). The coordinator now resends the outcome
// until every terminal acknowledged applying it.
func TestDecidedOutcomeResentUntilAcknowledged(t *testing.T) {
	var dropped atomic.Int32
	faults := actors.NewFaultInjector(1)
	faults.Drop = 1
	faults.Filter = func(name string, env *messages.Envelope) bool {
		// Lose the first CONFIRM r1 receives.
		return name == "r1" && env.Kind == messages.Kind_KIND_CONFIRM && dropped.Add(1) == 1
	}
	w := newOffChainWorldWith(t, 1000, func(c *actors.LocalConfig) { c.Faults = faults })
	res, err := signedSubmit(w.local, payment(w, "lost-confirm", 10, 60_000), 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res, err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1010 })
	if faults.Counts().Dropped != 1 {
		t.Fatalf("dropped %d CONFIRMs, want 1", faults.Counts().Dropped)
	}
	waitFor(t, func() bool {
		rec, err := w.local.CoordinatorStore().LoadInstance(res.InstanceId)
		return err == nil && rec != nil && len(rec.AppliedBy) == 3
	})
}

// failingClose is chain access whose cooperative close transaction fails.
type failingClose struct{}

func (failingClose) Open(context.Context, actors.TxBuilder, *messages.ChannelOpen, common.Address) ([32]byte, error) {
	return [32]byte{}, errors.New("not in this test")
}

func (failingClose) CooperativeClose(context.Context, actors.TxBuilder, terminal.CloseTerms, []byte, []byte) (*big.Int, *big.Int, error) {
	return nil, nil, errors.New("transaction reverted")
}

// Incident: a failed cooperative close was recorded as closed while the
// channel was open on chain. It is now "closing", not closed.
func TestFailedCooperativeCloseIsNotRecordedClosed(t *testing.T) {
	w := newOffChainWorldWith(t, 1000, func(c *actors.LocalConfig) {
		c.Chain = func(enclave.Key) actors.ChainOps { return failingClose{} }
	})
	list, err := w.local.Channels(w.names["s1"], time.Second)
	if err != nil || len(list.Channels) != 1 {
		t.Fatalf("s1's channels: %v %v", list, err)
	}
	id := list.Channels[0].ChannelId
	res, err := w.local.System.Root.RequestFuture(w.local.Peer(w.names["s1"]), &messages.ChannelClose{ChannelId: id}, 10*time.Second).Result()
	closed, ok := res.(*messages.ChannelClosed)
	if err != nil || !ok || closed.Error == "" {
		t.Fatalf("close with a failing transaction: %v %v", res, err)
	}
	list, err = w.local.Channels(w.names["s1"], time.Second)
	if err != nil || list.Channels[0].Closed || !list.Channels[0].Closing {
		t.Fatalf("after a failed close: closed=%v closing=%v (%v)", list.Channels[0].GetClosed(), list.Channels[0].GetClosing(), err)
	}
	// The chain's close event is what makes it closed.
	ev := &messages.ChainEvent{Kind: messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED, ChainId: 1, ChannelId: id}
	w.local.Tell(w.names["s1"], ev)
	waitFor(t, func() bool {
		l, err := w.local.Channels(w.names["s1"], time.Second)
		return err == nil && l.Channels[0].Closed && !l.Channels[0].Closing
	})
}

// Incident: a terminal SIGKILLed between COMMITTED and CONFIRM restarted
// with its channels COMMITTED and waited for its deadline. It now asks for
// the outcome at once: here the coordinator's resends are 30 s apart and
// the deadline a minute away, so only the query can deliver it in time.
func TestRestartedTerminalAsksForItsCommittedOutcomeAtOnce(t *testing.T) {
	var dropping atomic.Bool
	dropping.Store(true)
	faults := actors.NewFaultInjector(2)
	faults.Drop = 1
	faults.Filter = func(name string, env *messages.Envelope) bool {
		return name == "r1" && env.Kind == messages.Kind_KIND_CONFIRM && dropping.Load()
	}
	w := newOffChainWorldWith(t, 1000, func(c *actors.LocalConfig) {
		c.Faults = faults
		c.RetryInterval = 30 * time.Second
	})
	res, err := signedSubmit(w.local, payment(w, "killed-before-confirm", 10, 60_000), 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment: %v %v", res, err)
	}
	waitFor(t, func() bool { return faults.Counts().Dropped > 0 })
	if err := w.local.StopTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	dropping.Store(false)
	if _, err := w.local.RestartTerminal(w.names["r1"]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return w.own(t, "r1", "i1") == 1010 && channelPhase(t, w, "r1") == messages.ChannelPhase_CHANNEL_PHASE_IDLE
	})
}

// A partition drops every envelope across the cut, both ways, and nothing
// else; once healed, the instance it held up ends as usual.
func TestPartitionedTerminalFinishesAfterHeal(t *testing.T) {
	faults := actors.NewFaultInjector(3)
	w := newOffChainWorldWith(t, 1000, func(c *actors.LocalConfig) {
		c.Faults = faults
		c.RetryInterval = 50 * time.Millisecond
	})
	faults.Partition([]common.Address{w.names["r1"]})
	type answer struct {
		res *messages.SwapResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := signedSubmit(w.local, payment(w, "across-a-partition", 10, 60_000), 30*time.Second)
		done <- answer{res, err}
	}()
	// The coordinator keeps resending to r1; every one is dropped.
	waitFor(t, func() bool { return faults.Counts().Partitioned >= 3 })
	select {
	case a := <-done:
		t.Fatalf("the payment ended across a partition: %v %v", a.res, a.err)
	default:
	}
	if got := w.own(t, "r1", "i1"); got != 1000 {
		t.Fatalf("r1 holds %d while cut off, want 1000", got)
	}
	faults.Heal()
	a := <-done
	if a.err != nil || a.res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("payment after heal: %v %v", a.res, a.err)
	}
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1010 })
	if c := faults.Counts(); c.Dropped+c.Duplicated+c.Delayed != 0 {
		t.Fatalf("a partition alone faulted other envelopes: %+v", c)
	}
}
