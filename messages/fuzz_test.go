package messages_test

// Fuzz targets for the decoders: envelopes and their signatures, every
// protocol payload, and the EIP-712 digests. Seeds are the real envelopes
// of a fig-1 swap run through the protocoltest harness (f.Add, built at
// run time) and the files under testdata/fuzz, written by
// TestWriteFuzzCorpus. Run one with, e.g.,
//
//	go test ./messages/ -run '^$' -fuzz '^FuzzOpenEnvelope$' -fuzztime 20s

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"os"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/common/math"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/signer/core/apitypes"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

var (
	// fuzzKey signs inside the targets (Seal/Open and sign/verify round trips).
	fuzzKey = protocoltest.NewKey(7002, "fuzz-signer")
	det     = proto.MarshalOptions{Deterministic: true}
	secpN   = crypto.S256().Params().N
	halfN   = new(big.Int).Rsh(secpN, 1)
)

func fixture() *protocoltest.FuzzSwap { return protocoltest.SharedFuzzSwap() }

func mustMarshalDet(tb testing.TB, m proto.Message) []byte {
	tb.Helper()
	b, err := det.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// payloadOf returns an empty message of the payload type of kind, or nil.
func payloadOf(kind messages.Kind) proto.Message {
	switch kind {
	case messages.Kind_KIND_SWAP_REQUEST:
		return &messages.SwapRequest{}
	case messages.Kind_KIND_PREPARE:
		return &messages.Prepare{}
	case messages.Kind_KIND_PREPARED:
		return &messages.Prepared{}
	case messages.Kind_KIND_COMMIT:
		return &messages.Commit{}
	case messages.Kind_KIND_COMMITTED:
		return &messages.Committed{}
	case messages.Kind_KIND_CONFIRM:
		return &messages.Confirm{}
	case messages.Kind_KIND_REFUND_REQUEST:
		return &messages.RefundRequest{}
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		return &messages.RefundAuthorized{}
	case messages.Kind_KIND_REFUND_DENIED:
		return &messages.RefundDenied{}
	case messages.Kind_KIND_ORDER:
		return &messages.Order{}
	}
	return nil
}

var allKinds = []messages.Kind{
	messages.Kind_KIND_UNSPECIFIED, messages.Kind_KIND_SWAP_REQUEST, messages.Kind_KIND_PREPARE,
	messages.Kind_KIND_PREPARED, messages.Kind_KIND_COMMIT, messages.Kind_KIND_COMMITTED,
	messages.Kind_KIND_CONFIRM, messages.Kind_KIND_REFUND_REQUEST, messages.Kind_KIND_REFUND_AUTHORIZED,
	messages.Kind_KIND_REFUND_DENIED, messages.Kind_KIND_ORDER, messages.Kind(11), messages.Kind(-1),
}

// realEnvelopes is every envelope of the harness run, first of each kind first.
func realEnvelopes() []*messages.Envelope {
	var out []*messages.Envelope
	for _, m := range fixture().Sent {
		out = append(out, m.Env)
	}
	return out
}

// firstOfEachKind picks the first envelope of each kind of the run.
func firstOfEachKind() map[messages.Kind]*messages.Envelope {
	out := map[messages.Kind]*messages.Envelope{}
	for _, e := range realEnvelopes() {
		if out[e.Kind] == nil {
			out[e.Kind] = e
		}
	}
	return out
}

// realChannelStates are the signed channel states inside the run's acks.
func realChannelStates() []*messages.SignedChannelState {
	var out []*messages.SignedChannelState
	for _, e := range realEnvelopes() {
		switch e.Kind {
		case messages.Kind_KIND_PREPARED:
			var a messages.Prepared
			if proto.Unmarshal(e.Payload, &a) == nil {
				out = append(out, a.ChannelStates...)
			}
		case messages.Kind_KIND_COMMITTED:
			var a messages.Committed
			if proto.Unmarshal(e.Payload, &a) == nil {
				out = append(out, a.ChannelStates...)
			}
		}
	}
	return out
}

// independentRecover recovers a signature's address without
// messages.RecoverAddress, and reports whether that function must accept
// it: 65 bytes, v in {0,1}, 0 < r < N, 0 < s <= N/2.
func independentRecover(digest [32]byte, sig []byte) (common.Address, bool) {
	if len(sig) != 65 || sig[64] > 1 {
		return common.Address{}, false
	}
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:64])
	if r.Sign() == 0 || s.Sign() == 0 || r.Cmp(secpN) >= 0 || s.Cmp(halfN) > 0 {
		return common.Address{}, false
	}
	pub, err := crypto.Ecrecover(digest[:], sig)
	if err != nil {
		return common.Address{}, false
	}
	return common.BytesToAddress(crypto.Keccak256(pub[1:])[12:]), true
}

