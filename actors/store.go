package actors

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Store is a node's write-ahead state. Each Save is atomic: all of its
// records are durable, or none.
type Store interface {
	SaveTerminal(out terminal.Output) error
	SaveTrusted(coordinator common.Address) error
	LoadTerminal() (TerminalState, error)
	SaveCoordinator(meta *messages.CoordinatorMeta, instance *messages.CoordinatorInstance) error
	// SavePeer records where a terminal registered, so a restarted
	// coordinator can reach the terminals of its resumed instances.
	SavePeer(terminal common.Address, peer *messages.Peer) error
	LoadCoordinator() (CoordinatorState, error)
	// LoadInstance reads one coordinator instance, or nil if absent.
	LoadInstance(id []byte) (*messages.CoordinatorInstance, error)
	// ForgetInstance drops an ended coordinator instance from the store
	// (the sim prunes to bound memory; a node keeps them).
	ForgetInstance(id []byte) error
	// SaveRequest, LoadRequests and ForgetRequest keep the coordinator's
	// request records: the idempotency index and the write-ahead queue.
	SaveRequest(rec *messages.RequestRecord) error
	LoadRequests() ([]*messages.RequestRecord, error)
	ForgetRequest(requestID string) error
	// SaveNewInstance persists a new instance with its request record in
	// one atomic write.
	SaveNewInstance(meta *messages.CoordinatorMeta, in *messages.CoordinatorInstance, req *messages.RequestRecord) error
	Close() error
}

// TerminalState is what a terminal enclave persisted.
type TerminalState struct {
	Coordinators []common.Address
	Channels     []*messages.ChannelRecord
	Instances    []*messages.TerminalInstance
}

// CoordinatorState is what a coordinator enclave persisted.
type CoordinatorState struct {
	Meta      *messages.CoordinatorMeta
	Instances []*messages.CoordinatorInstance
	Peers     map[common.Address]*messages.Peer
}

// Sealer encrypts records for the store; enclave backends implement it.
type Sealer interface {
	Seal(plaintext, additionalData []byte) ([]byte, error)
	Unseal(sealed, additionalData []byte) ([]byte, error)
}

// ErrCorruptStore is returned when a stored record cannot be unsealed or
// decoded: a tampered or foreign store.
var ErrCorruptStore = errors.New("actors: store record cannot be unsealed or decoded")

var (
	bucketChannels     = []byte("channels")
	bucketTInstances   = []byte("terminal-instances")
	bucketTrusted      = []byte("coordinators")
	bucketMeta         = []byte("meta")
	bucketCInstances   = []byte("coordinator-instances")
	bucketPeers        = []byte("peers")
	bucketVersions     = []byte("channel-versions")
	bucketSeq          = []byte("store-seq")
	bucketRequests     = []byte("requests")
	allBuckets         = [][]byte{bucketChannels, bucketTInstances, bucketTrusted, bucketMeta, bucketCInstances, bucketPeers, bucketVersions, bucketSeq, bucketRequests}
	metaKey            = []byte("meta")
	deterministicProto = proto.MarshalOptions{Deterministic: true}
)

func instanceKey(id []byte, net uint32) []byte {
	return append(append([]byte{}, id...), byte(net>>24), byte(net>>16), byte(net>>8), byte(net))
}

// record is one key/value write in one bucket.
type record struct {
	bucket, key []byte
	msg         proto.Message
}

func terminalRecords(out terminal.Output) []record {
	recs := make([]record, 0, len(out.Channels)+len(out.Instances))
	for _, c := range out.Channels {
		recs = append(recs, record{bucketChannels, c.ChannelId, c})
	}
	for _, r := range out.Instances {
		recs = append(recs, record{bucketTInstances, instanceKey(r.InstanceId, r.NetworkIndex), r})
	}
	return recs
}

// BoltStore keeps sealed records in a bbolt file.
type BoltStore struct {
	records
	db     *bolt.DB
	sealer Sealer
	noSync bool
	hw     *FileHighWater
	// seq is the last store sequence given out; bbolt's single writer
	// serializes the batch functions that raise it.
	seq uint64
}

