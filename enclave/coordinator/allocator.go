package coordinator

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/messages"
)

// Outbound is one envelope for one terminal.
type Outbound struct {
	To  common.Address
	Env *messages.Envelope
}

// Output is what a step asks its caller to do: persist Meta and Instance
// (when not nil), then send. The records stay valid until the next step
// on the same allocator or instance.
type Output struct {
	Meta     *messages.CoordinatorMeta
	Instance *messages.CoordinatorInstance
	Send     []Outbound
}

// DefaultTimeoutMs is the time an instance has to reach COMMITTED when the
// request names none.
const DefaultTimeoutMs = 10_000

// MaxTimeoutMs bounds a request's timeout: funds stay reserved until the
// deadline, and a client-chosen value must not overflow it.
const MaxTimeoutMs = 24 * 60 * 60 * 1000

// Allocator creates instances. It owns the instance nonce and the
// per-channel version counters, so ids and versions are never reused.
type Allocator struct {
	signer messages.Signer
	meta   *messages.CoordinatorMeta
}

// NewAllocator resumes from persisted meta, or starts fresh when nil.
func NewAllocator(key enclave.Key, meta *messages.CoordinatorMeta) (*Allocator, error) {
	signer := keys.Signer(key)
	self := signer.Address()
	if meta == nil {
		meta = &messages.CoordinatorMeta{Coordinator: self.Bytes(), NextNonce: 1}
	} else if common.BytesToAddress(meta.Coordinator) != self {
		return nil, fmt.Errorf("%w: meta belongs to coordinator %x, not %s", ErrMalformed, meta.Coordinator, self)
	}
	if meta.NextVersion == nil {
		meta.NextVersion = map[string]uint64{}
	}
	return &Allocator{signer: signer, meta: meta}, nil
}

// Meta is the allocator's state, to persist.
func (a *Allocator) Meta() *messages.CoordinatorMeta { return a.meta }

// Clone returns an independent copy (for model checking).
func (a *Allocator) Clone() *Allocator {
	return &Allocator{signer: a.signer, meta: proto.Clone(a.meta).(*messages.CoordinatorMeta)}
}

// InstanceID derives the id of the coordinator's nonce-th instance.
func InstanceID(coordinator common.Address, nonce uint64) [32]byte {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], nonce)
	return crypto.Keccak256Hash([]byte("teeswap/instance"), coordinator[:], n[:])
}

// RandomInstanceID derives an instance id from 32 bytes of the enclave's
// randomness: unpredictable, and not reused even by a coordinator whose
// nonce went back with an older or lost store (issue 11).
func RandomInstanceID(coordinator common.Address, entropy [32]byte) [32]byte {
	return crypto.Keccak256Hash([]byte("teeswap/instance/random"), coordinator[:], entropy[:])
}

// ErrNoEntropy is returned by CreateRandom when given all-zero entropy: a
// shell that forgot to read randomness must not get predictable ids.
var ErrNoEntropy = errors.New("coordinator: instance entropy is all zero")

// CreateRandom is Create with the instance id drawn from entropy, which
// the shell reads from the enclave's random source (the machine stays
// pure). Nodes use it; Create's nonce-derived ids are for model checking.
func (a *Allocator) CreateRandom(req *messages.SwapRequest, routes []*messages.Network, nowMs int64, entropy [32]byte) (*Instance, Output, error) {
	if entropy == ([32]byte{}) {
		return nil, Output{}, ErrNoEntropy
	}
	return a.create(req, routes, nowMs, RandomInstanceID(a.signer.Address(), entropy))
}

// Create makes a new instance in NONE from a request and one route per
// leg ([0116]), and signs one PREPARE per network for all of its
// terminals ([0117]). The routes come from the untrusted directory, so
// each is checked to pay exactly the leg's amount from its sender to its
// receiver on its chain. Its id derives from the allocator's nonce.
func (a *Allocator) Create(req *messages.SwapRequest, routes []*messages.Network, nowMs int64) (*Instance, Output, error) {
	return a.create(req, routes, nowMs, InstanceID(a.signer.Address(), a.meta.NextNonce))
}