// highS returns the malleable twin of a low-S signature.
func highS(sig []byte) []byte {
	out := bytes.Clone(sig)
	s := new(big.Int).Sub(secpN, new(big.Int).SetBytes(sig[32:64]))
	s.FillBytes(out[32:64])
	out[64] ^= 1
	return out
}

// envelopeDigest is the spec's envelope digest, written out again.
func envelopeDigest(kind messages.Kind, payload []byte) [32]byte {
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(kind))
	return crypto.Keccak256Hash([]byte("teeswap/v1"), []byte{0}, k[:], payload)
}

func isOneOf(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// checkRecover checks messages.RecoverAddress against independentRecover.
func checkRecover(t *testing.T, digest [32]byte, sig []byte) {
	got, err := messages.RecoverAddress(digest, sig)
	want, valid := independentRecover(digest, sig)
	switch {
	case err != nil && !errors.Is(err, messages.ErrBadSignature):
		t.Fatalf("RecoverAddress: untyped error %v", err)
	case err != nil && valid:
		t.Fatalf("RecoverAddress rejected a valid signature (%v): %x", err, sig)
	case err == nil && !valid:
		t.Fatalf("RecoverAddress accepted an invalid or malleable signature %x as %s", sig, got)
	case err == nil && got != want:
		t.Fatalf("RecoverAddress returned %s, the signature recovers to %s", got, want)
	case err == nil:
		if _, err := messages.RecoverAddress(digest, highS(sig)); err == nil {
			t.Fatalf("RecoverAddress accepted the high-S twin of %x", sig)
		}
	}
}

// checkEnvelope runs Verify, Open for every kind and InstanceOf on env and
// checks them against each other and against the spec.
func checkEnvelope(t *testing.T, env *messages.Envelope) {
	if d := env.Digest(); d != envelopeDigest(env.Kind, env.Payload) {
		t.Fatalf("Digest %x differs from the spec's %x", d, envelopeDigest(env.Kind, env.Payload))
	}
	signer, verr := env.Verify()
	want, valid := independentRecover(env.Digest(), env.Signature)
	valid = valid && len(env.Signer) == 20 && want == common.BytesToAddress(env.Signer)
	switch {
	case verr != nil && !isOneOf(verr, messages.ErrMalformed, messages.ErrBadSignature, messages.ErrSignerMismatch):
		t.Fatalf("Verify: untyped error %v", verr)
	case verr != nil && valid:
		t.Fatalf("Verify rejected an envelope %s signed: %v", want, verr)
	case verr == nil && !valid:
		t.Fatalf("Verify accepted an envelope whose signature does not recover to its named signer %x", env.Signer)
	case verr == nil && signer != want:
		t.Fatalf("Verify returned %s, the signature is %s's", signer, want)
	}
	if verr == nil {
		// The kind is signed: the same signature under another kind fails.
		other := proto.Clone(env).(*messages.Envelope)
		other.Kind++
		if s, err := other.Verify(); err == nil {
			t.Fatalf("signature moved to kind %v and still verifies as %s", other.Kind, s)
		}
		other = proto.Clone(env).(*messages.Envelope)
		other.Signature = highS(env.Signature)
		if _, err := other.Verify(); err == nil {
			t.Fatal("the high-S twin of a valid envelope verifies")
		}
	}
	for _, kind := range allKinds {
		msg := payloadOf(kind)
		if msg == nil {
			msg = &messages.Envelope{}
		}
		got, err := env.Open(kind, msg)
		if kind != env.Kind {
			if !errors.Is(err, messages.ErrWrongKind) {
				t.Fatalf("Open(%v) of a %v envelope: %v, want ErrWrongKind", kind, env.Kind, err)
			}
			continue
		}
		if verr != nil {
			if err == nil {
				t.Fatalf("Open accepted what Verify rejected (%v)", verr)
			}
			continue
		}
		decodeErr := proto.Unmarshal(env.Payload, payloadOfOrEnvelope(kind))
		if (err == nil) != (decodeErr == nil) {
			t.Fatalf("Open: %v, but the payload decodes with %v", err, decodeErr)
		}
		if err != nil {
			if !errors.Is(err, messages.ErrMalformed) {
				t.Fatalf("Open: untyped error %v", err)
			}
			continue
		}
		if got != signer {
			t.Fatalf("Open returned %s, Verify %s", got, signer)
		}
		roundTrip(t, msg)
		// Seal and Open are inverse for every decodable payload.
		sealed, err := messages.Seal(fuzzKey, kind, msg)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		again := payloadOfOrEnvelope(kind)
		if s, err := sealed.Open(kind, again); err != nil || s != fuzzKey.Address() || !proto.Equal(again, msg) {
			t.Fatalf("Open(Seal(m)) = %s, %v; equal %v", s, err, proto.Equal(again, msg))
		}
	}
	checkInstanceOf(t, env)
}

func payloadOfOrEnvelope(kind messages.Kind) proto.Message {
	if m := payloadOf(kind); m != nil {
		return m
	}
	return &messages.Envelope{}
}

// checkInstanceOf: InstanceOf reads exactly the instance id the payload
// names, for the kinds that name one.
func checkInstanceOf(t *testing.T, env *messages.Envelope) {
	id, ok := messages.InstanceOf(env)
	var want []byte
	decodes := false
	if m := payloadOf(env.GetKind()); m != nil && env.GetKind() != messages.Kind_KIND_SWAP_REQUEST {
		if proto.Unmarshal(env.GetPayload(), m) == nil {
			decodes = true
			want = m.(interface{ GetInstanceId() []byte }).GetInstanceId()
		}
	}
	if wantOK := decodes && len(want) == 32; ok != wantOK {
		t.Fatalf("InstanceOf ok=%v, want %v (kind %v, id %x)", ok, wantOK, env.GetKind(), want)
	}
	if ok && !bytes.Equal(id[:], want) {
		t.Fatalf("InstanceOf = %x, payload names %x", id, want)
	}
}

// checkPeek: for a payload that decodes, PeekInstance finds the instance
// id and network index the decode found.
func checkPeek(t *testing.T, m proto.Message, data []byte) {
	named, ok := m.(interface {
		GetInstanceId() []byte
		GetNetworkIndex() uint32
	})
	if !ok {
		return
	}
	id, net, peeked := messages.PeekInstance(data)
	if want := len(named.GetInstanceId()) == 32; peeked != want {
		t.Fatalf("PeekInstance ok=%v, decode found a %d-byte id", peeked, len(named.GetInstanceId()))
	}
	if peeked && (!bytes.Equal(id[:], named.GetInstanceId()) || net != named.GetNetworkIndex()) {
		t.Fatalf("PeekInstance = %x/%d, decode = %x/%d", id, net, named.GetInstanceId(), named.GetNetworkIndex())
	}
}

// roundTrip: deterministic marshalling is a fixed point after one decode,
// and decoding it gives an equal message.
func roundTrip(t *testing.T, m proto.Message) {
	b1, err := det.Marshal(m)
	if err != nil {
		t.Fatalf("marshal decoded message: %v", err)
	}
	m2 := m.ProtoReflect().New().Interface()
	if err := proto.Unmarshal(b1, m2); err != nil {
		t.Fatalf("re-marshalled message does not decode: %v", err)
	}
	if !proto.Equal(m, m2) {
		t.Fatalf("round trip changed the message:\n%v\n%v", m, m2)
	}
	b2, err := det.Marshal(m2)
	if err != nil || !bytes.Equal(b1, b2) {
		t.Fatalf("deterministic marshalling is not stable: %v\n%x\n%x", err, b1, b2)
	}
}

// FuzzOpenEnvelope decodes an Envelope from bytes and opens it as every
// kind: no panic, a successful open returns exactly the signer whose key
// made the signature, and decodable payloads round-trip.
func FuzzOpenEnvelope(f *testing.F) {
	for _, e := range realEnvelopes() {
		f.Add(mustMarshalDet(f, e))
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		env := &messages.Envelope{}
		if proto.Unmarshal(data, env) != nil {
			return
		}
		checkEnvelope(t, env)
		roundTrip(t, env)
	})
}

