package terminal_test

// Fuzz targets for every entry point of the terminal machine. Each input
// picks a terminal of a fig-1 swap (protocoltest.FuzzSwap) at a point of
// its run (idle, prepared, committed, confirmed, refunded) and feeds it one
// fuzzed input. Properties, for every input:
//
//   - no panic;
//   - a rejection is one of the package's typed errors, produces no
//     output and leaves every record as it was;
//   - an accepted step hands out (for persisting) every record it changed;
//   - every channel conserves value (balances plus lock equal deposits),
//     a reservation never exceeds the reserved balance, and any
//     counter-signed state verifies under both parties' keys;
//   - records held by an earlier copy of the machine are never mutated.
//
// Envelope inputs come in four modes (mode % 4): 0 the bytes are a
// marshalled Envelope; 1 they are a payload signed by the trusted
// coordinator; 2 the same after re-signing the acks, channel states and
// outcomes inside by the harness keys they name (a byzantine coordinator
// or counterparty); 3 a payload signed by an untrusted key. Run one with
//
//	go test ./enclave/terminal/ -run '^$' -fuzz '^FuzzHandlePrepare$' -fuzztime 20s

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

var (
	det = proto.MarshalOptions{Deterministic: true}
)

func fixture() *protocoltest.FuzzSwap { return protocoltest.SharedFuzzSwap() }

var terminalErrors = []error{
	terminal.ErrMalformed, terminal.ErrBadSignature, terminal.ErrUntrustedCoordinator, terminal.ErrReplayedInstance,
	terminal.ErrUnknownInstance, terminal.ErrUnknownChannel, terminal.ErrNotParticipant, terminal.ErrInsufficientBalance,
	terminal.ErrChannelBusy, terminal.ErrChannelClosed, terminal.ErrStaleVersion, terminal.ErrWrongPhase,
	terminal.ErrExpired, terminal.ErrMissingAck, terminal.ErrForgedAck, terminal.ErrAmountMismatch,
	terminal.ErrStateMismatch, terminal.ErrDuplicate, terminal.ErrConflictingOutcome, terminal.ErrCloseMismatch,
	terminal.ErrUnauthorised, terminal.ErrOrderExpired, terminal.ErrOrderReplayed, terminal.ErrOrderMismatch, terminal.ErrNotPayer,
	terminal.ErrNotCounterparty,
}

