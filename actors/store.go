package actors

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"
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
	allBuckets         = [][]byte{bucketChannels, bucketTInstances, bucketTrusted, bucketMeta, bucketCInstances, bucketPeers, bucketVersions}
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
}

// OpenBolt opens (or creates) a store at path. Records are sealed by
// sealer; noSync trades durability for speed and is for load tests only.
func OpenBolt(path string, sealer Sealer, noSync bool) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: noSync})
	if err != nil {
		return nil, fmt.Errorf("actors: open store %s: %w", path, err)
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
	return s, nil
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
	return s.db.Batch(func(tx *bolt.Tx) error {
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

// Close closes the file.
func (s *BoltStore) Close() error { return s.db.Close() }

// MemStore keeps marshalled records in memory: for tests and load runs.
// It marshals like BoltStore, so a test sees the same aliasing rules.
type MemStore struct {
	records
	mu   sync.Mutex
	data map[string]map[string][]byte
}

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore {
	m := &MemStore{data: map[string]map[string][]byte{}}
	m.records = records{m}
	for _, b := range allBuckets {
		m.data[string(b)] = map[string][]byte{}
	}
	return m
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
	return nil
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
