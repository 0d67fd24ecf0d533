package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/pflag"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
)

// Node roles.
const (
	roleCoordinator = "coordinator"
	roleTerminal    = "terminal"
	roleWatcher     = "watcher"
)

// Actor names a node spawns its actors under; a client reaches them as
// host:port plus this id.
const (
	actorCoordinator = "coordinator"
	actorTerminal    = "terminal"
	actorDirectory   = "directory"
)

// watcherActor is the name of a node's watcher actor for one chain.
func watcherActor(chainID uint64) string { return fmt.Sprintf("watcher-%d", chainID) }

// nodeConfig is what `teeswap node` runs. It is read from a JSON file
// (--config or TEESWAP_CONFIG), then environment variables (TEESWAP_*),
// then flags: flags > env > file > defaults.
type nodeConfig struct {
	// Role is coordinator, terminal or watcher.
	Role string `json:"role"`
	// Name labels the node in logs and output (default: the role).
	Name string `json:"name,omitempty"`
	// Listen is the remoting address, host:port; port 0 picks one.
	Listen string `json:"listen,omitempty"`
	// Advertise is the host:port peers use when it differs from Listen.
	Advertise string `json:"advertise,omitempty"`
	// DataDir holds the sealed key, the sealed state store and the
	// directory (required for coordinator and terminal).
	DataDir string `json:"data_dir,omitempty"`
	// Enclave is the backend: auto, sgx or simulation.
	Enclave string `json:"enclave,omitempty"`
	// AllowSimulation accepts simulated enclaves: this node's own and the
	// attestation reports of its peers. Required without SGX.
	AllowSimulation bool `json:"allow_simulation,omitempty"`
	// Chains are the chains the node works on.
	Chains []chainConfig `json:"chains,omitempty"`
	// Coordinator is the coordinator node's host:port (terminals).
	Coordinator string `json:"coordinator,omitempty"`
	// TrustedCoordinator pins the coordinator enclave's chain address
	// (terminals): only that coordinator is admitted. Needed for safety
	// with simulation enclaves, whose reports anyone can make.
	TrustedCoordinator string `json:"trusted_coordinator,omitempty"`
	// Peers are other terminal nodes, host:port or 0xADDRESS@host:port,
	// asked to co-sign cooperative closes (terminals).
	Peers []string `json:"peers,omitempty"`
	// Watchers are remote watcher nodes (host:port) a terminal subscribes
	// to, on top of following its chains itself.
	Watchers []string `json:"watchers,omitempty"`
	// InsecurePlaintextLoopback runs remoting without TLS, on a loopback
	// address only: anyone on the machine can then read traffic and
	// claim any node's address. For tests and local experiments.
	InsecurePlaintextLoopback bool `json:"insecure_plaintext_loopback,omitempty"`
	// PollInterval paces chain polling (default 1s).
	PollInterval duration `json:"poll_interval,omitempty"`
	// RetryInterval paces protocol retries (default 500ms).
	RetryInterval duration `json:"retry_interval,omitempty"`
	// Metrics, when set, serves Prometheus metrics at host:port/metrics.
	Metrics string `json:"metrics,omitempty"`
	// RefundDeadline is a coordinator's refund deadline for requests that
	// set none (default 10s).
	RefundDeadline duration `json:"refund_deadline,omitempty"`
}

// chainConfig is one chain: a node at RPC with the PaymentChannels
// contract at Contract.
type chainConfig struct {
	// ID, when set, must match the node's chain id.
	ID uint64 `json:"id,omitempty"`
	// RPC is the node's URL: ws:// (preferred), http:// or an IPC path.
	RPC string `json:"rpc,omitempty"`
	// Contract is the PaymentChannels address (teeswap deploy prints it).
	Contract string `json:"contract,omitempty"`
	// StartBlock is where watching starts: the contract's deploy block.
	StartBlock uint64 `json:"start_block,omitempty"`
	// FinalityDepth is how many blocks an event waits before it counts.
	FinalityDepth uint64 `json:"finality_depth,omitempty"`
	// Embedded asks for an in-process simulated chain, which only a
	// single-process run (teeswap demo) can share; a node refuses it.
	Embedded bool `json:"embedded,omitempty"`
}

