package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	etcdprovider "github.com/asynkron/protoactor-go/cluster/clusterproviders/etcd"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/actors/cluster"
	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/provision"
)

// The coordinator cluster (experimental, opt-in; docs/OPERATIONS.md,
// "Coordinator cluster"). The single coordinator of 'teeswap node' stays
// the default.
func init() {
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Run an etcd or a coordinator cluster member (experimental; see docs/SCALING.md)",
	}
	cmd.AddCommand(clusterEtcdCommand(), clusterMemberCommand())
	rootCmd.AddCommand(cmd)
}

// waitSignal blocks until SIGINT or SIGTERM.
func waitSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	<-ch
}

func clusterEtcdCommand() *cobra.Command {
	var (
		dir     string
		noFsync bool
	)
	cmd := &cobra.Command{
		Use:   "etcd",
		Short: "Run a single-node etcd in this process on loopback (the single-machine default)",
		RunE: func(*cobra.Command, []string) error {
			if dir == "" {
				return fmt.Errorf("--dir is required")
			}
			e, err := cluster.StartEmbedded(dir, noFsync)
			if err != nil {
				return err
			}
			defer e.Close()
			if flagJSON {
				_ = json.NewEncoder(os.Stdout).Encode(map[string]string{"endpoint": e.Endpoint})
			} else {
				fmt.Println("etcd serving at", e.Endpoint)
			}
			waitSignal()
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "data directory")
	cmd.Flags().BoolVar(&noFsync, "no-fsync", false, "skip fsync (tests only: a crash may lose acknowledged writes)")
	return cmd
}

func clusterMemberCommand() *cobra.Command {
	var (
		endpoint, name, prefix, host, sealKeyFile string
		credential                                string
		etcdCA, etcdCert, etcdKey                 string
		port, gatewayPort                         int
		ttl                                       int64
		plaintext                                 bool
		retry                                     time.Duration
		chainFlags                                nodeFlags
	)
	cmd := &cobra.Command{
		Use:   "member",
		Short: "Run a coordinator member hosting instance grains, following the configured chains (as 'teeswap node --role coordinator')",
		RunE: func(cmd *cobra.Command, _ []string) error {
			log := logger()
			if name == "" {
				return usageError("--name is required")
			}
			// The chains and the enclave come as for 'teeswap node': the
			// same config file, TEESWAP_* variables and flags.
			cfg, err := loadMemberConfig(&chainFlags, cmd.Flags(), os.Getenv)
			if err != nil {
				return usageError("%v", err)
			}
			// With a SIMULATION enclave the member's sealing key is a plain
			// file; it protects nothing (docs/OPERATIONS.md). Members need
			// not share it: the coordinator key is provisioned by attestation.
			backend, err := openBackend(cfg.Enclave, cfg.AllowSimulation, sealKeyFile, "cluster member", log)
			if err != nil {
				return err
			}
			// Peers' reports (provisioning, member TLS, terminals) are
			// checked under the node's policy.
			verifier := enclave.NewVerifier(enclave.Policy{AllowSimulation: cfg.AllowSimulation})
			var closers []func() error
			defer func() {
				for _, c := range closers {
					_ = c()
				}
			}()
			dctx, cancelDial := context.WithTimeout(context.Background(), time.Minute)
			chains, chainInfo, err := dialChains(dctx, cfg.Chains, log, func(c func() error) { closers = append(closers, c) })
			cancelDial()
			if err != nil {
				return err
			}
			cc := clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 5 * time.Second}
			if etcdCA != "" || etcdCert != "" || etcdKey != "" {
				// etcd on other machines: TLS to it, with a client
				// certificate when etcd asks for one.
				tlsInfo := transport.TLSInfo{TrustedCAFile: etcdCA, CertFile: etcdCert, KeyFile: etcdKey}
				if cc.TLS, err = tlsInfo.ClientConfig(); err != nil {
					return fmt.Errorf("etcd TLS: %w", err)
				}
			}
			cli, err := clientv3.New(cc)
			if err != nil {
				return err
			}
			defer cli.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			// Simulation reports pass only when allowed (and any stranger
			// can forge one; the exchange logs it as insecure).
			pcfg := cluster.ProvisionConfig{Client: cli, Prefix: prefix, Member: name, Backend: backend,
				Verifier: verifier, Logger: log}
			signer, err := cluster.ProvisionKey(ctx, pcfg)
			if err != nil {
				return err
			}
			serveCtx, stopServing := context.WithCancel(context.Background())
			defer stopServing()
			go func() { _ = cluster.ServeProvisioning(serveCtx, pcfg, signer) }()
			// Records are sealed under a key derived from the shared
			// coordinator key, so every member reads them.
			records, err := provision.NewRecordSealer(signer)
			if err != nil {
				return err
			}
			m, err := cluster.Join(ctx, cluster.MemberConfig{Client: cli, Prefix: prefix, Name: name, TTL: ttl, Sealer: records})
			if err != nil {
				return err
			}
			prov, err := etcdprovider.NewWithConfig(prefix+"protoactor", cc)
			if err != nil {
				return err
			}
			var memberTLS *actors.TLSConfig
			if !plaintext {
				// Members bind their TLS certificates to the coordinator key
				// they share, and admit only peers that do the same.
				memberTLS = &actors.TLSConfig{Backend: backend, Key: signer, Verifier: verifier,
					Enclaves: []common.Address{signer.Address()}}
			}
			n, err := cluster.StartNode(cluster.NodeConfig{Member: m, Signer: signer, Provider: prov, Host: host, Port: port, Logger: log,
				TLS: memberTLS, InsecurePlaintextLoopback: plaintext})
			if err != nil {
				return err
			}
			gw, gwAddr, err := startMemberGateway(ctx, memberGateway{node: n, cli: cli, prefix: prefix, backend: backend, signer: signer,
				verifier: verifier,
				host:     host, port: gatewayPort, plaintext: plaintext, retry: retry, credential: credential, log: log,
				chains: chains, chainConfigs: cfg.Chains, poll: time.Duration(cfg.PollInterval)})
			if err != nil {
				n.Stop(true)
				return err
			}
			if flagJSON {
				_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"member": m.ID(), "address": n.Address(), "coordinator": signer.Address().Hex(),
					"gateway": gwAddr, "enclave": backend.Kind().String(), "chains": chainInfo})
			} else {
				fmt.Printf("member %s at %s, coordinator %s (%s enclave), gateway for terminals and clients at %s\n", m.ID(), n.Address(), signer.Address(), backend.Kind(), gwAddr)
				for _, c := range chainInfo {
					fmt.Printf("  chain %d: contract %s at %s\n", c.ID, c.Contract, c.RPC)
				}
			}
			waitSignal()
			gw.Stop()
			// A graceful stop releases the lease at once; it can hang when
			// etcd is gone (protoactor's provider retries), so it is bounded:
			// past the deadline the lease simply expires after its TTL.
			done := make(chan struct{})
			go func() { n.Stop(true); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				log.Warn("graceful stop timed out; the lease will expire by itself", "ttl_s", ttl)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&endpoint, "etcd", "http://127.0.0.1:2379", "etcd client URL")
	cmd.Flags().StringVar(&name, "name", "", "this member's unique name")
	cmd.Flags().StringVar(&prefix, "prefix", "/teeswap/", "etcd key prefix of this cluster")
	cmd.Flags().StringVar(&host, "host", "127.0.0.1", "address to listen on for other members")
	cmd.Flags().IntVar(&port, "port", 0, "port for other members (0: any)")
	cmd.Flags().IntVar(&gatewayPort, "gateway-port", 0, "port of the gateway terminals and clients connect to, as to a node's coordinator (0: any)")
	cmd.Flags().StringVar(&etcdCA, "etcd-ca", "", "CA certificate file to verify etcd's server certificate (etcd over TLS)")
	cmd.Flags().StringVar(&etcdCert, "etcd-cert", "", "client certificate file for etcd")
	cmd.Flags().StringVar(&etcdKey, "etcd-key", "", "client key file for etcd")
	cmd.Flags().StringVar(&credential, "client-credential", "", "credential clients must give to submit swaps through the gateway (and to connect over TLS without an enclave)")
	cmd.Flags().DurationVar(&retry, "retry", 500*time.Millisecond, "how often the gateway resends an undecided instance's phase")
	cmd.Flags().Int64Var(&ttl, "ttl", 5, "lease TTL in seconds: how long a dead member's instances stay fenced")
	cmd.Flags().BoolVar(&plaintext, "insecure-plaintext-loopback", false, "INSECURE: members and the gateway talk plain gRPC instead of enclave-bound mutual TLS, on a loopback address only")
	cmd.Flags().StringVar(&sealKeyFile, "sim-seal-key-file", "", "SIMULATION sealing key of this member, needed with a simulation enclave (created if missing; members may have their own)")
	chainFlags.registerChains(cmd.Flags())
	return cmd
}

