package mutants_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/teeswap/teeswap/enclave/protocoltest/mutants"
)

// TestMutants applies every mutant in turn, through go test -overlay, and
// demands that the tests it names fail. It runs a go test per mutant, so
// it is behind TEESWAP_MUTANTS=1 (make test sets it):
//
//	TEESWAP_MUTANTS=1 go test -count=1 -timeout 30m -run TestMutants -v ./enclave/protocoltest/mutants/
//
// TEESWAP_MUTANTS_ONLY=<substring> runs the mutants whose file or snippet
// contains it. The score line goes to TEESWAP_EXPLORE_REPORT too.
func TestMutants(t *testing.T) {
	if os.Getenv("TEESWAP_MUTANTS") == "" {
		t.Skip("a go test per mutant; set TEESWAP_MUTANTS=1")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	tmp := t.TempDir()
	only := os.Getenv("TEESWAP_MUTANTS_ONLY")
	start := time.Now()
	killed, total := 0, 0
	var survived []string
	for i, m := range mutants.List {
		if only != "" && !strings.Contains(m.File+m.Old, only) {
			continue
		}
		total++
		name := fmt.Sprintf("#%d %s: %q -> %q", i, m.File, m.Old, m.New)
		src, err := os.ReadFile(filepath.Join(root, m.File))
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(src), m.Old)
		if n == 0 || n > 1 && !m.All {
			t.Errorf("%s: snippet found %d times", name, n)
			continue
		}
		mutated := filepath.Join(tmp, fmt.Sprintf("m%d.go", i))
		if err := os.WriteFile(mutated, []byte(strings.ReplaceAll(string(src), m.Old, m.New)), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay := filepath.Join(tmp, fmt.Sprintf("m%d.json", i))
		spec, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, m.File): mutated}})
		if err := os.WriteFile(overlay, spec, 0o644); err != nil {
			t.Fatal(err)
		}
		pkg := m.Pkg
		if pkg == "" {
			pkg = "./enclave/protocoltest/"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, "go", "test", "-overlay", overlay, "-count=1", "-vet=off", "-failfast", "-run", "^("+m.Kill+")$", pkg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		cancel()
		switch {
		case strings.Contains(string(out), "no tests to run"):
			t.Errorf("%s: no test matches %s", name, m.Kill)
		case err == nil:
			survived = append(survived, name)
			t.Errorf("SURVIVED %s (tests %s)", name, m.Kill)
		case strings.Contains(string(out), "[build failed]") || strings.Contains(string(out), "[setup failed]"):
			t.Errorf("%s does not build:\n%s", name, out)
		default:
			killed++
		}
	}
	line := fmt.Sprintf("mutants: %d of %d killed, %d survived, in %v", killed, total, len(survived), time.Since(start).Round(time.Second))
	t.Log(line)
	if path := os.Getenv("TEESWAP_EXPLORE_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintln(f, line)
	}
}
