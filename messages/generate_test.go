package messages_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestGeneratedUpToDate regenerates the .pb.go files into a temporary
// folder and fails if a committed one differs. Without protoc it skips,
// unless TEESWAP_REQUIRE_GENERATORS=1 (as in CI), when it fails.
func TestGeneratedUpToDate(t *testing.T) {
	if _, err := exec.LookPath("protoc"); err != nil {
		if os.Getenv("TEESWAP_REQUIRE_GENERATORS") == "1" {
			t.Fatalf("protoc is required to check the generated messages: %v", err)
		}
		t.Skipf("protoc not found (set TEESWAP_REQUIRE_GENERATORS=1 to fail instead): %v", err)
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "generate.sh", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generate.sh: %v\n%s", err, b)
	}
	files, err := filepath.Glob(filepath.Join(out, "*.pb.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("generate.sh wrote no .pb.go files (%v)", err)
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Base(f))
		if err != nil {
			t.Errorf("%s is not committed: %v", filepath.Base(f), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run messages/generate.sh and commit the result", filepath.Base(f))
		}
	}
}
