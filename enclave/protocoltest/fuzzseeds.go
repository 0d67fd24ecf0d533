package protocoltest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Points of a FuzzSwap run at which its machines are kept.
const (
	// Terminal points.
	FuzzIdle      = "idle"      // channels open, no instance
	FuzzPrepared  = "prepared"  // every PREPARE delivered
	FuzzCommitted = "committed" // every COMMIT delivered
	FuzzConfirmed = "confirmed" // every CONFIRM delivered
	FuzzRefunded  = "refunded"  // from prepared, every REFUND-AUTHORIZED delivered

	// Coordinator points.
	FuzzNone            = "none"             // just created
	FuzzNonePartial     = "none-partial"     // the first PREPARED ack in
	FuzzCoordPrepared   = "prepared"         // every PREPARED ack in, COMMITs signed
	FuzzPreparedPartial = "prepared-partial" // the first COMMITTED ack in
	FuzzCoordCommitted  = "committed"        // CONFIRMs signed
	FuzzCoordRefunded   = "refunded"         // refund requested in PREPARED
	FuzzCoordExpired    = "expired"          // deadline passed in NONE
)

// FuzzTerminalPoints and FuzzCoordinatorPoints list the points in a fixed
// order, for fuzz targets that pick one by number.
var (
	FuzzTerminalPoints    = []string{FuzzIdle, FuzzPrepared, FuzzCommitted, FuzzConfirmed, FuzzRefunded}
	FuzzCoordinatorPoints = []string{FuzzNone, FuzzNonePartial, FuzzCoordPrepared, FuzzPreparedPartial, FuzzCoordCommitted, FuzzCoordRefunded, FuzzCoordExpired}
	FuzzTerminalNames     = []string{"s1", "i1", "r1", "s2", "i2", "r2"}
)

// FuzzSwap is one fig-1 cross-chain swap (chains 1 and 2, s→i→r on each)
// kept at each point of its run, for the fuzz targets of the machines.
// Every key derives from the seed and signatures are deterministic
// (RFC 6979), so each fuzz worker process builds the very same bytes and a
// checked-in seed stays valid. Clone a machine before stepping it.
type FuzzSwap struct {
	World *World // the run's world, after the swap confirmed
	ID    [32]byte
	// Terminals[point][name] is a terminal at a point of the run.
	Terminals map[string]map[string]*terminal.Machine
	// Instances[point] is the coordinator's instance at a point.
	Instances map[string]*coordinator.Instance
	// Sent is every envelope of the run in the order it was sent,
	// including those of the refund and deadline branches.
	Sent []Message
	// Mallory is a key no terminal trusts.
	Mallory *Key
}

var (
	sharedOnce sync.Once
	shared     *FuzzSwap
)

// SharedFuzzSwap is one FuzzSwap per process, built on first use: the
// fuzz targets of several packages read it and never change it.
func SharedFuzzSwap() *FuzzSwap {
	sharedOnce.Do(func() { shared = NewFuzzSwap() })
	return shared
}

// NewFuzzSwap runs the swap and keeps its points.
func NewFuzzSwap() *FuzzSwap {
	w := NewWorld(7001,
		ChainSpec{ChainID: 1, Path: []string{"s1", "i1", "r1"}, Deposit: 1000},
		ChainSpec{ChainID: 2, Path: []string{"s2", "i2", "r2"}, Deposit: 1000},
	)
	fx := &FuzzSwap{World: w, Terminals: map[string]map[string]*terminal.Machine{},
		Instances: map[string]*coordinator.Instance{}, Mallory: NewKey(7001, "mallory")}
	fx.keepTerminals(FuzzIdle)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		panic(err)
	}
	fx.ID = id
	in := w.Instances[id]
	fx.Instances[FuzzNone] = in.Clone()
	fx.record(w.Queue...)

	// Deadline branch: time passes in NONE.
	expired := in.Clone()
	fx.Instances[FuzzCoordExpired] = expired
	fx.coordSent(fuzzMustCoord(expired.Tick(expired.Deadline())))

	fx.deliverKind(messages.Kind_KIND_PREPARE)
	fx.keepTerminals(FuzzPrepared)
	fx.deliverOne(messages.Kind_KIND_PREPARED)
	fx.Instances[FuzzNonePartial] = in.Clone()
	fx.deliverKind(messages.Kind_KIND_PREPARED)
	fx.Instances[FuzzCoordPrepared] = in.Clone()

	// Refund branch: s1 asks for refund while the instance is PREPARED,
	// and the terminals, still PREPARED, apply the REFUND-AUTHORIZED.
	refunded := in.Clone()
	req := fuzzMustTerm(fx.Terminals[FuzzPrepared]["s1"].RequestRefund(id, "fuzz seed")).Send[0]
	fx.record(Message{From: w.Addr("s1"), To: w.Coord.Address(), Env: req})
	out := fuzzMustCoord(refunded.HandleRefundRequest(req, w.Now))
	fx.coordSent(out)
	fx.Instances[FuzzCoordRefunded] = refunded
	fx.Terminals[FuzzRefunded] = map[string]*terminal.Machine{}
	for name, t := range fx.Terminals[FuzzPrepared] {
		t = t.Clone()
		for _, s := range out.Send {
			if s.To == t.Address() {
				fuzzMustTerm(t.HandleRefundAuthorized(s.Env))
			}
		}
		fx.Terminals[FuzzRefunded][name] = t
	}

	fx.deliverKind(messages.Kind_KIND_COMMIT)
	fx.keepTerminals(FuzzCommitted)
	fx.deliverOne(messages.Kind_KIND_COMMITTED)
	fx.Instances[FuzzPreparedPartial] = in.Clone()
	fx.deliverKind(messages.Kind_KIND_COMMITTED)
	fx.Instances[FuzzCoordCommitted] = in.Clone()

	// A refund request after COMMITTED is denied, with the CONFIRM again.
	req = fuzzMustTerm(fx.Terminals[FuzzCommitted]["r2"].RequestRefund(id, "fuzz seed")).Send[0]
	fx.record(Message{From: w.Addr("r2"), To: w.Coord.Address(), Env: req})
	fx.coordSent(fuzzMustCoord(in.Clone().HandleRefundRequest(req, w.Now)))

	fx.deliverKind(messages.Kind_KIND_CONFIRM)
	fx.keepTerminals(FuzzConfirmed)
	if !w.ConfirmSigned[id] || len(w.Rejected) != 0 || len(w.Queue) != 0 {
		panic(fmt.Sprintf("fuzz swap did not confirm cleanly: rejected %v, %d queued", w.Rejected, len(w.Queue)))
	}

	// A payment on chain 1 after the swap, for PAYMENT-kind envelopes.
	if _, err := w.Start(50, 0); err != nil {
		panic(err)
	}
	for len(w.Queue) > 0 {
		fx.deliverNext(0)
	}
	return fx
}

