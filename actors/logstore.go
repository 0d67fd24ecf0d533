package actors

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/messages"
)

// LogStore keeps sealed records in an append-only file: each write is one
// checksummed frame, so a crash mid-write loses that write whole (it had
// not returned, so nothing it guarded was sent) and never half of it. An
// in-memory index of offsets serves reads; the records themselves stay on
// disk. That is what a load run needs: BoltStore's copy-on-write pages and
// read-through mmap put every record in the process's RSS again, and
// MemStore keeps every record in the heap.
//
// The file is compacted (live records rewritten, then renamed over it)
// when it has grown past twice its live bytes. A frame whose checksum fails
// before the last one is damage, not a torn write, and refuses the open; a
// damaged length field that points past the end cannot be told from a torn
// tail, which is why this store is for load runs and nodes use BoltStore.
type LogStore struct {
	records
	path   string
	sealer Sealer
	sync   bool

	hw  *FileHighWater
	seq uint64 // the last store sequence written (under mu)

	mu    sync.Mutex
	f     *os.File
	size  int64 // bytes in the file
	live  int64 // bytes of records the index points at
	index map[string]map[string]span
}

// span locates one sealed value in the file.
type span struct {
	off int64
	n   int
}

const (
	logPut       = 1
	logDelete    = 2
	logFrameHead = 8 // body length, CRC-32C of the body
	// compactAbove is the least file size worth compacting.
	compactAbove = 4 << 20
	compactFrame = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorruptLog is returned when a log frame other than the last is
// damaged: that is not a torn write but a damaged file.
var ErrCorruptLog = errors.New("actors: corrupt store log")

// OpenLog opens (or creates) a log store at path. Records are sealed by
// sealer. With syncEach every write is fsynced before it returns; without,
// a machine crash (not a process crash) may lose the last writes.
func OpenLog(path string, sealer Sealer, syncEach bool) (*LogStore, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("actors: open store log %s: %w", path, err)
	}
	s := &LogStore{path: path, sealer: sealer, sync: syncEach, f: f}
	s.records = records{s}
	if err := s.replay(); err != nil {
		f.Close()
		return nil, err
	}
	var seq messages.StoreSeq
	if _, err := s.get(bucketSeq, seqKey, &seq); err != nil {
		f.Close()
		return nil, err
	}
	s.seq = seq.Seq
	if s.hw, err = OpenHighWater(HighWaterPath(path), sealer); err != nil {
		f.Close()
		return nil, err
	}
	if err := checkSeq(s.seq, s.hw, path); err != nil {
		f.Close()
		return nil, err
	}
	return s, nil
}

// replay rebuilds the index from the file and cuts off a torn last frame.
func (s *LogStore) replay() error {
	s.index = map[string]map[string]span{}
	for _, b := range allBuckets {
		s.index[string(b)] = map[string]span{}
	}
	s.live = 0
	info, err := s.f.Stat()
	if err != nil {
		return fmt.Errorf("actors: store log: %w", err)
	}
	end := info.Size()
	var off int64
	head := make([]byte, logFrameHead)
	for off < end {
		if _, err := s.f.ReadAt(head, off); err != nil {
			break // torn header
		}
		n := int64(binary.LittleEndian.Uint32(head))
		if off+logFrameHead+n > end {
			break // torn body
		}
		body := make([]byte, n)
		if _, err := s.f.ReadAt(body, off+logFrameHead); err != nil {
			return fmt.Errorf("actors: store log: %w", err)
		}
		if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(head[4:]) {
			if off+logFrameHead+n == end {
				break // the last frame, torn
			}
			return fmt.Errorf("%w: %s: frame at %d", ErrCorruptLog, s.path, off)
		}
		if err := s.apply(body, off+logFrameHead); err != nil {
			return fmt.Errorf("%w: %s: frame at %d: %v", ErrCorruptLog, s.path, off, err)
		}
		off += logFrameHead + n
	}
	if off < end {
		if err := s.f.Truncate(off); err != nil {
			return fmt.Errorf("actors: store log: cut torn tail: %w", err)
		}
	}
	s.size = off
	return nil
}

// apply indexes the entries of one frame body that starts at base.
func (s *LogStore) apply(body []byte, base int64) error {
	pos := 0
	field := func() ([]byte, error) {
		l, k := binary.Uvarint(body[pos:])
		if k <= 0 || uint64(len(body)-pos-k) < l {
			return nil, io.ErrUnexpectedEOF
		}
		pos += k
		v := body[pos : pos+int(l)]
		pos += int(l)
		return v, nil
	}
	for pos < len(body) {
		op := body[pos]
		pos++
		bucket, err := field()
		if err != nil {
			return err
		}
		key, err := field()
		if err != nil {
			return err
		}
		b := s.index[string(bucket)]
		if b == nil {
			return fmt.Errorf("unknown bucket %q", bucket)
		}
		if old, ok := b[string(key)]; ok {
			s.live -= int64(old.n)
			delete(b, string(key))
		}
		switch op {
		case logPut:
			v, err := field()
			if err != nil {
				return err
			}
			b[string(key)] = span{off: base + int64(pos-len(v)), n: len(v)}
			s.live += int64(len(v))
		case logDelete:
		default:
			return fmt.Errorf("unknown entry %d", op)
		}
	}
	return nil
}

func appendField(buf, v []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(v)))
	return append(buf, v...)
}