// duration is a time.Duration written as "500ms" in JSON.
type duration time.Duration

func (d duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"500ms\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = duration(v)
	return nil
}

func defaultNodeConfig() nodeConfig {
	return nodeConfig{
		Listen:        "127.0.0.1:0",
		Enclave:       enclave.BackendAuto,
		PollInterval:  duration(time.Second),
		RetryInterval: duration(500 * time.Millisecond),
	}
}

// readConfigFile decodes a JSON config file; unknown fields are errors,
// so a misspelt key is caught.
func readConfigFile(path string, cfg *nodeConfig) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(cfg); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// nodeFlags are the flags of `teeswap node`.
type nodeFlags struct {
	config, role, name, listen, advertise, dataDir, enclave string
	coordinator, pollInterval, retryInterval                string
	trustedCoordinator, metrics, refundDeadline             string
	allowSimulation, insecurePlaintext                      bool
	chains, peers, watchers                                 []string
}

func (f *nodeFlags) register(fs *pflag.FlagSet) {
	f.registerChains(fs)
	fs.StringVar(&f.role, "role", "", "coordinator, terminal or watcher (env TEESWAP_ROLE)")
	fs.StringVar(&f.name, "name", "", "node name for logs and output (env TEESWAP_NAME)")
	fs.StringVar(&f.listen, "listen", "", "remoting host:port, port 0 picks one (env TEESWAP_LISTEN; default 127.0.0.1:0)")
	fs.StringVar(&f.advertise, "advertise", "", "host:port peers should dial, if not the bound address (env TEESWAP_ADVERTISE)")
	fs.StringVar(&f.dataDir, "data-dir", "", "directory for the sealed key and state (env TEESWAP_DATA_DIR)")
	fs.BoolVar(&f.insecurePlaintext, "insecure-plaintext-loopback", false, "INSECURE: remoting without TLS, loopback only (env TEESWAP_INSECURE_PLAINTEXT_LOOPBACK)")
	fs.StringVar(&f.coordinator, "coordinator", "", "the coordinator node's host:port, for terminals (env TEESWAP_COORDINATOR)")
	fs.StringVar(&f.trustedCoordinator, "trusted-coordinator", "", "pin the coordinator enclave's 0x address, for terminals (env TEESWAP_TRUSTED_COORDINATOR)")
	fs.StringArrayVar(&f.peers, "peer", nil, "another terminal node, host:port or 0xADDR@host:port; repeatable (env TEESWAP_PEERS, ','-separated)")
	fs.StringArrayVar(&f.watchers, "watcher", nil, "a watcher node's host:port to subscribe to; repeatable (env TEESWAP_WATCHERS, ','-separated)")
	fs.StringVar(&f.retryInterval, "retry-interval", "", "protocol retry interval (env TEESWAP_RETRY_INTERVAL; default 500ms)")
	fs.StringVar(&f.refundDeadline, "refund-deadline", "", "coordinator: refund deadline of requests that set none (env TEESWAP_REFUND_DEADLINE; default 10s)")
	fs.StringVar(&f.metrics, "metrics", "", "serve Prometheus metrics at host:port/metrics, e.g. 127.0.0.1:9464 (env TEESWAP_METRICS)")
}

