package actors_test

import (
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/messages"
)

// testStoreRollback is the stale-store conformance suite every backend
// runs (issue 11): a malicious or careless host restores an older copy of
// the store (or an empty one); the node must refuse to open it.
// copyNow keeps the store as it is now and returns what reopening that
// copy later (in place of the live store) gives.
func testStoreRollback(t *testing.T, open func(t *testing.T) (s actors.Store, copyNow func() (reopenCopy func() (actors.Store, error)))) {
	t.Run("stale store: an empty copy is refused", func(t *testing.T) {
		s, copyNow := open(t)
		empty := copyNow()
		if err := s.SaveCoordinator(nil, instanceRec(1, 4)); err != nil {
			t.Fatal(err)
		}
		if _, err := empty(); !errors.Is(err, actors.ErrStoreRolledBack) {
			t.Fatalf("empty copy: %v, want ErrStoreRolledBack", err)
		}
	})
	t.Run("stale store: a copy one write old is refused, the current one opens", func(t *testing.T) {
		s, copyNow := open(t)
		if err := s.SaveCoordinator(nil, instanceRec(1, 4)); err != nil {
			t.Fatal(err)
		}
		old := copyNow()
		// The write the old copy lacks: the instance's decision.
		decided := instanceRec(1, 4)
		decided.Phase = messages.InstancePhase_INSTANCE_PHASE_COMMITTED
		if err := s.SaveCoordinator(nil, decided); err != nil {
			t.Fatal(err)
		}
		cur := copyNow()
		if _, err := old(); !errors.Is(err, actors.ErrStoreRolledBack) {
			t.Fatalf("older copy: %v, want ErrStoreRolledBack", err)
		}
		r, err := cur()
		if err != nil {
			t.Fatalf("current copy: %v", err)
		}
		got, err := r.LoadInstance(decided.InstanceId)
		if err != nil || got.GetPhase() != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			t.Fatalf("current copy holds %v, %v", got, err)
		}
	})
}

func TestMemStoreRollback(t *testing.T) {
	testStoreRollback(t, func(t *testing.T) (actors.Store, func() func() (actors.Store, error)) {
		s := actors.NewMemStore()
		return s, func() func() (actors.Store, error) {
			c := s.Snapshot()
			return func() (actors.Store, error) { return c.Reopen() }
		}
	})
}

// fileRollback runs the suite over a file store: a copy is the file's
// bytes, restored over it (the high-water mark file stays, as a host that
// restores only state.db leaves it).
func fileRollback(t *testing.T, name string, openFile func(path string) (actors.Store, error)) {
	testStoreRollback(t, func(t *testing.T) (actors.Store, func() func() (actors.Store, error)) {
		path := filepath.Join(t.TempDir(), name)
		s, err := openFile(path)
		if err != nil {
			t.Fatal(err)
		}
		cur := s
		t.Cleanup(func() {
			if cur != nil {
				cur.Close()
			}
		})
		return s, func() func() (actors.Store, error) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			return func() (actors.Store, error) {
				if cur != nil {
					cur.Close()
					cur = nil
				}
				if err := os.WriteFile(path, b, 0o600); err != nil {
					t.Fatal(err)
				}
				r, err := openFile(path)
				if err == nil {
					cur = r
				}
				return r, err
			}
		}
	})
}

func TestBoltStoreRollback(t *testing.T) {
	backend := logBackend(t)
	fileRollback(t, "node.db", func(p string) (actors.Store, error) { return actors.OpenBolt(p, backend, false) })
}

func TestLogStoreRollback(t *testing.T) {
	backend := logBackend(t)
	fileRollback(t, "node.log", func(p string) (actors.Store, error) { return actors.OpenLog(p, backend, false) })
}

// Incident: a meta-page byte flipped; bbolt silently fell back to the
// previous transaction and the coordinator resumed an instance it had
// already decided. The store's sequence is now behind its mark: refused.
func TestBoltStoreRefusesMetaPageFallback(t *testing.T) {
	backend := logBackend(t)
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := actors.OpenBolt(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := byte(1); i <= 3; i++ {
		if err := s.SaveCoordinator(nil, instanceRec(i, 4)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Two meta pages at page 0 and 1 (4096 bytes here); txid at byte 64
	// of each, checksum at 72. Spoil the newer one's checksum.
	txid := func(page int64) uint64 {
		b := make([]byte, 8)
		if _, err := f.ReadAt(b, page*4096+64); err != nil {
			t.Fatal(err)
		}
		return binary.LittleEndian.Uint64(b)
	}
	newer := int64(0)
	if txid(1) > txid(0) {
		newer = 1
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, newer*4096+72); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, newer*4096+72); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if r, err := actors.OpenBolt(path, backend, false); !errors.Is(err, actors.ErrStoreRolledBack) {
		if err == nil {
			r.Close()
		}
		t.Fatalf("bbolt fell back to an older meta page: %v, want ErrStoreRolledBack", err)
	}
}

// Incident: a half-truncated state.db made bbolt panic. It is now a clear
// error at open.
func TestBoltStoreRefusesTruncatedFile(t *testing.T) {
	backend := logBackend(t)
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := actors.OpenBolt(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 150 {
		if err := s.SaveCoordinator(nil, instanceRec(byte(i), 2000)); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	info, _ := os.Stat(path)
	for _, size := range []int64{info.Size() / 2, info.Size() / 3, 4096 * 3, 100} {
		if err := os.Truncate(path, size); err != nil {
			t.Fatal(err)
		}
		if r, err := actors.OpenBolt(path, backend, false); !errors.Is(err, actors.ErrCorruptStore) && !errors.Is(err, actors.ErrStoreRolledBack) {
			if err == nil {
				r.Close()
			}
			t.Fatalf("truncated to %d bytes: %v, want ErrCorruptStore", size, err)
		}
	}
}

// Incident: state.db deleted or emptied; the node rebuilt itself at
// version 0. CheckStoreFile is what a node with a sealed key runs first.
func TestCheckStoreFileRefusesMissingOrEmpty(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.db")
	if err := actors.CheckStoreFile(path); !errors.Is(err, actors.ErrStoreMissing) {
		t.Fatalf("missing: %v", err)
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := actors.CheckStoreFile(path); !errors.Is(err, actors.ErrStoreMissing) {
		t.Fatalf("empty: %v", err)
	}
	// Even without that check, a deleted store is refused while its
	// high-water mark is there.
	backend, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := actors.OpenBolt(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveTrusted([20]byte{1}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := actors.CheckStoreFile(path); err != nil {
		t.Fatalf("a store in use: %v", err)
	}
	os.Remove(path)
	if r, err := actors.OpenBolt(path, backend, false); !errors.Is(err, actors.ErrStoreRolledBack) {
		if err == nil {
			r.Close()
		}
		t.Fatalf("deleted store reopened: %v, want ErrStoreRolledBack", err)
	}
}
