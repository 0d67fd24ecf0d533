//go:build !race

// Several protoactor cluster members in one process trip the race detector
// inside the library (docs: ARCHITECTURE.md); this test runs without -race.

package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	etcdprovider "github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/ethereum/go-ethereum/common"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
	clusterpb "github.com/teeswap/teeswap/messages/cluster"
)

type harness struct {
	t      *testing.T
	w      *protocoltest.World
	prefix string
	agent  *test.InMemAgent
	nodes  map[string]*Node
	provs  map[string]*test.Provider
	names  []string
	// entry picks the node a call goes through; kill and restart act on
	// a member by name (in this process, or its OS process).
	entry   func(rng *rand.Rand) *Node
	kill    func(name string)
	restart func(name string)
	// probe reads records from etcd.
	probe *Member
	// calls and wire count grain calls and their request+response bytes.
	calls, wire int64
}

func (h *harness) start(name string) *Node {
	h.t.Helper()
	m := join(h.t, h.prefix, name, 2, true)
	prov := test.NewTestProvider(h.agent)
	h.provs[name] = prov
	n, err := StartNode(NodeConfig{InsecurePlaintextLoopback: true, Member: m, Signer: h.w.Coord, Provider: prov, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("node", name), CallTimeout: 3 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.nodes[name] = n
	return n
}

// crash stops a member without revoking its lease, as a SIGKILL would.
func (h *harness) crash(name string) {
	n := h.nodes[name]
	n.crash()
	// In one process the test provider's TTL ticker outlives the member;
	// stop it, as the process's death would (the agent drops the member).
	_ = h.provs[name].Shutdown(false)
	delete(h.nodes, name)
}

func (h *harness) live(rng *rand.Rand) *Node {
	for {
		name := h.names[rng.Intn(len(h.names))]
		if n := h.nodes[name]; n != nil {
			return n
		}
	}
}

// outcome records which outcome was ever signed for an instance.
func outcome(w *protocoltest.World, env *messages.Envelope) {
	switch env.Kind {
	case messages.Kind_KIND_CONFIRM:
		var c messages.Confirm
		_ = proto.Unmarshal(env.Payload, &c)
		w.ConfirmSigned[[32]byte(c.InstanceId)] = true
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		var r messages.RefundAuthorized
		_ = proto.Unmarshal(env.Payload, &r)
		w.RefundSigned[[32]byte(r.InstanceId)] = true
	}
}

func (h *harness) queue(send []coordinator.Outbound) {
	for _, s := range send {
		outcome(h.w, s.Env)
		h.w.Queue = append(h.w.Queue, protocoltest.Message{From: h.w.Coord.Address(), To: s.To, Env: s.Env})
	}
}

// pump delivers queued messages: terminals' answers go to a random live
// member, which routes them to the instance's grain wherever it lives. A
// refused call (the instance is still fenced by a crashed member's lease)
// is retried until the lease runs out.
func (h *harness) pump(rng *rand.Rand, onStep func(member string)) {
	h.t.Helper()
	for len(h.w.Queue) > 0 {
		msg := h.w.Queue[0]
		h.w.Queue = h.w.Queue[1:]
		if msg.To != h.w.Coord.Address() {
			h.w.Deliver(msg)
			continue
		}
		deadline, refused := time.Now().Add(30*time.Second), 0
		for {
			step, err := h.entry(rng).Deliver(msg.Env, h.w.Now)
			if err == nil {
				h.calls++
				h.wire += int64(proto.Size(&clusterpb.Deliver{Envelope: msg.Env, NowMs: h.w.Now}) + proto.Size(step))
				var send []coordinator.Outbound
				for _, o := range step.Send {
					send = append(send, coordinator.Outbound{To: common.BytesToAddress(o.To), Env: o.Envelope})
				}
				h.queue(send)
				if onStep != nil {
					onStep(step.Member)
				}
				break
			}
			if refused++; refused == 1 {
				h.t.Logf("deliver %v: %v (retrying until the fence lifts)", msg.Env.Kind, err)
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("deliver %v: %v", msg.Env.Kind, err)
			}
			time.Sleep(50 * time.Millisecond) // poll until the fence lifts
		}
	}
}

// Role: a member dies mid-instance (its lease is not revoked); the
// instance resumes on another member from etcd once the lease lapses and
// ends exactly one way at every terminal; the member restarts and serves.
// Members share this process (test provider).
func TestFailoverInProcessExactlyOneOutcome(t *testing.T) {
	h := newHarness(t)
	for _, name := range h.names {
		h.start(name)
	}
	defer func() {
		for _, n := range h.nodes {
			n.Stop(true)
		}
	}()
	h.entry = func(rng *rand.Rand) *Node { return h.live(rng) }
	h.kill, h.restart = h.crash, func(name string) { h.start(name) }
	h.probe = join(t, h.prefix, "probe", 10, true)
	h.run()
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, prefix: fmt.Sprintf("/t/failover-%d/", time.Now().UnixNano()), agent: test.NewInMemAgent(),
		nodes: map[string]*Node{}, provs: map[string]*test.Provider{}, names: []string{"m0", "m1", "m2"},
		w: protocoltest.NewWorld(7, protocoltest.ChainSpec{ChainID: 1, Path: []string{"s1", "i1", "r1"}, Deposit: 1000}, protocoltest.ChainSpec{ChainID: 2, Path: []string{"s2", "r2"}, Deposit: 1000})}
}

// run drives instances one after another through the cluster, kills the
// member driving instance 5 after its first step and restarts it, then
// settles and judges every terminal with the protocol harness.
func (h *harness) run() {
	t := h.t
	rng := rand.New(rand.NewSource(42))
	const instances = 12
	var ids [][32]byte
	for i := range instances {
		req := &messages.SwapRequest{RequestId: fmt.Sprintf("req-%d", i)}
		var routes []*messages.Network
		for c := range 1 + i%2 { // payments and two-chain swaps
			leg, n := h.w.Leg(c, int64(10+i))
			req.Legs = append(req.Legs, leg)
			routes = append(routes, n)
		}
		h.w.SignOrders(req) // the payers authorise it, as their terminals do for a client
		id, send, err := h.entry(rng).Create(context.Background(), req, routes, h.w.Now)
		if err != nil {
			t.Fatalf("create %d: %v", i, err)
		}
		ids = append(ids, id)
		h.queue(send)
		killed, after := "", map[string]bool{}
		h.pump(rng, func(member string) {
			// Mid-instance 5, after its first persisted step: kill the
			// member driving it, then restart it under the same name.
			if i != 5 {
				return
			}
			if killed != "" {
				after[member] = true
				return
			}
			killed = member
			name := strings.Split(member, "/")[0]
			h.kill(name)
			h.restart(name)
		})
		if i == 5 {
			if len(after) == 0 || after[killed] {
				t.Fatalf("instance 5: steps after the kill were driven by %v; want only members other than the killed %s", after, killed)
			}
			t.Logf("instance 5: driven by %s, then after its SIGKILL-like crash by %v", killed, after)
		}
	}
	// Settle: every instance is told its outcome again (retry timers).
	h.w.Now += 60_000
	for _, id := range ids {
		step, err := h.entry(rng).Tick(id, h.w.Now)
		if err != nil {
			t.Fatalf("tick %x: %v", id[:4], err)
		}
		if !step.Decided {
			t.Fatalf("instance %x undecided after its deadline: %v", id[:4], step.Phase)
		}
		var send []coordinator.Outbound
		for _, o := range step.Send {
			send = append(send, coordinator.Outbound{To: common.BytesToAddress(o.To), Env: o.Envelope})
		}
		h.queue(send)
	}
	h.pump(rng, nil)
	// Judge with the protocol harness: records from etcd.
	committed := 0
	probe := h.probe
	for _, id := range ids {
		rec, _, err := probe.LoadInstance(context.Background(), id[:])
		if err != nil || rec == nil {
			t.Fatalf("record %x: %v", id[:4], err)
		}
		in, err := coordinator.Restore(h.w.Coord, rec)
		if err != nil {
			t.Fatal(err)
		}
		h.w.Instances[id] = in
		if rec.Phase == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			committed++
		}
	}
	if v := h.w.Violations(true); len(v) > 0 {
		t.Fatalf("violations:\n%v", v)
	}
	if committed != instances {
		t.Fatalf("%d of %d instances committed; sequential instances on funded channels must all commit", committed, instances)
	}
	// Value moved: the first chain's sender paid every payment it made.
	paid := big.NewInt(0)
	for i := range instances {
		paid.Add(paid, big.NewInt(int64(10+i)))
	}
	if got := h.w.Balance("s1", 0, 0); got.Cmp(new(big.Int).Sub(big.NewInt(1000), paid)) != 0 {
		t.Fatalf("s1 holds %s, want 1000-%s", got, paid)
	}
}