// registerChains registers the flags of the chains followed and of the
// enclave: those 'teeswap cluster member' shares with 'teeswap node'.
func (f *nodeFlags) registerChains(fs *pflag.FlagSet) {
	fs.StringVar(&f.config, "config", "", "JSON config file (env TEESWAP_CONFIG)")
	fs.StringVar(&f.enclave, "enclave", "", "enclave backend: auto, sgx or simulation (env TEESWAP_ENCLAVE)")
	fs.BoolVar(&f.allowSimulation, "allow-simulation", false, "accept simulated enclaves, this node's and its peers' (env TEESWAP_ALLOW_SIMULATION)")
	fs.StringArrayVar(&f.chains, "chain", nil, "a chain: rpc=URL,contract=0x..[,id=N][,start=BLOCK][,depth=N]; repeat per chain (env TEESWAP_CHAINS, ';'-separated)")
	fs.StringVar(&f.pollInterval, "poll-interval", "", "chain polling interval (env TEESWAP_POLL_INTERVAL; default 1s)")
}

// loadNodeConfig layers defaults, the file, the environment and the
// flags that were set, and validates the result. getenv is os.Getenv
// outside tests.
func loadNodeConfig(f *nodeFlags, fs *pflag.FlagSet, getenv func(string) string) (nodeConfig, error) {
	cfg, err := layerNodeConfig(f, fs, getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.validate()
}

// loadMemberConfig reads a cluster member's chains and enclave settings
// the way loadNodeConfig does (the same file, TEESWAP_* variables and
// flags; the file's other keys are ignored). A member may follow no chain:
// it then routes over the channels published in etcd only.
func loadMemberConfig(f *nodeFlags, fs *pflag.FlagSet, getenv func(string) string) (nodeConfig, error) {
	cfg, err := layerNodeConfig(f, fs, getenv)
	if err != nil {
		return cfg, err
	}
	if err := cfg.validateEnclave(); err != nil {
		return cfg, err
	}
	if err := cfg.validateChains(); err != nil {
		return cfg, err
	}
	if cfg.PollInterval <= 0 {
		return cfg, errors.New("poll_interval must be positive")
	}
	return cfg, nil
}

// layerNodeConfig layers defaults, the file, the environment and the
// flags registered on fs that were set.
func layerNodeConfig(f *nodeFlags, fs *pflag.FlagSet, getenv func(string) string) (nodeConfig, error) {
	cfg := defaultNodeConfig()
	path := getenv("TEESWAP_CONFIG")
	if fs.Changed("config") {
		path = f.config
	}
	if path != "" {
		if err := readConfigFile(path, &cfg); err != nil {
			return cfg, err
		}
	}
	// One setting: its flag, its environment variable, how to apply it.
	type setting struct {
		flag, env string
		apply     func(string) error
	}
	str := func(dst *string) func(string) error { return func(v string) error { *dst = v; return nil } }
	dur := func(dst *duration) func(string) error {
		return func(v string) error {
			d, err := time.ParseDuration(v)
			*dst = duration(d)
			return err
		}
	}
	list := func(dst *[]string, sep string) func(string) error {
		return func(v string) error { *dst = splitList(v, sep); return nil }
	}
	settings := []setting{
		{"role", "TEESWAP_ROLE", str(&cfg.Role)},
		{"name", "TEESWAP_NAME", str(&cfg.Name)},
		{"listen", "TEESWAP_LISTEN", str(&cfg.Listen)},
		{"advertise", "TEESWAP_ADVERTISE", str(&cfg.Advertise)},
		{"data-dir", "TEESWAP_DATA_DIR", str(&cfg.DataDir)},
		{"enclave", "TEESWAP_ENCLAVE", str(&cfg.Enclave)},
		{"allow-simulation", "TEESWAP_ALLOW_SIMULATION", func(v string) error {
			b, err := strconv.ParseBool(v)
			cfg.AllowSimulation = b
			return err
		}},
		{"insecure-plaintext-loopback", "TEESWAP_INSECURE_PLAINTEXT_LOOPBACK", func(v string) error {
			b, err := strconv.ParseBool(v)
			cfg.InsecurePlaintextLoopback = b
			return err
		}},
		{"coordinator", "TEESWAP_COORDINATOR", str(&cfg.Coordinator)},
		{"trusted-coordinator", "TEESWAP_TRUSTED_COORDINATOR", str(&cfg.TrustedCoordinator)},
		{"poll-interval", "TEESWAP_POLL_INTERVAL", dur(&cfg.PollInterval)},
		{"retry-interval", "TEESWAP_RETRY_INTERVAL", dur(&cfg.RetryInterval)},
		{"metrics", "TEESWAP_METRICS", str(&cfg.Metrics)},
		{"refund-deadline", "TEESWAP_REFUND_DEADLINE", dur(&cfg.RefundDeadline)},
		{"peer", "TEESWAP_PEERS", list(&cfg.Peers, ",")},
		{"watcher", "TEESWAP_WATCHERS", list(&cfg.Watchers, ",")},
		{"chain", "TEESWAP_CHAINS", func(v string) error {
			cfg.Chains = nil
			for _, spec := range splitList(v, ";") {
				c, err := parseChainSpec(spec)
				if err != nil {
					return err
				}
				cfg.Chains = append(cfg.Chains, c)
			}
			return nil
		}},
	}
	for _, s := range settings {
		if v := getenv(s.env); v != "" {
			if err := s.apply(v); err != nil {
				return cfg, fmt.Errorf("%s=%q: %w", s.env, v, err)
			}
		}
	}
	flagValues := map[string]string{
		"role": f.role, "name": f.name, "listen": f.listen, "advertise": f.advertise, "data-dir": f.dataDir,
		"enclave": f.enclave, "allow-simulation": strconv.FormatBool(f.allowSimulation), "coordinator": f.coordinator, "insecure-plaintext-loopback": strconv.FormatBool(f.insecurePlaintext), "trusted-coordinator": f.trustedCoordinator,
		"poll-interval": f.pollInterval, "retry-interval": f.retryInterval, "metrics": f.metrics, "refund-deadline": f.refundDeadline,
		"peer": strings.Join(f.peers, ","), "watcher": strings.Join(f.watchers, ","), "chain": strings.Join(f.chains, ";"),
	}
	for _, s := range settings {
		if fs.Changed(s.flag) {
			if err := s.apply(flagValues[s.flag]); err != nil {
				return cfg, fmt.Errorf("--%s: %w", s.flag, err)
			}
		}
	}
	return cfg, nil
}

func splitList(v, sep string) []string {
	var out []string
	for _, p := range strings.Split(v, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseChainSpec reads "rpc=URL,contract=0x..,id=N,start=B,depth=D" or
// "embedded,id=N".
func parseChainSpec(spec string) (chainConfig, error) {
	var c chainConfig
	for _, kv := range splitList(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch strings.TrimSpace(k) {
		case "rpc", "url":
			c.RPC = v
		case "contract":
			c.Contract = v
		case "id", "chain":
			c.ID, err = strconv.ParseUint(v, 10, 64)
		case "start", "start_block":
			c.StartBlock, err = strconv.ParseUint(v, 10, 64)
		case "depth", "finality_depth":
			c.FinalityDepth, err = strconv.ParseUint(v, 10, 64)
		case "embedded":
			c.Embedded = true
		default:
			return c, fmt.Errorf("chain %q: unknown key %q (want rpc, contract, id, start, depth)", spec, k)
		}
		if err != nil {
			return c, fmt.Errorf("chain %q: %s: %w", spec, k, err)
		}
	}
	return c, nil
}

// validate checks what every role needs and fills derived defaults.
func (c *nodeConfig) validate() error {
	switch c.Role {
	case roleCoordinator, roleTerminal, roleWatcher:
	case "":
		return errors.New("no role: set role in the config, TEESWAP_ROLE or --role (coordinator, terminal or watcher)")
	default:
		return fmt.Errorf("unknown role %q (want coordinator, terminal or watcher)", c.Role)
	}
	if d := time.Duration(c.RefundDeadline); d < 0 || d > 24*time.Hour {
		return fmt.Errorf("refund deadline %v: want 0 (default 10s) up to 24h", d)
	}
	if c.Name == "" {
		c.Name = c.Role
	}
	host, _, err := actors.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if c.InsecurePlaintextLoopback && !isLoopback(host) {
		return fmt.Errorf("insecure_plaintext_loopback serves plain text on loopback only, and listen is %s", c.Listen)
	}
	if c.DataDir == "" {
		return fmt.Errorf("no data directory: set data_dir, TEESWAP_DATA_DIR or --data-dir (it keeps the %s's sealed key and state)", c.Role)
	}
	if err := c.validateEnclave(); err != nil {
		return err
	}
	if len(c.Chains) == 0 {
		return fmt.Errorf("no chains: a %s needs at least one (chains in the config, TEESWAP_CHAINS or --chain rpc=URL,contract=0x..)", c.Role)
	}
	if err := c.validateChains(); err != nil {
		return err
	}
	if c.Role == roleTerminal {
		if c.Coordinator == "" {
			return errors.New("a terminal needs the coordinator node's address: coordinator, TEESWAP_COORDINATOR or --coordinator host:port")
		}
		if _, _, err := actors.SplitHostPort(c.Coordinator); err != nil {
			return fmt.Errorf("coordinator: %w", err)
		}
		if c.TrustedCoordinator != "" && !common.IsHexAddress(c.TrustedCoordinator) {
			return fmt.Errorf("trusted_coordinator %q is not a 0x address", c.TrustedCoordinator)
		}
		for _, p := range c.Peers {
			if _, _, err := parsePeer(p); err != nil {
				return err
			}
		}
	}
	for _, w := range c.Watchers {
		if _, _, err := actors.SplitHostPort(w); err != nil {
			return fmt.Errorf("watcher: %w", err)
		}
	}
	if c.PollInterval <= 0 || c.RetryInterval <= 0 {
		return errors.New("poll_interval and retry_interval must be positive")
	}
	return nil
}

// validateEnclave checks the enclave backend's name.
func (c *nodeConfig) validateEnclave() error {
	switch c.Enclave {
	case enclave.BackendAuto, enclave.BackendSGX, enclave.BackendSimulation:
		return nil
	default:
		return fmt.Errorf("enclave %q: want auto, sgx or simulation", c.Enclave)
	}
}

// validateChains checks each chain: an rpc and a contract, ids given once.
func (c *nodeConfig) validateChains() error {
	seen := map[uint64]bool{}
	for i, ch := range c.Chains {
		if ch.Embedded {
			return fmt.Errorf("chain %d: embedded chains live inside one process and cannot be shared between nodes; run 'teeswap demo' for that, or give rpc and contract", i)
		}
		if ch.RPC == "" || !common.IsHexAddress(ch.Contract) {
			return fmt.Errorf("chain %d: needs rpc (ws://, http:// or an IPC path) and contract (0x address; 'teeswap deploy' prints it)", i)
		}
		if ch.ID != 0 {
			if seen[ch.ID] {
				return fmt.Errorf("chain id %d given twice", ch.ID)
			}
			seen[ch.ID] = true
		}
	}
	return nil
}

func isLoopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

// parsePeer reads "host:port" or "0xADDRESS@host:port".
func parsePeer(s string) (addr common.Address, hostPort string, err error) {
	hostPort = s
	if a, hp, ok := strings.Cut(s, "@"); ok {
		if !common.IsHexAddress(a) {
			return addr, "", fmt.Errorf("peer %q: %q is not an address", s, a)
		}
		addr, hostPort = common.HexToAddress(a), hp
	}
	if _, _, err := actors.SplitHostPort(hostPort); err != nil {
		return addr, "", fmt.Errorf("peer: %w", err)
	}
	return addr, hostPort, nil
}