// memberGateway is what a member's gateway needs.
type memberGateway struct {
	node       *cluster.Node
	cli        *clientv3.Client
	prefix     string
	backend    enclave.Backend
	signer     enclave.Key
	verifier   *enclave.Verifier
	host       string
	port       int
	plaintext  bool
	retry      time.Duration
	credential string
	log        *slog.Logger
	// chains are followed by watchers into the gateway's router
	// (chainConfigs[i] configures chains[i]), polled every poll.
	chains       []actors.Deployment
	chainConfigs []chainConfig
	poll         time.Duration
}

// startMemberGateway runs the member's gateway: the coordinator actor of
// 'teeswap node', reachable over node remoting (enclave-bound TLS, or
// plain text on loopback), with its instances driven through the cluster
// and its routes over the channels its chain watchers see and those
// published in etcd.
func startMemberGateway(ctx context.Context, c memberGateway) (*cluster.Gateway, string, error) {
	verifier := c.verifier
	rc := actors.RemoteConfig{Host: c.host, Port: c.port, Accept: actors.CoordinatorAccepts, Logger: c.log, InsecurePlaintext: c.plaintext}
	if !c.plaintext {
		tlsKey, err := c.backend.NewKey()
		if err != nil {
			return nil, "", err
		}
		rc.TLS = &actors.TLSConfig{Backend: c.backend, Key: tlsKey, Verifier: verifier}
		if c.credential != "" {
			rc.TLS.ClientCredentials = []string{c.credential}
		}
	}
	sys := actors.NewSystem(c.log)
	if _, _, err := actors.StartRemote(sys, rc); err != nil {
		return nil, "", err
	}
	router, err := followChannels(c, sys)
	if err != nil {
		return nil, "", err
	}
	report, err := enclave.ReportFor(c.backend, c.signer)
	if err != nil {
		return nil, "", err
	}
	gw, err := cluster.StartGateway(cluster.GatewayConfig{Node: c.node, System: sys, Coordinator: actors.CoordinatorConfig{
		Signer: c.signer, Routes: actors.DirectoryRoutes{Router: router}, ReportKind: report.Kind.String(), Report: actors.FrameReport(report),
		VerifyReport: actors.ReportVerifier(verifier), ClientCredential: c.credential, RetryInterval: c.retry, Linger: 2 * c.retry, Logger: c.log}})
	if err != nil {
		return nil, "", err
	}
	return gw, sys.Address(), nil
}

// followChannels makes the gateway's router: it holds the channels
// published in etcd under <prefix>directory/ (and those published later:
// the watch lives as long as the process), and the watchers spawned in sys
// keep it current with each configured chain, as on a coordinator node.
func followChannels(c memberGateway, sys *actor.ActorSystem) (*directory.Router, error) {
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		return nil, err
	}
	if err := cluster.FollowDirectory(context.Background(), c.cli, c.prefix, router, func(err error) { c.log.Warn("directory", "err", err) }); err != nil {
		return nil, err
	}
	// The directory is in memory: after a restart the watchers replay the
	// contract's events from each chain's start block.
	spawn := func(p *actor.Props, name string) (*actor.PID, error) { return sys.Root.SpawnNamed(p, name) }
	if err := spawnWatchers(spawn, c.chains, c.chainConfigs, c.poll, router, nil, c.log); err != nil {
		return nil, err
	}
	return router, nil
}