// realOrder is the fig-1 swap's order of s1, from its first PREPARE.
func realOrder() *messages.Envelope {
	var p messages.Prepare
	if e := firstOfEachKind()[messages.Kind_KIND_PREPARE]; e != nil && proto.Unmarshal(e.Payload, &p) == nil {
		return p.Order
	}
	return nil
}

// FuzzOpenOrder opens an order envelope (signed by its payer, or payload
// sealed by the fuzz key when sealed): no panic, only typed errors, and an
// opened order is valid and names its signer as payer.
func FuzzOpenOrder(f *testing.F) {
	if o := realOrder(); o != nil {
		f.Add(false, mustMarshalDet(f, o))
		f.Add(true, o.Payload)
	}
	f.Fuzz(func(t *testing.T, sealed bool, data []byte) {
		env := &messages.Envelope{}
		if sealed {
			sig, err := fuzzKey.Sign(messages.EnvelopeDigest(messages.Kind_KIND_ORDER, data))
			if err != nil {
				t.Fatal(err)
			}
			env = &messages.Envelope{Kind: messages.Kind_KIND_ORDER, Payload: data, Signer: fuzzKey.Address().Bytes(), Signature: sig}
		} else if proto.Unmarshal(data, env) != nil {
			return
		}
		o, payer, id, err := messages.OpenOrder(env)
		if err != nil {
			for _, e := range []error{messages.ErrMalformed, messages.ErrWrongKind, messages.ErrBadSignature, messages.ErrSignerMismatch} {
				if errors.Is(err, e) {
					return
				}
			}
			t.Fatalf("untyped error: %v", err)
		}
		if o.Validate() != nil || common.BytesToAddress(o.Payer) != payer || id != env.Digest() {
			t.Fatalf("opened order %v from %s", o, payer)
		}
		if got, _ := env.Verify(); got != payer {
			t.Fatalf("order payer %s, signature by %s", payer, got)
		}
	})
}

