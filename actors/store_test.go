package actors_test

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// testStore is the conformance suite every actors.Store runs. reopen
// returns the same store as a restarted process would see it.
func testStore(t *testing.T, open func(t *testing.T) (s actors.Store, reopen func() actors.Store)) {
	t.Run("terminal records survive a restart", func(t *testing.T) {
		s, reopen := open(t)
		ch := &messages.ChannelRecord{ChannelId: make([]byte, 32), ChainId: 7, MaxSignedVersion: 3,
			Latest: &messages.ChannelState{Version: 2, BalanceA: []byte{5}}}
		in := &messages.TerminalInstance{InstanceId: make([]byte, 32), NetworkIndex: 1, Phase: messages.TerminalPhase_TERMINAL_PHASE_COMMITTED}
		coord := common.HexToAddress("0xc0")
		if err := s.SaveTerminal(terminal.Output{Channels: []*messages.ChannelRecord{ch}, Instances: []*messages.TerminalInstance{in}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveTrusted(coord); err != nil {
			t.Fatal(err)
		}
		// A later record of the same channel replaces the earlier one.
		ch2 := proto.Clone(ch).(*messages.ChannelRecord)
		ch2.MaxSignedVersion = 9
		if err := s.SaveTerminal(terminal.Output{Channels: []*messages.ChannelRecord{ch2}}); err != nil {
			t.Fatal(err)
		}
		st, err := reopen().LoadTerminal()
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Channels) != 1 || !proto.Equal(st.Channels[0], ch2) {
			t.Fatalf("channels %v, want [%v]", st.Channels, ch2)
		}
		if len(st.Instances) != 1 || !proto.Equal(st.Instances[0], in) {
			t.Fatalf("instances %v", st.Instances)
		}
		if len(st.Coordinators) != 1 || st.Coordinators[0] != coord {
			t.Fatalf("coordinators %v", st.Coordinators)
		}
	})
	t.Run("coordinator records, lookup and forget", func(t *testing.T) {
		s, reopen := open(t)
		meta := &messages.CoordinatorMeta{NextNonce: 42, NextVersion: map[string]uint64{"ab": 5}}
		a := &messages.CoordinatorInstance{InstanceId: []byte{1, 31: 1}, Phase: messages.InstancePhase_INSTANCE_PHASE_PREPARED}
		b := &messages.CoordinatorInstance{InstanceId: []byte{2, 31: 2}, Phase: messages.InstancePhase_INSTANCE_PHASE_NONE}
		if err := s.SaveCoordinator(meta, a); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveCoordinator(nil, b); err != nil {
			t.Fatal(err)
		}
		if err := s.ForgetInstance(b.InstanceId); err != nil {
			t.Fatal(err)
		}
		r := reopen()
		st, err := r.LoadCoordinator()
		if err != nil {
			t.Fatal(err)
		}
		if !proto.Equal(st.Meta, meta) || len(st.Instances) != 1 || !proto.Equal(st.Instances[0], a) {
			t.Fatalf("loaded %v %v", st.Meta, st.Instances)
		}
		// A later instance persists only its own channels' counters;
		// loading merges them with the earlier ones.
		c := &messages.CoordinatorInstance{InstanceId: []byte{3, 31: 3}, Networks: []*messages.NetworkProgress{{Network: &messages.Network{
			Hops: []*messages.Hop{{ChannelId: []byte{0xcd}}}}}}}
		meta2 := &messages.CoordinatorMeta{NextNonce: 43, NextVersion: map[string]uint64{"ab": 5, "cd": 3}}
		if err := r.SaveCoordinator(meta2, c); err != nil {
			t.Fatal(err)
		}
		r = reopen()
		if st, err := r.LoadCoordinator(); err != nil || !proto.Equal(st.Meta, meta2) {
			t.Fatalf("meta after a second instance: %v %v", st.Meta, err)
		}
		got, err := r.LoadInstance(a.InstanceId)
		if err != nil || !proto.Equal(got, a) {
			t.Fatalf("LoadInstance: %v %v", got, err)
		}
		if got, err := r.LoadInstance(b.InstanceId); err != nil || got != nil {
			t.Fatalf("forgotten instance: %v %v", got, err)
		}
	})
}

func TestMemStore(t *testing.T) {
	testStore(t, func(t *testing.T) (actors.Store, func() actors.Store) {
		s := actors.NewMemStore()
		return s, func() actors.Store { return s }
	})
}

func TestBoltStore(t *testing.T) {
	backend, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	testStore(t, func(t *testing.T) (actors.Store, func() actors.Store) {
		path := filepath.Join(t.TempDir(), "node.db")
		s, err := actors.OpenBolt(path, backend, false)
		if err != nil {
			t.Fatal(err)
		}
		cur := s // the open handle: bolt locks its file, so close before reopening
		t.Cleanup(func() { cur.Close() })
		return s, func() actors.Store {
			if err := cur.Close(); err != nil {
				t.Fatal(err)
			}
			r, err := actors.OpenBolt(path, backend, false)
			if err != nil {
				t.Fatal(err)
			}
			cur = r
			return r
		}
	})
}

// TestBoltStoreRefusesTamperedRecords: records are sealed and bound to
// their key, so an edited or moved record is an error, not a silent state.
func TestBoltStoreRefusesTamperedRecords(t *testing.T) {
	backend, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize)})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := actors.OpenBolt(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	a := &messages.CoordinatorInstance{InstanceId: []byte{1, 31: 1}}
	if err := s.SaveCoordinator(nil, a); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("coordinator-instances"))
		v := append([]byte{}, b.Get(a.InstanceId)...)
		// Move the sealed record to another key.
		return b.Put([]byte{9, 31: 9}, v)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	r, err := actors.OpenBolt(path, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.LoadCoordinator(); !errors.Is(err, actors.ErrCorruptStore) {
		t.Fatalf("moved record: %v, want ErrCorruptStore", err)
	}
	// Another enclave's seal key cannot open this store either.
	other, err := sim.New(sim.Options{SealKey: append(make([]byte, sim.SealKeySize-1), 1)})
	if err != nil {
		t.Fatal(err)
	}
	path2 := filepath.Join(t.TempDir(), "x.db")
	r2, err := actors.OpenBolt(path2, backend, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.SaveCoordinator(nil, a); err != nil {
		t.Fatal(err)
	}
	r2.Close()
	// The sealed store sequence is read on open: refused there.
	if r3, err := actors.OpenBolt(path2, other, false); !errors.Is(err, actors.ErrCorruptStore) {
		if err == nil {
			r3.Close()
		}
		t.Fatalf("foreign seal key: %v, want ErrCorruptStore", err)
	}
}
