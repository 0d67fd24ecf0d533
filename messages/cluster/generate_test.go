package clusterpb_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the cluster messages and grain code and
// fails if a committed file differs (skips without protoc unless
// TEESWAP_REQUIRE_GENERATORS=1).
func TestGeneratedUpToDate(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		if os.Getenv("TEESWAP_REQUIRE_GENERATORS") == "1" {
			t.Fatalf("protoc is required: %v", err)
		}
		t.Skipf("protoc not found: %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "generate.sh", out)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, b)
	}
	files, _ := filepath.Glob(filepath.Join(out, "cluster", "*.pb.go"))
	if len(files) != 2 {
		t.Fatalf("generate.sh wrote %d cluster files, want 2", len(files))
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale or missing: run messages/generate.sh and commit the result", filepath.Base(f))
		}
	}
}