// FuzzSealedPayload signs fuzzed payload bytes as a real envelope of the
// fuzzed kind, so every input passes the signature check and reaches the
// payload decoders of Open and InstanceOf.
func FuzzSealedPayload(f *testing.F) {
	for _, e := range realEnvelopes() {
		f.Add(int64(e.Kind), e.Payload)
	}
	f.Fuzz(func(t *testing.T, kind int64, payload []byte) {
		k := messages.Kind(int32(kind))
		sig, err := fuzzKey.Sign(messages.EnvelopeDigest(k, payload))
		if err != nil {
			t.Fatal(err)
		}
		env := &messages.Envelope{Kind: k, Payload: payload, Signer: fuzzKey.Address().Bytes(), Signature: sig}
		if s, err := env.Verify(); err != nil || s != fuzzKey.Address() {
			t.Fatalf("freshly signed envelope: %s, %v", s, err)
		}
		checkEnvelope(t, env)
	})
}

// fuzzUnmarshal is the shared body of the per-payload targets: decode,
// round-trip, then check what the package computes from the message.
func fuzzUnmarshal(f *testing.F, kind messages.Kind, seeds [][]byte, extra func(*testing.T, proto.Message)) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m := payloadOf(kind)
		if m == nil {
			m = &messages.ChannelState{}
		}
		err := proto.Unmarshal(data, m)
		if kind != messages.Kind_KIND_UNSPECIFIED && kind != messages.Kind_KIND_SWAP_REQUEST {
			checkInstanceOf(t, &messages.Envelope{Kind: kind, Payload: data})
		}
		if err == nil {
			checkPeek(t, m, data)
		}
		if err != nil {
			return
		}
		roundTrip(t, m)
		if extra != nil {
			extra(t, m)
		}
	})
}

func payloadSeeds(kind messages.Kind) [][]byte {
	var out [][]byte
	for _, e := range realEnvelopes() {
		if e.Kind == kind {
			out = append(out, e.Payload)
		}
	}
	return out
}

// checkNetwork: Validate never panics, and a valid network's Terminals
// run from the first payer to the last payee without repeats.
func checkNetwork(t *testing.T, n *messages.Network) {
	if err := n.Validate(); err != nil {
		if !errors.Is(err, messages.ErrMalformed) {
			t.Fatalf("Validate: untyped error %v", err)
		}
		_ = n.Terminals()
		return
	}
	ts := n.Terminals()
	seen := map[common.Address]bool{}
	for _, a := range ts {
		if seen[a] {
			t.Fatalf("Terminals repeats %s", a)
		}
		seen[a] = true
	}
	if len(ts) < 2 || ts[0] != common.BytesToAddress(n.Hops[0].Payer) {
		t.Fatalf("Terminals %v does not start at the first payer", ts)
	}
	for _, h := range n.Hops {
		if !seen[common.BytesToAddress(h.Payer)] || !seen[common.BytesToAddress(h.Payee)] {
			t.Fatalf("Terminals %v misses a party of hop %x", ts, h.ChannelId)
		}
	}
}