func typed(err error) bool {
	for _, e := range terminalErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

const (
	modeRaw = iota
	modeSealed
	modeResigned
	modeUntrusted
)

// envelope builds the envelope an input describes; false skips the input.
func envelope(kind messages.Kind, mode uint32, data []byte) (*messages.Envelope, bool) {
	fx := fixture()
	switch mode % 4 {
	case modeRaw:
		env := &messages.Envelope{}
		return env, proto.Unmarshal(data, env) == nil
	case modeSealed:
		return protocoltest.SealPayload(fx.World.Coord, kind, data), true
	case modeResigned:
		return protocoltest.SealPayload(fx.World.Coord, kind, fx.Resign(kind, data)), true
	default:
		return protocoltest.SealPayload(fx.Mallory, kind, data), true
	}
}

// fuzzTerminal is one input's machine: a clone of a terminal at a point.
type fuzzTerminal struct {
	name    string
	m       *terminal.Machine
	base    *terminal.Machine // the point's machine, never stepped
	baseD   [32]byte
	before  records
	beforeD [32]byte
}

// mark takes the machine as it is now as the state before the next step.
func (ft *fuzzTerminal) mark() {
	ft.before, ft.beforeD = snapshot(ft.m), protocoltest.TerminalDigest(ft.m)
}

func pick(point, who uint32) *fuzzTerminal {
	fx := fixture()
	p := protocoltest.FuzzTerminalPoints[point%uint32(len(protocoltest.FuzzTerminalPoints))]
	name := protocoltest.FuzzTerminalNames[who%uint32(len(protocoltest.FuzzTerminalNames))]
	base := fx.Terminals[p][name]
	m := base.Clone()
	ft := &fuzzTerminal{name: name, m: m, base: base, baseD: protocoltest.TerminalDigest(base)}
	ft.mark()
	return ft
}

// records is every record of a machine, marshalled.
type records struct {
	channels  map[[32]byte][]byte
	instances map[string][]byte
	coords    string
}

func instKey(r *messages.TerminalInstance) string {
	return fmt.Sprintf("%x/%d", r.InstanceId, r.NetworkIndex)
}

func mustDet(tb testing.TB, m proto.Message) []byte {
	b, err := det.Marshal(m)
	if err != nil {
		tb.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func snapshot(m *terminal.Machine) records {
	r := records{channels: map[[32]byte][]byte{}, instances: map[string][]byte{}, coords: fmt.Sprint(m.Coordinators())}
	for _, c := range m.Channels() {
		b, _ := det.Marshal(c)
		r.channels[[32]byte(c.ChannelId)] = b
	}
	for _, i := range m.Instances() {
		b, _ := det.Marshal(i)
		r.instances[instKey(i)] = b
	}
	return r
}

func amt(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// conserves checks balanceA + balanceB + lock = depositA + depositB.
func conserves(st *messages.ChannelState) bool {
	sum := new(big.Int).Add(amt(st.BalanceA), amt(st.BalanceB))
	sum.Add(sum, amt(st.GetLock().GetAmount()))
	return sum.Cmp(new(big.Int).Add(amt(st.DepositA), amt(st.DepositB))) == 0
}

// sameBalances reports whether two states carry the same deposits and,
// with locks paid back to the payer, the same balances.
func sameBalances(x, y *messages.ChannelState) bool {
	rx, ry := unlocked(x), unlocked(y)
	return bytes.Equal(rx.DepositA, ry.DepositA) && bytes.Equal(rx.DepositB, ry.DepositB) &&
		amt(rx.BalanceA).Cmp(amt(ry.BalanceA)) == 0 && amt(rx.BalanceB).Cmp(amt(ry.BalanceB)) == 0
}

// unlocked is st with a prepared lock returned to the payer and a
// committed one paid to the payee.
func unlocked(st *messages.ChannelState) *messages.ChannelState { return terminal.Resolved(st) }

func total(st *messages.ChannelState) *big.Int {
	return new(big.Int).Add(amt(st.DepositA), amt(st.DepositB))
}

func checkSig(t *testing.T, st *messages.ChannelState, sig []byte, want []byte, what string) {
	if len(sig) == 0 {
		return
	}
	d, err := messages.ChannelStateDigest(st)
	if err != nil {
		t.Fatalf("%s: state has no digest: %v", what, err)
	}
	got, err := messages.RecoverAddress(d, sig)
	if err != nil || got != common.BytesToAddress(want) {
		t.Fatalf("%s: signature is %s's (%v), want %x", what, got, err, want)
	}
}

// invariants checks every record of the machine.
func invariants(t *testing.T, m *terminal.Machine) {
	self := m.Address()
	for _, c := range m.Channels() {
		id := [32]byte(c.ChannelId)
		if !conserves(c.Latest) {
			t.Fatalf("channel %x: latest state does not conserve value: %v", id[:4], c.Latest)
		}
		if c.Latest.Version > c.MaxSignedVersion {
			t.Fatalf("channel %x: latest version %d above max signed %d", id[:4], c.Latest.Version, c.MaxSignedVersion)
		}
		checkSig(t, c.Latest, c.LatestSigA, c.PartyA, "latest sig A")
		checkSig(t, c.Latest, c.LatestSigB, c.PartyB, "latest sig B")
		if st := c.Settled; st != nil {
			if !conserves(st) || st.Lock != nil || st.Version > c.MaxSignedVersion || st.Version <= c.Latest.Version {
				t.Fatalf("channel %x: settled state %v (latest at %d, max signed %d)", id[:4], st, c.Latest.Version, c.MaxSignedVersion)
			}
			topUp := !bytes.Equal(st.DepositA, c.Latest.DepositA) || !bytes.Equal(st.DepositB, c.Latest.DepositB)
			if c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE && !topUp && !sameBalances(st, c.Latest) {
				t.Fatalf("channel %x: settled state %v is not the latest %v resolved", id[:4], st, c.Latest)
			}
			checkSig(t, st, c.SettledSigA, c.PartyA, "settled sig A")
			checkSig(t, st, c.SettledSigB, c.PartyB, "settled sig B")
		}
		avail, reserved, err := m.Balances(id)
		if err != nil || avail.Sign() < 0 || reserved.Sign() < 0 {
			t.Fatalf("channel %x: balances %v/%v, %v", id[:4], avail, reserved, err)
		}
		if c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE {
			if len(c.ActiveInstance) != 0 {
				t.Fatalf("idle channel %x held by %x", id[:4], c.ActiveInstance)
			}
			continue
		}
		if len(c.ActiveInstance) != 32 {
			t.Fatalf("channel %x %v without an instance", id[:4], c.Phase)
		}
		r := m.Instance([32]byte(c.ActiveInstance), c.ActiveNetwork)
		wantPhase := map[messages.ChannelPhase]messages.TerminalPhase{
			messages.ChannelPhase_CHANNEL_PHASE_PREPARED:  messages.TerminalPhase_TERMINAL_PHASE_PREPARED,
			messages.ChannelPhase_CHANNEL_PHASE_COMMITTED: messages.TerminalPhase_TERMINAL_PHASE_COMMITTED,
		}[c.Phase]
		if r == nil || r.Phase != wantPhase {
			t.Fatalf("channel %x %v, its instance record is %v", id[:4], c.Phase, r.GetPhase())
		}
		var leg *messages.ChannelLeg
		for _, l := range r.Legs {
			if bytes.Equal(l.ChannelId, c.ChannelId) {
				leg = l
			}
		}
		if leg == nil {
			t.Fatalf("channel %x held by an instance without a leg for it", id[:4])
		}
		if !sameBalances(leg.Prepared, c.Latest) || leg.Prepared.Version <= c.Latest.Version {
			t.Fatalf("channel %x: prepared state %v does not reserve from latest %v", id[:4], leg.Prepared, c.Latest)
		}
		if l := leg.Prepared.Lock; l.AToB == (common.BytesToAddress(c.PartyA) == self) && reserved.Cmp(amt(l.Amount)) != 0 {
			t.Fatalf("channel %x: reserved %s, lock %s", id[:4], reserved, amt(l.Amount))
		}
	}
	for _, r := range m.Instances() {
		if r.Phase == messages.TerminalPhase_TERMINAL_PHASE_UNSPECIFIED {
			t.Fatalf("instance %x without a phase", r.InstanceId)
		}
		for _, l := range r.Legs {
			c := m.Channel([32]byte(l.ChannelId))
			if c == nil {
				t.Fatalf("instance %x has a leg on unknown channel %x", r.InstanceId, l.ChannelId)
			}
			if !conserves(l.Prepared) || l.Prepared.Lock == nil || l.Prepared.Lock.Stage != messages.LockStage_LOCK_STAGE_PREPARED {
				t.Fatalf("instance %x: bad prepared state %v", r.InstanceId, l.Prepared)
			}
			if l.Prepared.Version > c.MaxSignedVersion {
				t.Fatalf("instance %x signed version %d above the channel's max %d", r.InstanceId, l.Prepared.Version, c.MaxSignedVersion)
			}
			checkSig(t, l.Prepared, l.PreparedSigSelf, m.Address().Bytes(), "prepared self sig")
			checkSig(t, l.Prepared, l.PreparedSigPeer, peerOf(c, m.Address()), "prepared peer sig")
			if l.Committed != nil {
				if !conserves(l.Committed) || l.Committed.Version != l.Prepared.Version+1 ||
					l.Committed.Lock.GetStage() != messages.LockStage_LOCK_STAGE_COMMITTED || !bytes.Equal(l.Committed.BalanceA, l.Prepared.BalanceA) ||
					!bytes.Equal(l.Committed.BalanceB, l.Prepared.BalanceB) {
					t.Fatalf("instance %x: committed state %v does not follow prepared %v", r.InstanceId, l.Committed, l.Prepared)
				}
				checkSig(t, l.Committed, l.CommittedSigSelf, m.Address().Bytes(), "committed self sig")
				checkSig(t, l.Committed, l.CommittedSigPeer, peerOf(c, m.Address()), "committed peer sig")
			}
			if r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED || r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED {
				if !bytes.Equal(c.ActiveInstance, r.InstanceId) || c.ActiveNetwork != r.NetworkIndex {
					t.Fatalf("instance %x is %v but channel %x is held by %x", r.InstanceId, r.Phase, l.ChannelId, c.ActiveInstance)
				}
			}
		}
	}
}

func peerOf(c *messages.ChannelRecord, self common.Address) []byte {
	if common.BytesToAddress(c.PartyA) == self {
		return c.PartyB
	}
	return c.PartyA
}

// step checks the properties every step shares. deposits allows the
// step to change on-chain deposits (TopUp).
func (ft *fuzzTerminal) step(t *testing.T, out terminal.Output, err error, deposits bool) {
	t.Helper()
	after := snapshot(ft.m)
	if err != nil {
		if !typed(err) {
			t.Fatalf("untyped error: %v", err)
		}
		if !out.Empty() {
			t.Fatalf("rejected step produced output: %v", err)
		}
		if protocoltest.TerminalDigest(ft.m) != ft.beforeD || after.coords != ft.before.coords {
			t.Fatalf("rejected step (%v) changed the machine", err)
		}
	} else {
		// Write-ahead: every changed record is in the output, as it now is.
		outCh := map[[32]byte]bool{}
		for _, c := range out.Channels {
			id := [32]byte(c.ChannelId)
			outCh[id] = true
			if !bytes.Equal(mustDet(t, c), after.channels[id]) {
				t.Fatalf("output channel %x differs from the machine's", id[:4])
			}
		}
		for id, b := range after.channels {
			if !bytes.Equal(ft.before.channels[id], b) && !outCh[id] {
				t.Fatalf("channel %x changed but is not in the output", id[:4])
			}
		}
		outIn := map[string]bool{}
		for _, r := range out.Instances {
			outIn[instKey(r)] = true
			if !bytes.Equal(mustDet(t, r), after.instances[instKey(r)]) {
				t.Fatalf("output instance %s differs from the machine's", instKey(r))
			}
		}
		for k, b := range after.instances {
			if !bytes.Equal(ft.before.instances[k], b) && !outIn[k] {
				t.Fatalf("instance %s changed but is not in the output", k)
			}
		}
		for k := range ft.before.instances {
			if _, ok := after.instances[k]; !ok {
				t.Fatalf("instance %s disappeared", k)
			}
		}
		for _, e := range out.Send {
			if s, err := e.Verify(); err != nil || s != ft.m.Address() {
				t.Fatalf("sent %v signed by %s (%v), not this terminal", e.Kind, s, err)
			}
		}
		for _, p := range out.Peer {
			if s, err := p.Msg.GetState().Verify(); err != nil || s != ft.m.Address() {
				t.Fatalf("offered a settled state signed by %s (%v), not this terminal", s, err)
			}
			c := ft.m.Channel([32]byte(p.Msg.State.State.ChannelId))
			if c == nil || !proto.Equal(c.Settled, p.Msg.State.State) || common.BytesToAddress(peerOf(c, ft.m.Address())) != p.To {
				t.Fatalf("offered a settled state that is not the channel's, or to another than its counterparty %s", p.To)
			}
		}
	}
	for id := range ft.before.channels {
		c := ft.m.Channel(id)
		if c == nil {
			t.Fatalf("channel %x disappeared", id[:4])
		}
		var old messages.ChannelRecord
		_ = proto.Unmarshal(ft.before.channels[id], &old)
		if !deposits && total(old.Latest).Cmp(total(c.Latest)) != 0 {
			t.Fatalf("channel %x: deposits changed from %s to %s", id[:4], total(old.Latest), total(c.Latest))
		}
		if c.MaxSignedVersion < old.MaxSignedVersion {
			t.Fatalf("channel %x: max signed version went back from %d to %d", id[:4], old.MaxSignedVersion, c.MaxSignedVersion)
		}
		if old.Closed && !c.Closed {
			t.Fatalf("channel %x reopened", id[:4])
		}
	}
	invariants(t, ft.m)
	if protocoltest.TerminalDigest(ft.base) != ft.baseD {
		t.Fatal("the step mutated a record shared with an earlier copy of the machine")
	}
}

func indexOf(list []string, s string) uint32 {
	for i, x := range list {
		if x == s {
			return uint32(i)
		}
	}
	panic("no " + s)
}

func pointOf(p string) uint32 { return indexOf(protocoltest.FuzzTerminalPoints, p) }

// envSeed is one seed of an envelope target: a real envelope of the run
// for a terminal at a point, raw and as a payload to seal.
type envSeed struct {
	label            string
	point, who, mode uint32
	data             []byte
}

func envSeeds(tb testing.TB, kind messages.Kind, points ...string) []envSeed {
	fx := fixture()
	var out []envSeed
	for i, m := range fx.Envelopes(kind) {
		name, ok := fx.World.Names[m.To]
		if !ok {
			continue
		}
		for _, p := range points {
			label := fmt.Sprintf("real-%d-%s-at-%s", i, name, p)
			out = append(out,
				envSeed{label + "-raw", pointOf(p), indexOf(protocoltest.FuzzTerminalNames, name), modeRaw, mustDet(tb, m.Env)},
				envSeed{label + "-sealed", pointOf(p), indexOf(protocoltest.FuzzTerminalNames, name), modeSealed, m.Env.Payload})
		}
	}
	return out
}

// decoded opens env's payload as msg without checks, for the assertions.
func decoded[T proto.Message](t *testing.T, env *messages.Envelope, msg T) T {
	if err := proto.Unmarshal(env.Payload, msg); err != nil {
		t.Fatalf("accepted %v does not decode: %v", env.Kind, err)
	}
	return msg
}

// recordOf is the machine's record for the instance an envelope names,
// read before the machine handles it (an ended record keeps no legs).
func recordOf(m *terminal.Machine, env *messages.Envelope, msg interface {
	proto.Message
	GetInstanceId() []byte
	GetNetworkIndex() uint32
}) *messages.TerminalInstance {
	if env == nil || proto.Unmarshal(env.Payload, msg) != nil || len(msg.GetInstanceId()) != 32 {
		return nil
	}
	return m.Instance([32]byte(msg.GetInstanceId()), msg.GetNetworkIndex())
}

// checkEnded checks an ended record: compacted to what refuses a replay,
// with the coordinator's outcome signature over the network it ran in.
func checkEnded(t *testing.T, n *messages.Network, r *messages.TerminalInstance, confirmed bool) {
	if r.Prepare != nil || len(r.Legs) != 0 || r.PreparedAck != nil || r.CommittedAck != nil {
		t.Fatalf("ended instance %x keeps its PREPARE, legs or acks", r.InstanceId[:4])
	}
	d := messages.OutcomeDigest(n.ChainId, common.BytesToAddress(n.Contract), [32]byte(r.InstanceId), confirmed)
	if got, err := messages.RecoverAddress(d, r.OutcomeSignature); err != nil || got != common.BytesToAddress(r.Coordinator) {
		t.Fatalf("instance %x %v without the coordinator's outcome signature (%s, %v)", r.InstanceId[:4], r.Phase, got, err)
	}
}

// FuzzHandlePrepare: PREPARE at any point of the run.
func FuzzHandlePrepare(f *testing.F) {
	now := fixture().World.Now
	for _, s := range envSeeds(f, messages.Kind_KIND_PREPARE, protocoltest.FuzzIdle, protocoltest.FuzzPrepared) {
		f.Add(s.point, s.who, s.mode, s.data, now)
	}
	f.Fuzz(func(t *testing.T, point, who, mode uint32, data []byte, nowMs int64) {
		env, ok := envelope(messages.Kind_KIND_PREPARE, mode, data)
		if !ok {
			return
		}
		ft := pick(point, who)
		out, err := ft.m.HandlePrepare(env, nowMs)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("accepted a PREPARE from an untrusted key")
		}
		p := decoded(t, env, &messages.Prepare{})
		r := ft.m.Instance([32]byte(p.InstanceId), p.NetworkIndex)
		d := env.Digest()
		if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_PREPARED || !bytes.Equal(r.PrepareDigest, d[:]) {
			t.Fatalf("accepted PREPARE left record %v", r)
		}
		if len(out.Send) != 1 || !proto.Equal(out.Send[0], r.PreparedAck) {
			t.Fatal("accepted PREPARE not answered with the recorded ack")
		}
		if len(out.Instances) == 0 {
			return // a repeated PREPARE, answered again
		}
		if nowMs >= p.DeadlineMs {
			t.Fatalf("accepted a PREPARE at %d past its deadline %d", nowMs, p.DeadlineMs)
		}
		ack := decoded(t, r.PreparedAck, &messages.Prepared{})
		if common.BytesToAddress(ack.Terminal) != ft.m.Address() || !bytes.Equal(ack.PrepareDigest, d[:]) || len(ack.ChannelStates) != len(r.Legs) {
			t.Fatalf("PREPARED ack %v does not answer the PREPARE", ack)
		}
		for i, s := range ack.ChannelStates {
			if signer, err := s.Verify(); err != nil || signer != ft.m.Address() || !proto.Equal(s.State, r.Legs[i].Prepared) {
				t.Fatalf("ack state %d: %s, %v", i, signer, err)
			}
			if !bytes.Equal(s.State.Lock.Amount, p.Network.Amount) {
				t.Fatalf("ack state %d locks %x, the PREPARE %x", i, s.State.Lock.Amount, p.Network.Amount)
			}
		}
		// As the network's sender it paid only on its own order for
		// exactly these legs, unexpired, recorded as used.
		if common.BytesToAddress(p.Network.Hops[0].Payer) == ft.m.Address() {
			o, payer, id, err := messages.OpenOrder(p.Order)
			if err != nil || payer != ft.m.Address() || nowMs >= o.ExpiresMs || o.Kind != p.Kind || !messages.LegsEqual(o.Legs, p.Legs) ||
				!messages.LegServes(p.Legs[p.NetworkIndex], p.Network) || !bytes.Equal(r.OrderId, id[:]) {
				t.Fatalf("sender took part on order %v from %s (%v), recorded %x", o, payer, err, r.OrderId)
			}
		} else if len(r.OrderId) != 0 {
			t.Fatal("a terminal that pays no network recorded an order")
		}
	})
}

// FuzzHandleCommit: COMMIT at any point of the run.
func FuzzHandleCommit(f *testing.F) {
	now := fixture().World.Now
	for _, s := range envSeeds(f, messages.Kind_KIND_COMMIT, protocoltest.FuzzPrepared, protocoltest.FuzzCommitted) {
		f.Add(s.point, s.who, s.mode, s.data, now)
	}
	f.Fuzz(func(t *testing.T, point, who, mode uint32, data []byte, nowMs int64) {
		env, ok := envelope(messages.Kind_KIND_COMMIT, mode, data)
		if !ok {
			return
		}
		ft := pick(point, who)
		out, err := ft.m.HandleCommit(env, nowMs)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("accepted a COMMIT from an untrusted key")
		}
		c := decoded(t, env, &messages.Commit{})
		r := ft.m.Instance([32]byte(c.InstanceId), c.NetworkIndex)
		d := env.Digest()
		if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_COMMITTED || !bytes.Equal(r.CommitDigest, d[:]) {
			t.Fatalf("accepted COMMIT left record %v", r)
		}
		if len(out.Send) != 1 || !proto.Equal(out.Send[0], r.CommittedAck) {
			t.Fatal("accepted COMMIT not answered with the recorded ack")
		}
		for _, l := range r.Legs {
			if len(l.PreparedSigPeer) == 0 || l.Committed == nil {
				t.Fatalf("committed leg %x without the peer's prepared signature", l.ChannelId[:4])
			}
		}
	})
}

// FuzzHandleConfirm: CONFIRM at any point of the run.
func FuzzHandleConfirm(f *testing.F) {
	for _, s := range envSeeds(f, messages.Kind_KIND_CONFIRM, protocoltest.FuzzCommitted, protocoltest.FuzzConfirmed) {
		f.Add(s.point, s.who, s.mode, s.data)
	}
	f.Fuzz(func(t *testing.T, point, who, mode uint32, data []byte) {
		env, ok := envelope(messages.Kind_KIND_CONFIRM, mode, data)
		if !ok {
			return
		}
		ft := pick(point, who)
		pre := recordOf(ft.m, env, &messages.Confirm{})
		out, err := ft.m.HandleConfirm(env)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("accepted a CONFIRM from an untrusted key")
		}
		c := decoded(t, env, &messages.Confirm{})
		r := ft.m.Instance([32]byte(c.InstanceId), c.NetworkIndex)
		if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED {
			t.Fatalf("accepted CONFIRM left record %v", r)
		}
		if pre == nil || len(pre.Legs) == 0 {
			t.Fatal("accepted a CONFIRM for an instance with no prepared legs")
		}
		checkEnded(t, pre.Prepare.Network, r, true)
		for _, l := range pre.Legs {
			ch := ft.m.Channel([32]byte(l.ChannelId))
			if ch.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || !proto.Equal(ch.Latest, l.Committed) ||
				len(ch.LatestSigA) == 0 || len(ch.LatestSigB) == 0 {
				t.Fatalf("confirmed channel %x is not idle at the doubly signed committed state", l.ChannelId[:4])
			}
			checkSettled(t, ft.m, ch, l.Prepared.Version, unlocked(l.Committed))
		}
		if want := partyA(ft.m, pre.Legs); len(out.Peer) != want {
			t.Fatalf("%d settled-state offers, want one per channel this terminal is party A of (%d)", len(out.Peer), want)
		}
	})
}

// FuzzHandleRefundAuthorized: REFUND-AUTHORIZED at any point of the run.
func FuzzHandleRefundAuthorized(f *testing.F) {
	for _, s := range envSeeds(f, messages.Kind_KIND_REFUND_AUTHORIZED, protocoltest.FuzzIdle, protocoltest.FuzzPrepared,
		protocoltest.FuzzCommitted, protocoltest.FuzzRefunded) {
		f.Add(s.point, s.who, s.mode, s.data)
	}
	f.Fuzz(func(t *testing.T, point, who, mode uint32, data []byte) {
		env, ok := envelope(messages.Kind_KIND_REFUND_AUTHORIZED, mode, data)
		if !ok {
			return
		}
		ft := pick(point, who)
		pre := recordOf(ft.m, env, &messages.RefundAuthorized{})
		out, err := ft.m.HandleRefundAuthorized(env)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("accepted a REFUND-AUTHORIZED from an untrusted key")
		}
		ra := decoded(t, env, &messages.RefundAuthorized{})
		r := ft.m.Instance([32]byte(ra.InstanceId), ra.NetworkIndex)
		if r == nil || r.Phase != messages.TerminalPhase_TERMINAL_PHASE_REFUNDED {
			t.Fatalf("accepted REFUND-AUTHORIZED left record %v", r)
		}
		if pre != nil {
			checkEnded(t, pre.Prepare.Network, r, false)
		}
		for _, l := range pre.GetLegs() {
			ch := ft.m.Channel([32]byte(l.ChannelId))
			var old messages.ChannelRecord
			_ = proto.Unmarshal(ft.before.channels[[32]byte(l.ChannelId)], &old)
			if ch.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || !proto.Equal(ch.Latest, old.Latest) {
				t.Fatalf("refunded channel %x is not idle at its state before the instance", l.ChannelId[:4])
			}
			checkSettled(t, ft.m, ch, l.Prepared.Version, unlocked(l.Prepared))
		}
		if want := partyA(ft.m, pre.GetLegs()); len(out.Peer) != want {
			t.Fatalf("%d settled-state offers, want one per channel this terminal is party A of (%d)", len(out.Peer), want)
		}
	})
}

