//go:build !race

package main

import (
	"net"
	"strings"
	"testing"
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
