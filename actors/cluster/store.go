package cluster

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// Typed errors of the fenced store; match them with errors.Is.
var (
	// ErrFenced: this member does not hold the instance under its live
	// lease (it never claimed it, another member did, or its lease expired).
	ErrFenced = errors.New("cluster: member is fenced off this record")
	// ErrStale: the write names a revision that is no longer current, so it
	// would overwrite (roll back) a newer record.
	ErrStale = errors.New("cluster: stale revision")
	// ErrOwned: another member holds the instance under a live lease.
	ErrOwned = errors.New("cluster: instance is held by another member")
	// ErrExists: an instance with this id was already created.
	ErrExists = errors.New("cluster: instance already exists")
)

// ErrRequestRan: the request id was already run by an instance (through
// any member); *RequestRan says which, and whether it was this request.
var ErrRequestRan = errors.New("cluster: request id already ran")

// RequestRan is the error of a request id that already ran.
type RequestRan struct {
	RequestID string
	Instance  [32]byte
	// Same: the earlier request had the same digest (a repeat, not a
	// different request reusing the id).
	Same bool
}

func (e *RequestRan) Error() string {
	return fmt.Sprintf("%v: %q by instance %x (same request: %v)", ErrRequestRan, e.RequestID, e.Instance[:6], e.Same)
}

func (e *RequestRan) Unwrap() error { return ErrRequestRan }

func requestRan(id, val string, digest []byte) error {
	inst, d, ok := strings.Cut(val, ":")
	b, err := hex.DecodeString(inst)
	if !ok || err != nil || len(b) != 32 {
		return fmt.Errorf("%w: request record %q", actors.ErrCorruptStore, id)
	}
	return &RequestRan{RequestID: id, Instance: [32]byte(b), Same: d == hex.EncodeToString(digest)}
}

// Rev is an etcd mod revision; 0 means "absent".
type Rev int64

// Member is one coordinator member's handle on the shared store. Every
// write it makes is a transaction that compares, in etcd, that the
// instance's owner key is this member's and is attached to this member's
// lease, and that the record is still at the revision the member read: a
// member whose lease expired (the owner key went with it) or that read an
// old record cannot write.
type Member struct {
	cli    *clientv3.Client
	prefix string
	name   string
	lease  clientv3.LeaseID
	sealer actors.Sealer
	stop   context.CancelFunc
	lost   chan struct{}
	stats  counters
}

type counters struct{ txns, txnNanos, reads, bytes atomic.Int64 }

// Stats are a member's etcd operation counts, for measurements.
type Stats struct {
	// Txns is the number of write transactions (create, claim, save,
	// release) and TxnTime their summed latency.
	Txns    int64
	TxnTime time.Duration
	Reads   int64
	// Bytes is the sealed record bytes written.
	Bytes int64
}

// Stats returns the counts so far.
func (m *Member) Stats() Stats {
	return Stats{Txns: m.stats.txns.Load(), TxnTime: time.Duration(m.stats.txnNanos.Load()), Reads: m.stats.reads.Load(), Bytes: m.stats.bytes.Load()}
}

// txn runs and times one write transaction.
func (m *Member) txn(ctx context.Context, cmps []clientv3.Cmp, then, els []clientv3.Op) (*clientv3.TxnResponse, error) {
	start := time.Now()
	r, err := m.cli.Txn(ctx).If(cmps...).Then(then...).Else(els...).Commit()
	m.stats.txns.Add(1)
	m.stats.txnNanos.Add(int64(time.Since(start)))
	return r, err
}

// MemberConfig configures Join.
type MemberConfig struct {
	Client *clientv3.Client
	// Prefix namespaces the keys of one cluster (default "/teeswap/").
	Prefix string
	// Name is this member's unique name.
	Name string
	// TTL is the lease's time to live in seconds (default 5): how long
	// after a member dies its instances stay fenced from the others.
	TTL int64
	// Sealer seals records; every member needs the same sealing identity.
	Sealer actors.Sealer
	// NoKeepAlive leaves the lease to expire (tests of fencing).
	NoKeepAlive bool
}