func checkSignedStates(t *testing.T, states []*messages.SignedChannelState) {
	for _, s := range states {
		checkSignedState(t, s)
	}
}

func checkInnerEnvelopes(t *testing.T, envs []*messages.Envelope) {
	for _, e := range envs {
		checkEnvelope(t, e)
	}
}

func FuzzUnmarshalPrepare(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_PREPARE, payloadSeeds(messages.Kind_KIND_PREPARE), func(t *testing.T, m proto.Message) {
		checkNetwork(t, m.(*messages.Prepare).GetNetwork())
	})
}

func FuzzUnmarshalPrepared(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_PREPARED, payloadSeeds(messages.Kind_KIND_PREPARED), func(t *testing.T, m proto.Message) {
		checkSignedStates(t, m.(*messages.Prepared).ChannelStates)
	})
}

func FuzzUnmarshalCommit(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_COMMIT, payloadSeeds(messages.Kind_KIND_COMMIT), func(t *testing.T, m proto.Message) {
		checkInnerEnvelopes(t, m.(*messages.Commit).PreparedAcks)
	})
}

func FuzzUnmarshalCommitted(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_COMMITTED, payloadSeeds(messages.Kind_KIND_COMMITTED), func(t *testing.T, m proto.Message) {
		checkSignedStates(t, m.(*messages.Committed).ChannelStates)
	})
}

func FuzzUnmarshalConfirm(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_CONFIRM, payloadSeeds(messages.Kind_KIND_CONFIRM), func(t *testing.T, m proto.Message) {
		c := m.(*messages.Confirm)
		checkInnerEnvelopes(t, c.CommittedAcks)
		checkRecover(t, [32]byte{}, c.OutcomeSignature)
	})
}

func FuzzUnmarshalRefundRequest(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_REFUND_REQUEST, payloadSeeds(messages.Kind_KIND_REFUND_REQUEST), nil)
}

func FuzzUnmarshalRefundAuthorized(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_REFUND_AUTHORIZED, payloadSeeds(messages.Kind_KIND_REFUND_AUTHORIZED), nil)
}

func FuzzUnmarshalRefundDenied(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_REFUND_DENIED, payloadSeeds(messages.Kind_KIND_REFUND_DENIED), nil)
}

// swapRequestSeed is the fig-1 swap's request.
func swapRequestSeed(tb testing.TB) []byte {
	req := &messages.SwapRequest{RequestId: "r", Kind: messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, TimeoutMs: 5000}
	for c := range 2 {
		leg, _ := fixture().World.Leg(c, 100)
		req.Legs = append(req.Legs, leg)
	}
	return mustMarshalDet(tb, req)
}

func FuzzUnmarshalSwapRequest(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_SWAP_REQUEST, [][]byte{swapRequestSeed(f)}, func(t *testing.T, m proto.Message) {
		for _, l := range m.(*messages.SwapRequest).Legs {
			checkAmount(t, l.Amount)
		}
	})
}

func channelStateSeeds(tb testing.TB) [][]byte {
	var out [][]byte
	for _, s := range realChannelStates() {
		out = append(out, mustMarshalDet(tb, s.State))
	}
	return out
}

func FuzzUnmarshalChannelState(f *testing.F) {
	fuzzUnmarshal(f, messages.Kind_KIND_UNSPECIFIED, channelStateSeeds(f), func(t *testing.T, m proto.Message) {
		checkChannelStateDigest(t, m.(*messages.ChannelState))
	})
}

// canonicalAmount is the spec of messages.Amount: at most 32 bytes, no
// leading zero byte.
func canonicalAmount(b []byte) bool { return len(b) <= 32 && (len(b) == 0 || b[0] != 0) }

func checkAmount(t *testing.T, b []byte) {
	v, err := messages.Amount(b)
	if (err == nil) != canonicalAmount(b) {
		t.Fatalf("Amount(%x): %v, canonical %v", b, err, canonicalAmount(b))
	}
	if err != nil {
		if !errors.Is(err, messages.ErrMalformed) {
			t.Fatalf("Amount: untyped error %v", err)
		}
		return
	}
	if !bytes.Equal(messages.AmountBytes(v), b) {
		t.Fatalf("AmountBytes(Amount(%x)) = %x", b, messages.AmountBytes(v))
	}
}

