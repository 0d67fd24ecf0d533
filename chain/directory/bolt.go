package directory

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bolt layout: one top-level bucket per chain, named "chain" + chainID as 8
// big-endian bytes (so bucket order is chain order). Inside it, the nested
// bucket "channels" maps ChannelID -> encodeChannel, and key "cursor" holds
// encodeCursor. Top-level bucket "meta" records the layout version so a later
// format change can migrate instead of misreading.
var (
	bucketMeta     = []byte("meta")
	keyLayout      = []byte("layout")
	layoutV1       = []byte{1}
	chainPrefix    = []byte("chain")
	bucketChannels = []byte("channels")
	keyCursor      = []byte("cursor")
)

// BoltStore is a Store persisted in a single bbolt file. Every write call is
// one fsync'd transaction, so a watcher should write a block's events with one
// Apply rather than one Put per event.
type BoltStore struct {
	path   string
	mu     sync.RWMutex // guards db against use after Close
	db     *bolt.DB
	closed bool
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens or creates the store at path. The file is locked while open;
// a second opener fails after one second instead of hanging.
func OpenBolt(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("directory: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		switch v := meta.Get(keyLayout); {
		case v == nil:
			return meta.Put(keyLayout, layoutV1)
		case !bytes.Equal(v, layoutV1):
			return fmt.Errorf("%w: unsupported layout version %x", ErrCorrupt, v)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("directory: init %s: %w", path, err)
	}
	return &BoltStore{path: path, db: db}, nil
}

// Path returns the file the store was opened from.
func (s *BoltStore) Path() string { return s.path }

func chainBucketName(chainID uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), chainPrefix...), chainID)
}

func (s *BoltStore) update(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.Update(fn)
}

func (s *BoltStore) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

// write runs changes and an optional cursor move in one bolt transaction;
// returning an error from the closure rolls everything back.
func (s *BoltStore) write(chainID uint64, changes []Change, cursor *Cursor) error {
	return s.update(func(tx *bolt.Tx) error {
		cb, err := tx.CreateBucketIfNotExists(chainBucketName(chainID))
		if err != nil {
			return err
		}
		chs, err := cb.CreateBucketIfNotExists(bucketChannels)
		if err != nil {
			return err
		}
		if cursor != nil {
			if raw := cb.Get(keyCursor); raw != nil {
				cur, err := decodeCursor(raw)
				if err != nil {
					return err
				}
				if err := checkCursor(&cur, *cursor); err != nil {
					return err
				}
			}
		}
		st := newStaged(chainID, func(id ChannelID) (Channel, bool, error) {
			raw := chs.Get(id[:])
			if raw == nil {
				return Channel{}, false, nil
			}
			ch, err := decodeChannel(raw)
			return ch, err == nil, err
		})
		if err := st.run(changes); err != nil {
			return err
		}
		for _, id := range st.order {
			if ch := st.writes[id]; ch == nil {
				err = chs.Delete(id[:])
			} else {
				err = chs.Put(id[:], encodeChannel(ch))
			}
			if err != nil {
				return err
			}
		}
		if cursor != nil {
			return cb.Put(keyCursor, encodeCursor(*cursor))
		}
		return nil
	})
}

func (s *BoltStore) Put(ch Channel) error {
	return s.write(ch.ChainID, []Change{PutChange(ch)}, nil)
}

func (s *BoltStore) Update(chainID uint64, id ChannelID, fn func(*Channel) error) error {
	return s.write(chainID, []Change{UpdateChange(id, fn)}, nil)
}

func (s *BoltStore) Delete(chainID uint64, id ChannelID) error {
	return s.write(chainID, []Change{DeleteChange(id)}, nil)
}

func (s *BoltStore) Apply(chainID uint64, changes []Change, newCursor Cursor) error {
	return s.write(chainID, changes, &newCursor)
}

func (s *BoltStore) SetCursor(chainID uint64, c Cursor) error {
	return s.update(func(tx *bolt.Tx) error {
		cb, err := tx.CreateBucketIfNotExists(chainBucketName(chainID))
		if err != nil {
			return err
		}
		return cb.Put(keyCursor, encodeCursor(c))
	})
}

func (s *BoltStore) Get(chainID uint64, id ChannelID) (Channel, error) {
	var out Channel
	err := s.view(func(tx *bolt.Tx) error {
		chs := channelsBucket(tx, chainID)
		if chs == nil {
			return ErrNotFound
		}
		raw := chs.Get(id[:])
		if raw == nil {
			return ErrNotFound
		}
		var err error
		out, err = decodeChannel(raw) // decode copies out of the mmap
		return err
	})
	return out, err
}

func channelsBucket(tx *bolt.Tx, chainID uint64) *bolt.Bucket {
	cb := tx.Bucket(chainBucketName(chainID))
	if cb == nil {
		return nil
	}
	return cb.Bucket(bucketChannels)
}

func (s *BoltStore) List(chainID uint64) ([]Channel, error) {
	var out []Channel
	err := s.view(func(tx *bolt.Tx) error {
		chs := channelsBucket(tx, chainID)
		if chs == nil {
			return nil
		}
		// bolt iterates keys in byte order, which is ChannelID order.
		return chs.ForEach(func(_, v []byte) error {
			ch, err := decodeChannel(v)
			if err != nil {
				return err
			}
			out = append(out, ch)
			return nil
		})
	})
	return out, err
}

func (s *BoltStore) Chains() ([]uint64, error) {
	var out []uint64
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Cursor()
		for k, _ := c.Seek(chainPrefix); k != nil && bytes.HasPrefix(k, chainPrefix); k, _ = c.Next() {
			if len(k) != len(chainPrefix)+8 {
				return fmt.Errorf("%w: bucket name %q", ErrCorrupt, k)
			}
			cb := tx.Bucket(k)
			chs := cb.Bucket(bucketChannels)
			if cb.Get(keyCursor) == nil && (chs == nil || isEmpty(chs)) {
				continue
			}
			out = append(out, binary.BigEndian.Uint64(k[len(chainPrefix):]))
		}
		return nil
	})
	return out, err
}

func isEmpty(b *bolt.Bucket) bool {
	k, _ := b.Cursor().First()
	return k == nil
}

func (s *BoltStore) Cursor(chainID uint64) (Cursor, error) {
	var out Cursor
	err := s.view(func(tx *bolt.Tx) error {
		cb := tx.Bucket(chainBucketName(chainID))
		if cb == nil {
			return ErrNotFound
		}
		raw := cb.Get(keyCursor)
		if raw == nil {
			return ErrNotFound
		}
		var err error
		out, err = decodeCursor(raw)
		return err
	})
	return out, err
}

// Close waits for in-flight calls, then closes the file. Later calls fail
// with ErrClosed; closing twice is a no-op.
func (s *BoltStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.db.Close(); err != nil && !errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return err
	}
	return nil
}
