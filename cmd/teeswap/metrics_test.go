package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// --metrics comes from the flag, TEESWAP_METRICS or the file's "metrics".
func TestMetricsFlagEnvAndFile(t *testing.T) {
	base := []string{"--role", "watcher", "--data-dir", t.TempDir(), "--chain", "rpc=ws://x:1,contract=" + testContract}
	cfg, err := parseNodeFlags(t, map[string]string{"TEESWAP_METRICS": "127.0.0.1:9464"}, base...)
	if err != nil || cfg.Metrics != "127.0.0.1:9464" {
		t.Fatalf("env: %q %v", cfg.Metrics, err)
	}
	cfg, err = parseNodeFlags(t, map[string]string{"TEESWAP_METRICS": "127.0.0.1:9464"}, append(base, "--metrics", "127.0.0.1:9500")...)
	if err != nil || cfg.Metrics != "127.0.0.1:9500" {
		t.Fatalf("flag: %q %v", cfg.Metrics, err)
	}
	file := writeConfig(t, `{"metrics": "127.0.0.1:9600"}`)
	cfg, err = parseNodeFlags(t, map[string]string{"TEESWAP_CONFIG": file}, base...)
	if err != nil || cfg.Metrics != "127.0.0.1:9600" {
		t.Fatalf("file: %q %v", cfg.Metrics, err)
	}
	n := &node{cfg: nodeConfig{Metrics: "nohost"}}
	if err := n.serveMetrics(); err == nil || !strings.Contains(err.Error(), "--metrics") {
		t.Fatalf("bad address: %v", err)
	}
}

// The coordinator's default refund deadline comes from the flag, env or
// file; a negative one or one above a day is refused.
func TestRefundDeadlineSetting(t *testing.T) {
	base := []string{"--role", "coordinator", "--data-dir", t.TempDir(), "--chain", "rpc=ws://x:1,contract=" + testContract}
	cfg, err := parseNodeFlags(t, map[string]string{"TEESWAP_REFUND_DEADLINE": "45s"}, base...)
	if err != nil || time.Duration(cfg.RefundDeadline) != 45*time.Second {
		t.Fatalf("env: %v %v", cfg.RefundDeadline, err)
	}
	for _, bad := range []string{"-1s", "25h"} {
		if _, err := parseNodeFlags(t, nil, append(base, "--refund-deadline", bad)...); err == nil {
			t.Fatalf("refund deadline %s accepted", bad)
		}
	}
}

// scrapeMetrics returns a metrics page, or "" when it cannot be read.
func scrapeMetrics(url string) string {
	r, err := http.Get(url)
	if err != nil {
		return ""
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}
