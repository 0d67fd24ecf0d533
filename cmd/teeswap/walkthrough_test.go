//go:build !race

package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The walk-through of docs/OPERATIONS.md, run as written: its ```bash
// walkthrough blocks, in order, in one bash shell, from the repository
// root. Only what must differ on a test machine is substituted (the work
// directory, the ports, the binary's path, and `make geth`, since the test
// already has geth). Every command must succeed (set -e), every
// "# expect: TEXT" comment must match its command's output, and before the
// last block stops the nodes the test reads the coordinator's metrics
// itself.
func TestOperationsWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("walk-through test skipped under -short: it builds teeswap and runs two geth --dev chains and seven node processes")
	}
	geth := findGeth()
	if geth == "" {
		t.Skip("walk-through test skipped: geth not found (GETH, PATH or $(go env GOPATH)/bin/geth); install it with: make geth")
	}
	for _, tool := range []string{"go", "curl", "bash", "sed", "grep"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("walk-through test skipped: %s not on PATH", tool)
		}
	}
	doc, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := walkthroughBlocks(string(doc))
	if len(blocks) < 3 {
		t.Fatalf("OPERATIONS.md has %d ```bash walkthrough blocks, want the whole walk-through", len(blocks))
	}
	dir := t.TempDir()
	work := filepath.Join(dir, "walk")
	metricsPort := freePort(t)
	subst := []struct{ from, to string }{
		{"make geth", "true"}, // the test found geth already (GETH)
		{"bin/teeswap", filepath.Join(dir, "teeswap")},
		{"/tmp/teeswap-walk", work},
		{"127.0.0.1:9464", fmt.Sprintf("127.0.0.1:%d", metricsPort)},
	}
	for _, p := range []string{"7000", "7101", "7102", "7103", "7201", "7202", "7203"} {
		subst = append(subst, struct{ from, to string }{"127.0.0.1:" + p, fmt.Sprintf("127.0.0.1:%d", freePort(t))})
	}
	for _, p := range []string{"28545", "28546", "28555", "28556"} {
		subst = append(subst, struct{ from, to string }{"=" + p, fmt.Sprintf("=%d", freePort(t))})
	}
	script := strings.Join(blocks, "\n")
	for _, s := range subst {
		if !strings.Contains(script, s.from) {
			t.Fatalf("the walk-through no longer contains %q: update this test's substitutions", s.from)
		}
		script = strings.ReplaceAll(script, s.from, s.to)
	}
	// The geth ports appear as "=PORT" in geth-dev.sh's settings and as
	// ":PORT" in the RPC URLs.
	for _, s := range subst {
		if strings.HasPrefix(s.from, "=") {
			script = strings.ReplaceAll(script, ":"+s.from[1:], ":"+s.to[1:])
		}
	}
	for _, must := range []string{"$T swap ", "# expect: CONFIRMED", "curl -s http://", "kill $(jobs -p)"} {
		if !strings.Contains(script, must) {
			t.Fatalf("the walk-through lacks %q", must)
		}
	}
	paused, resume := filepath.Join(dir, "paused"), filepath.Join(dir, "resume")
	script = withExpectations(script, paused, resume)
	scriptFile := filepath.Join(dir, "walkthrough.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}

	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", scriptFile)
	cmd.Dir = root
	cmd.Env = childEnv("GETH="+geth, "WALK_OUT="+filepath.Join(dir, "out"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the nodes and geth are its children
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for _, g := range []string{"gethA", "gethB"} {
			stop := exec.Command("bash", "chain/chaintest/geth-dev.sh", "stop")
			stop.Dir, stop.Env = root, childEnv("TEESWAP_GETH_DIR="+filepath.Join(work, g))
			_ = stop.Run()
		}
	})
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Logf("walk-through output:\n%s", log.String())
		for _, n := range []string{"coord", "a1", "a2", "a3", "b1", "b2", "b3"} {
			if b, err := os.ReadFile(filepath.Join(work, n+".log")); err == nil && len(b) > 0 {
				t.Logf("---- %s.log (tail) ----\n%s", n, tail(b, 3000))
			}
		}
		t.Fatalf(format, args...)
	}

	// Wait for the script to reach the last block, with every node up.
	for {
		if _, err := os.Stat(paused); err == nil {
			break
		}
		select {
		case err := <-done:
			fail("the walk-through ended before its last block: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	// curl on the metrics port shows the series after a swap: the test
	// reads them itself too.
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort))
	if err != nil {
		fail("metrics: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, series := range []string{
		`teeswap_instances_total{outcome="confirmed"} 2`,
		`teeswap_phase_seconds_bucket{phase="decided"`,
		`teeswap_messages_total{`,
		`teeswap_chain_head{chain="31001"}`,
		`teeswap_chain_head{chain="31002"}`,
		`teeswap_watcher_lag_blocks{chain="31001"}`,
	} {
		if !bytes.Contains(body, []byte(series)) {
			fail("the coordinator's metrics lack %s:\n%s", series, grepLines(string(body), "teeswap_"))
		}
	}
	if err := os.WriteFile(resume, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		fail("the walk-through failed: %v", err)
	}
	out := log.String()
	for _, want := range []string{"swap deal-7: CONFIRMED", "route chain 31001, 2 hop(s)", "route chain 31002, 2 hop(s)", "payment pay-1: CONFIRMED"} {
		if !strings.Contains(out, want) {
			fail("the walk-through's output lacks %q", want)
		}
	}
	if testing.Verbose() {
		t.Logf("walk-through output:\n%s", out)
	}
	t.Logf("walk-through ran: %d blocks, %d lines", len(blocks), strings.Count(script, "\n"))
}

// walkthroughBlocks returns the bodies of the ```bash walkthrough blocks.
func walkthroughBlocks(doc string) []string {
	var blocks []string
	var cur []string
	in := false
	for _, l := range strings.Split(doc, "\n") {
		trimmed := strings.TrimSpace(l)
		switch {
		case !in && strings.HasPrefix(trimmed, "```") && strings.Fields(strings.TrimPrefix(trimmed, "```") + " x")[0] == "bash" &&
			strings.Contains(trimmed, "walkthrough"):
			in, cur = true, nil
		case in && trimmed == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, l)
		}
	}
	return blocks
}

var expectComment = regexp.MustCompile(`^(.*?)\s+# expect: (.+)$`)

// withExpectations makes the script strict (set -euo pipefail), checks
// each "# expect: TEXT" against its command's output, and pauses before
// the nodes are stopped until the test has read the metrics.
func withExpectations(script, paused, resume string) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\n")
	for _, l := range strings.Split(script, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "kill $(jobs -p)") {
			fmt.Fprintf(&b, "touch %q; while [ ! -f %q ]; do sleep 0.1; done\n", paused, resume)
		}
		m := expectComment.FindStringSubmatch(l)
		if m == nil {
			b.WriteString(l + "\n")
			continue
		}
		want := strings.ReplaceAll(m[2], "'", `'\''`)
		fmt.Fprintf(&b, "echo '+ %s'\n{ %s\n} 2>&1 | tee \"$WALK_OUT\"\n", strings.ReplaceAll(m[1], "'", `'\''`), m[1])
		fmt.Fprintf(&b, "grep -qF -- '%s' \"$WALK_OUT\" || { echo 'walk-through: the output above lacks: %s' >&2; exit 1; }\n", want, want)
	}
	return b.String()
}

// lockedBuffer is a bytes.Buffer that the child's stdout and stderr
// copiers may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

func grepLines(s, prefix string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
