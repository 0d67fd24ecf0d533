package actors

import (
	"testing"
	"time"

	"github.com/teeswap/teeswap/messages"
)

// A request without a deadline gets the coordinator's default on a copy;
// one with a deadline keeps it.
func TestCoordinatorDefaultRefundDeadline(t *testing.T) {
	a := &CoordinatorActor{cfg: CoordinatorConfig{DefaultTimeout: 45 * time.Second}}
	req := &messages.SwapRequest{RequestId: "r"}
	if got := a.withDefaultTimeout(req); got.TimeoutMs != 45_000 || req.TimeoutMs != 0 {
		t.Fatalf("default: %d (caller's %d)", got.TimeoutMs, req.TimeoutMs)
	}
	if got := a.withDefaultTimeout(&messages.SwapRequest{TimeoutMs: 300}); got.TimeoutMs != 300 {
		t.Fatalf("explicit: %d", got.TimeoutMs)
	}
	none := &CoordinatorActor{}
	if got := none.withDefaultTimeout(req); got.TimeoutMs != 0 {
		t.Fatalf("unset: %d", got.TimeoutMs)
	}
}
