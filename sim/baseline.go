package sim

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// BaselineConfig configures the HTLC baseline.
type BaselineConfig struct {
	BlockInterval time.Duration
	Confirmations uint64
	Swaps         int
	Concurrency   int
	Seed          int64
}

// DefaultBaseline is the baseline `teeswap sim --baseline htlc` runs.
func DefaultBaseline() BaselineConfig {
	return BaselineConfig{BlockInterval: 100 * time.Millisecond, Confirmations: 1, Swaps: 8, Concurrency: 8}
}

// BaselineSummary compares teeswap with the HTLC baseline on the same swaps.
type BaselineSummary struct {
	Kind          string    `json:"kind"`
	Swaps         int       `json:"swaps"`
	BlockInterval string    `json:"block_interval"`
	Confirmations uint64    `json:"confirmations"`
	LatencyMs     Quantiles `json:"latency_ms"`
	TeeswapP50Ms  float64   `json:"teeswap_p50_ms"`
	Ratio         float64   `json:"ratio"`
}

// RunBaseline runs HTLC swaps on embedded chains.
func RunBaseline(ctx context.Context, cfg BaselineConfig, teeswap *Summary, log *slog.Logger) (*BaselineSummary, error) {
	return nil, errors.New("not yet")
}