// checkSettled checks the settled state an outcome just left on ch: the
// outcome's balances, no lock, at the hop's version + 2, signed by this
// terminal only so far.
func checkSettled(t *testing.T, m *terminal.Machine, ch *messages.ChannelRecord, hopVersion uint64, want *messages.ChannelState) {
	t.Helper()
	st := ch.Settled
	if st == nil || st.Lock != nil || st.Version != hopVersion+messages.SettledVersionOffset || !sameBalances(st, want) ||
		ch.MaxSignedVersion != st.Version {
		t.Fatalf("channel %x: settled state %v after the outcome, want %v at %d", ch.ChannelId[:4], st, want, hopVersion+messages.SettledVersionOffset)
	}
	own, peer := ch.SettledSigA, ch.SettledSigB
	if common.BytesToAddress(ch.PartyB) == m.Address() {
		own, peer = peer, own
	}
	if len(own) == 0 || len(peer) != 0 {
		t.Fatalf("channel %x: settled state signed by %d and %d bytes, want this terminal's only", ch.ChannelId[:4], len(own), len(peer))
	}
}

// partyA counts the legs whose channel names m as party A: the channels
// whose settled state m offers first.
func partyA(m *terminal.Machine, legs []*messages.ChannelLeg) int {
	n := 0
	for _, l := range legs {
		if common.BytesToAddress(m.Channel([32]byte(l.ChannelId)).PartyA) == m.Address() {
			n++
		}
	}
	return n
}

