//go:build !race

package actors_test

import (
	"strings"
	"testing"
	"time"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// A stranger on the network without the node's control credential can
// neither top up a terminal's channel (spending its coin) nor read its
// status, at the terminal or the coordinator.
func TestRoleStrangerCannotTopUpOrReadStatus(t *testing.T) {
	const cred = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	sys := actors.NewSystem(testLogger())
	r, _, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", InsecurePlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Shutdown(false) })
	w := newOffChainWorld(t, 1000, func(c *actors.LocalConfig) { c.System, c.Credential = sys, cred })
	st := strangerNode(t)
	s1 := fresh(w.local.Peer(w.names["s1"]))
	list, _ := w.local.Channels(w.names["s1"], time.Second)
	ch := list.Channels[0]
	unauth := actors.ErrUnauthenticated.Error()
	for _, wrong := range []string{"", "guess"} {
		if u := askRemote[*messages.ChannelToppedUp](t, st, s1, &messages.ChannelTopUp{ChannelId: ch.ChannelId, Amount: []byte{1}, Credential: wrong}); !strings.Contains(u.Error, unauth) {
			t.Fatalf("top-up with %q: %+v", wrong, u)
		}
		if s := askRemote[*messages.NodeStatus](t, st, s1, &messages.NodeStatusRequest{Credential: wrong}); !strings.Contains(s.Error, unauth) || len(s.ChannelsByPhase) != 0 {
			t.Fatalf("terminal status with %q: %+v", wrong, s)
		}
		if s := askRemote[*messages.NodeStatus](t, st, fresh(w.local.Coordinator), &messages.NodeStatusRequest{Credential: wrong}); !strings.Contains(s.Error, unauth) {
			t.Fatalf("coordinator status with %q: %+v", wrong, s)
		}
	}
	if s := askRemote[*messages.NodeStatus](t, st, s1, &messages.NodeStatusRequest{Credential: cred}); s.Error != "" || s.ChannelsByPhase["IDLE"] != 1 {
		t.Fatalf("owner's status: %+v", s)
	}
}