func (a *Allocator) create(req *messages.SwapRequest, routes []*messages.Network, nowMs int64, id [32]byte) (*Instance, Output, error) {
	kind, err := checkRequest(req, routes)
	if err != nil {
		return nil, Output{}, err
	}
	orders, err := CheckOrders(req, kind, nowMs)
	if err != nil {
		return nil, Output{}, err
	}
	self := a.signer.Address()
	timeout := req.TimeoutMs
	if timeout <= 0 {
		timeout = DefaultTimeoutMs
	}
	if timeout > MaxTimeoutMs {
		return nil, Output{}, fmt.Errorf("%w: timeout %d ms is above the %d ms limit", ErrMalformed, timeout, MaxTimeoutMs)
	}
	rec := &messages.CoordinatorInstance{
		InstanceId: id[:], RequestId: req.RequestId, Kind: kind, Phase: messages.InstancePhase_INSTANCE_PHASE_NONE,
		CreatedMs: nowMs, DeadlineMs: nowMs + timeout,
	}
	versions := map[string]uint64{}
	for _, r := range routes {
		n := proto.Clone(r).(*messages.Network)
		for _, h := range n.Hops {
			key := hex.EncodeToString(h.ChannelId)
			v := a.meta.NextVersion[key]
			if v == 0 {
				v = 1
			}
			h.Version = v
			// v prepared, v+1 committed, v+2 the settled state after
			// the outcome: the next instance starts above all three.
			versions[key] = v + messages.VersionsPerHop
		}
		if err := n.Validate(); err != nil {
			return nil, Output{}, fmt.Errorf("%w: %v", ErrInvalidRoute, err)
		}
		rec.Networks = append(rec.Networks, &messages.NetworkProgress{Network: n})
	}
	in := newInstance(a.signer, rec)
	var send []Outbound
	for i, np := range rec.Networks {
		p := &messages.Prepare{
			InstanceId: id[:], NetworkIndex: uint32(i), NetworkCount: uint32(len(rec.Networks)),
			Kind: kind, Network: np.Network, DeadlineMs: rec.DeadlineMs, Coordinator: self.Bytes(),
			Legs: req.Legs, Order: orders[common.BytesToAddress(req.Legs[i].Sender)],
		}
		env, err := messages.Seal(a.signer, messages.Kind_KIND_PREPARE, p)
		if err != nil {
			return nil, Output{}, err
		}
		np.Prepare = env
		in.asked[i] = env.Digest()
		np.PreparedAcks = emptyAcks(len(in.terminals[i]))
		np.CommittedAcks = emptyAcks(len(in.terminals[i]))
		send = appendTo(send, in.terminals[i], env)
	}
	a.meta.NextNonce++
	for k, v := range versions {
		a.meta.NextVersion[k] = v
	}
	return in, Output{Meta: a.meta, Instance: rec, Send: send}, nil
}

// CheckOrders checks that every distinct sender of req's legs signed an
// order for exactly this request (id, kind, legs), unexpired at nowMs,
// and that no one else did. It returns the orders by payer. kind is the
// instance kind req resolves to. The coordinator does not remember used
// orders: each payer's terminal refuses to use one twice.
func CheckOrders(req *messages.SwapRequest, kind messages.InstanceKind, nowMs int64) (map[common.Address]*messages.Envelope, error) {
	senders := map[common.Address]bool{}
	for _, l := range req.GetLegs() {
		senders[common.BytesToAddress(l.GetSender())] = true
	}
	if len(req.GetOrders()) > len(senders) {
		return nil, fmt.Errorf("%w: %d orders for %d senders", ErrBadOrder, len(req.GetOrders()), len(senders))
	}
	out := make(map[common.Address]*messages.Envelope, len(senders))
	for i, env := range req.GetOrders() {
		o, payer, _, err := messages.OpenOrder(env)
		if err != nil {
			if errors.Is(err, messages.ErrMalformed) || errors.Is(err, messages.ErrWrongKind) {
				return nil, fmt.Errorf("%w: order %d: %v", ErrBadOrder, i, err)
			}
			return nil, fmt.Errorf("%w: order %d: %v", ErrUnauthorised, i, err)
		}
		switch {
		case !senders[payer]:
			return nil, fmt.Errorf("%w: order %d is signed by %s, who sends no leg", ErrUnauthorised, i, payer)
		case out[payer] != nil:
			return nil, fmt.Errorf("%w: two orders from %s", ErrBadOrder, payer)
		case nowMs >= o.ExpiresMs:
			return nil, fmt.Errorf("%w: order %d from %s at %d, now %d", ErrOrderExpired, i, payer, o.ExpiresMs, nowMs)
		case o.RequestId != req.RequestId || o.Kind != kind || !messages.LegsEqual(o.Legs, req.Legs):
			return nil, fmt.Errorf("%w: order %d from %s is for another request, kind or legs", ErrBadOrder, i, payer)
		}
		out[payer] = env
	}
	for _, l := range req.GetLegs() {
		if s := common.BytesToAddress(l.GetSender()); out[s] == nil {
			return nil, fmt.Errorf("%w: no order from sender %s", ErrUnauthorised, s)
		}
	}
	return out, nil
}