// FuzzHandleSettledState: a settled state at any point of the run, as
// given or with its state re-signed by any terminal of the run or an
// outsider. Seeds are every offer the terminals would send after CONFIRM
// and after the refund. An accepted one is signed by the channel's
// counterparty, is exactly the receiver's settled state and only adds the
// counterparty's signature.
func FuzzHandleSettledState(f *testing.F) {
	fx := fixture()
	names := protocoltest.FuzzTerminalNames
	for _, p := range []string{protocoltest.FuzzConfirmed, protocoltest.FuzzRefunded} {
		for si, sender := range names {
			for _, o := range fx.Terminals[p][sender].SettledOffers() {
				to := indexOf(names, fx.World.Names[o.To])
				f.Add(pointOf(p), to, uint32(si), false, mustDet(f, o.Msg))
				f.Add(pointOf(p), to, uint32(si), true, mustDet(f, o.Msg))
			}
		}
	}
	f.Fuzz(func(t *testing.T, point, who, signer uint32, resign bool, data []byte) {
		var msg messages.SettledState
		if proto.Unmarshal(data, &msg) != nil {
			return
		}
		if resign && msg.GetState().GetState() != nil {
			key := fx.Mallory
			if i := signer % uint32(len(names)+1); i < uint32(len(names)) {
				key = fx.World.Keys[names[i]]
			}
			signed, err := messages.SignChannelState(key, msg.State.State)
			if err != nil {
				return
			}
			msg.State = signed
		}
		ft := pick(point, who)
		out, err := ft.m.HandleSettledState(&msg)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		id := [32]byte(msg.State.State.ChannelId)
		c := ft.m.Channel(id)
		if s, _ := msg.State.Verify(); common.BytesToAddress(peerOf(c, ft.m.Address())) != s {
			t.Fatalf("took a settled state of channel %x signed by %s, not the counterparty", id[:4], s)
		}
		var old messages.ChannelRecord
		_ = proto.Unmarshal(ft.before.channels[id], &old)
		if !proto.Equal(old.Settled, c.Settled) || !proto.Equal(c.Settled, msg.State.State) || len(c.SettledSigA) == 0 || len(c.SettledSigB) == 0 {
			t.Fatalf("channel %x: accepted offer %v, settled was %v and is %v", id[:4], msg.State.State, old.Settled, c.Settled)
		}
		old.SettledSigA, old.SettledSigB = c.SettledSigA, c.SettledSigB
		if !proto.Equal(&old, c) {
			t.Fatalf("channel %x: an accepted settled state changed more than its signatures", id[:4])
		}
	})
}

