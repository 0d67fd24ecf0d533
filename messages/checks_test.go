package messages_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

// Each check of the envelope, signature, amount, route and digest code,
// refused alone: the mutation run (enclave/protocoltest/mutants) removes
// or weakens each in turn and expects one of these tests to fail.

func sealed(t *testing.T) (*protocoltest.Key, *messages.Envelope) {
	t.Helper()
	k := protocoltest.NewKey(1, "checks")
	env, err := messages.Seal(k, messages.Kind_KIND_REFUND_REQUEST, &messages.RefundRequest{InstanceId: make([]byte, 32), Terminal: k.Address().Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	return k, env
}

func TestEnvelopeChecks(t *testing.T) {
	k, env := sealed(t)
	var r messages.RefundRequest
	if got, err := env.Open(messages.Kind_KIND_REFUND_REQUEST, &r); err != nil || got != k.Address() {
		t.Fatalf("valid envelope: %v %s", err, got)
	}
	if _, err := env.Open(messages.Kind_KIND_PREPARED, &r); !errors.Is(err, messages.ErrWrongKind) {
		t.Fatalf("wrong kind: %v", err)
	}
	short := proto.Clone(env).(*messages.Envelope)
	short.Signer = env.Signer[1:]
	if _, err := short.Open(messages.Kind_KIND_REFUND_REQUEST, &r); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("19-byte signer: %v", err)
	}
	other := proto.Clone(env).(*messages.Envelope)
	other.Signer = common.Address{1}.Bytes()
	if _, err := other.Open(messages.Kind_KIND_REFUND_REQUEST, &r); !errors.Is(err, messages.ErrSignerMismatch) {
		t.Fatalf("another signer: %v", err)
	}
	hs := proto.Clone(env).(*messages.Envelope)
	hs.Signature = highS(env.Signature)
	if _, err := hs.Open(messages.Kind_KIND_REFUND_REQUEST, &r); !errors.Is(err, messages.ErrBadSignature) {
		t.Fatalf("high-S twin of a valid signature: %v", err)
	}
	garbage := proto.Clone(env).(*messages.Envelope)
	garbage.Payload = []byte{0xff}
	garbage.Signature, _ = k.Sign(messages.EnvelopeDigest(garbage.Kind, garbage.Payload))
	if _, err := garbage.Open(messages.Kind_KIND_REFUND_REQUEST, &r); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("undecodable payload: %v", err)
	}
	var nilEnv *messages.Envelope
	if _, err := nilEnv.Open(messages.Kind_KIND_REFUND_REQUEST, &r); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("nil envelope: %v", err)
	}
	if _, err := messages.RecoverAddress(env.Digest(), env.Signature[:64]); !errors.Is(err, messages.ErrBadSignature) {
		t.Fatalf("64-byte signature: %v", err)
	}
	// The signed state verifies only under its own signer.
	st := &messages.ChannelState{ChainId: 1, Contract: common.Address{2}.Bytes(), ChannelId: make([]byte, 32), Version: 1}
	s, err := messages.SignChannelState(k, st)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Verify(); err != nil || got != k.Address() {
		t.Fatalf("signed state: %v %s", err, got)
	}
	s.Signer = common.Address{3}.Bytes()
	if _, err := s.Verify(); !errors.Is(err, messages.ErrSignerMismatch) {
		t.Fatalf("signed state under another signer: %v", err)
	}
}

func TestAmountBounds(t *testing.T) {
	max := make([]byte, 32)
	for i := range max {
		max[i] = 0xff
	}
	if v, err := messages.Amount(max); err != nil || v.BitLen() != 256 {
		t.Fatalf("uint256 max: %v", err)
	}
	if _, err := messages.Amount(append([]byte{1}, max...)); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("33 bytes: %v", err)
	}
	if _, err := messages.Amount([]byte{0, 1}); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("leading zero: %v", err)
	}
	if v, err := messages.Amount(nil); err != nil || v.Sign() != 0 {
		t.Fatalf("empty is zero: %v", err)
	}
	if b := messages.AmountBytes(big.NewInt(-5)); b != nil {
		t.Fatalf("negative encodes as %x", b)
	}
}

