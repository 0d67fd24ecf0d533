package enclave

import (
	"errors"
	"testing"
)

func TestOpenUnlinkedBackend(t *testing.T) {
	registryMu.Lock()
	saved := registry
	registry = map[Kind]Factory{}
	registryMu.Unlock()
	t.Cleanup(func() {
		registryMu.Lock()
		registry = saved
		registryMu.Unlock()
	})
	if _, err := Open(Options{Backend: BackendSimulation}); !errors.Is(err, ErrBackendNotLinked) {
		t.Fatalf("err = %v, want ErrBackendNotLinked", err)
	}
}

func TestRegisterTwicePanics(t *testing.T) {
	registryMu.Lock()
	saved := registry
	registry = map[Kind]Factory{}
	registryMu.Unlock()
	t.Cleanup(func() {
		registryMu.Lock()
		registry = saved
		registryMu.Unlock()
	})
	Register(KindSimulation, func(Options) (Backend, error) { return nil, nil })
	defer func() {
		if recover() == nil {
			t.Fatal("second Register did not panic")
		}
	}()
	Register(KindSimulation, func(Options) (Backend, error) { return nil, nil })
}