// validReason keeps shell-supplied reasons UTF-8, as the shells' are
// (protobuf refuses to marshal invalid UTF-8 strings).
func validReason(s string) string { return strings.ToValidUTF8(s, "?") }

// FuzzDecline: Decline never changes the machine and only answers an
// authentic PREPARE from a trusted coordinator.
func FuzzDecline(f *testing.F) {
	for _, s := range envSeeds(f, messages.Kind_KIND_PREPARE, protocoltest.FuzzIdle, protocoltest.FuzzPrepared) {
		f.Add(s.point, s.who, s.mode, s.data, "insufficient balance")
	}
	f.Fuzz(func(t *testing.T, point, who, mode uint32, data []byte, reason string) {
		env, ok := envelope(messages.Kind_KIND_PREPARE, mode, data)
		if !ok {
			return
		}
		reason = validReason(reason)
		ft := pick(point, who)
		out, err := ft.m.Decline(env, reason)
		ft.step(t, out, err, false)
		if protocoltest.TerminalDigest(ft.m) != ft.beforeD {
			t.Fatal("Decline changed the machine")
		}
		if err != nil {
			return
		}
		if mode%4 == modeUntrusted {
			t.Fatal("declined (signed a refund request for) a PREPARE from an untrusted key")
		}
		p := decoded(t, env, &messages.Prepare{})
		checkRefundRequest(t, ft, out, p.InstanceId, reason)
	})
}

