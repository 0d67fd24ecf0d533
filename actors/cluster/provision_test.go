package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/teeswap/teeswap/actors"
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

// Roles: members provisioned with the same (simulation) sealing key share
// one coordinator identity; a stranger with another sealing key cannot
// open it and is refused with a typed error.
func TestProvisionKeySharedIdentity(t *testing.T) {
	ctx := context.Background()
	prefix := "/t/provision/"
	first, err := ProvisionKey(ctx, client(t), prefix, simBackend(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	second, err := ProvisionKey(ctx, client(t), prefix, simBackend(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if first.Address() != second.Address() {
		t.Fatalf("members got %s and %s, want one identity", first.Address(), second.Address())
	}
	if _, err := ProvisionKey(ctx, client(t), prefix, simBackend(t, 2)); !errors.Is(err, actors.ErrCorruptStore) {
		t.Fatalf("stranger's backend: %v, want ErrCorruptStore", err)
	}
}
