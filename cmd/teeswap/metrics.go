package main

import (
	"github.com/teeswap/teeswap/actors"
)

// serveMetrics starts the Prometheus endpoint when --metrics is set.
func (n *node) serveMetrics() error {
	if n.cfg.Metrics == "" {
		return nil
	}
	if _, _, err := actors.SplitHostPort(n.cfg.Metrics); err != nil {
		return usageError("--metrics: %v", err)
	}
	srv, addr, err := actors.ServeMetrics(n.cfg.Metrics)
	if err != nil {
		return err
	}
	n.onClose(srv.Close)
	n.info.Metrics = "http://" + addr + "/metrics"
	return nil
}