func checkRefundRequest(t *testing.T, ft *fuzzTerminal, out terminal.Output, id []byte, reason string) {
	if len(out.Send) != 1 || out.Send[0].Kind != messages.Kind_KIND_REFUND_REQUEST || len(out.Channels)+len(out.Instances) != 0 {
		t.Fatalf("refund request output %v", out)
	}
	req := decoded(t, out.Send[0], &messages.RefundRequest{})
	if !bytes.Equal(req.InstanceId, id) || common.BytesToAddress(req.Terminal) != ft.m.Address() || req.Reason != reason {
		t.Fatalf("refund request %v, want instance %x from %s", req, id, ft.m.Address())
	}
}

// FuzzRequestRefund: a refund request is signed exactly for an instance
// the terminal holds in PREPARED or COMMITTED, and changes nothing.
func FuzzRequestRefund(f *testing.F) {
	fx := fixture()
	for p := range protocoltest.FuzzTerminalPoints {
		for w := range protocoltest.FuzzTerminalNames {
			f.Add(uint32(p), uint32(w), fx.ID[:], "deadline passed")
		}
	}
	f.Add(uint32(1), uint32(0), make([]byte, 32), "")
	f.Fuzz(func(t *testing.T, point, who uint32, id []byte, reason string) {
		reason = validReason(reason)
		var iid [32]byte
		copy(iid[:], id)
		ft := pick(point, who)
		out, err := ft.m.RequestRefund(iid, reason)
		ft.step(t, out, err, false)
		if protocoltest.TerminalDigest(ft.m) != ft.beforeD {
			t.Fatal("RequestRefund changed the machine")
		}
		open := false
		for _, r := range ft.m.Instances() {
			if bytes.Equal(r.InstanceId, iid[:]) && (r.Phase == messages.TerminalPhase_TERMINAL_PHASE_PREPARED || r.Phase == messages.TerminalPhase_TERMINAL_PHASE_COMMITTED) {
				open = true
			}
		}
		if (err == nil) != open {
			t.Fatalf("RequestRefund: %v, instance open %v", err, open)
		}
		if err == nil {
			checkRefundRequest(t, ft, out, iid[:], reason)
		}
	})
}

// channelAt picks a channel of the machine by index, or takes id when given.
func channelAt(m *terminal.Machine, hop uint32, id []byte) [32]byte {
	var out [32]byte
	if len(id) > 0 {
		copy(out[:], id)
		return out
	}
	chans := m.Channels()
	return [32]byte(chans[hop%uint32(len(chans))].ChannelId)
}

func bigOf(b []byte, negative bool) *big.Int {
	if len(b) == 0 {
		return nil
	}
	v := new(big.Int).SetBytes(b)
	if negative {
		v.Neg(v)
	}
	return v
}

// FuzzOpenChannel: a channel-opened event from the (untrusted) chain side.
func FuzzOpenChannel(f *testing.F) {
	fx := fixture()
	ch := fx.World.Chains[0]
	s1, i1 := fx.World.Addr("s1"), fx.World.Addr("i1")
	coord := fx.World.Coord.Address()
	fresh := make([]byte, 32)
	fresh[0] = 0xc7
	for p := range protocoltest.FuzzTerminalPoints {
		f.Add(uint32(p), uint32(0), ch.ID, ch.Contract.Bytes(), fresh, s1.Bytes(), i1.Bytes(), make([]byte, 20), coord.Bytes(), []byte{0x01, 0xf4}, false)
	}
	f.Add(uint32(0), uint32(0), ch.ID, ch.Contract.Bytes(), ch.Hops[0].Channel[:], s1.Bytes(), i1.Bytes(), make([]byte, 20), coord.Bytes(), []byte{0x03, 0xe8}, false)
	f.Add(uint32(0), uint32(2), ch.ID, ch.Contract.Bytes(), fresh, s1.Bytes(), i1.Bytes(), make([]byte, 20), coord.Bytes(), []byte{1}, true)
	f.Fuzz(func(t *testing.T, point, who uint32, chainID uint64, contract, id, a, b, asset, coordinator, deposit []byte, negative bool) {
		ft := pick(point, who)
		var cid [32]byte
		copy(cid[:], id)
		ev := terminal.Opened{ChainID: chainID, Contract: common.BytesToAddress(contract), ChannelID: cid,
			A: common.BytesToAddress(a), B: common.BytesToAddress(b), Asset: common.BytesToAddress(asset),
			Coordinator: common.BytesToAddress(coordinator), DepositA: bigOf(deposit, negative)}
		out, err := ft.m.OpenChannel(ev)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		c := ft.m.Channel(cid)
		if ft.before.channels[cid] != nil || c == nil || c.Latest.Version != 0 || amt(c.Latest.BalanceA).Cmp(ev.DepositA) != 0 ||
			len(c.Latest.BalanceB) != 0 || c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || c.Closed ||
			(ev.A != ft.m.Address() && ev.B != ft.m.Address()) {
			t.Fatalf("OpenChannel(%+v) made %v", ev, c)
		}
	})
}

// FuzzTopUp: on-chain top-ups, only growing, only while idle.
func FuzzTopUp(f *testing.F) {
	for p := range protocoltest.FuzzTerminalPoints {
		f.Add(uint32(p), uint32(1), uint32(0), []byte{}, []byte{0x04, 0xb0}, []byte{0x03, 0xe8}, false)
	}
	f.Add(uint32(0), uint32(0), uint32(0), []byte{}, []byte{0x03, 0xe8}, []byte{0x03, 0xe8}, false)
	f.Add(uint32(0), uint32(0), uint32(0), []byte{}, []byte{0x03, 0xe7}, []byte{0x03, 0xe8}, false)
	f.Add(uint32(0), uint32(0), uint32(0), []byte{1}, []byte{0x04, 0xb0}, []byte{0x03, 0xe8}, false)
	f.Fuzz(func(t *testing.T, point, who, hop uint32, id, depA, depB []byte, negative bool) {
		ft := pick(point, who)
		cid := channelAt(ft.m, hop, id)
		a, b := bigOf(depA, negative), bigOf(depB, false)
		out, err := ft.m.TopUp(cid, a, b)
		ft.step(t, out, err, true)
		if err != nil {
			return
		}
		var old messages.ChannelRecord
		_ = proto.Unmarshal(ft.before.channels[cid], &old)
		c := ft.m.Channel(cid)
		dA, dB := new(big.Int).Sub(a, amt(old.Latest.DepositA)), new(big.Int).Sub(b, amt(old.Latest.DepositB))
		if old.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || old.Closed || dA.Sign() < 0 || dB.Sign() < 0 ||
			amt(c.Latest.DepositA).Cmp(a) != 0 || amt(c.Latest.DepositB).Cmp(b) != 0 || c.Latest.Version != old.Latest.Version ||
			new(big.Int).Sub(amt(c.Latest.BalanceA), amt(old.Latest.BalanceA)).Cmp(dA) != 0 ||
			new(big.Int).Sub(amt(c.Latest.BalanceB), amt(old.Latest.BalanceB)).Cmp(dB) != 0 {
			t.Fatalf("TopUp(%s, %s) turned %v into %v", a, b, old.Latest, c.Latest)
		}
	})
}

