package actors_test

import (
	"fmt"
	"math/big"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// persistedChannel is the record of the channel between name and peer in
// name's store.
func (w *offChainWorld) persistedChannel(t *testing.T, name, peer string) *messages.ChannelRecord {
	t.Helper()
	st, err := w.local.TerminalStore(w.names[name]).LoadTerminal()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range st.Channels {
		a, b := common.BytesToAddress(c.PartyA), common.BytesToAddress(c.PartyB)
		if a == w.names[name] && b == w.names[peer] || b == w.names[name] && a == w.names[peer] {
			return c
		}
	}
	t.Fatalf("%s has no channel with %s", name, peer)
	return nil
}

// settledBoth reports whether both parties of every channel persisted the
// same lock-free settled state, above minVersion, signed by both, whose
// balances are the ones the terminals report; it returns the versions.
func (w *offChainWorld) settledBoth(t *testing.T, minVersion map[string]uint64) (map[string]uint64, error) {
	t.Helper()
	versions := map[string]uint64{}
	for _, chainID := range w.chains {
		p := w.paths[chainID]
		for i := 0; i+1 < len(p); i++ {
			key := p[i] + "-" + p[i+1]
			x, y := w.persistedChannel(t, p[i], p[i+1]), w.persistedChannel(t, p[i+1], p[i])
			st := x.Settled
			switch {
			case st == nil || y.Settled == nil:
				return nil, fmt.Errorf("%s: not settled on both sides", key)
			case !proto.Equal(st, y.Settled):
				return nil, fmt.Errorf("%s: the parties settled different states", key)
			case st.Version <= minVersion[key] || st.Lock != nil:
				return nil, fmt.Errorf("%s: settled at %d, want above %d and no lock", key, st.Version, minVersion[key])
			}
			d, err := messages.ChannelStateDigest(st)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []*messages.ChannelRecord{x, y} {
				for _, s := range []struct {
					sig   []byte
					party []byte
				}{{c.SettledSigA, c.PartyA}, {c.SettledSigB, c.PartyB}} {
					if got, err := messages.RecoverAddress(d, s.sig); err != nil || got != common.BytesToAddress(s.party) {
						return nil, fmt.Errorf("%s: a settled state lacks %x's signature", key, s.party)
					}
				}
			}
			payer := new(big.Int).SetBytes(st.BalanceA).Int64()
			if common.BytesToAddress(x.PartyA) != w.names[p[i]] {
				payer = new(big.Int).SetBytes(st.BalanceB).Int64()
			}
			if own := w.own(t, p[i], p[i+1]); own != payer {
				t.Fatalf("%s: settled state gives the payer %d, its terminal says %d", key, payer, own)
			}
			versions[key] = st.Version
		}
	}
	return versions, nil
}

// After a swap both terminals of every channel hold the doubly-signed
// settled state. When every offer is lost, the terminals' ticks offer
// again until both signatures are in.
func TestActorsSettledStateAfterSwap(t *testing.T) {
	var lossy atomic.Bool
	var dropped atomic.Int64
	// lose drops every settled state while lossy is set.
	lose := func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			if _, ok := env.Message.(*messages.SettledState); ok && lossy.Load() {
				dropped.Add(1)
				return
			}
			next(c, env)
		}
	}
	w := newOffChainWorld(t, 1000, func(c *actors.LocalConfig) { c.Middleware = append(c.Middleware, lose) })
	swap := func(id string) {
		t.Helper()
		res, err := signedSubmit(w.local, &messages.SwapRequest{RequestId: id, Legs: []*messages.Leg{w.leg(1, 100), w.leg(2, 40)}}, 10*time.Second)
		if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
			t.Fatalf("swap %s: %v %v", id, res.GetOutcome(), err)
		}
	}
	swap("settle-1")
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1100 && w.own(t, "r2", "i2") == 1040 })
	var first map[string]uint64
	waitFor(t, func() bool {
		var err error
		first, err = w.settledBoth(t, nil)
		return err == nil
	})

	lossy.Store(true)
	swap("settle-2")
	waitFor(t, func() bool { return w.own(t, "r1", "i1") == 1200 && w.own(t, "r2", "i2") == 1080 })
	waitFor(t, func() bool { return dropped.Load() >= 4 }) // every channel's first offer
	if _, err := w.settledBoth(t, first); err == nil {
		t.Fatal("settled on both sides with every offer lost")
	}
	lossy.Store(false)
	waitFor(t, func() bool {
		_, err := w.settledBoth(t, first)
		return err == nil
	})
	if got := w.own(t, "s1", "i1"); got != 800 {
		t.Fatalf("s1 holds %d, want 800", got)
	}
}