func emptyAcks(n int) []*messages.Envelope {
	out := make([]*messages.Envelope, n)
	for i := range out {
		out[i] = &messages.Envelope{}
	}
	return out
}

func appendTo(send []Outbound, to []common.Address, env *messages.Envelope) []Outbound {
	if env == nil {
		return send // an adopted outcome may lack a network's envelope
	}
	for _, t := range to {
		send = append(send, Outbound{To: t, Env: env})
	}
	return send
}

// checkRequest validates a request against its routes and returns the
// instance kind.
func checkRequest(req *messages.SwapRequest, routes []*messages.Network) (messages.InstanceKind, error) {
	if req == nil || len(req.Legs) == 0 {
		return 0, fmt.Errorf("%w: request has no legs", ErrMalformed)
	}
	if len(routes) != len(req.Legs) {
		return 0, fmt.Errorf("%w: %d routes for %d legs", ErrInvalidRoute, len(routes), len(req.Legs))
	}
	kind := req.Kind
	switch kind {
	case messages.InstanceKind_INSTANCE_KIND_UNSPECIFIED:
		kind = messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP
		if len(req.Legs) == 1 {
			kind = messages.InstanceKind_INSTANCE_KIND_PAYMENT
		}
	case messages.InstanceKind_INSTANCE_KIND_PAYMENT:
		if len(req.Legs) != 1 {
			return 0, fmt.Errorf("%w: a payment has one leg, got %d", ErrMalformed, len(req.Legs))
		}
	case messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP:
	default:
		return 0, fmt.Errorf("%w: kind %v", ErrMalformed, kind)
	}
	channels := map[string]bool{}
	for i, leg := range req.Legs {
		r := routes[i]
		if r == nil || len(r.Hops) == 0 {
			return 0, fmt.Errorf("%w: leg %d has no route", ErrInvalidRoute, i)
		}
		sender, err1 := messages.Address(leg.Sender)
		receiver, err2 := messages.Address(leg.Receiver)
		amount, err3 := messages.Amount(leg.Amount)
		if err1 != nil || err2 != nil || err3 != nil {
			return 0, fmt.Errorf("%w: leg %d: bad sender, receiver or amount", ErrMalformed, i)
		}
		if amount.Sign() <= 0 {
			return 0, fmt.Errorf("%w: leg %d amount must be positive", ErrMalformed, i)
		}
		first, last := r.Hops[0], r.Hops[len(r.Hops)-1]
		switch {
		case r.ChainId != leg.ChainId:
			return 0, fmt.Errorf("%w: leg %d is on chain %d, route on %d", ErrInvalidRoute, i, leg.ChainId, r.ChainId)
		case string(r.Asset) != string(leg.Asset):
			return 0, fmt.Errorf("%w: leg %d asset differs", ErrInvalidRoute, i)
		case string(r.Amount) != string(leg.Amount):
			return 0, fmt.Errorf("%w: leg %d amount differs", ErrInvalidRoute, i)
		case common.BytesToAddress(first.Payer) != sender || common.BytesToAddress(last.Payee) != receiver:
			return 0, fmt.Errorf("%w: leg %d route does not run from %s to %s", ErrInvalidRoute, i, sender, receiver)
		}
		for _, h := range r.Hops {
			if channels[string(h.ChannelId)] {
				return 0, fmt.Errorf("%w: channel %x used twice", ErrInvalidRoute, h.ChannelId)
			}
			channels[string(h.ChannelId)] = true
		}
	}
	return kind, nil
}