// FuzzCooperativeClose: co-signing a cooperative close, with or without a
// counterparty's proposal.
func FuzzCooperativeClose(f *testing.F) {
	fx := fixture()
	for p, point := range protocoltest.FuzzTerminalPoints {
		for w, name := range protocoltest.FuzzTerminalNames {
			c := fx.Terminals[point][name].Channels()[0]
			final := terminal.Resolved(c.Latest)
			f.Add(uint32(p), uint32(w), uint32(0), []byte{}, w%2 == 0, c.ChainId, final.Version, final.BalanceA, final.BalanceB)
		}
	}
	f.Add(uint32(0), uint32(0), uint32(0), []byte{}, true, uint64(1), uint64(0), []byte{0x03, 0xe8}, []byte{0x03, 0xe9})
	f.Fuzz(func(t *testing.T, point, who, hop uint32, id []byte, expect bool, chainID, version uint64, balA, balB []byte) {
		ft := pick(point, who)
		cid := channelAt(ft.m, hop, id)
		var proposal *terminal.CloseTerms
		if expect {
			proposal = &terminal.CloseTerms{ChainID: chainID, ChannelID: cid, Version: version, BalanceA: bigOf(balA, false), BalanceB: bigOf(balB, false)}
		}
		terms, out, err := ft.m.CooperativeClose(cid, proposal)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		var old messages.ChannelRecord
		_ = proto.Unmarshal(ft.before.channels[cid], &old)
		final := terminal.Resolved(old.Latest)
		if old.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || terms.ChainID != old.ChainId || terms.Version != final.Version ||
			terms.BalanceA.Cmp(amt(final.BalanceA)) != 0 || terms.BalanceB.Cmp(amt(final.BalanceB)) != 0 ||
			terms.Contract != common.BytesToAddress(old.Contract) || terms.ChannelID != cid {
			t.Fatalf("closed %v at terms %+v", old.Latest, terms)
		}
		if expect && (terms.Version != version || terms.BalanceA.Cmp(proposal.BalanceA) != 0 || terms.BalanceB.Cmp(proposal.BalanceB) != 0) {
			t.Fatalf("signed terms %+v for the proposal %+v", terms, proposal)
		}
		d := messages.CooperativeCloseDigest(terms.ChainID, terms.Contract, cid, terms.Version, terms.BalanceA, terms.BalanceB)
		if got, err := messages.RecoverAddress(d, terms.Signature); err != nil || got != ft.m.Address() {
			t.Fatalf("close signature is %s's (%v)", got, err)
		}
		if c := ft.m.Channel(cid); !c.Closed {
			t.Fatal("channel still open after co-signing its close")
		}
	})
}

// FuzzChannelClosed: the contract closed a channel.
func FuzzChannelClosed(f *testing.F) {
	for p := range protocoltest.FuzzTerminalPoints {
		f.Add(uint32(p), uint32(1), uint32(1), []byte{})
	}
	f.Add(uint32(0), uint32(0), uint32(0), []byte{9})
	f.Fuzz(func(t *testing.T, point, who, hop uint32, id []byte) {
		ft := pick(point, who)
		cid := channelAt(ft.m, hop, id)
		out, err := ft.m.ChannelClosed(cid)
		ft.step(t, out, err, false)
		if err != nil {
			return
		}
		var old messages.ChannelRecord
		_ = proto.Unmarshal(ft.before.channels[cid], &old)
		c := ft.m.Channel(cid)
		if !c.Closed || !proto.Equal(c.Latest, old.Latest) || c.Phase != old.Phase {
			t.Fatalf("ChannelClosed turned %v into %v", &old, c)
		}
	})
}

// FuzzAdmitCoordinator: only a report binding the address admits it.
func FuzzAdmitCoordinator(f *testing.F) {
	fx := fixture()
	m := fx.Mallory.Address()
	f.Add(uint32(0), uint32(0), m.Bytes(), protocoltest.Report(m))
	f.Add(uint32(0), uint32(0), m.Bytes(), protocoltest.Report(fx.World.Coord.Address()))
	f.Add(uint32(1), uint32(3), m.Bytes(), []byte("sim-report:"))
	f.Fuzz(func(t *testing.T, point, who uint32, addr, report []byte) {
		ft := pick(point, who)
		a := common.BytesToAddress(addr)
		err := ft.m.AdmitCoordinator(a, report)
		ft.step(t, terminal.Output{}, err, false)
		if (err == nil) != bytes.Equal(report, protocoltest.Report(a)) {
			t.Fatalf("AdmitCoordinator(%s, %x): %v", a, report, err)
		}
		trusted := false
		for _, c := range ft.m.Coordinators() {
			trusted = trusted || c == a
		}
		if err == nil && !trusted {
			t.Fatal("admitted coordinator is not trusted")
		}
	})
}