// Join grants this member's lease and keeps it alive until Close.
func Join(ctx context.Context, cfg MemberConfig) (*Member, error) {
	if cfg.Client == nil || cfg.Name == "" || cfg.Sealer == nil {
		return nil, errors.New("cluster: Join needs a client, a name and a sealer")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/teeswap/"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 5
	}
	g, err := cfg.Client.Grant(ctx, cfg.TTL)
	if err != nil {
		return nil, fmt.Errorf("cluster: grant lease: %w", err)
	}
	m := &Member{cli: cfg.Client, prefix: cfg.Prefix, name: cfg.Name, lease: g.ID, sealer: cfg.Sealer, lost: make(chan struct{})}
	// The member key lives and dies with the lease: Create compares it.
	if _, err := cfg.Client.Put(ctx, m.memberKey(), cfg.Name, clientv3.WithLease(g.ID)); err != nil {
		return nil, fmt.Errorf("cluster: register member: %w", err)
	}
	kctx, cancel := context.WithCancel(context.Background())
	m.stop = cancel
	if cfg.NoKeepAlive {
		return m, nil
	}
	ch, err := cfg.Client.KeepAlive(kctx, g.ID)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("cluster: keep lease alive: %w", err)
	}
	go func() {
		for range ch { //nolint:revive // drain keep-alive answers
		}
		close(m.lost)
	}()
	return m, nil
}

// Name is the member's name.
func (m *Member) Name() string { return m.name }

// ID names this member's incarnation: its name and lease. A restarted
// member keeps its name but has a new lease, and so a new ID.
func (m *Member) ID() string { return fmt.Sprintf("%s/%x", m.name, int64(m.lease)) }

// Lease is the member's lease id.
func (m *Member) Lease() clientv3.LeaseID { return m.lease }

// Lost is closed when the lease can no longer be kept alive: the member
// must stop driving instances (its writes are refused anyway).
func (m *Member) Lost() <-chan struct{} { return m.lost }

// Abandon stops keeping the lease alive without revoking it, as a crash
// would: the member's claims stay fenced until the TTL runs out.
func (m *Member) Abandon() { m.stop() }

// Close revokes the lease, releasing this member's instances at once.
func (m *Member) Close(ctx context.Context) error {
	m.stop()
	_, err := m.cli.Revoke(ctx, m.lease)
	return err
}

func (m *Member) instKey(id []byte) string  { return m.prefix + "inst/" + hex.EncodeToString(id) }
func (m *Member) ownerKey(id []byte) string { return m.prefix + "owner/" + hex.EncodeToString(id) }
func (m *Member) notifyKey(id []byte) string {
	return m.prefix + "notify/" + hex.EncodeToString(id)
}
func (m *Member) requestKey(id string) string {
	return m.prefix + "req/" + hex.EncodeToString([]byte(id))
}
func (m *Member) metaKey() string   { return m.prefix + "meta" }
func (m *Member) memberKey() string { return m.prefix + "members/" + m.name }

func (m *Member) seal(key string, msg proto.Message) (string, error) {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return "", err
	}
	s, err := m.sealer.Seal(b, []byte(key))
	return string(s), err
}

func (m *Member) open(key string, val []byte, msg proto.Message) error {
	b, err := m.sealer.Unseal(val, []byte(key))
	if err != nil {
		return fmt.Errorf("%w: %s: %v", actors.ErrCorruptStore, key, err)
	}
	if err := proto.Unmarshal(b, msg); err != nil {
		return fmt.Errorf("%w: %s: %v", actors.ErrCorruptStore, key, err)
	}
	return nil
}

// LoadMeta reads the allocator's state and its revision (nil, 0 if none).
func (m *Member) LoadMeta(ctx context.Context) (*messages.CoordinatorMeta, Rev, error) {
	m.stats.reads.Add(1)
	r, err := m.cli.Get(ctx, m.metaKey())
	if err != nil || len(r.Kvs) == 0 {
		return nil, 0, err
	}
	meta := &messages.CoordinatorMeta{}
	if err := m.open(m.metaKey(), r.Kvs[0].Value, meta); err != nil {
		return nil, 0, err
	}
	return meta, Rev(r.Kvs[0].ModRevision), nil
}

// LoadInstance reads one instance and its revision (nil, 0 if absent).
func (m *Member) LoadInstance(ctx context.Context, id []byte) (*messages.CoordinatorInstance, Rev, error) {
	m.stats.reads.Add(1)
	r, err := m.cli.Get(ctx, m.instKey(id))
	if err != nil || len(r.Kvs) == 0 {
		return nil, 0, err
	}
	rec := &messages.CoordinatorInstance{}
	if err := m.open(m.instKey(id), r.Kvs[0].Value, rec); err != nil {
		return nil, 0, err
	}
	return rec, Rev(r.Kvs[0].ModRevision), nil
}

// Notify reads the relay address recorded by CreateNotify ("" if none).
func (m *Member) Notify(ctx context.Context, id []byte) (string, error) {
	m.stats.reads.Add(1)
	r, err := m.cli.Get(ctx, m.notifyKey(id))
	if err != nil || len(r.Kvs) == 0 {
		return "", err
	}
	return string(r.Kvs[0].Value), nil
}

