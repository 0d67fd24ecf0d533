package sim_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/teeswap/teeswap/sim"
)

// TestSmoke is CI's run of the sim: a small mixed load in process that must
// end with every instance confirmed or refunded and nothing lost.
func TestSmoke(t *testing.T) {
	for _, store := range []string{sim.StoreMemory, sim.StoreLog} {
		t.Run(store, func(t *testing.T) { smoke(t, store) })
	}
}

func smoke(t *testing.T, store string) {
	t.Setenv("TMPDIR", t.TempDir()) // the log store's folder must be gone after the run
	cfg := sim.Defaults()
	cfg.Store = store
	cfg.Terminals, cfg.Instances, cfg.Concurrency = 12, 200, 16
	cfg.RefundFraction = 0.05
	cfg.RetryInterval = 200 * time.Millisecond
	if testing.Short() {
		cfg.Instances = 60
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := sim.Run(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	t.Logf("confirmed %d refunded %d rejected %d lost %d, %.1f/s, p50 %.2f ms", s.Confirmed, s.Refunded, s.Rejected, s.Lost, s.ThroughputPerS, s.LatencyMs.EndToEnd.P50)
	if s.Lost != 0 {
		t.Fatalf("lost %d: %+v", s.Lost, s.LostDetail)
	}
	if s.Confirmed+s.Refunded != s.Instances || s.Instances != cfg.Instances {
		t.Fatalf("confirmed %d + refunded %d != instances %d (want %d)", s.Confirmed, s.Refunded, s.Instances, cfg.Instances)
	}
	if s.Refunded == 0 {
		t.Error("no instance was refunded; the refund path went unexercised")
	}
	dir := t.TempDir()
	files, err := res.WriteOutputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Errorf("wrote %v", files)
	}
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "teeswap-sim-store-*")); len(left) != 0 {
		t.Errorf("the run left its store folder behind: %v", left)
	}
}
