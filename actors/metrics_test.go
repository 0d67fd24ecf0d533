package actors_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// After a swap on chain, the metrics endpoint shows the outcome, the phase
// histogram, protocol messages both ways, a refusal, the channels and the
// chains' heads and watcher lag.
func TestMetricsAfterSwap(t *testing.T) {
	w := newOnChainWorld(t)
	srv, addr, err := actors.ServeMetrics("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	w.open("s1", "i1", 1000)
	w.open("i1", "r1", 1000)
	w.open("s2", "i2", 1000)
	w.open("i2", "r2", 1000)
	w.expect("i1", "r1", 1000, 0)
	w.expect("i2", "r2", 1000, 0)
	res, err := w.local.Submit(&messages.SwapRequest{RequestId: "m-1", Legs: []*messages.Leg{w.leg("s1", "r1", 10), w.leg("s2", "r2", 20)}}, 10*time.Second)
	if err != nil || res.Outcome != messages.InstancePhase_INSTANCE_PHASE_COMMITTED {
		t.Fatalf("swap: %v %v", res.GetOutcome(), err)
	}
	if res, _ := w.local.Submit(&messages.SwapRequest{RequestId: "m-2"}, 10*time.Second); res.GetError() == "" {
		t.Fatal("a swap without legs was accepted")
	}
	want := []string{
		`teeswap_instances_total{outcome="confirmed"}`,
		`teeswap_phase_seconds_bucket{phase="decided"`,
		`teeswap_phase_seconds_count{phase="prepared"}`,
		`teeswap_messages_total{direction="in",kind="prepare",role="terminal"}`,
		`teeswap_messages_total{direction="out",kind="prepare",role="coordinator"}`,
		`teeswap_messages_total{direction="in",kind="confirm",role="terminal"}`,
		`teeswap_refusals_total{reason="other",role="coordinator"}`,
		`teeswap_channels{chain="`,
		`phase="idle"`,
		`teeswap_channel_capacity{asset="0x0000000000000000000000000000000000000000"`,
		`teeswap_chain_head{chain="`,
		`teeswap_watcher_lag_blocks{chain="`,
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		body := scrape(t, "http://"+addr+"/metrics")
		var missing []string
		for _, s := range want {
			if !strings.Contains(body, s) {
				missing = append(missing, s)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics lack %q:\n%s", missing, grepTeeswap(body))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %d %v", r.StatusCode, err)
	}
	return string(b)
}

func grepTeeswap(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "teeswap_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