// Claim makes this member the instance's driver under its lease. It
// succeeds when nobody holds the instance or this member already does;
// ErrOwned when another live member does. The owner key dies with the
// lease, so a dead member's instances become claimable after its TTL.
func (m *Member) Claim(ctx context.Context, id []byte) error {
	k := m.ownerKey(id)
	r, err := m.txn(ctx, []clientv3.Cmp{clientv3.Compare(clientv3.CreateRevision(k), "=", 0)},
		[]clientv3.Op{clientv3.OpPut(k, m.name, clientv3.WithLease(m.lease))}, []clientv3.Op{clientv3.OpGet(k)})
	if err != nil {
		return fenced("claim", err)
	}
	if r.Succeeded {
		return nil
	}
	kvs := r.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 1 && string(kvs[0].Value) == m.name && clientv3.LeaseID(kvs[0].Lease) == m.lease {
		return nil
	}
	if len(kvs) == 1 {
		return fmt.Errorf("%w: %s", ErrOwned, kvs[0].Value)
	}
	return fmt.Errorf("%w: owner key vanished during claim", ErrOwned)
}

// fenced maps etcd's refusal of a put under an expired lease to ErrFenced.
func fenced(op string, err error) error {
	if errors.Is(err, rpctypes.ErrLeaseNotFound) {
		return fmt.Errorf("%w: %s: lease expired", ErrFenced, op)
	}
	return fmt.Errorf("cluster: %s: %w", op, err)
}

// owned compares, inside a transaction, that the instance is this
// member's under its live lease.
func (m *Member) owned(id []byte) []clientv3.Cmp {
	k := m.ownerKey(id)
	return []clientv3.Cmp{
		clientv3.Compare(clientv3.Value(k), "=", m.name),
		clientv3.Compare(clientv3.LeaseValue(k), "=", m.lease),
	}
}

// Create persists a new instance together with the allocator state that
// made it, in one transaction: this member's lease must be live (its
// member key is attached to it), the allocator must still be at metaRev
// (another member allocating in between makes this ErrStale; the caller
// reloads the allocator and retries) and the instance must not exist. The
// instance has no owner yet: the member whose grain activates it claims it.
func (m *Member) Create(ctx context.Context, meta *messages.CoordinatorMeta, metaRev Rev, rec *messages.CoordinatorInstance) (Rev, error) {
	return m.CreateNotify(ctx, meta, metaRev, rec, "", nil)
}

// CreateNotify is Create that also records, in the same transaction, the
// relay address of the gateway to tell when the instance is decided, and
// the request id with its digest: a request id runs once in the whole
// cluster, whichever gateway it is sent to (a *RequestRan error names the
// instance that runs it).
func (m *Member) CreateNotify(ctx context.Context, meta *messages.CoordinatorMeta, metaRev Rev, rec *messages.CoordinatorInstance, notify string, reqDigest []byte) (Rev, error) {
	ik := m.instKey(rec.InstanceId)
	mv, err := m.seal(m.metaKey(), meta)
	if err != nil {
		return 0, err
	}
	iv, err := m.seal(ik, rec)
	if err != nil {
		return 0, err
	}
	m.stats.bytes.Add(int64(len(mv) + len(iv)))
	var notifyOps []clientv3.Op
	if notify != "" {
		notifyOps = append(notifyOps, clientv3.OpPut(m.notifyKey(rec.InstanceId), notify))
	}
	cmps := []clientv3.Cmp{
		clientv3.Compare(clientv3.LeaseValue(m.memberKey()), "=", m.lease),
		clientv3.Compare(clientv3.ModRevision(m.metaKey()), "=", int64(metaRev)),
		clientv3.Compare(clientv3.CreateRevision(ik), "=", 0),
	}
	els := []clientv3.Op{clientv3.OpGet(m.memberKey()), clientv3.OpGet(ik, clientv3.WithKeysOnly()), clientv3.OpGet(m.metaKey(), clientv3.WithKeysOnly())}
	rk := m.requestKey(rec.RequestId)
	if rec.RequestId != "" {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(rk), "=", 0))
		notifyOps = append(notifyOps, clientv3.OpPut(rk, hex.EncodeToString(rec.InstanceId)+":"+hex.EncodeToString(reqDigest)))
		els = append(els, clientv3.OpGet(rk))
	}
	r, err := m.txn(ctx, cmps, append([]clientv3.Op{
		clientv3.OpPut(m.metaKey(), mv),
		clientv3.OpPut(ik, iv),
	}, notifyOps...), els)
	if err != nil {
		return 0, fenced("create", err)
	}
	if !r.Succeeded {
		if kvs := r.Responses[0].GetResponseRange().Kvs; len(kvs) == 0 || clientv3.LeaseID(kvs[0].Lease) != m.lease {
			return 0, fmt.Errorf("%w: create: lease expired", ErrFenced)
		}
		// An allocator that moved explains an existing id too: another
		// member allocated the same next nonce first. Reload and retry.
		if kvs := r.Responses[2].GetResponseRange().Kvs; len(kvs) == 0 && metaRev != 0 || len(kvs) == 1 && kvs[0].ModRevision != int64(metaRev) {
			return 0, fmt.Errorf("%w: allocator moved past revision %d", ErrStale, metaRev)
		}
		if len(r.Responses[1].GetResponseRange().Kvs) > 0 {
			return 0, fmt.Errorf("%w: %x", ErrExists, rec.InstanceId)
		}
		if len(r.Responses) > 3 {
			if kvs := r.Responses[3].GetResponseRange().Kvs; len(kvs) == 1 {
				return 0, requestRan(rec.RequestId, string(kvs[0].Value), reqDigest)
			}
		}
		return 0, fmt.Errorf("%w: allocator moved past revision %d", ErrStale, metaRev)
	}
	return Rev(r.Header.Revision), nil
}

