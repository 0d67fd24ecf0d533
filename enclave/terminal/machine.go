package terminal

import (
	"bytes"
	"fmt"
	"math/big"
	"sort"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/messages"
)

// ReportVerifier checks a coordinator's attestation report and that it
// binds the coordinator's signing address. The shell wires it to the
// enclave package's Verifier and policy.
type ReportVerifier func(report []byte, coordinator common.Address) error

// Config configures a Machine.
type Config struct {
	// Signer is the terminal's enclave key; the machine signs with it only
	// what it builds (see enclave/internal/keys).
	Signer       enclave.Key
	VerifyReport ReportVerifier
	// Contracts are the PaymentChannels deployments, by chain id, this
	// terminal may open channels on and withdraw from (BuildTx).
	Contracts map[uint64]common.Address
}

// Output is what a step asks its caller to do: persist the records, then
// send the envelopes: Send to the coordinator, Peer to the counterparties
// they name (settled states).
type Output struct {
	Channels  []*messages.ChannelRecord
	Instances []*messages.TerminalInstance
	Send      []*messages.Envelope
	Peer      []PeerMessage
}

// Empty reports whether the step produced nothing to persist or send.
func (o Output) Empty() bool {
	return len(o.Channels) == 0 && len(o.Instances) == 0 && len(o.Send) == 0 && len(o.Peer) == 0
}

type instanceKey struct {
	id  [32]byte
	net uint32
}

// Machine is one terminal's channel machine. Records it holds are never
// mutated once handed out; each change installs a fresh copy.
type Machine struct {
	signer      messages.Signer
	self        common.Address
	verify      ReportVerifier
	trusted     map[common.Address]bool
	channels    map[[32]byte]*messages.ChannelRecord
	instances   map[instanceKey]*messages.TerminalInstance
	instanceIDs map[[32]byte][]uint32 // networks this terminal saw per instance
	contracts   map[uint64]common.Address
	// usedOrders maps each order this terminal took part on as a sender
	// to the instance that used it; rebuilt from the instance records.
	usedOrders map[[32]byte][32]byte
}

// New returns a machine with no channels.
func New(cfg Config) *Machine {
	signer := keys.Signer(cfg.Signer)
	return &Machine{
		signer:      signer,
		self:        signer.Address(),
		verify:      cfg.VerifyReport,
		trusted:     map[common.Address]bool{},
		channels:    map[[32]byte]*messages.ChannelRecord{},
		instances:   map[instanceKey]*messages.TerminalInstance{},
		instanceIDs: map[[32]byte][]uint32{},
		contracts:   cfg.Contracts,
		usedOrders:  map[[32]byte][32]byte{},
	}
}

// Restore rebuilds a machine from persisted records and the coordinators
// it had admitted.
func Restore(cfg Config, coordinators []common.Address, channels []*messages.ChannelRecord, instances []*messages.TerminalInstance) (*Machine, error) {
	m := New(cfg)
	for _, c := range coordinators {
		m.trusted[c] = true
	}
	for _, c := range channels {
		id, err := messages.Hash32(c.ChannelId)
		if err != nil {
			return nil, fmt.Errorf("restore channel: %w", err)
		}
		m.channels[id] = c
	}
	for _, r := range instances {
		id, err := messages.Hash32(r.InstanceId)
		if err != nil {
			return nil, fmt.Errorf("restore instance: %w", err)
		}
		m.putInstance(instanceKey{id, r.NetworkIndex}, r)
	}
	return m, nil
}

// Address is the terminal's chain address, its enclave key's address.
func (m *Machine) Address() common.Address { return m.self }

// AdmitCoordinator trusts a coordinator once its attestation report
// verifies and binds addr. Until then its messages are refused.
func (m *Machine) AdmitCoordinator(addr common.Address, report []byte) error {
	if m.verify == nil {
		return fmt.Errorf("%w: no report verifier configured", ErrUntrustedCoordinator)
	}
	if err := m.verify(report, addr); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrUntrustedCoordinator, addr, err)
	}
	m.trusted[addr] = true
	return nil
}

// Coordinators lists the admitted coordinators, sorted.
func (m *Machine) Coordinators() []common.Address {
	out := make([]common.Address, 0, len(m.trusted))
	for a := range m.trusted {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i][:], out[j][:]) < 0 })
	return out
}

// Channel returns the record of a channel, or nil.
func (m *Machine) Channel(id [32]byte) *messages.ChannelRecord { return m.channels[id] }

// Channels returns every channel record, sorted by id.
func (m *Machine) Channels() []*messages.ChannelRecord {
	out := make([]*messages.ChannelRecord, 0, len(m.channels))
	for _, c := range m.channels {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i].ChannelId, out[j].ChannelId) < 0 })
	return out
}