func fuzzMustCoord(o coordinator.Output, err error) coordinator.Output {
	if err != nil {
		panic(err)
	}
	return o
}

func fuzzMustTerm(o terminal.Output, err error) terminal.Output {
	if err != nil {
		panic(err)
	}
	return o
}

func (fx *FuzzSwap) keepTerminals(point string) {
	fx.Terminals[point] = map[string]*terminal.Machine{}
	for name, t := range fx.World.Terminals {
		fx.Terminals[point][name] = t.Clone()
	}
}

func (fx *FuzzSwap) record(ms ...Message) { fx.Sent = append(fx.Sent, ms...) }

func (fx *FuzzSwap) coordSent(o coordinator.Output) {
	for _, s := range o.Send {
		fx.record(Message{From: fx.World.Coord.Address(), To: s.To, Env: s.Env})
	}
}

// deliverNext delivers the i-th queued message and records what it caused.
func (fx *FuzzSwap) deliverNext(i int) {
	w := fx.World
	m := w.Queue[i]
	w.Queue = append(w.Queue[:i:i], w.Queue[i+1:]...)
	n := len(w.Queue)
	w.Deliver(m)
	fx.record(w.Queue[n:]...)
}

// deliverOne delivers the first queued message of kind.
func (fx *FuzzSwap) deliverOne(kind messages.Kind) {
	for i, m := range fx.World.Queue {
		if m.Env.Kind == kind {
			fx.deliverNext(i)
			return
		}
	}
	panic(fmt.Sprintf("no %v queued", kind))
}

// deliverKind delivers every queued message of kind, leaving the others
// (and what the deliveries cause) queued.
func (fx *FuzzSwap) deliverKind(kind messages.Kind) {
	for i := 0; i < len(fx.World.Queue); {
		if fx.World.Queue[i].Env.Kind != kind {
			i++
			continue
		}
		fx.deliverNext(i)
	}
}