// FuzzAmount: exactly the canonical encodings decode, and they round-trip.
func FuzzAmount(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{1, 0})
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 33))
	f.Fuzz(func(t *testing.T, b []byte) { checkAmount(t, b) })
}

// stateValid is the spec of what ChannelStateDigest accepts.
func stateValid(st *messages.ChannelState) bool {
	ok := len(st.GetContract()) == 20 && len(st.GetChannelId()) == 32 &&
		canonicalAmount(st.GetDepositA()) && canonicalAmount(st.GetDepositB()) &&
		canonicalAmount(st.GetBalanceA()) && canonicalAmount(st.GetBalanceB())
	if l := st.GetLock(); l != nil {
		ok = ok && len(l.LockId) == 32 && canonicalAmount(l.Amount) &&
			(l.Stage == messages.LockStage_LOCK_STAGE_PREPARED || l.Stage == messages.LockStage_LOCK_STAGE_COMMITTED)
	}
	return ok
}

var eip712Types = apitypes.Types{
	"EIP712Domain": {
		{Name: "name", Type: "string"}, {Name: "version", Type: "string"}, {Name: "chainId", Type: "uint256"},
		{Name: "verifyingContract", Type: "address"}, {Name: "salt", Type: "bytes32"},
	},
	"ChannelState": {
		{Name: "version", Type: "uint64"}, {Name: "depositA", Type: "uint256"}, {Name: "depositB", Type: "uint256"},
		{Name: "balanceA", Type: "uint256"}, {Name: "balanceB", Type: "uint256"}, {Name: "lockId", Type: "bytes32"},
		{Name: "lockAmount", Type: "uint256"}, {Name: "lockAToB", Type: "bool"}, {Name: "lockStage", Type: "uint8"},
		{Name: "lockCrossChain", Type: "bool"},
	},
	"CooperativeClose": {
		{Name: "version", Type: "uint64"}, {Name: "balanceA", Type: "uint256"}, {Name: "balanceB", Type: "uint256"},
	},
	"Outcome": {{Name: "instanceId", Type: "bytes32"}, {Name: "confirmed", Type: "bool"}},
}

// gethDigest computes an EIP-712 digest with go-ethereum's implementation,
// independent of messages/eip712.go.
func gethDigest(t *testing.T, chainID uint64, contract common.Address, salt [32]byte, primary string, msg apitypes.TypedDataMessage) [32]byte {
	td := apitypes.TypedData{
		Types: eip712Types, PrimaryType: primary, Message: msg,
		Domain: apitypes.TypedDataDomain{
			Name: messages.EIP712Name, Version: messages.EIP712Version,
			ChainId:           (*math.HexOrDecimal256)(new(big.Int).SetUint64(chainID)),
			VerifyingContract: contract.Hex(), Salt: hexutil.Encode(salt[:]),
		},
	}
	h, _, err := apitypes.TypedDataAndHash(td)
	if err != nil {
		t.Fatalf("go-ethereum EIP-712 hashing: %v", err)
	}
	return [32]byte(h)
}

func checkChannelStateDigest(t *testing.T, st *messages.ChannelState) {
	d, err := messages.ChannelStateDigest(st)
	if (err == nil) != stateValid(st) {
		t.Fatalf("ChannelStateDigest: %v, but the state is valid=%v: %v", err, stateValid(st), st)
	}
	if err != nil {
		if !errors.Is(err, messages.ErrMalformed) {
			t.Fatalf("ChannelStateDigest: untyped error %v", err)
		}
		if _, err := messages.SignChannelState(fuzzKey, st); err == nil {
			t.Fatal("SignChannelState signed a state without a digest")
		}
		return
	}
	l := st.GetLock()
	var lockID [32]byte
	copy(lockID[:], l.GetLockId())
	msg := apitypes.TypedDataMessage{
		"version":  new(big.Int).SetUint64(st.Version),
		"depositA": new(big.Int).SetBytes(st.DepositA), "depositB": new(big.Int).SetBytes(st.DepositB),
		"balanceA": new(big.Int).SetBytes(st.BalanceA), "balanceB": new(big.Int).SetBytes(st.BalanceB),
		"lockId": lockID[:], "lockAmount": new(big.Int).SetBytes(l.GetAmount()), "lockAToB": l.GetAToB(),
		"lockStage": big.NewInt(int64(l.GetStage())), "lockCrossChain": l.GetCrossChain(),
	}
	if want := gethDigest(t, st.ChainId, common.BytesToAddress(st.Contract), [32]byte(st.ChannelId), "ChannelState", msg); d != want {
		t.Fatalf("ChannelStateDigest %x, go-ethereum's EIP-712 gives %x for %v", d, want, st)
	}
	// Signing and verifying round-trip, and the signature binds the version.
	signed, err := messages.SignChannelState(fuzzKey, st)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := signed.Verify(); err != nil || s != fuzzKey.Address() {
		t.Fatalf("Verify(SignChannelState) = %s, %v", s, err)
	}
	moved := proto.Clone(signed).(*messages.SignedChannelState)
	moved.State.Version++
	if _, err := moved.Verify(); err == nil {
		t.Fatal("a channel-state signature still verifies with another version")
	}
}

