package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/provision"
	"github.com/teeswap/teeswap/enclave/sim"
)

func simBackend(t *testing.T, b byte) *sim.Backend {
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

func provisionCfg(t *testing.T, prefix, name string, b *sim.Backend, policy enclave.Policy) ProvisionConfig {
	policy.AllowSimulation = true
	return ProvisionConfig{Client: client(t), Prefix: prefix, Member: name, Backend: b, Verifier: enclave.NewVerifier(policy), Logger: discard()}
}

// serve runs ServeProvisioning for the test's lifetime.
func serve(t *testing.T, cfg ProvisionConfig, key enclave.Key) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = ServeProvisioning(ctx, cfg, key); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func within(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestProvisionKeyAcrossSealingKeys: members whose enclaves seal with
// different keys end with one coordinator identity, the joiner by attested
// provisioning; on restart each opens its own sealed copy without a holder.
func TestProvisionKeyAcrossSealingKeys(t *testing.T) {
	prefix := "/t/provision-across/"
	a := provisionCfg(t, prefix, "a", simBackend(t, 1), enclave.Policy{})
	first, err := ProvisionKey(within(t), a)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, first)
	b := provisionCfg(t, prefix, "b", simBackend(t, 2), enclave.Policy{})
	second, err := ProvisionKey(within(t), b)
	if err != nil {
		t.Fatal(err)
	}
	if first.Address() != second.Address() {
		t.Fatalf("members got %s and %s, want one identity", first.Address(), second.Address())
	}
	// The two members' records are mutually readable.
	ra, _ := provision.NewRecordSealer(first)
	rb, _ := provision.NewRecordSealer(second)
	blob, _ := ra.Seal([]byte("instance"), []byte("k"))
	if pt, err := rb.Unseal(blob, []byte("k")); err != nil || string(pt) != "instance" {
		t.Fatalf("b reads a's record: %v", err)
	}
	// Restart b with nobody serving: its own sealed copy opens.
	noHolder := provisionCfg(t, "/t/provision-across/", "b", simBackend(t, 2), enclave.Policy{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	again, err := ProvisionKey(ctx, noHolder)
	if err != nil || again.Address() != first.Address() {
		t.Fatalf("restarted member: %v", err)
	}
	for _, k := range []string{"offer/b", "answer/b"} {
		if r, err := a.Client.Get(context.Background(), prefix+"provision/"+k); err != nil || len(r.Kvs) != 0 {
			t.Fatalf("%s left behind: %v", k, err)
		}
	}
}

// TestProvisionKeyRefusedByPolicy: a joiner whose enclave the holders'
// policy does not accept gets a refusal and no key, and stores nothing.
func TestProvisionKeyRefusedByPolicy(t *testing.T) {
	prefix := "/t/provision-policy/"
	holderB := simBackend(t, 1)
	// The holder admits only enclaves measured as itself (its SignerID).
	a := provisionCfg(t, prefix, "a", holderB, enclave.Policy{SignerID: holderB.AttestationAddress().Bytes()})
	first, err := ProvisionKey(within(t), a)
	if err != nil {
		t.Fatal(err)
	}
	serve(t, a, first)
	c := provisionCfg(t, prefix, "c", simBackend(t, 3), enclave.Policy{})
	k, err := ProvisionKey(within(t), c)
	if !errors.Is(err, ErrProvisionRefused) || k != nil {
		t.Fatalf("joiner outside the policy: %v", err)
	}
	if r, err := c.Client.Get(context.Background(), prefix+"provision/key/c"); err != nil || len(r.Kvs) != 0 {
		t.Fatalf("a refused joiner stored a key: %v", err)
	}
}

// TestProvisionKeyRefusesReplayedAnswer: a stranger who can write to etcd
// replays a genuine answer made for another offer; the joiner refuses it.
func TestProvisionKeyRefusesReplayedAnswer(t *testing.T) {
	prefix := "/t/provision-replay/"
	holderB := simBackend(t, 1)
	a := provisionCfg(t, prefix, "a", holderB, enclave.Policy{})
	first, err := ProvisionKey(within(t), a)
	if err != nil {
		t.Fatal(err)
	}
	// An answer the holder made for an earlier offer.
	earlier, err := provision.NewJoiner(simBackend(t, 2), discard())
	if err != nil {
		t.Fatal(err)
	}
	old, err := provision.Provide(holderB, first, earlier.Offer(), a.Verifier, discard())
	if err != nil {
		t.Fatal(err)
	}
	replay, _ := json.Marshal(provisionReply{Answer: &old})
	b := provisionCfg(t, prefix, "b", simBackend(t, 2), enclave.Policy{})
	got := make(chan error, 1)
	go func() { _, err := ProvisionKey(within(t), b); got <- err }()
	// Wait for b's offer, then answer it with the replay.
	r, err := b.Client.Get(context.Background(), prefix+"provision/offer/b")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Kvs) == 0 {
		for resp := range b.Client.Watch(within(t), prefix+"provision/offer/b", clientv3.WithRev(r.Header.Revision+1)) {
			if len(resp.Events) > 0 {
				break
			}
		}
	}
	if _, err := b.Client.Put(context.Background(), prefix+"provision/answer/b", string(replay)); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, provision.ErrAnswerRefused) || !errors.Is(err, enclave.ErrReportDataMismatch) {
		t.Fatalf("replayed answer: %v", err)
	}
	if r, err := b.Client.Get(context.Background(), prefix+"provision/key/b"); err != nil || len(r.Kvs) != 0 {
		t.Fatalf("a replayed answer stored a key: %v", err)
	}
}
