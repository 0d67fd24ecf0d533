//go:build !race

package cluster

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/messages"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestMeasureClusterCost prints the figures of docs/SCALING.md: per
// instance, etcd transactions and their latency, sealed bytes written,
// grain-call bytes, and the whole process's CPU (members, the embedded
// etcd and the simulated terminals together). It asserts nothing about
// time; it runs only with TEESWAP_CLUSTER_MEASURE=1.
func TestMeasureClusterCost(t *testing.T) {
	if os.Getenv("TEESWAP_CLUSTER_MEASURE") != "1" {
		t.Skip("set TEESWAP_CLUSTER_MEASURE=1 to measure")
	}
	const instances = 300
	for _, members := range []int{1, 2, 3} {
		h := newHarness(t)
		h.w = protocoltest.NewWorld(9, protocoltest.ChainSpec{ChainID: 1, Path: []string{"s", "r"}, Deposit: 1_000_000})
		h.names = h.names[:members]
		for _, name := range h.names {
			h.start(name)
		}
		h.entry = func(rng *rand.Rand) *Node { return h.live(rng) }
		rng := rand.New(rand.NewSource(1))
		before := map[string]Stats{}
		for name, n := range h.nodes {
			before[name] = n.cfg.Member.Stats()
		}
		cpu0, wall0 := cpuTime(), time.Now()
		for i := range instances {
			leg, route := h.w.Leg(0, 1)
			req := &messages.SwapRequest{RequestId: fmt.Sprintf("m-%d", i), Legs: []*messages.Leg{leg}}
			h.w.SignOrders(req)
			_, send, err := h.entry(rng).Create(context.Background(), req, []*messages.Network{route}, h.w.Now)
			if err != nil {
				t.Fatal(err)
			}
			h.queue(send)
			h.pump(rng, nil)
		}
		cpu, wall := cpuTime()-cpu0, time.Since(wall0)
		var txns, bytes int64
		var txnTime time.Duration
		for name, n := range h.nodes {
			s := n.cfg.Member.Stats()
			txns += s.Txns - before[name].Txns
			bytes += s.Bytes - before[name].Bytes
			txnTime += s.TxnTime - before[name].TxnTime
		}
		t.Logf("members=%d instances=%d wall/instance=%v cpu/instance=%v etcd txns/instance=%.2f txn latency=%v sealed bytes/instance=%d grain calls/instance=%.2f grain bytes/instance=%d",
			members, instances, wall/instances, cpu/instances, float64(txns)/instances, txnTime/time.Duration(max(txns, 1)), bytes/instances,
			float64(h.calls)/instances, h.wire/instances)
		for _, n := range h.nodes {
			n.Stop(true)
		}
	}
}
