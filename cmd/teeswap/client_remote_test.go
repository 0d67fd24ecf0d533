//go:build !race

package main

import (
	"net"
	"strings"
	"testing"

	"github.com/teeswap/teeswap/actors"
)

// A client of a node that is not there fails (exit 1) in bounded time and
// says what to check. It starts remoting in process, hence !race.
func TestClientOfDeadNodeFailsWithOne(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	code, msg := run(t, "channel", "list", "--terminal", dead, "--insecure-plaintext-loopback", "--wait", "300ms")
	if code != 1 || !strings.Contains(msg, "no answer") || !strings.Contains(msg, "is the node running") {
		t.Fatalf("exit %d: %s", code, msg)
	}
}

// A node that runs but has no such actor answers with a dead letter: the
// client says so at once instead of waiting out --wait.
func TestClientOfWrongActorSaysWhichNode(t *testing.T) {
	sys := actors.NewSystem(quiet)
	r, addr, err := actors.StartRemote(sys, actors.RemoteConfig{Host: "127.0.0.1", Port: 0, Logger: quiet, InsecurePlaintext: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Shutdown(false); sys.Shutdown() }()
	code, msg := run(t, "channel", "list", "--node", addr, "--actor", "terminal", "--insecure-plaintext-loopback", "--wait", "20s")
	if code != 1 || !strings.Contains(msg, addr) || !strings.Contains(msg, `no "terminal" actor`) {
		t.Fatalf("exit %d: %s", code, msg)
	}
}