// OpenBolt opens (or creates) a store at path. Records are sealed by
// sealer; noSync trades durability for speed and is for load tests only.
// A damaged file (truncated, bad pages) is ErrCorruptStore, never a panic;
// a store older than its high-water mark (path.seq) is ErrStoreRolledBack.
func OpenBolt(path string, sealer Sealer, noSync bool) (*BoltStore, error) {
	db, err := openBoltChecked(path, noSync)
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("actors: init store: %w", err)
	}
	s := &BoltStore{db: db, sealer: sealer, noSync: noSync}
	s.records = records{s}
	var seq messages.StoreSeq
	if _, err := s.get(bucketSeq, seqKey, &seq); err != nil {
		db.Close()
		return nil, err
	}
	s.seq = seq.Seq
	if s.hw, err = OpenHighWater(HighWaterPath(path), sealer); err != nil {
		db.Close()
		return nil, err
	}
	if err := checkSeq(s.seq, s.hw, path); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// openBoltChecked opens a bbolt file and walks every page once: bbolt
// panics (or faults on its mmap) on a truncated or damaged file, which
// must be a clear error at start-up rather than a crash later.
func openBoltChecked(path string, noSync bool) (db *bolt.DB, err error) {
	if err := checkBoltFile(path); err != nil {
		return nil, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if db != nil {
				db.Close()
			}
			db, err = nil, fmt.Errorf("%w: %s: %v", ErrCorruptStore, path, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{NoSync: noSync, Timeout: 10 * time.Second})
	if err != nil {
		if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorruptStore, path, err)
		}
		return nil, fmt.Errorf("actors: open store %s: %w", path, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("actors: open store %s: %w", path, err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		// Pages past the end of a truncated file would fault on the mmap
		// (in bbolt's checker goroutine, where nothing can recover).
		if tx.Size() > info.Size() {
			return fmt.Errorf("file is %d bytes, its pages need %d (truncated)", info.Size(), tx.Size())
		}
		var first error
		for e := range tx.Check() {
			if first == nil {
				first = e
			}
		}
		return first
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: %s: %v", ErrCorruptStore, path, err)
	}
	return db, nil
}

// additional data binds a sealed value to its bucket and key, so records
// cannot be swapped between keys.
func ad(bucket, key []byte) []byte { return append(append(append([]byte{}, bucket...), '/'), key...) }

func (s *BoltStore) write(recs []record, deletes ...record) error {
	sealed := make([][]byte, len(recs))
	for i, r := range recs {
		b, err := deterministicProto.Marshal(r.msg)
		if err != nil {
			return fmt.Errorf("actors: marshal record: %w", err)
		}
		if sealed[i], err = s.sealer.Seal(b, ad(r.bucket, r.key)); err != nil {
			return fmt.Errorf("actors: seal record: %w", err)
		}
	}
	// Batch coalesces concurrent writers (one actor per instance) into
	// one disk sync; each call still returns only once durable.
	var mine uint64
	err := s.db.Batch(func(tx *bolt.Tx) error {
		s.seq++
		mine = s.seq
		b, err := deterministicProto.Marshal(&messages.StoreSeq{Seq: mine})
		if err != nil {
			return err
		}
		sealedSeq, err := s.sealer.Seal(b, ad(bucketSeq, seqKey))
		if err != nil {
			return err
		}
		if err := tx.Bucket(bucketSeq).Put(seqKey, sealedSeq); err != nil {
			return err
		}
		for i, r := range recs {
			if err := tx.Bucket(r.bucket).Put(r.key, sealed[i]); err != nil {
				return err
			}
		}
		for _, d := range deletes {
			if err := tx.Bucket(d.bucket).Delete(d.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// After the store: a crash in between leaves the mark behind the
	// store, which is accepted.
	return s.hw.Advance(mine)
}

func (s *BoltStore) load(bucket []byte, newMsg func() proto.Message, each func(proto.Message)) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			plain, err := s.sealer.Unseal(v, ad(bucket, k))
			if err != nil {
				return fmt.Errorf("%w: %s/%x: %v", ErrCorruptStore, bucket, k, err)
			}
			m := newMsg()
			if err := decodeRecord(bucket, k, plain, m); err != nil {
				return err
			}
			each(m)
			return nil
		})
	})
}

func (s *BoltStore) get(bucket, key []byte, msg proto.Message) (bool, error) {
	var sealed []byte
	_ = s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucket).Get(key); v != nil {
			sealed = append([]byte{}, v...)
		}
		return nil
	})
	if sealed == nil {
		return false, nil
	}
	plain, err := s.sealer.Unseal(sealed, ad(bucket, key))
	if err != nil {
		return false, fmt.Errorf("%w: %s/%x: %v", ErrCorruptStore, bucket, key, err)
	}
	if err := decodeRecord(bucket, key, plain, msg); err != nil {
		return false, err
	}
	return true, nil
}