// Save writes an instance's next record: only the owner under its live
// lease, and only over the revision it read (no roll-back, no lost update).
func (m *Member) Save(ctx context.Context, rec *messages.CoordinatorInstance, rev Rev) (Rev, error) {
	ik := m.instKey(rec.InstanceId)
	iv, err := m.seal(ik, rec)
	if err != nil {
		return 0, err
	}
	cmps := append(m.owned(rec.InstanceId), clientv3.Compare(clientv3.ModRevision(ik), "=", int64(rev)))
	m.stats.bytes.Add(int64(len(iv)))
	r, err := m.txn(ctx, cmps, []clientv3.Op{clientv3.OpPut(ik, iv)},
		[]clientv3.Op{clientv3.OpGet(m.ownerKey(rec.InstanceId)), clientv3.OpGet(ik, clientv3.WithKeysOnly())})
	if err != nil {
		return 0, fmt.Errorf("cluster: save: %w", err)
	}
	if r.Succeeded {
		return Rev(r.Header.Revision), nil
	}
	owner := r.Responses[0].GetResponseRange().Kvs
	if len(owner) == 0 || string(owner[0].Value) != m.name || clientv3.LeaseID(owner[0].Lease) != m.lease {
		return 0, fmt.Errorf("%w: %x", ErrFenced, rec.InstanceId)
	}
	return 0, fmt.Errorf("%w: %x at revision %d", ErrStale, rec.InstanceId, rev)
}

// Release gives up this member's claim on an instance (if it holds it).
func (m *Member) Release(ctx context.Context, id []byte) error {
	k := m.ownerKey(id)
	_, err := m.txn(ctx, m.owned(id), []clientv3.Op{clientv3.OpDelete(k)}, nil)
	return err
}

// Owner reports the member driving an instance ("" if none is).
func (m *Member) Owner(ctx context.Context, id []byte) (string, error) {
	r, err := m.cli.Get(ctx, m.ownerKey(id))
	if err != nil || len(r.Kvs) == 0 {
		return "", err
	}
	return string(r.Kvs[0].Value), nil
}

// Instances reads every instance record of the cluster (tests, the sim's
// ledger, sweeps).
func (m *Member) Instances(ctx context.Context) ([]*messages.CoordinatorInstance, error) {
	m.stats.reads.Add(1)
	r, err := m.cli.Get(ctx, m.prefix+"inst/", clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	recs := make([]*messages.CoordinatorInstance, 0, len(r.Kvs))
	for _, kv := range r.Kvs {
		rec := &messages.CoordinatorInstance{}
		if err := m.open(string(kv.Key), kv.Value, rec); err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Undecided lists the ids of instances not yet COMMITTED or
// REFUND_AUTHORIZED, for members to resume after a failure.
func (m *Member) Undecided(ctx context.Context) ([][]byte, error) {
	recs, err := m.Instances(ctx)
	if err != nil {
		return nil, err
	}
	var ids [][]byte
	for _, rec := range recs {
		if rec.Phase != messages.InstancePhase_INSTANCE_PHASE_COMMITTED && rec.Phase != messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED {
			ids = append(ids, rec.InstanceId)
		}
	}
	return ids, nil
}
