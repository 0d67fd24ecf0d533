package mutants_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teeswap/teeswap/enclave/protocoltest/mutants"
)

// TestMutants applies mutants one at a time, through go test -overlay (no
// file of the module is touched), and demands that the tests each names
// fail. It runs one go test per mutant, so it is opt-in:
//
//	TEESWAP_MUTANTS=ci   the CI subset (make test): a few minutes
//	TEESWAP_MUTANTS=all  every mutant
//
//	TEESWAP_MUTANTS=all go test -count=1 -timeout 60m -run TestMutants ./enclave/protocoltest/mutants/
//
// TEESWAP_MUTANTS_ONLY=<substring> keeps the mutants whose file or snippet
// contains it, TEESWAP_MUTANTS_IDX=3,7 those of these indices;
// TEESWAP_MUTANTS_JOBS sets how many run at once (default 2).
// Each verdict is printed as it comes; the score line also goes to
// TEESWAP_EXPLORE_REPORT.
func TestMutants(t *testing.T) {
	mode := os.Getenv("TEESWAP_MUTANTS")
	if mode == "" {
		t.Skip("a go test per mutant; set TEESWAP_MUTANTS=ci or all")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not at %s: %v", root, err)
	}
	jobs := 2
	if n, err := strconv.Atoi(os.Getenv("TEESWAP_MUTANTS_JOBS")); err == nil && n > 0 {
		jobs = n
	}
	only := os.Getenv("TEESWAP_MUTANTS_ONLY")
	idx := map[int]bool{}
	for _, f := range strings.Split(os.Getenv("TEESWAP_MUTANTS_IDX"), ",") {
		if n, err := strconv.Atoi(f); err == nil {
			idx[n] = true
		}
	}
	var picked []int
	for i, m := range mutants.List {
		if (mode == "all" || m.CI) && (only == "" || strings.Contains(m.File+m.Old, only)) && (len(idx) == 0 || idx[i]) {
			picked = append(picked, i)
		}
	}
	tmp := t.TempDir()
	start := time.Now()
	var (
		mu       sync.Mutex
		killed   int
		survived []string
		wg       sync.WaitGroup
		next     = make(chan int)
	)
	for range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				verdict, detail := run(root, tmp, i, mutants.List[i])
				mu.Lock()
				m := mutants.List[i]
				name := fmt.Sprintf("#%d %s: %q -> %q", i, m.File, m.Old, m.New)
				fmt.Fprintf(os.Stderr, "mutant %-8s %s\n", verdict, name)
				switch verdict {
				case "killed":
					killed++
				case "SURVIVED":
					survived = append(survived, name)
					t.Errorf("SURVIVED %s (tests %s)", name, m.Kill)
				default:
					t.Errorf("%s %s: %s", verdict, name, detail)
				}
				mu.Unlock()
			}
		}()
	}
	for _, i := range picked {
		next <- i
	}
	close(next)
	wg.Wait()
	line := fmt.Sprintf("mutants (%s): %d of %d killed, %d survived, in %v", mode, killed, len(picked), len(survived), time.Since(start).Round(time.Second))
	t.Log(line)
	fmt.Fprintln(os.Stderr, line)
	if path := os.Getenv("TEESWAP_EXPLORE_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		fmt.Fprintln(f, line)
	}
}

// run applies mutant i and runs its tests: "killed" when they fail.
func run(root, tmp string, i int, m mutants.Mutant) (verdict, detail string) {
	src, err := os.ReadFile(filepath.Join(root, m.File))
	if err != nil {
		return "error", err.Error()
	}
	if n := strings.Count(string(src), m.Old); n == 0 || n > 1 && !m.All {
		return "error", fmt.Sprintf("snippet found %d times", n)
	}
	mutated := filepath.Join(tmp, fmt.Sprintf("m%d.go", i))
	if err := os.WriteFile(mutated, []byte(strings.ReplaceAll(string(src), m.Old, m.New)), 0o644); err != nil {
		return "error", err.Error()
	}
	overlay := filepath.Join(tmp, fmt.Sprintf("m%d.json", i))
	spec, _ := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(root, m.File): mutated}})
	if err := os.WriteFile(overlay, spec, 0o644); err != nil {
		return "error", err.Error()
	}
	pkg := m.Pkg
	if pkg == "" {
		pkg = "./enclave/protocoltest/"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-overlay", overlay, "-count=1", "-vet=off", "-failfast", "-run", "^("+m.Kill+")$", pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	switch s := string(out); {
	case strings.Contains(s, "no tests to run"):
		return "error", "no test matches " + m.Kill
	case err == nil:
		return "SURVIVED", ""
	case strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]"):
		return "nobuild", s
	case ctx.Err() != nil:
		return "timeout", ""
	}
	return "killed", ""
}
