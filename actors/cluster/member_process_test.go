package cluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	etcdprovider "github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/sim"
)

// The multi-process test re-runs this test binary as member processes,
// configured through these variables.
const (
	memberEnv = "TEESWAP_CLUSTER_MEMBER" // member name
	etcdEnv   = "TEESWAP_CLUSTER_ETCD"   // etcd client endpoint
	prefixEnv = "TEESWAP_CLUSTER_PREFIX" // key prefix of this cluster
	seedEnv   = "TEESWAP_CLUSTER_SEED"   // protocoltest world seed
)

// runMemberProcess is a coordinator member in its own process: it joins
// etcd, hosts Instance grains and prints READY, then serves until killed.
// SIMULATION key provisioning, in the clear: the coordinator key derives
// from the world seed and the sealing key is a constant shared by all.
func runMemberProcess(name string) {
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "member:", err)
		os.Exit(2)
	}
	seed, err := strconv.ParseInt(os.Getenv(seedEnv), 10, 64)
	if err != nil {
		fail(err)
	}
	endpoints := []string{os.Getenv(etcdEnv)}
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		fail(err)
	}
	key := make([]byte, sim.SealKeySize)
	for i := range key {
		key[i] = 7
	}
	sealer, err := sim.New(sim.Options{SealKey: key, Logger: discard()})
	if err != nil {
		fail(err)
	}
	prefix := os.Getenv(prefixEnv)
	m, err := Join(context.Background(), MemberConfig{Client: cli, Prefix: prefix, Name: name, TTL: 2, Sealer: sealer})
	if err != nil {
		fail(err)
	}
	prov, err := etcdprovider.NewWithConfig(prefix+"protoactor", clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second})
	if err != nil {
		fail(err)
	}
	n, err := StartNode(NodeConfig{InsecurePlaintextLoopback: true, Member: m, Signer: protocoltest.NewKey(seed, "coordinator"), Provider: prov, CallTimeout: 3 * time.Second})
	if err != nil {
		fail(err)
	}
	fmt.Printf("READY %s %s\n", n.Address(), m.ID())
	select {}
}

// memberProc is one member process started by a test.
type memberProc struct {
	cmd *exec.Cmd
	id  string
}

func startMemberProcess(t *testing.T, name, prefix string, seed int64) *memberProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), memberEnv+"="+name, etcdEnv+"="+testEtcd.Endpoint, prefixEnv+"="+prefix, seedEnv+"="+strconv.FormatInt(seed, 10))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &memberProc{cmd: cmd}
	t.Cleanup(func() { p.kill() })
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "READY" {
				ready <- f[2]
			}
		}
	}()
	select {
	case p.id = <-ready:
	case <-time.After(60 * time.Second):
		t.Fatalf("member %s did not become ready", name)
	}
	return p
}

// kill sends SIGKILL: no cleanup runs, the lease is left to expire.
func (p *memberProc) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}