// checkBoltFile reads the two bbolt meta pages itself and refuses a file
// whose chosen meta needs pages past its end: bbolt would panic on it (and,
// panicking inside Open, keep the file locked).
func checkBoltFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("actors: open store %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() == 0 {
		return err // empty: bbolt initializes it (and the mark refuses it)
	}
	const metaMagic = 0xED0CDAED
	var best struct {
		ok             bool
		txid, pgid, fl uint64
		pageSize       uint64
	}
	buf := make([]byte, 80)
	for _, off := range []int64{0, -1} {
		if off < 0 {
			if !best.ok {
				off = 4096 // guess: the second meta page follows the first page
			} else {
				off = int64(best.pageSize)
			}
		}
		if _, err := f.ReadAt(buf, off); err != nil {
			continue
		}
		if binary.LittleEndian.Uint32(buf[16:]) != metaMagic {
			continue
		}
		h := fnv.New64a()
		h.Write(buf[16:72])
		if h.Sum64() != binary.LittleEndian.Uint64(buf[72:]) {
			continue
		}
		txid := binary.LittleEndian.Uint64(buf[64:])
		if !best.ok || txid > best.txid {
			best.ok, best.txid = true, txid
			best.pageSize = uint64(binary.LittleEndian.Uint32(buf[24:]))
			best.fl, best.pgid = binary.LittleEndian.Uint64(buf[48:]), binary.LittleEndian.Uint64(buf[56:])
		}
	}
	switch {
	case !best.ok:
		return fmt.Errorf("%w: %s: no valid bbolt meta page", ErrCorruptStore, path)
	case best.pageSize == 0 || best.pgid*best.pageSize > uint64(info.Size()):
		return fmt.Errorf("%w: %s: %d bytes, its pages need %d (truncated)", ErrCorruptStore, path, info.Size(), best.pgid*best.pageSize)
	case best.fl != ^uint64(0) && best.fl >= best.pgid:
		return fmt.Errorf("%w: %s: freelist page %d past the last page %d", ErrCorruptStore, path, best.fl, best.pgid)
	}
	return nil
}

// Close closes the file.
func (s *BoltStore) Close() error { return errors.Join(s.db.Close(), s.hw.Close()) }

// MemStore keeps marshalled records in memory: for tests and load runs.
// It marshals like BoltStore, so a test sees the same aliasing rules.
type MemStore struct {
	records
	mu   sync.Mutex
	data map[string]map[string][]byte
	seq  uint64
	hw   *MemHighWater
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	m := &MemStore{data: map[string]map[string][]byte{}, hw: &MemHighWater{}}
	m.records = records{m}
	for _, b := range allBuckets {
		m.data[string(b)] = map[string][]byte{}
	}
	return m
}

// Snapshot copies the store as it is now, sharing its high-water mark: an
// "older copy" a host could restore later (fault injection, tests).
func (m *MemStore) Snapshot() *MemStore {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &MemStore{data: map[string]map[string][]byte{}, seq: m.seq, hw: m.hw}
	c.records = records{c}
	for b, kv := range m.data {
		c.data[b] = make(map[string][]byte, len(kv))
		for k, v := range kv {
			c.data[b][k] = v
		}
	}
	return c
}

// Seq is the store's write sequence.
func (m *MemStore) Seq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seq
}

// Clone copies the store and its high-water mark: a host that restores
// both from one older backup (what the mark cannot catch; the cross-check
// with the terminals does).
func (m *MemStore) Clone() *MemStore {
	c := m.Snapshot()
	mark, set, _ := m.hw.Load()
	c.hw = &MemHighWater{mark: mark, set: set}
	return c
}

