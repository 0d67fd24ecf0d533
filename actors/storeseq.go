package actors

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
)

// A store's write sequence (issue 11): every write carries the next value
// of a sealed counter, and a separately sealed high-water mark remembers
// the highest one written. A store older than the mark (a restored copy,
// bbolt falling back to an older meta page, an emptied file) is refused
// when it is opened, instead of resuming from the past.

var (
	// ErrStoreRolledBack is returned when a store's sealed sequence is
	// below its high-water mark: it is an older copy of the store.
	ErrStoreRolledBack = errors.New("actors: store is older than its sealed high-water mark (restored from an older copy?)")
	// ErrStoreMissing is returned when a node whose sealed key exists
	// finds its store missing or empty: starting afresh would forget
	// decided instances and signed channel states.
	ErrStoreMissing = errors.New("actors: the node's sealed key exists but its store is missing or empty")
)

var seqKey = []byte("seq")

// HighWater keeps the highest store sequence written, apart from the store.
type HighWater interface {
	// Load returns the mark, and false when none was ever written.
	Load() (uint64, bool, error)
	// Advance raises the mark to seq (never lowers it).
	Advance(seq uint64) error
}

// checkSeq refuses a store whose sequence is behind the mark.
func checkSeq(stored uint64, hw HighWater, what string) error {
	mark, ok, err := hw.Load()
	if err != nil {
		return err
	}
	switch {
	case ok && stored < mark:
		return fmt.Errorf("%w: %s holds sequence %d, the high-water mark is %d", ErrStoreRolledBack, what, stored, mark)
	case !ok && stored > 0:
		return fmt.Errorf("%w: %s holds sequence %d but its high-water mark is gone", ErrStoreRolledBack, what, stored)
	}
	return nil
}

// MemHighWater is a HighWater in memory (tests, in-process sims).
type MemHighWater struct {
	mu   sync.Mutex
	mark uint64
	set  bool
}

// Load implements HighWater.
func (h *MemHighWater) Load() (uint64, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mark, h.set, nil
}

// Advance implements HighWater.
func (h *MemHighWater) Advance(seq uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.set || seq > h.mark {
		h.mark, h.set = seq, true
	}
	return nil
}

// FileHighWater keeps the mark sealed in a small file of two slots, written
// alternately in place, so a torn write spoils at most the older slot. It is
// not fsynced: it is written after the store, so after a machine crash it
// can only lag the store (less protection, never a false refusal).
type FileHighWater struct {
	path   string
	sealer Sealer
	mu     sync.Mutex
	f      *os.File
	mark   uint64
	set    bool
}

const hwSlot = 512

var hwAD = []byte("teeswap/store-high-water")

// OpenHighWater opens (or prepares to create) the mark file at path.
func OpenHighWater(path string, sealer Sealer) (*FileHighWater, error) {
	h := &FileHighWater{path: path, sealer: sealer}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return h, nil
	}
	if err != nil {
		return nil, fmt.Errorf("actors: high-water mark %s: %w", path, err)
	}
	for i := 0; i+hwSlot <= len(b); i += hwSlot {
		slot := b[i : i+hwSlot]
		n := binary.BigEndian.Uint32(slot)
		if n == 0 || n > hwSlot-4 {
			continue
		}
		plain, err := sealer.Unseal(slot[4:4+n], hwAD)
		if err != nil || len(plain) != 8 {
			continue
		}
		if v := binary.BigEndian.Uint64(plain); !h.set || v > h.mark {
			h.mark, h.set = v, true
		}
	}
	if !h.set {
		return nil, fmt.Errorf("%w: high-water mark %s holds no valid slot", ErrCorruptStore, path)
	}
	return h, nil
}

// Load implements HighWater.
func (h *FileHighWater) Load() (uint64, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.mark, h.set, nil
}

// Advance implements HighWater.
func (h *FileHighWater) Advance(seq uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.set && seq <= h.mark {
		return nil
	}
	if h.f == nil {
		f, err := os.OpenFile(h.path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("actors: high-water mark: %w", err)
		}
		h.f = f
	}
	plain := binary.BigEndian.AppendUint64(nil, seq)
	sealed, err := h.sealer.Seal(plain, hwAD)
	if err != nil {
		return fmt.Errorf("actors: seal high-water mark: %w", err)
	}
	if len(sealed) > hwSlot-4 {
		return fmt.Errorf("actors: sealed high-water mark is %d bytes", len(sealed))
	}
	slot := make([]byte, hwSlot)
	binary.BigEndian.PutUint32(slot, uint32(len(sealed)))
	copy(slot[4:], sealed)
	if _, err := h.f.WriteAt(slot, int64(seq%2)*hwSlot); err != nil {
		return fmt.Errorf("actors: high-water mark: %w", err)
	}
	h.mark, h.set = seq, true
	return nil
}

// Close closes the file.
func (h *FileHighWater) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		return nil
	}
	err := h.f.Close()
	h.f = nil
	return err
}

// HighWaterPath is where a file store keeps its mark.
func HighWaterPath(storePath string) string { return storePath + ".seq" }

// CheckStoreFile returns ErrStoreMissing when the store file at path is
// missing or empty; a node whose sealed key exists calls it before opening.
func CheckStoreFile(path string) error {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s does not exist", ErrStoreMissing, path)
	}
	if err != nil {
		return fmt.Errorf("actors: store %s: %w", path, err)
	}
	if info.Size() == 0 {
		return fmt.Errorf("%w: %s is empty", ErrStoreMissing, path)
	}
	return nil
}
