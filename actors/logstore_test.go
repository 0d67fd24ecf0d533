package actors_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

func logBackend(t *testing.T) *sim.Backend {
	t.Helper()
	backend, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return backend
}

func TestLogStore(t *testing.T) {
	backend := logBackend(t)
	testStore(t, func(t *testing.T) (actors.Store, func() actors.Store) {
		path := filepath.Join(t.TempDir(), "node.log")
		s, err := actors.OpenLog(path, backend, false)
		if err != nil {
			t.Fatal(err)
		}
		cur := s
		t.Cleanup(func() { cur.Close() })
		return s, func() actors.Store {
			if err := cur.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := actors.OpenLog(path, backend, true)
			if err != nil {
				t.Fatal(err)
			}
			cur = r
			return r
		}
	})
}

func instanceRec(b byte, size int) *messages.CoordinatorInstance {
	return &messages.CoordinatorInstance{InstanceId: bytes.Repeat([]byte{b}, 32), RequestId: string(bytes.Repeat([]byte{'x'}, size))}
}

// A write torn by a crash is dropped whole on reopen; the writes before it
// stay, and the store takes new writes after the cut.
func TestLogStoreDropsTornWrite(t *testing.T) {
	backend := logBackend(t)
	path := filepath.Join(t.TempDir(), "node.log")
	s, err := actors.OpenLog(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCoordinator(nil, instanceRec(1, 10)); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	whole := info.Size()
	// The torn write never returned, so it never raised the high-water
	// mark: keep the mark as it was before it.
	mark, err := os.ReadFile(actors.HighWaterPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCoordinator(nil, instanceRec(2, 10)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, cut := range []int64{1, 5, 9, 30} {
		if err := os.Truncate(path, whole+cut); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(actors.HighWaterPath(path), mark, 0o600); err != nil {
			t.Fatal(err)
		}
		r, err := actors.OpenLog(path, backend, false)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		st, err := r.LoadCoordinator()
		if err != nil || len(st.Instances) != 1 || st.Instances[0].InstanceId[0] != 1 {
			t.Fatalf("cut %d: %d instances, %v; want only the first write", cut, len(st.Instances), err)
		}
		if err := r.SaveCoordinator(nil, instanceRec(3, 10)); err != nil {
			t.Fatal(err)
		}
		r.Close()
		r, err = actors.OpenLog(path, backend, false)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := r.LoadCoordinator(); err != nil || len(st.Instances) != 2 {
			t.Fatalf("cut %d: after a new write %d instances, %v", cut, len(st.Instances), err)
		}
		r.Close()
		if err := os.Truncate(path, whole); err != nil {
			t.Fatal(err)
		}
	}
}

// Damage before the last frame is not a torn write: the store refuses to
// open rather than silently forget what followed.
func TestLogStoreRefusesDamage(t *testing.T) {
	backend := logBackend(t)
	path := filepath.Join(t.TempDir(), "node.log")
	s, err := actors.OpenLog(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := byte(1); i <= 3; i++ {
		if err := s.SaveCoordinator(nil, instanceRec(i, 10)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	b, _ := os.ReadFile(path)
	b[20] ^= 0xff
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := actors.OpenLog(path, backend, false); !errors.Is(err, actors.ErrCorruptLog) {
		t.Fatalf("damaged first frame: %v, want ErrCorruptLog", err)
	}
}

// Rewriting and deleting records compacts the file: it stays near its
// live size, and every live record reads back after a reopen.
func TestLogStoreCompacts(t *testing.T) {
	backend := logBackend(t)
	path := filepath.Join(t.TempDir(), "node.log")
	s, err := actors.OpenLog(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	const keep, size = 8, 4 << 10
	for round := 0; round < 400; round++ {
		for i := byte(0); i < keep; i++ {
			if err := s.SaveCoordinator(nil, instanceRec(i, size)); err != nil {
				t.Fatal(err)
			}
		}
		gone := instanceRec(100, size)
		if err := s.SaveCoordinator(nil, gone); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetInstance(gone.InstanceId); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	info, _ := os.Stat(path)
	if written := int64(400 * (keep + 1) * size); info.Size() > written/4 {
		t.Fatalf("log is %d bytes after %d written: not compacted", info.Size(), written)
	}
	r, err := actors.OpenLog(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.LoadCoordinator()
	if err != nil || len(st.Instances) != keep {
		t.Fatalf("after compaction %d instances, %v; want %d", len(st.Instances), err, keep)
	}
}