// Envelopes returns the run's envelopes of kind, in order.
func (fx *FuzzSwap) Envelopes(kind messages.Kind) []Message {
	var out []Message
	for _, m := range fx.Sent {
		if m.Env.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// KeyOf returns the harness key with address a: a terminal's, the
// coordinator's or Mallory's, or nil.
func (fx *FuzzSwap) KeyOf(a common.Address) *Key {
	switch a {
	case fx.World.Coord.Address():
		return fx.World.Coord
	case fx.Mallory.Address():
		return fx.Mallory
	}
	if name, ok := fx.World.Names[a]; ok {
		return fx.World.Keys[name]
	}
	return nil
}

// SealPayload signs payload bytes, whatever they hold, as an envelope of
// kind from k.
func SealPayload(k *Key, kind messages.Kind, payload []byte) *messages.Envelope {
	sig, err := k.Sign(messages.EnvelopeDigest(kind, payload))
	if err != nil {
		panic(err)
	}
	return &messages.Envelope{Kind: kind, Payload: payload, Signer: k.Address().Bytes(), Signature: sig}
}

// Resign re-signs the parts of a payload of kind with the harness keys
// they name: channel states inside acks by their signers, acks inside a
// COMMIT or CONFIRM by their terminals, and a CONFIRM's or
// REFUND-AUTHORIZED's outcome signature by the coordinator over the swap's
// chain of that network. A fuzzer's mutations then get past the inner
// signatures to the checks behind them, as a byzantine terminal or
// coordinator could. Parts that do not decode are left as they are.
func (fx *FuzzSwap) Resign(kind messages.Kind, payload []byte) []byte {
	var m proto.Message
	switch kind {
	case messages.Kind_KIND_PREPARED, messages.Kind_KIND_COMMITTED:
		return fx.resignAck(kind, payload)
	case messages.Kind_KIND_COMMIT:
		var c messages.Commit
		if proto.Unmarshal(payload, &c) != nil {
			return payload
		}
		for i, e := range c.PreparedAcks {
			c.PreparedAcks[i] = fx.resealAck(e)
		}
		m = &c
	case messages.Kind_KIND_CONFIRM:
		var c messages.Confirm
		if proto.Unmarshal(payload, &c) != nil {
			return payload
		}
		for i, e := range c.CommittedAcks {
			c.CommittedAcks[i] = fx.resealAck(e)
		}
		if sig := fx.outcome(c.InstanceId, c.NetworkIndex, true); sig != nil {
			c.OutcomeSignature = sig
		}
		m = &c
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		var r messages.RefundAuthorized
		if proto.Unmarshal(payload, &r) != nil {
			return payload
		}
		if sig := fx.outcome(r.InstanceId, r.NetworkIndex, false); sig != nil {
			r.OutcomeSignature = sig
		}
		m = &r
	default:
		return payload
	}
	b, err := deterministic.Marshal(m)
	if err != nil {
		return payload
	}
	return b
}

// resealAck re-signs an ack envelope's states and the ack itself by the
// harness key it names, if any.
func (fx *FuzzSwap) resealAck(e *messages.Envelope) *messages.Envelope {
	k := fx.KeyOf(common.BytesToAddress(e.Signer))
	if k == nil || len(e.Signer) != common.AddressLength {
		return e
	}
	return SealPayload(k, e.Kind, fx.resignAck(e.Kind, e.Payload))
}

// resignAck re-signs the channel states of a PREPARED or COMMITTED payload.
func (fx *FuzzSwap) resignAck(kind messages.Kind, payload []byte) []byte {
	var states []*messages.SignedChannelState
	var m proto.Message
	switch kind {
	case messages.Kind_KIND_PREPARED:
		var a messages.Prepared
		if proto.Unmarshal(payload, &a) != nil {
			return payload
		}
		states, m = a.ChannelStates, &a
	case messages.Kind_KIND_COMMITTED:
		var a messages.Committed
		if proto.Unmarshal(payload, &a) != nil {
			return payload
		}
		states, m = a.ChannelStates, &a
	default:
		return payload
	}
	for _, s := range states {
		k := fx.KeyOf(common.BytesToAddress(s.Signer))
		d, err := messages.ChannelStateDigest(s.State)
		if k == nil || len(s.Signer) != common.AddressLength || err != nil {
			continue
		}
		if s.Signature, err = k.Sign(d); err != nil {
			panic(err)
		}
	}
	b, err := deterministic.Marshal(m)
	if err != nil {
		return payload
	}
	return b
}

// outcome signs the coordinator's outcome for instance id on the chain of
// network net, or returns nil when the id or network does not fit.
func (fx *FuzzSwap) outcome(id []byte, net uint32, confirmed bool) []byte {
	if len(id) != 32 || int(net) >= len(fx.World.Chains) {
		return nil
	}
	ch := fx.World.Chains[net]
	sig, err := fx.World.Coord.Sign(messages.OutcomeDigest(ch.ID, ch.Contract, [32]byte(id), confirmed))
	if err != nil {
		panic(err)
	}
	return sig
}

// FuzzCorpusEntry encodes values as a seed corpus file of go test -fuzz
// ("go test fuzz v1"). It takes the types the targets use: []byte, string,
// bool, int64, uint32 and uint64.
func FuzzCorpusEntry(values ...any) []byte {
	out := []byte("go test fuzz v1\n")
	for _, v := range values {
		switch v := v.(type) {
		case []byte:
			out = append(out, "[]byte("+strconv.Quote(string(v))+")\n"...)
		case string:
			out = append(out, "string("+strconv.Quote(v)+")\n"...)
		case bool, int64, uint32, uint64:
			out = append(out, fmt.Sprintf("%T(%v)\n", v, v)...)
		default:
			panic(fmt.Sprintf("FuzzCorpusEntry: unsupported %T", v))
		}
	}
	return out
}

// WriteFuzzCorpus writes one seed file per entry to
// testdata/fuzz/<target>/<name> under dir.
func WriteFuzzCorpus(dir, target string, entries map[string][]any) error {
	d := filepath.Join(dir, "testdata", "fuzz", target)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return err
	}
	for name, vals := range entries {
		if err := os.WriteFile(filepath.Join(d, name), FuzzCorpusEntry(vals...), 0o644); err != nil {
			return err
		}
	}
	return nil
}
