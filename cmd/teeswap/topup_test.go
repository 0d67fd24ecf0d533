package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

func TestChannelPrefixMatch(t *testing.T) {
	id := func(b byte, rest byte) []byte {
		v := make([]byte, 32)
		v[0], v[1] = b, rest
		return v
	}
	chans := []*messages.ChannelInfo{{ChannelId: id(0xab, 0x01)}, {ChannelId: id(0xab, 0x02)}, {ChannelId: id(0xcd, 0)}}
	if ch, err := matchChannel(chans, "0xcd", "cd"); err != nil || ch != chans[2] {
		t.Fatalf("unique prefix: %v %v", ch, err)
	}
	if ch, err := matchChannel(chans, "ab01", "ab01"); err != nil || ch != chans[0] {
		t.Fatalf("longer prefix: %v %v", ch, err)
	}
	var ee *exitError
	if _, err := matchChannel(chans, "ab", "ab"); !errors.As(err, &ee) || ee.code != 2 || !strings.Contains(err.Error(), "matches 2") {
		t.Fatalf("ambiguous prefix: %v", err)
	}
	if _, err := matchChannel(chans, "ef", "ef"); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Fatalf("unknown prefix: %v", err)
	}
}

// Text and JSON name phases alike, and a token channel is not shown in eth.
func TestChannelPhaseAndUnits(t *testing.T) {
	if p := channelPhase(&messages.ChannelInfo{Phase: messages.ChannelPhase_CHANNEL_PHASE_IDLE}); p != "IDLE" {
		t.Fatal(p)
	}
	if p := channelPhase(&messages.ChannelInfo{Closed: true}); p != "CLOSED" {
		t.Fatal(p)
	}
	// The native coin and a token whose decimals are given need no node.
	var c clientConn
	if u, err := c.assetUnits(1, make([]byte, 20), -1); u != native || err != nil {
		t.Fatal(u, err)
	}
	if u, err := c.assetUnits(1, common.HexToAddress("0x01").Bytes(), 6); u != tokenUnits(6) || err != nil {
		t.Fatal(u, err)
	}
}

// The address to fund comes out before any chain is involved, from the
// same sealed key a node on that data dir uses; the simulation enclave is
// allowed by TEESWAP_ALLOW_SIMULATION as for node, and refused without it.
func TestDeployPrintAddress(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TEESWAP_ALLOW_SIMULATION", "")
	os.Unsetenv("TEESWAP_ALLOW_SIMULATION")
	if code, msg := run(t, "deploy", "--data-dir", dir, "--print-address", "--enclave", "simulation"); code != 2 || !strings.Contains(msg, "SIMULATION") {
		t.Fatalf("without allowance: exit %d: %s", code, msg)
	}
	t.Setenv("TEESWAP_ALLOW_SIMULATION", "1")
	code, out := run(t, "deploy", "--data-dir", dir, "--print-address", "--enclave", "simulation")
	addr := strings.TrimSpace(out)
	if code != 0 || !common.IsHexAddress(addr) {
		t.Fatalf("exit %d: %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, fileSealedKey)); err != nil {
		t.Fatal(err)
	}
	code, out = run(t, "--json", "deploy", "--key-file", filepath.Join(dir, fileSealedKey), "--print-address", "--enclave", "simulation")
	var got map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got["address"] != addr {
		t.Fatalf("same key again: exit %d: %q, want %s", code, out, addr)
	}
	t.Setenv("TEESWAP_ALLOW_SIMULATION", "maybe")
	if code, _ := run(t, "deploy", "--data-dir", dir, "--print-address"); code != 2 {
		t.Fatalf("bad env: exit %d", code)
	}
}