// checkSignedState: Verify accepts exactly a low-S signature by the named
// signer over a valid state's digest.
func checkSignedState(t *testing.T, s *messages.SignedChannelState) {
	signer, err := s.Verify()
	var valid bool
	if d, derr := messages.ChannelStateDigest(s.GetState()); derr == nil && len(s.GetSigner()) == 20 {
		var want common.Address
		want, valid = independentRecover(d, s.GetSignature())
		valid = valid && want == common.BytesToAddress(s.GetSigner())
	}
	switch {
	case err != nil && !isOneOf(err, messages.ErrMalformed, messages.ErrBadSignature, messages.ErrSignerMismatch):
		t.Fatalf("SignedChannelState.Verify: untyped error %v", err)
	case (err == nil) != valid:
		t.Fatalf("SignedChannelState.Verify: %v, but signed by the named signer=%v", err, valid)
	case err == nil && signer != common.BytesToAddress(s.Signer):
		t.Fatalf("Verify returned %s, named %x", signer, s.Signer)
	}
}

// FuzzChannelStateDigest checks the EIP-712 channel-state digest against
// go-ethereum's EIP-712 implementation, and sign/verify round trips.
func FuzzChannelStateDigest(f *testing.F) {
	for _, s := range channelStateSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var st messages.ChannelState
		if proto.Unmarshal(data, &st) != nil {
			return
		}
		checkChannelStateDigest(t, &st)
	})
}