// Role: the same, with etcd and three members as separate processes found
// through protoactor's etcd provider; the member driving instance 5 gets
// SIGKILL mid-instance and is started again. The test drives the cluster
// through a client node, as a gateway would.
func TestFailoverProcessesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts member processes")
	}
	h := newHarness(t)
	procs := map[string]*memberProc{}
	for _, name := range h.names {
		procs[name] = startMemberProcess(t, name, h.prefix, 7)
	}
	gwMember := join(t, h.prefix, "gateway", 10, true)
	prov, err := etcdprovider.NewWithConfig(h.prefix+"protoactor", clientv3.Config{Endpoints: []string{testEtcd.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	gw, err := StartNode(NodeConfig{InsecurePlaintextLoopback: true, Member: gwMember, Signer: h.w.Coord, Provider: prov, Client: true, CallTimeout: 3 * time.Second, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	defer gw.Stop(true)
	h.entry = func(*rand.Rand) *Node { return gw }
	h.kill = func(name string) { procs[name].kill() }
	h.restart = func(name string) { procs[name] = startMemberProcess(t, name, h.prefix, 7) }
	h.probe = gwMember
	h.run()
}

// Role: a member dies mid-instance and the messages in flight to it are
// lost (no terminal retries here); a sweep by a surviving member resends
// the orphaned instance's phase once the dead lease lapses, and the
// instance ends exactly one way.
func TestSweepResumesOrphanedInstance(t *testing.T) {
	h := newHarness(t)
	for _, name := range h.names {
		h.start(name)
	}
	defer func() {
		for _, n := range h.nodes {
			n.Stop(true)
		}
	}()
	rng := rand.New(rand.NewSource(3))
	h.entry = func(rng *rand.Rand) *Node { return h.live(rng) }
	h.probe = join(t, h.prefix, "probe", 10, true)
	leg, route := h.w.Leg(0, 25)
	req := &messages.SwapRequest{RequestId: "orphan", Legs: []*messages.Leg{leg}}
	h.w.SignOrders(req)
	id, send, err := h.entry(rng).Create(context.Background(), req, []*messages.Network{route}, h.w.Now)
	if err != nil {
		t.Fatal(err)
	}
	h.queue(send)
	// Deliver until the first persisted step, then crash its member and
	// lose everything addressed to the coordinator.
	var victim string
	for victim == "" && len(h.w.Queue) > 0 {
		msg := h.w.Queue[0]
		h.w.Queue = h.w.Queue[1:]
		if msg.To != h.w.Coord.Address() {
			h.w.Deliver(msg)
			continue
		}
		step, err := h.entry(rng).Deliver(msg.Env, h.w.Now)
		if err != nil {
			t.Fatal(err)
		}
		victim = strings.Split(step.Member, "/")[0]
	}
	h.crash(victim)
	lost := 0
	for _, m := range h.w.Queue {
		if m.To == h.w.Coord.Address() {
			lost++
		}
	}
	h.w.Queue = nil
	t.Logf("crashed %s; %d messages to the coordinator lost", victim, lost)
	deadline := time.Now().Add(30 * time.Second)
	for {
		steps, err := h.entry(rng).Sweep(context.Background(), h.w.Now)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			var out []coordinator.Outbound
			for _, o := range s.Send {
				out = append(out, coordinator.Outbound{To: common.BytesToAddress(o.To), Env: o.Envelope})
			}
			h.queue(out)
		}
		h.pump(rng, nil)
		rec, _, err := h.probe.LoadInstance(context.Background(), id[:])
		if err != nil {
			t.Fatal(err)
		}
		if rec.Phase == messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			in, err := coordinator.Restore(h.w.Coord, rec)
			if err != nil {
				t.Fatal(err)
			}
			h.w.Instances[id] = in
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance still %v after sweeping for 30s", rec.Phase)
		}
		time.Sleep(100 * time.Millisecond) // poll until the dead lease lapses
	}
	// The CONFIRMs went out in the last pump; judge every terminal.
	if v := h.w.Violations(true); len(v) > 0 {
		t.Fatalf("violations:\n%v", v)
	}
}

// Roles: a stranger (a key that is not a terminal of the instance) sends a
// PREPARED through a member, a malicious host tampers with a real one, and
// a terminal's envelope is aimed at another instance's grain: each is
// refused and nothing is written to etcd.
func TestGrainRefusesStrangerAndTamperedAcks(t *testing.T) {
	h := newHarness(t)
	for _, name := range h.names[:2] {
		h.start(name)
	}
	defer func() {
		for _, n := range h.nodes {
			n.Stop(true)
		}
	}()
	rng := rand.New(rand.NewSource(5))
	node := h.live(rng)
	probe := join(t, h.prefix, "probe", 10, true)
	leg, route := h.w.Leg(0, 5)
	// Without its payer's order the cluster refuses the request, as the
	// pure machine does; only then does the payer sign.
	req := &messages.SwapRequest{RequestId: "victim", Legs: []*messages.Leg{leg}}
	if _, _, err := node.Create(context.Background(), req, []*messages.Network{route}, h.w.Now); !errors.Is(err, coordinator.ErrUnauthorised) {
		t.Fatalf("order-less request: got %v, want ErrUnauthorised", err)
	}
	h.w.SignOrders(req)
	id, send, err := node.Create(context.Background(), req, []*messages.Network{route}, h.w.Now)
	if err != nil {
		t.Fatal(err)
	}
	h.queue(send)
	// Let the first terminal answer; keep its PREPARED.
	var ack *messages.Envelope
	for ack == nil && len(h.w.Queue) > 0 {
		msg := h.w.Queue[0]
		h.w.Queue = h.w.Queue[1:]
		if msg.To == h.w.Coord.Address() {
			ack = msg.Env
			continue
		}
		h.w.Deliver(msg)
	}
	_, rev0, err := probe.LoadInstance(context.Background(), id[:])
	if err != nil {
		t.Fatal(err)
	}
	var p messages.Prepared
	if err := proto.Unmarshal(ack.Payload, &p); err != nil {
		t.Fatal(err)
	}
	stranger, err := messages.Seal(protocoltest.NewKey(99, "stranger"), ack.Kind, &p)
	if err != nil {
		t.Fatal(err)
	}
	tampered := proto.Clone(ack).(*messages.Envelope)
	tampered.Signature[5] ^= 1
	for name, c := range map[string]struct {
		env  *messages.Envelope
		want error
	}{"stranger": {stranger, coordinator.ErrForeignAck}, "tampered": {tampered, coordinator.ErrBadSignature}} {
		if _, err := h.live(rng).Deliver(c.env, h.w.Now); !errors.Is(err, c.want) {
			t.Fatalf("%s PREPARED: %v, want %v", name, err, c.want)
		}
	}
	// The real ack addressed to another instance's grain.
	other := id
	other[0] ^= 0xff
	if _, err := node.client(other).Deliver(&clusterpb.Deliver{Envelope: ack, NowMs: h.w.Now}); !errors.Is(fromWire(err), coordinator.ErrMalformed) {
		t.Fatalf("misrouted envelope: %v, want refused", err)
	}
	// A stranger naming an id that was never created: no owner key appears.
	if owner, err := probe.Owner(context.Background(), other[:]); err != nil || owner != "" {
		t.Fatalf("unknown instance got an owner %q (%v)", owner, err)
	}
	_, rev1, err := probe.LoadInstance(context.Background(), id[:])
	if err != nil || rev1 != rev0 {
		t.Fatalf("record revision %d -> %d (%v): a refused message was written", rev0, rev1, err)
	}
	// The honest ack still goes through.
	if _, err := h.live(rng).Deliver(ack, h.w.Now); err != nil {
		t.Fatalf("honest PREPARED: %v", err)
	}
}