func (s *LogStore) write(recs []record, deletes ...record) error {
	body := make([]byte, 0, 256*len(recs))
	for _, r := range recs {
		b, err := deterministicProto.Marshal(r.msg)
		if err != nil {
			return fmt.Errorf("actors: marshal record: %w", err)
		}
		sealed, err := s.sealer.Seal(b, ad(r.bucket, r.key))
		if err != nil {
			return fmt.Errorf("actors: seal record: %w", err)
		}
		body = append(body, logPut)
		body = appendField(appendField(appendField(body, r.bucket), r.key), sealed)
	}
	for _, d := range deletes {
		body = append(body, logDelete)
		body = appendField(appendField(body, d.bucket), d.key)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// The sequence goes into the same frame, so it is written with it.
	seq := s.seq + 1
	sb, err := deterministicProto.Marshal(&messages.StoreSeq{Seq: seq})
	if err != nil {
		return err
	}
	sealedSeq, err := s.sealer.Seal(sb, ad(bucketSeq, seqKey))
	if err != nil {
		return fmt.Errorf("actors: seal record: %w", err)
	}
	body = append(body, logPut)
	body = appendField(appendField(appendField(body, bucketSeq), seqKey), sealedSeq)
	if err := s.appendFrame(body); err != nil {
		return err
	}
	s.seq = seq
	if err := s.hw.Advance(seq); err != nil {
		return err
	}
	if s.size > compactAbove && s.size > 2*s.live+compactAbove/4 {
		if err := s.compact(); err != nil {
			return err
		}
	}
	return nil
}

// frameHead is a frame's header: the body's length and CRC-32C.
func frameHead(body []byte) [logFrameHead]byte {
	var h [logFrameHead]byte
	binary.LittleEndian.PutUint32(h[:], uint32(len(body)))
	binary.LittleEndian.PutUint32(h[4:], crc32.Checksum(body, castagnoli))
	return h
}

// appendFrame writes one frame at the end of the file and indexes it.
func (s *LogStore) appendFrame(body []byte) error {
	if uint64(len(body)) > math.MaxUint32 {
		return fmt.Errorf("actors: store log: a %d-byte write is over the frame limit", len(body))
	}
	head := frameHead(body)
	frame := append(head[:], body...)
	if _, err := s.f.WriteAt(frame, s.size); err != nil {
		// A partial frame is cut off on the next open; nothing indexed it.
		return fmt.Errorf("actors: store log write: %w", err)
	}
	if s.sync {
		if err := s.f.Sync(); err != nil {
			return fmt.Errorf("actors: store log sync: %w", err)
		}
	}
	if err := s.apply(body, s.size+logFrameHead); err != nil {
		return fmt.Errorf("actors: store log index: %w", err)
	}
	s.size += int64(len(frame))
	return nil
}

// compact rewrites the live records into a new file and renames it over
// the log: a crash before the rename leaves the old log whole. It writes
// frames of about compactFrame bytes, so it never holds the live set in
// memory at once.
func (s *LogStore) compact() error {
	tmp := s.path + ".compact"
	nf, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("actors: store log compact: %w", err)
	}
	fail := func(err error) error {
		nf.Close()
		os.Remove(tmp)
		return fmt.Errorf("actors: store log compact: %w", err)
	}
	w := bufio.NewWriterSize(nf, compactFrame+logFrameHead)
	body := make([]byte, 0, compactFrame)
	flush := func() error {
		if len(body) == 0 {
			return nil
		}
		head := frameHead(body)
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		_, err := w.Write(body)
		body = body[:0]
		return err
	}
	var v []byte
	for _, bucket := range allBuckets {
		for key, sp := range s.index[string(bucket)] {
			v = slices.Grow(v[:0], sp.n)[:sp.n]
			if _, err := s.f.ReadAt(v, sp.off); err != nil {
				return fail(err)
			}
			body = append(body, logPut)
			body = appendField(appendField(appendField(body, bucket), []byte(key)), v)
			if len(body) >= compactFrame {
				if err := flush(); err != nil {
					return fail(err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := nf.Sync(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fail(err)
	}
	s.f.Close()
	s.f = nf
	return s.replay()
}

func (s *LogStore) read(bucket []byte, key string, sp span) ([]byte, error) {
	v := make([]byte, sp.n)
	if _, err := s.f.ReadAt(v, sp.off); err != nil {
		return nil, fmt.Errorf("actors: store log read: %w", err)
	}
	plain, err := s.sealer.Unseal(v, ad(bucket, []byte(key)))
	if err != nil {
		return nil, fmt.Errorf("%w: %s/%x: %v", ErrCorruptStore, bucket, key, err)
	}
	return plain, nil
}

func (s *LogStore) load(bucket []byte, newMsg func() proto.Message, each func(proto.Message)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key, sp := range s.index[string(bucket)] {
		plain, err := s.read(bucket, key, sp)
		if err != nil {
			return err
		}
		m := newMsg()
		if err := decodeRecord(bucket, key, plain, m); err != nil {
			return err
		}
		each(m)
	}
	return nil
}

func (s *LogStore) get(bucket, key []byte, msg proto.Message) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sp, ok := s.index[string(bucket)][string(key)]
	if !ok {
		return false, nil
	}
	plain, err := s.read(bucket, string(key), sp)
	if err != nil {
		return false, err
	}
	if err := decodeRecord(bucket, key, plain, msg); err != nil {
		return false, err
	}
	return true, nil
}

// Close closes the file.
func (s *LogStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.f.Close(), s.hw.Close())
}
