package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

var testEtcd *Embedded

func TestMain(m *testing.M) {
	if name := os.Getenv(memberEnv); name != "" {
		runMemberProcess(name) // a member process of the multi-process test
		return
	}
	dir, err := os.MkdirTemp("", "teeswap-etcd-")
	if err != nil {
		panic(err)
	}
	testEtcd, err = StartEmbedded(dir, true)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	testEtcd.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// sealer returns a simulation sealer with a fixed key: every member of one
// cluster shares it (the simulation's key provisioning, in the clear).
func sealer(t *testing.T, b byte) actors.Sealer {
	t.Helper()
	key := make([]byte, sim.SealKeySize)
	for i := range key {
		key[i] = b
	}
	s, err := sim.New(sim.Options{SealKey: key, Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func client(t *testing.T) *clientv3.Client {
	t.Helper()
	c, err := clientv3.New(clientv3.Config{Endpoints: []string{testEtcd.Endpoint}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func join(t *testing.T, prefix, name string, ttl int64, keepAlive bool) *Member {
	t.Helper()
	m, err := Join(context.Background(), MemberConfig{Client: client(t), Prefix: prefix, Name: name, TTL: ttl, Sealer: sealer(t, 7), NoKeepAlive: !keepAlive})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	return m
}

func record(id byte, phase messages.InstancePhase) *messages.CoordinatorInstance {
	iid := make([]byte, 32)
	iid[0] = id
	return &messages.CoordinatorInstance{InstanceId: iid, RequestId: fmt.Sprintf("req-%d", id), Phase: phase}
}

func meta(next uint64) *messages.CoordinatorMeta {
	return &messages.CoordinatorMeta{Coordinator: make([]byte, 20), NextNonce: next, NextVersion: map[string]uint64{}}
}

// Role: two honest members race to drive one instance; exactly one does.
func TestTwoMembersRaceExactlyOneDrives(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/race/"
	a, b := join(t, prefix, "a", 10, true), join(t, prefix, "b", 10, true)
	creator := join(t, prefix, "creator", 10, true)
	rec := record(1, messages.InstancePhase_INSTANCE_PHASE_NONE)
	rev, err := creator.Create(ctx, meta(2), 0, rec)
	if err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 20; round++ {
		id := record(byte(100+round), 0).InstanceId
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, m := range []*Member{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = m.Claim(ctx, id) }()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			} else if !errors.Is(err, ErrOwned) {
				t.Fatalf("round %d: loser got %v, want ErrOwned", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d members won the claim, want exactly 1 (%v)", round, won, errs)
		}
	}
	// On the real record: both claim, both try to write the next phase;
	// only the winner's write lands.
	errA, errB := a.Claim(ctx, rec.InstanceId), b.Claim(ctx, rec.InstanceId)
	if (errA == nil) == (errB == nil) {
		t.Fatalf("claims: a=%v b=%v, want exactly one winner", errA, errB)
	}
	next := record(1, messages.InstancePhase_INSTANCE_PHASE_PREPARED)
	_, saveA := a.Save(ctx, next, rev)
	_, saveB := b.Save(ctx, next, rev)
	if (saveA == nil) == (saveB == nil) {
		t.Fatalf("saves: a=%v b=%v, want exactly one", saveA, saveB)
	}
	for _, err := range []error{saveA, saveB} {
		if err != nil && !errors.Is(err, ErrFenced) {
			t.Fatalf("loser's save: %v, want ErrFenced", err)
		}
	}
}

// Role: a member whose lease expired (a partitioned or paused member) is
// refused, and another member takes the instance over.
func TestExpiredLeaseIsFenced(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/expired/"
	slow := join(t, prefix, "slow", 1, false) // no keep-alive: its lease lapses
	rec := record(2, messages.InstancePhase_INSTANCE_PHASE_NONE)
	rev, err := slow.Create(ctx, meta(2), 0, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := slow.Claim(ctx, rec.InstanceId); err != nil {
		t.Fatal(err)
	}
	_, mrev, err := slow.LoadMeta(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, func() bool {
		owner, err := slow.Owner(ctx, rec.InstanceId)
		return err == nil && owner == ""
	})
	next := record(2, messages.InstancePhase_INSTANCE_PHASE_PREPARED)
	if _, err := slow.Save(ctx, next, rev); !errors.Is(err, ErrFenced) {
		t.Fatalf("save after lease expiry: %v, want ErrFenced", err)
	}
	if err := slow.Claim(ctx, rec.InstanceId); !errors.Is(err, ErrFenced) {
		t.Fatalf("re-claim under an expired lease: %v, want ErrFenced", err)
	}
	if _, err := slow.Create(ctx, meta(3), mrev, record(3, 0)); !errors.Is(err, ErrFenced) {
		t.Fatalf("create under an expired lease: %v, want ErrFenced", err)
	}
	heir := join(t, prefix, "heir", 10, true)
	if err := heir.Claim(ctx, rec.InstanceId); err != nil {
		t.Fatalf("heir claim: %v", err)
	}
	if _, err := heir.Save(ctx, next, rev); err != nil {
		t.Fatalf("heir save: %v", err)
	}
	got, _, err := heir.LoadInstance(ctx, rec.InstanceId)
	if err != nil || got.Phase != messages.InstancePhase_INSTANCE_PHASE_PREPARED {
		t.Fatalf("record after takeover: %v %v", got, err)
	}
}

// Role: a stale store (a member or host replaying an older read) cannot
// roll an instance back or lose an update.
func TestStaleRevisionIsRefused(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/stale/"
	m := join(t, prefix, "m", 10, true)
	rec := record(4, messages.InstancePhase_INSTANCE_PHASE_NONE)
	rev0, err := m.Create(ctx, meta(2), 0, rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Claim(ctx, rec.InstanceId); err != nil {
		t.Fatal(err)
	}
	rev1, err := m.Save(ctx, record(4, messages.InstancePhase_INSTANCE_PHASE_PREPARED), rev0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Save(ctx, record(4, messages.InstancePhase_INSTANCE_PHASE_COMMITTED), rev1); err != nil {
		t.Fatal(err)
	}
	// Roll back to PREPARED over the revision it had then: refused.
	if _, err := m.Save(ctx, record(4, messages.InstancePhase_INSTANCE_PHASE_PREPARED), rev1); !errors.Is(err, ErrStale) {
		t.Fatalf("stale save: %v, want ErrStale", err)
	}
	if _, err := m.Save(ctx, record(4, messages.InstancePhase_INSTANCE_PHASE_NONE), rev0); !errors.Is(err, ErrStale) {
		t.Fatalf("older save: %v, want ErrStale", err)
	}
	got, _, err := m.LoadInstance(ctx, rec.InstanceId)
	if err != nil || got.Phase != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("record: %v %v, want COMMITTED kept", got, err)
	}
	// Creating the same instance again is refused too.
	_, mrev, err := m.LoadMeta(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Create(ctx, meta(3), mrev, rec); !errors.Is(err, ErrExists) {
		t.Fatalf("re-create: %v, want ErrExists", err)
	}
}

// Role: two members allocate from the shared allocator at once; the
// compare-and-swap on its revision lets one through and sends the other
// back to reload, so no nonce (instance id) is handed out twice.
func TestAllocatorCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/alloc/"
	a, b := join(t, prefix, "a", 10, true), join(t, prefix, "b", 10, true)
	_, rev, err := a.LoadMeta(ctx)
	if err != nil || rev != 0 {
		t.Fatalf("fresh meta: rev %d, %v", rev, err)
	}
	if _, err := a.Create(ctx, meta(2), rev, record(10, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Create(ctx, meta(2), rev, record(11, 0)); !errors.Is(err, ErrStale) {
		t.Fatalf("second allocation from the same allocator revision: %v, want ErrStale", err)
	}
	// Two gateways allocating at once draw the same next nonce, hence the
	// same instance id: the loser must reload and retry, not give up.
	if _, err := b.Create(ctx, meta(2), rev, record(10, 0)); !errors.Is(err, ErrStale) {
		t.Fatalf("the same id from the same allocator revision: %v, want ErrStale", err)
	}
	got, rev2, err := b.LoadMeta(ctx)
	if err != nil || got.NextNonce != 2 {
		t.Fatalf("reloaded meta: %v %v", got, err)
	}
	if _, err := b.Create(ctx, meta(3), rev2, record(11, 0)); err != nil {
		t.Fatalf("retry after reload: %v", err)
	}
}

// Role: a malicious host writes its own bytes, or a record sealed by a
// foreign identity, under an instance key: the member refuses to load it.
func TestForeignRecordIsCorrupt(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/foreign/"
	m := join(t, prefix, "m", 10, true)
	foreign, err := Join(ctx, MemberConfig{Client: client(t), Prefix: prefix, Name: "x", Sealer: sealer(t, 9)})
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close(ctx)
	rec := record(20, 0)
	if _, err := foreign.Create(ctx, meta(2), 0, rec); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.LoadInstance(ctx, rec.InstanceId); !errors.Is(err, actors.ErrCorruptStore) {
		t.Fatalf("foreign record: %v, want ErrCorruptStore", err)
	}
	if _, err := client(t).Put(ctx, m.instKey(record(21, 0).InstanceId), "host bytes"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := m.LoadInstance(ctx, record(21, 0).InstanceId); !errors.Is(err, actors.ErrCorruptStore) {
		t.Fatalf("host bytes: %v, want ErrCorruptStore", err)
	}
}

func waitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met in %v", limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Role: an operator starts a member on a routable address, or without
// naming plain text, without TLS: refused with a typed error.
func TestNodeRefusesPlaintextOffLoopback(t *testing.T) {
	m := join(t, "/t/plaintext/", "m", 10, true)
	for _, cfg := range []NodeConfig{
		{Host: "0.0.0.0", InsecurePlaintextLoopback: true},
		{Host: "10.1.2.3", InsecurePlaintextLoopback: true},
		{Host: "127.0.0.1"},
	} {
		cfg.Member, cfg.Signer, cfg.Provider = m, protocoltest.NewKey(1, "coordinator"), test.NewTestProvider(test.NewInMemAgent())
		if _, err := StartNode(cfg); !errors.Is(err, actors.ErrNoTransportSecurity) {
			t.Fatalf("host %q plaintext=%v: %v, want ErrNoTransportSecurity", cfg.Host, cfg.InsecurePlaintextLoopback, err)
		}
	}
}