// FuzzTerminalSchedule delivers the run's real envelopes to one terminal
// in a fuzzed order, with duplicates, refund requests, closes and time
// moving, and checks every step. program is read two bytes per step: an
// operation (low 2 bits) with the time (high 6 bits), and an argument.
func FuzzTerminalSchedule(f *testing.F) {
	fx := fixture()
	// The run in order, for each terminal, then a few shuffles.
	for w, name := range protocoltest.FuzzTerminalNames {
		var prog []byte
		for i, m := range fx.Sent {
			if m.To == fx.World.Addr(name) {
				prog = append(prog, 0, byte(i))
			}
		}
		f.Add(uint32(w), prog)
		rev := bytes.Clone(prog)
		for i, j := 0, len(rev)-2; i < j; i, j = i+2, j-2 {
			rev[i], rev[i+1], rev[j], rev[j+1] = rev[j], rev[j+1], rev[i], rev[i+1]
		}
		f.Add(uint32(w), rev)
		f.Add(uint32(w), append(bytes.Clone(prog[:4]), 1, 0, 0xfc, byte(len(fx.Sent)-1), 2, 0))
	}
	f.Fuzz(func(t *testing.T, who uint32, program []byte) {
		ft := pick(pointOf(protocoltest.FuzzIdle), who)
		for len(program) >= 2 {
			op, arg := program[0], program[1]
			program = program[2:]
			now := fx.World.Now + int64(op>>2)*200
			ft.mark()
			var (
				out terminal.Output
				err error
			)
			switch op & 3 {
			case 0, 3:
				env := fx.Sent[int(arg)%len(fx.Sent)].Env
				switch env.Kind {
				case messages.Kind_KIND_PREPARE:
					out, err = ft.m.HandlePrepare(env, now)
				case messages.Kind_KIND_COMMIT:
					out, err = ft.m.HandleCommit(env, now)
				case messages.Kind_KIND_CONFIRM:
					out, err = ft.m.HandleConfirm(env)
				case messages.Kind_KIND_REFUND_AUTHORIZED:
					out, err = ft.m.HandleRefundAuthorized(env)
				default:
					out, err = ft.m.Decline(env, "schedule")
				}
			case 1:
				id, _ := messages.InstanceOf(fx.Sent[int(arg)%len(fx.Sent)].Env)
				out, err = ft.m.RequestRefund(id, "schedule")
			case 2:
				_, out, err = ft.m.CooperativeClose(channelAt(ft.m, uint32(arg), nil), nil)
			}
			ft.step(t, out, err, false)
		}
	})
}

// TestWriteFuzzCorpus rewrites the checked-in seed files from the harness
// run. It runs only with TEESWAP_WRITE_FUZZ_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("TEESWAP_WRITE_FUZZ_CORPUS") != "1" {
		t.Skip("set TEESWAP_WRITE_FUZZ_CORPUS=1 to rewrite testdata/fuzz")
	}
	fx := fixture()
	now := fx.World.Now
	write := func(target string, entries map[string][]any) {
		if err := protocoltest.WriteFuzzCorpus(".", target, entries); err != nil {
			t.Fatal(err)
		}
	}
	pickSeeds := func(kind messages.Kind, withNow bool, points ...string) map[string][]any {
		out := map[string][]any{}
		for _, s := range envSeeds(t, kind, points...) {
			if !strings.HasPrefix(s.label, "real-0-") && !strings.HasPrefix(s.label, "real-1-") {
				continue
			}
			vals := []any{s.point, s.who, s.mode, s.data}
			if withNow {
				vals = append(vals, now)
			}
			out[s.label] = vals
		}
		return out
	}
	write("FuzzHandlePrepare", pickSeeds(messages.Kind_KIND_PREPARE, true, protocoltest.FuzzIdle))
	write("FuzzHandleCommit", pickSeeds(messages.Kind_KIND_COMMIT, true, protocoltest.FuzzPrepared))
	write("FuzzHandleConfirm", pickSeeds(messages.Kind_KIND_CONFIRM, false, protocoltest.FuzzCommitted))
	write("FuzzHandleRefundAuthorized", pickSeeds(messages.Kind_KIND_REFUND_AUTHORIZED, false, protocoltest.FuzzPrepared, protocoltest.FuzzCommitted))
	decl := map[string][]any{}
	for k, v := range pickSeeds(messages.Kind_KIND_PREPARE, false, protocoltest.FuzzIdle) {
		decl[k] = append(v, "insufficient balance")
	}
	write("FuzzDecline", decl)
	write("FuzzRequestRefund", map[string][]any{"prepared-s1": {pointOf(protocoltest.FuzzPrepared), uint32(0), fx.ID[:], "deadline passed"}})
	ch := fx.World.Chains[0]
	fresh := make([]byte, 32)
	fresh[0] = 0xc7
	write("FuzzOpenChannel", map[string][]any{"new-channel": {uint32(0), uint32(0), ch.ID, ch.Contract.Bytes(), fresh,
		fx.World.Addr("s1").Bytes(), fx.World.Addr("i1").Bytes(), make([]byte, 20), fx.World.Coord.Address().Bytes(), []byte{0x01, 0xf4}, false}})
	write("FuzzTopUp", map[string][]any{"grow-a": {uint32(0), uint32(1), uint32(0), []byte{}, []byte{0x04, 0xb0}, []byte{0x03, 0xe8}, false}})
	c := fx.Terminals[protocoltest.FuzzConfirmed]["r1"].Channels()[0]
	final := terminal.Resolved(c.Latest)
	write("FuzzCooperativeClose", map[string][]any{"confirmed-r1-agreed": {pointOf(protocoltest.FuzzConfirmed), uint32(2), uint32(0), []byte{},
		true, c.ChainId, final.Version, final.BalanceA, final.BalanceB}})
	write("FuzzChannelClosed", map[string][]any{"prepared-i1": {pointOf(protocoltest.FuzzPrepared), uint32(1), uint32(1), []byte{}}})
	write("FuzzAdmitCoordinator", map[string][]any{"mallory-own-report": {uint32(0), uint32(0), fx.Mallory.Address().Bytes(), protocoltest.Report(fx.Mallory.Address())}})
	var prog []byte
	for i, m := range fx.Sent {
		if m.To == fx.World.Addr("i1") {
			prog = append(prog, 0, byte(i))
		}
	}
	write("FuzzTerminalSchedule", map[string][]any{"run-i1": {uint32(1), prog}})
}

// A new record version shares the old one's parts: running every message
// of the swap into a clone of each terminal at each point must leave the
// fixture's machine exactly as it was.
func TestStepsLeaveEarlierRecordsUntouched(t *testing.T) {
	fx := fixture()
	for p, point := range protocoltest.FuzzTerminalPoints {
		for w := range protocoltest.FuzzTerminalNames {
			ft := pick(uint32(p), uint32(w))
			applied := 0
			for _, msg := range fx.Sent {
				if msg.To != ft.m.Address() {
					continue
				}
				var err error
				switch msg.Env.Kind {
				case messages.Kind_KIND_PREPARE:
					_, err = ft.m.HandlePrepare(msg.Env, fx.World.Now)
				case messages.Kind_KIND_COMMIT:
					_, err = ft.m.HandleCommit(msg.Env, fx.World.Now)
				case messages.Kind_KIND_CONFIRM:
					_, err = ft.m.HandleConfirm(msg.Env)
				case messages.Kind_KIND_REFUND_AUTHORIZED:
					_, err = ft.m.HandleRefundAuthorized(msg.Env)
				default:
					continue
				}
				if err == nil {
					applied++
				}
			}
			if point != protocoltest.FuzzConfirmed && point != protocoltest.FuzzRefunded && applied == 0 {
				t.Fatalf("%s at %s: no message of the run applied", ft.name, point)
			}
			if protocoltest.TerminalDigest(ft.base) != ft.baseD {
				t.Fatalf("%s at %s: stepping a clone changed the original", ft.name, point)
			}
		}
	}
}