func TestNetworkValidateChecks(t *testing.T) {
	a, b, c := common.Address{1}, common.Address{2}, common.Address{3}
	good := func() *messages.Network {
		return &messages.Network{ChainId: 1, Contract: common.Address{9}.Bytes(), Asset: common.Address{}.Bytes(), Amount: []byte{5},
			Hops: []*messages.Hop{
				{ChannelId: make([]byte, 32), Payer: a.Bytes(), Payee: b.Bytes(), Version: 1},
				{ChannelId: append(make([]byte, 31), 1), Payer: b.Bytes(), Payee: c.Bytes(), Version: 1},
			}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	highest := good()
	highest.Hops[0].Version = math.MaxUint64 - 2 // settled at 2^64-1
	if err := highest.Validate(); err != nil {
		t.Fatalf("the highest version with room for its settled state: %v", err)
	}
	for name, edit := range map[string]func(n *messages.Network){
		"contract":          func(n *messages.Network) { n.Contract = nil },
		"asset":             func(n *messages.Network) { n.Asset = []byte{1} },
		"amount encoding":   func(n *messages.Network) { n.Amount = []byte{0, 5} },
		"zero amount":       func(n *messages.Network) { n.Amount = nil },
		"no hops":           func(n *messages.Network) { n.Hops = nil },
		"channel id":        func(n *messages.Network) { n.Hops[1].ChannelId = []byte{1} },
		"channel twice":     func(n *messages.Network) { n.Hops[1].ChannelId = n.Hops[0].ChannelId },
		"payer":             func(n *messages.Network) { n.Hops[0].Payer = nil },
		"payee":             func(n *messages.Network) { n.Hops[1].Payee = []byte{1} },
		"pays itself":       func(n *messages.Network) { n.Hops[1].Payee = b.Bytes() },
		"broken path":       func(n *messages.Network) { n.Hops[1].Payer = c.Bytes(); n.Hops[1].Payee = a.Bytes() },
		"version zero":      func(n *messages.Network) { n.Hops[1].Version = 0 },
		"no room to settle": func(n *messages.Network) { n.Hops[0].Version = math.MaxUint64 - 1 },
		"missing network":   nil,
	} {
		t.Run(name, func(t *testing.T) {
			n := good()
			if edit == nil {
				n = nil
			} else {
				edit(n)
			}
			if err := n.Validate(); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// baseState is a channel state with every field set.
func baseState() *messages.ChannelState {
	return &messages.ChannelState{ChainId: 5, Contract: common.Address{7}.Bytes(), ChannelId: append(make([]byte, 31), 8), Version: 3,
		DepositA: []byte{10}, DepositB: []byte{11}, BalanceA: []byte{12}, BalanceB: []byte{13},
		Lock: &messages.Lock{LockId: append(make([]byte, 31), 14), Amount: []byte{15}, AToB: true, Stage: messages.LockStage_LOCK_STAGE_PREPARED, CrossChain: true}}
}

// Every field of a channel state, of an outcome and of a close is in its
// digest, and the digests are pinned: the contract checks the same bytes.
func TestDigestsCoverEveryField(t *testing.T) {
	digest := func(st *messages.ChannelState) [32]byte {
		d, err := messages.ChannelStateDigest(st)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	base := digest(baseState())
	for name, edit := range map[string]func(st *messages.ChannelState){
		"chain":     func(st *messages.ChannelState) { st.ChainId++ },
		"contract":  func(st *messages.ChannelState) { st.Contract = common.Address{6}.Bytes() },
		"channel":   func(st *messages.ChannelState) { st.ChannelId[0] = 1 },
		"version":   func(st *messages.ChannelState) { st.Version++ },
		"deposit A": func(st *messages.ChannelState) { st.DepositA = []byte{20} },
		"deposit B": func(st *messages.ChannelState) { st.DepositB = []byte{20} },
		"balance A": func(st *messages.ChannelState) { st.BalanceA = []byte{20} },
		"balance B": func(st *messages.ChannelState) { st.BalanceB = []byte{20} },
		"lock id":   func(st *messages.ChannelState) { st.Lock.LockId[0] = 1 },
		"amount":    func(st *messages.ChannelState) { st.Lock.Amount = []byte{20} },
		"direction": func(st *messages.ChannelState) { st.Lock.AToB = false },
		"stage":     func(st *messages.ChannelState) { st.Lock.Stage = messages.LockStage_LOCK_STAGE_COMMITTED },
		"cross":     func(st *messages.ChannelState) { st.Lock.CrossChain = false },
		"no lock":   func(st *messages.ChannelState) { st.Lock = nil },
	} {
		st := baseState()
		edit(st)
		if digest(st) == base {
			t.Errorf("%s is not in the channel state digest", name)
		}
	}
	bad := baseState()
	bad.Lock.Stage = messages.LockStage(0)
	if _, err := messages.ChannelStateDigest(bad); !errors.Is(err, messages.ErrMalformed) {
		t.Fatalf("unspecified lock stage: %v", err)
	}
	for name, edit := range map[string]func(st *messages.ChannelState){
		"contract": func(st *messages.ChannelState) { st.Contract = nil },
		"channel":  func(st *messages.ChannelState) { st.ChannelId = nil },
		"amount":   func(st *messages.ChannelState) { st.BalanceA = []byte{0, 1} },
		"lock id":  func(st *messages.ChannelState) { st.Lock.LockId = nil },
		"lock amt": func(st *messages.ChannelState) { st.Lock.Amount = make([]byte, 33) },
	} {
		st := baseState()
		edit(st)
		if _, err := messages.ChannelStateDigest(st); err == nil {
			t.Errorf("%s: malformed state digested", name)
		}
	}
	id := [32]byte{1}
	c := common.Address{7}
	o := messages.OutcomeDigest(5, c, id, true)
	for name, d := range map[string][32]byte{
		"confirmed": messages.OutcomeDigest(5, c, id, false), "chain": messages.OutcomeDigest(6, c, id, true),
		"contract": messages.OutcomeDigest(5, common.Address{8}, id, true), "instance": messages.OutcomeDigest(5, c, [32]byte{2}, true),
	} {
		if d == o {
			t.Errorf("outcome digest ignores %s", name)
		}
	}
	cl := messages.CooperativeCloseDigest(5, c, id, 3, big.NewInt(1), big.NewInt(2))
	for name, d := range map[string][32]byte{
		"version": messages.CooperativeCloseDigest(5, c, id, 4, big.NewInt(1), big.NewInt(2)),
		"A":       messages.CooperativeCloseDigest(5, c, id, 3, big.NewInt(2), big.NewInt(2)),
		"B":       messages.CooperativeCloseDigest(5, c, id, 3, big.NewInt(1), big.NewInt(1)),
		"channel": messages.CooperativeCloseDigest(5, c, [32]byte{2}, 3, big.NewInt(1), big.NewInt(2)),
	} {
		if d == cl {
			t.Errorf("close digest ignores %s", name)
		}
	}
	if messages.EnvelopeDigest(messages.Kind_KIND_PREPARE, []byte{1}) == messages.EnvelopeDigest(messages.Kind_KIND_COMMIT, []byte{1}) {
		t.Error("envelope digest ignores the kind")
	}
	// Pinned values (the contract's tests sign the same typed data).
	for name, c := range map[string]struct {
		got  [32]byte
		want common.Hash
	}{
		"state":   {base, pinnedState},
		"outcome": {o, pinnedOutcome},
		"close":   {cl, pinnedClose},
	} {
		if c.got != c.want {
			t.Errorf("%s digest %x, pinned %x", name, c.got, c.want)
		}
	}
}

// Pinned digests of baseState and the outcome and close above, as
// computed when FuzzEIP712Digests agreed with go-ethereum's EIP-712 encoder.
var (
	pinnedState   = common.HexToHash("0d27041bd71a20d9846941f7933e415ac0a61207a71774e07f3c1807691cf11e")
	pinnedOutcome = common.HexToHash("6cef03c7d36f97e4dfd3e4992847036db59b36ef104b1a9406d68268382def60")
	pinnedClose   = common.HexToHash("cdcf5d053cc73303488a9bfc6f94d654b27adbcb26b3d57c00f64e5916cdb03a")
)