// FuzzSignedChannelStateVerify decodes a signed channel state and checks
// that Verify accepts exactly what the named signer signed.
func FuzzSignedChannelStateVerify(f *testing.F) {
	for _, s := range realChannelStates() {
		f.Add(mustMarshalDet(f, s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s messages.SignedChannelState
		if proto.Unmarshal(data, &s) != nil {
			return
		}
		checkSignedState(t, &s)
	})
}

// FuzzRecoverAddress: RecoverAddress accepts exactly the well-formed low-S
// signatures and returns the address that made them.
func FuzzRecoverAddress(f *testing.F) {
	for _, e := range realEnvelopes()[:4] {
		d := e.Digest()
		f.Add(d[:], e.Signature)
	}
	f.Add(make([]byte, 32), make([]byte, 65))
	f.Fuzz(func(t *testing.T, digest, sig []byte) {
		var d [32]byte
		copy(d[:], digest)
		checkRecover(t, d, sig)
	})
}

// FuzzEIP712Digests checks the cooperative-close and outcome digests
// against go-ethereum's EIP-712 implementation.
func FuzzEIP712Digests(f *testing.F) {
	fx := fixture()
	ch := fx.World.Chains[0]
	f.Add(ch.ID, ch.Contract.Bytes(), ch.Hops[0].Channel[:], uint64(3), []byte{0x03, 0x84}, []byte{0x04, 0x4c}, fx.ID[:], true)
	f.Add(uint64(0), []byte{}, []byte{}, uint64(0), []byte{}, []byte{}, []byte{}, false)
	f.Fuzz(func(t *testing.T, chainID uint64, contract, channelID []byte, version uint64, balA, balB, instanceID []byte, confirmed bool) {
		c := common.BytesToAddress(contract)
		var id, inst [32]byte
		copy(id[:], channelID)
		copy(inst[:], instanceID)
		a := new(big.Int).SetBytes(balA[:min(len(balA), 32)])
		b := new(big.Int).SetBytes(balB[:min(len(balB), 32)])
		got := messages.CooperativeCloseDigest(chainID, c, id, version, a, b)
		want := gethDigest(t, chainID, c, id, "CooperativeClose", apitypes.TypedDataMessage{
			"version": new(big.Int).SetUint64(version), "balanceA": a, "balanceB": b})
		if got != want {
			t.Fatalf("CooperativeCloseDigest %x, go-ethereum gives %x", got, want)
		}
		got = messages.OutcomeDigest(chainID, c, inst, confirmed)
		want = gethDigest(t, chainID, c, [32]byte{}, "Outcome", apitypes.TypedDataMessage{"instanceId": inst[:], "confirmed": confirmed})
		if got != want {
			t.Fatalf("OutcomeDigest %x, go-ethereum gives %x", got, want)
		}
		if messages.OutcomeDigest(chainID, c, inst, !confirmed) == got {
			t.Fatal("confirmed and refunded outcomes share a digest")
		}
	})
}

// TestWriteFuzzCorpus rewrites the checked-in seed files from the harness
// run. It runs only with TEESWAP_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("TEESWAP_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set TEESWAP_WRITE_FUZZ_CORPUS=1 to rewrite testdata/fuzz")
	}
	write := func(target string, entries map[string][]any) {
		if err := protocoltest.WriteFuzzCorpus(".", target, entries); err != nil {
			t.Fatal(err)
		}
	}
	firsts := firstOfEachKind()
	env := map[string][]any{}
	sealed := map[string][]any{}
	for kind, e := range firsts {
		name := fmt.Sprintf("real-%s", kindName(kind))
		env[name] = []any{mustMarshalDet(t, e)}
		sealed[name] = []any{int64(kind), e.Payload}
		target := map[messages.Kind]string{
			messages.Kind_KIND_PREPARE: "FuzzUnmarshalPrepare", messages.Kind_KIND_PREPARED: "FuzzUnmarshalPrepared",
			messages.Kind_KIND_COMMIT: "FuzzUnmarshalCommit", messages.Kind_KIND_COMMITTED: "FuzzUnmarshalCommitted",
			messages.Kind_KIND_CONFIRM: "FuzzUnmarshalConfirm", messages.Kind_KIND_REFUND_REQUEST: "FuzzUnmarshalRefundRequest",
			messages.Kind_KIND_REFUND_AUTHORIZED: "FuzzUnmarshalRefundAuthorized", messages.Kind_KIND_REFUND_DENIED: "FuzzUnmarshalRefundDenied",
		}[kind]
		if target != "" {
			write(target, map[string][]any{name: {e.Payload}})
		}
	}
	write("FuzzOpenEnvelope", env)
	o := realOrder()
	write("FuzzOpenOrder", map[string][]any{"real-order": {false, mustMarshalDet(t, o)}, "real-order-payload": {true, o.Payload}})
	write("FuzzUnmarshalSwapRequest", map[string][]any{"real-swap-request": {swapRequestSeed(t)}})
	write("FuzzSealedPayload", sealed)
	states := realChannelStates()
	stateEntries := map[string][]any{
		"real-prepared-state":  {mustMarshalDet(t, states[0].State)},
		"real-committed-state": {mustMarshalDet(t, states[len(states)-1].State)},
	}
	write("FuzzUnmarshalChannelState", stateEntries)
	write("FuzzChannelStateDigest", stateEntries)
	write("FuzzSignedChannelStateVerify", map[string][]any{"real-signed-state": {mustMarshalDet(t, states[0])}})
	e := firsts[messages.Kind_KIND_PREPARE]
	d := e.Digest()
	write("FuzzRecoverAddress", map[string][]any{"real-prepare-signature": {d[:], e.Signature}})
	write("FuzzAmount", map[string][]any{"leading-zero": {[]byte{0, 1}}, "uint256-max": {bytes.Repeat([]byte{0xff}, 32)}})
	ch := fixture().World.Chains[0]
	write("FuzzEIP712Digests", map[string][]any{"real-close": {ch.ID, ch.Contract.Bytes(), ch.Hops[0].Channel[:], uint64(3),
		[]byte{0x03, 0x84}, []byte{0x04, 0x4c}, fixture().ID[:], false}})
}

func kindName(k messages.Kind) string {
	return map[messages.Kind]string{
		messages.Kind_KIND_PREPARE: "prepare", messages.Kind_KIND_PREPARED: "prepared", messages.Kind_KIND_COMMIT: "commit",
		messages.Kind_KIND_COMMITTED: "committed", messages.Kind_KIND_CONFIRM: "confirm", messages.Kind_KIND_REFUND_REQUEST: "refund-request",
		messages.Kind_KIND_REFUND_AUTHORIZED: "refund-authorized", messages.Kind_KIND_REFUND_DENIED: "refund-denied",
	}[k]
}