// Reopen is what a restarted node does with this store: it is refused
// with ErrStoreRolledBack when its sequence is behind the mark.
func (m *MemStore) Reopen() (*MemStore, error) {
	m.mu.Lock()
	seq := m.seq
	m.mu.Unlock()
	if err := checkSeq(seq, m.hw, "memory store"); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *MemStore) write(recs []record, deletes ...record) error {
	enc := make([][]byte, len(recs))
	for i, r := range recs {
		b, err := deterministicProto.Marshal(r.msg)
		if err != nil {
			return fmt.Errorf("actors: marshal record: %w", err)
		}
		enc[i] = b
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, r := range recs {
		m.data[string(r.bucket)][string(r.key)] = enc[i]
	}
	for _, d := range deletes {
		delete(m.data[string(d.bucket)], string(d.key))
	}
	m.seq++
	return m.hw.Advance(m.seq)
}

func (m *MemStore) load(bucket []byte, newMsg func() proto.Message, each func(proto.Message)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.data[string(bucket)] {
		msg := newMsg()
		if err := decodeRecord(bucket, k, v, msg); err != nil {
			return err
		}
		each(msg)
	}
	return nil
}

func (m *MemStore) get(bucket, key []byte, msg proto.Message) (bool, error) {
	m.mu.Lock()
	v, ok := m.data[string(bucket)][string(key)]
	m.mu.Unlock()
	if !ok {
		return false, nil
	}
	if err := decodeRecord(bucket, key, v, msg); err != nil {
		return false, err
	}
	return true, nil
}

// Close does nothing.
func (m *MemStore) Close() error { return nil }

// decodeRecord unmarshals a stored record; failing, the store is corrupt.
func decodeRecord[K ~string | ~[]byte](bucket []byte, key K, plain []byte, msg proto.Message) error {
	if err := proto.Unmarshal(plain, msg); err != nil {
		return fmt.Errorf("%w: %s/%x: %v", ErrCorruptStore, bucket, key, err)
	}
	return nil
}

// kv is what a store backend provides: atomic writes and scans.
type kv interface {
	write(recs []record, deletes ...record) error
	load(bucket []byte, newMsg func() proto.Message, each func(proto.Message)) error
	get(bucket, key []byte, msg proto.Message) (bool, error)
}

// LoadInstance reads one coordinator instance, or nil if absent.
func (r records) LoadInstance(id []byte) (*messages.CoordinatorInstance, error) {
	var in messages.CoordinatorInstance
	ok, err := r.kv.get(bucketCInstances, id, &in)
	if !ok || err != nil {
		return nil, err
	}
	return &in, nil
}

// records implements Store's methods once over any kv backend.
type records struct{ kv kv }

// SaveTerminal persists a terminal step's records.
func (r records) SaveTerminal(out terminal.Output) error {
	if len(out.Channels)+len(out.Instances) == 0 {
		return nil
	}
	return r.kv.write(terminalRecords(out))
}

// SaveTrusted persists an admitted coordinator.
func (r records) SaveTrusted(c common.Address) error {
	return r.kv.write([]record{{bucketTrusted, c.Bytes(), &messages.Peer{Id: c.Hex()}}})
}

// LoadTerminal reads everything a terminal persisted.
func (r records) LoadTerminal() (TerminalState, error) {
	var st TerminalState
	err := r.kv.load(bucketTrusted, func() proto.Message { return &messages.Peer{} }, func(m proto.Message) {
		st.Coordinators = append(st.Coordinators, common.HexToAddress(m.(*messages.Peer).Id))
	})
	if err == nil {
		err = r.kv.load(bucketChannels, func() proto.Message { return &messages.ChannelRecord{} }, func(m proto.Message) {
			st.Channels = append(st.Channels, m.(*messages.ChannelRecord))
		})
	}
	if err == nil {
		err = r.kv.load(bucketTInstances, func() proto.Message { return &messages.TerminalInstance{} }, func(m proto.Message) {
			st.Instances = append(st.Instances, m.(*messages.TerminalInstance))
		})
	}
	return st, err
}

// SaveCoordinator persists the allocator's meta and/or one instance.
func (r records) SaveCoordinator(meta *messages.CoordinatorMeta, in *messages.CoordinatorInstance) error {
	var recs []record
	if meta != nil {
		recs = append(recs, record{bucketMeta, metaKey, &messages.CoordinatorMeta{Coordinator: meta.Coordinator, NextNonce: meta.NextNonce}})
		recs = appendVersions(recs, meta, in)
	}
	if in != nil {
		recs = append(recs, record{bucketCInstances, in.InstanceId, in})
	}
	if len(recs) == 0 {
		return nil
	}
	return r.kv.write(recs)
}

// appendVersions adds the channel version counters to persist, one record
// per channel: those of the instance's routes, the only ones Create moves,
// or every one when there is no route to go by. One record for the whole
// map would cost a sorted marshal of every channel ever used per instance.
func appendVersions(recs []record, meta *messages.CoordinatorMeta, in *messages.CoordinatorInstance) []record {
	one := func(key string) record {
		return record{bucketVersions, []byte(key), &messages.CoordinatorMeta{NextVersion: map[string]uint64{key: meta.NextVersion[key]}}}
	}
	if len(in.GetNetworks()) == 0 {
		for key := range meta.NextVersion {
			recs = append(recs, one(key))
		}
		return recs
	}
	for _, np := range in.Networks {
		for _, h := range np.GetNetwork().GetHops() {
			if key := hex.EncodeToString(h.ChannelId); meta.NextVersion[key] != 0 {
				recs = append(recs, one(key))
			}
		}
	}
	return recs
}

// SavePeer records where a terminal registered.
func (r records) SavePeer(t common.Address, peer *messages.Peer) error {
	return r.kv.write([]record{{bucketPeers, t.Bytes(), &messages.RegisterTerminal{Address: t.Bytes(), Peer: peer}}})
}

// LoadCoordinator reads everything a coordinator persisted.
func (r records) LoadCoordinator() (CoordinatorState, error) {
	st := CoordinatorState{Peers: map[common.Address]*messages.Peer{}}
	err := r.kv.load(bucketPeers, func() proto.Message { return &messages.RegisterTerminal{} }, func(m proto.Message) {
		reg := m.(*messages.RegisterTerminal)
		st.Peers[common.BytesToAddress(reg.Address)] = reg.Peer
	})
	if err != nil {
		return st, err
	}
	err = r.kv.load(bucketMeta, func() proto.Message { return &messages.CoordinatorMeta{} }, func(m proto.Message) {
		st.Meta = m.(*messages.CoordinatorMeta)
	})
	if err == nil && st.Meta != nil {
		// Stores written before per-channel records hold the map in meta.
		if st.Meta.NextVersion == nil {
			st.Meta.NextVersion = map[string]uint64{}
		}
		err = r.kv.load(bucketVersions, func() proto.Message { return &messages.CoordinatorMeta{} }, func(m proto.Message) {
			for k, v := range m.(*messages.CoordinatorMeta).NextVersion {
				st.Meta.NextVersion[k] = v
			}
		})
	}
	if err == nil {
		err = r.kv.load(bucketCInstances, func() proto.Message { return &messages.CoordinatorInstance{} }, func(m proto.Message) {
			st.Instances = append(st.Instances, m.(*messages.CoordinatorInstance))
		})
	}
	return st, err
}

// ForgetInstance deletes an ended coordinator instance.
func (r records) ForgetInstance(id []byte) error {
	return r.kv.write(nil, record{bucket: bucketCInstances, key: id})
}

// SaveRequest persists one request record under its request id.
func (r records) SaveRequest(rec *messages.RequestRecord) error {
	return r.kv.write([]record{{bucketRequests, []byte(rec.RequestId), rec}})
}

// LoadRequests reads every request record.
func (r records) LoadRequests() ([]*messages.RequestRecord, error) {
	var out []*messages.RequestRecord
	err := r.kv.load(bucketRequests, func() proto.Message { return &messages.RequestRecord{} }, func(m proto.Message) {
		out = append(out, m.(*messages.RequestRecord))
	})
	return out, err
}

// ForgetRequest drops a request record.
func (r records) ForgetRequest(requestID string) error {
	return r.kv.write(nil, record{bucket: bucketRequests, key: []byte(requestID)})
}

// SaveNewInstance persists a new instance, the allocator's meta and the
// request's record together: a request id never points at an instance
// that was not persisted, nor an instance lacks its request record.
func (r records) SaveNewInstance(meta *messages.CoordinatorMeta, in *messages.CoordinatorInstance, req *messages.RequestRecord) error {
	var recs []record
	if meta != nil {
		recs = append(recs, record{bucketMeta, metaKey, &messages.CoordinatorMeta{Coordinator: meta.Coordinator, NextNonce: meta.NextNonce}})
		recs = appendVersions(recs, meta, in)
	}
	recs = append(recs, record{bucketCInstances, in.InstanceId, in})
	if req != nil && req.RequestId != "" {
		recs = append(recs, record{bucketRequests, []byte(req.RequestId), req})
	}
	return r.kv.write(recs)
}