// Instance returns the terminal's record of one network of an instance.
func (m *Machine) Instance(id [32]byte, network uint32) *messages.TerminalInstance {
	return m.instances[instanceKey{id, network}]
}

// Instances returns every instance record, sorted by id and network.
func (m *Machine) Instances() []*messages.TerminalInstance {
	out := make([]*messages.TerminalInstance, 0, len(m.instances))
	for _, r := range m.instances {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].InstanceId, out[j].InstanceId); c != 0 {
			return c < 0
		}
		return out[i].NetworkIndex < out[j].NetworkIndex
	})
	return out
}

func (m *Machine) putInstance(k instanceKey, r *messages.TerminalInstance) {
	if _, ok := m.instances[k]; !ok {
		m.instanceIDs[k.id] = append(m.instanceIDs[k.id], k.net)
	}
	if len(r.OrderId) == 32 {
		m.usedOrders[[32]byte(r.OrderId)] = k.id
	}
	m.instances[k] = r
}

// Balances returns what the terminal can spend in a channel now and what
// an instance in flight holds reserved of its balance ([0108]).
func (m *Machine) Balances(id [32]byte) (available, reserved *big.Int, err error) {
	c := m.channels[id]
	if c == nil {
		return nil, nil, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	isA := common.BytesToAddress(c.PartyA) == m.self
	available = side(resolve(c.Latest), isA)
	reserved = new(big.Int)
	if c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		if st := m.activeLeg(c); st != nil && st.Lock != nil && st.Lock.AToB == isA {
			reserved = amt(st.Lock.Amount)
		}
	}
	return available.Sub(available, reserved), reserved, nil
}

// side returns party A's or B's balance in st.
func side(st *messages.ChannelState, a bool) *big.Int {
	if a {
		return amt(st.BalanceA)
	}
	return amt(st.BalanceB)
}

// activeLeg returns the prepared state of the instance holding c.
func (m *Machine) activeLeg(c *messages.ChannelRecord) *messages.ChannelState {
	id, err := messages.Hash32(c.ActiveInstance)
	if err != nil {
		return nil
	}
	r := m.instances[instanceKey{id, c.ActiveNetwork}]
	if r == nil {
		return nil
	}
	for _, l := range r.Legs {
		if bytes.Equal(l.ChannelId, c.ChannelId) {
			return l.Prepared
		}
	}
	return nil
}

// amt decodes an amount already validated on the way in.
func amt(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// Resolved is st with any lock paid out as the contract would: committed
// to the payee, prepared back to the payer.
func Resolved(st *messages.ChannelState) *messages.ChannelState { return resolve(st) }

// resolve returns the balances of st with any committed lock paid to the
// payee and any prepared lock returned to the payer: a lock-free state.
func resolve(st *messages.ChannelState) *messages.ChannelState {
	out := shallow(st)
	l := out.Lock
	out.Lock = nil
	if l == nil {
		return out
	}
	a, b, v := amt(out.BalanceA), amt(out.BalanceB), amt(l.Amount)
	toA := l.Stage == messages.LockStage_LOCK_STAGE_COMMITTED && !l.AToB ||
		l.Stage == messages.LockStage_LOCK_STAGE_PREPARED && l.AToB
	if toA {
		a.Add(a, v)
	} else {
		b.Add(b, v)
	}
	out.BalanceA, out.BalanceB = messages.AmountBytes(a), messages.AmountBytes(b)
	return out
}

// Clone returns an independent copy (for model checking). Records are
// never mutated once installed, so copying the maps is enough.
func (m *Machine) Clone() *Machine {
	c := *m
	c.trusted = make(map[common.Address]bool, len(m.trusted))
	for k, v := range m.trusted {
		c.trusted[k] = v
	}
	c.channels = make(map[[32]byte]*messages.ChannelRecord, len(m.channels))
	for k, v := range m.channels {
		c.channels[k] = v
	}
	c.instances = make(map[instanceKey]*messages.TerminalInstance, len(m.instances))
	for k, v := range m.instances {
		c.instances[k] = v
	}
	c.instanceIDs = make(map[[32]byte][]uint32, len(m.instanceIDs))
	for k, v := range m.instanceIDs {
		c.instanceIDs[k] = append([]uint32(nil), v...)
	}
	c.usedOrders = make(map[[32]byte][32]byte, len(m.usedOrders))
	for k, v := range m.usedOrders {
		c.usedOrders[k] = v
	}
	return &c
}

// shallow returns a copy of m that shares m's sub-messages, byte slices
// and lists. Installed records are never mutated, so a new version of a
// record needs only its own top level: a deep proto.Clone per step was a
// tenth of a loaded terminal's allocations. Callers set fields on the copy
// and replace, never modify in place, anything it shares.
func shallow[T proto.Message](m T) T {
	src := m.ProtoReflect()
	dst := src.New()
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		dst.Set(fd, v)
		return true
	})
	return dst.Interface().(T)
}
