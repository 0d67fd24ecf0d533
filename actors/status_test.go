package actors_test

import (
	"math/big"
	"testing"
	"time"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/messages"
)

// A terminal node's status: its address's balance on each chain, its
// registration, its channels by phase.
func TestStatusOfTerminalNode(t *testing.T) {
	w := newOnChainWorld(t)
	w.open("s1", "i1", 1000)
	w.expect("s1", "i1", 1000, 0)
	var chains []chain.Chain
	for _, c := range w.chains {
		chains = append(chains, c)
	}
	pid := w.local.System.Root.Spawn(actors.NewStatus(actors.StatusConfig{Role: "terminal", Enclave: "simulation",
		CoordinatorNode: "127.0.0.1:7000", Address: w.addr("s1"), Chains: chains, Main: w.local.Peer(w.addr("s1"))}))
	res, err := w.local.System.Root.RequestFuture(pid, &messages.NodeStatusRequest{}, 10*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	st := res.(*messages.NodeStatus)
	if st.Error != "" || st.Role != "terminal" || !st.Registered || len(st.Coordinators) != 1 || st.ChannelsByPhase["IDLE"] != 1 ||
		len(st.Chains) != len(w.chains) || st.InstancesInFlight != 0 {
		t.Fatalf("status %+v", st)
	}
	for _, cs := range st.Chains {
		want, err := w.chain(cs.ChainId).BalanceAt(t.Context(), w.addr("s1"), nil)
		if err != nil || cs.Error != "" || new(big.Int).SetBytes(cs.Balance).Cmp(want) != 0 || cs.Head == 0 {
			t.Fatalf("chain %d: %+v, want balance %v", cs.ChainId, cs, want)
		}
	}
}

// Status is for the node's owner: without the control credential a
// stranger learns nothing but the refusal.
func TestStatusRefusesStranger(t *testing.T) {
	sys := actors.NewSystem(nil)
	defer sys.Shutdown()
	pid := sys.Root.Spawn(actors.NewStatus(actors.StatusConfig{Role: "terminal", Credential: "secret"}))
	for _, cred := range []string{"", "wrong"} {
		res, err := sys.Root.RequestFuture(pid, &messages.NodeStatusRequest{Credential: cred}, 5*time.Second).Result()
		if err != nil {
			t.Fatal(err)
		}
		if st := res.(*messages.NodeStatus); st.Error == "" || st.Role != "" || len(st.Chains) != 0 {
			t.Fatalf("credential %q: %+v", cred, st)
		}
	}
	res, _ := sys.Root.RequestFuture(pid, &messages.NodeStatusRequest{Credential: "secret"}, 5*time.Second).Result()
	if st := res.(*messages.NodeStatus); st.Error != "" || st.Role != "terminal" {
		t.Fatalf("owner: %+v", st)
	}
}
