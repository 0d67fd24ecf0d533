package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// Usage mistakes exit 2 and send nothing: unknown commands and flags,
// stray arguments, a negative refund deadline, a zero wait.
func TestExitCodesUsageMistakes(t *testing.T) {
	a := "0x0000000000000000000000000000000000000001"
	leg := "chain=1,from=" + a + ",to=" + a + ",amount=1.5eth"
	for _, args := range [][]string{
		{"frobnicate"},
		{"--bogus"},
		{"channel", "frob"},
		{"channel", "list", "--terminal", "127.0.0.1:1", "--bogus"},
		{"swap", "stray", "--coordinator", "127.0.0.1:1", "--leg", leg},
		{"swap", "--coordinator", "127.0.0.1:1", "--leg", leg, "--timeout-ms", "-5"},
		{"pay", "--coordinator", "127.0.0.1:1", "--leg", leg, "--timeout-ms", "-1"},
		{"swap", "--coordinator", "127.0.0.1:1", "--leg", leg, "--wait", "0s"},
		{"swap", "--coordinator", "127.0.0.1:1", "--leg", "chain=1,from=" + a + ",to=" + a + ",amount=1.5"},
		{"swap", "--coordinator", "127.0.0.1:1", "--leg", "chain=1,from=" + a + ",to=" + a + ",amount=-1eth"},
		{"channel", "open", "--terminal", "127.0.0.1:1", "--chain", "1", "--counterparty", a, "--amount", "1btc"},
		{"channel", "open", "--terminal", "127.0.0.1:1", "--chain", "1", "--counterparty", a, "--token", a, "--amount", "1eth"},
		{"channel", "open", "--terminal", "127.0.0.1:1", "--chain", "1", "--counterparty", a, "--token", a, "--amount", "1tok"},
	} {
		if code, msg := run(t, args...); code != exitUsage {
			t.Errorf("teeswap %s: exit %d (%s), want 2", strings.Join(args, " "), code, msg)
		}
	}
}

// A group alone prints its help and succeeds.
func TestExitCodesGroupHelp(t *testing.T) {
	if code, out := run(t, "channel"); code != 0 || !strings.Contains(out, "topup") && !strings.Contains(out, "open") {
		t.Fatalf("exit %d: %s", code, out)
	}
}

// With --json a failure is one JSON object on stdout and nothing on
// stderr; without, one line on stderr.
func TestExitCodesJSONErrorObject(t *testing.T) {
	err := usageError("--amount: bad")
	var stdout, stderr bytes.Buffer
	if code := report(err, &stdout, &stderr, true); code != exitUsage || stderr.Len() != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr.String())
	}
	var e errorJSON
	if json.Unmarshal(stdout.Bytes(), &e) != nil || e.Error != "--amount: bad" || e.ExitCode != 2 {
		t.Fatalf("stdout %q", stdout.String())
	}
	stdout.Reset()
	if code := report(errors.New("no answer"), &stdout, &stderr, false); code != exitFailure || stdout.Len() != 0 ||
		stderr.String() != "teeswap: no answer\n" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	// A result that already carries its error is not stated again.
	stderr.Reset()
	if code := report(&reportedError{errors.New("refunded")}, &stdout, &stderr, true); code != exitFailure || stdout.Len()+stderr.Len() != 0 {
		t.Fatalf("stated twice: %q %q", stdout.String(), stderr.String())
	}
}

// A JSON run of a failing command prints exactly one JSON object.
func TestExitCodesJSONFromCommand(t *testing.T) {
	var out bytes.Buffer
	resetFlags(rootCmd)
	prepareCommands(rootCmd)
	rootCmd.SetArgs([]string{"--json", "swap", "--coordinator", "127.0.0.1:1", "--timeout-ms", "-1", "--leg", "x"})
	rootCmd.SetOut(&out)
	err := rootCmd.Execute()
	var stderr bytes.Buffer
	code := report(err, &out, &stderr, flagJSON)
	var e errorJSON
	if code != exitUsage || json.Unmarshal(out.Bytes(), &e) != nil || e.ExitCode != 2 || !strings.Contains(e.Error, "timeout-ms") {
		t.Fatalf("exit %d: %q", code, out.String())
	}
	resetFlags(rootCmd)
}
