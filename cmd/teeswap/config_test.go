package main

import (
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/pflag"
)

const testContract = "0x00000000000000000000000000000000000000aa"

func parseNodeFlags(t *testing.T, env map[string]string, args ...string) (nodeConfig, error) {
	t.Helper()
	var f nodeFlags
	fs := pflag.NewFlagSet("node", pflag.ContinueOnError)
	f.register(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return loadNodeConfig(&f, fs, func(k string) string { return env[k] })
}

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "node.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConfigFlagsOverEnvOverFileOverDefaults(t *testing.T) {
	file := writeConfig(t, `{
		"role": "terminal", "name": "from-file", "listen": "127.0.0.1:7001", "data_dir": "/file",
		"allow_simulation": true, "coordinator": "127.0.0.1:7000",
		"chains": [{"rpc": "ws://file:8546", "contract": "`+testContract+`", "start_block": 5, "finality_depth": 2}],
		"peers": ["127.0.0.1:7002"], "poll_interval": "250ms"
	}`)
	env := map[string]string{"TEESWAP_CONFIG": file, "TEESWAP_NAME": "from-env", "TEESWAP_DATA_DIR": "/env",
		"TEESWAP_PEERS": "127.0.0.1:7003, 127.0.0.1:7004", "TEESWAP_RETRY_INTERVAL": "300ms"}
	cfg, err := parseNodeFlags(t, env, "--name", "from-flag", "--peer", "0x00000000000000000000000000000000000000bb@127.0.0.1:7005")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "from-flag" || cfg.DataDir != "/env" || cfg.Listen != "127.0.0.1:7001" || cfg.Role != roleTerminal {
		t.Fatalf("layering: %+v", cfg)
	}
	if len(cfg.Peers) != 1 || !strings.HasPrefix(cfg.Peers[0], "0x") {
		t.Fatalf("flag peers should replace env and file peers: %v", cfg.Peers)
	}
	if time.Duration(cfg.PollInterval) != 250*time.Millisecond || time.Duration(cfg.RetryInterval) != 300*time.Millisecond {
		t.Fatalf("intervals %v %v", cfg.PollInterval, cfg.RetryInterval)
	}
	if len(cfg.Chains) != 1 || cfg.Chains[0].StartBlock != 5 || cfg.Chains[0].FinalityDepth != 2 || !cfg.AllowSimulation {
		t.Fatalf("file values lost: %+v", cfg)
	}
	if cfg.Enclave != "auto" {
		t.Fatalf("default enclave %q", cfg.Enclave)
	}

	// Env chains replace the file's; a flag chain replaces both.
	env["TEESWAP_CHAINS"] = "rpc=ws://a:1,contract=" + testContract + ",id=7;rpc=ws://b:1,contract=" + testContract + ",id=8,depth=3"
	cfg, err = parseNodeFlags(t, env)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Chains) != 2 || cfg.Chains[1].ID != 8 || cfg.Chains[1].FinalityDepth != 3 || cfg.Chains[0].RPC != "ws://a:1" {
		t.Fatalf("env chains: %+v", cfg.Chains)
	}
	cfg, err = parseNodeFlags(t, env, "--chain", "rpc=ws://c:1,contract="+testContract)
	if err != nil || len(cfg.Chains) != 1 || cfg.Chains[0].RPC != "ws://c:1" {
		t.Fatalf("flag chains: %+v %v", cfg.Chains, err)
	}
	// --allow-simulation=false given explicitly beats the file's true.
	cfg, err = parseNodeFlags(t, env, "--allow-simulation=false")
	if err != nil || cfg.AllowSimulation {
		t.Fatalf("explicit false flag: %v %v", cfg.AllowSimulation, err)
	}
}

func TestConfigErrorsSpeakToPeople(t *testing.T) {
	chain := "rpc=ws://x:1,contract=" + testContract
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no role", nil, nil, "no role"},
		{"bad role", nil, []string{"--role", "boss"}, "unknown role"},
		{"no data dir", nil, []string{"--role", "coordinator", "--chain", chain}, "no data directory"},
		{"no chains", nil, []string{"--role", "coordinator", "--data-dir", "d"}, "no chains"},
		{"bad chain key", nil, []string{"--role", "coordinator", "--data-dir", "d", "--chain", "rpc=x,colour=red"}, "unknown key"},
		{"no contract", nil, []string{"--role", "coordinator", "--data-dir", "d", "--chain", "rpc=ws://x:1"}, "contract"},
		{"embedded", nil, []string{"--role", "coordinator", "--data-dir", "d", "--chain", "embedded,id=3"}, "embedded"},
		{"terminal without coordinator", nil, []string{"--role", "terminal", "--data-dir", "d", "--chain", chain}, "coordinator"},
		{"bad listen", nil, []string{"--role", "watcher", "--data-dir", "d", "--chain", chain, "--listen", "nowhere"}, "listen"},
		{"bad enclave", nil, []string{"--role", "watcher", "--data-dir", "d", "--chain", chain, "--enclave", "tpm"}, "enclave"},
		{"bad env bool", map[string]string{"TEESWAP_ALLOW_SIMULATION": "maybe"}, []string{"--role", "watcher"}, "TEESWAP_ALLOW_SIMULATION"},
		{"bad peer", nil, []string{"--role", "terminal", "--data-dir", "d", "--chain", chain, "--coordinator", "h:1", "--peer", "0xzz@h:1"}, "peer"},
		{"missing file", map[string]string{"TEESWAP_CONFIG": "/nonexistent/teeswap.json"}, nil, "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseNodeFlags(t, tc.env, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestConfigFileRejectsUnknownKeys(t *testing.T) {
	file := writeConfig(t, `{"role": "coordinator", "datadir": "/x"}`)
	_, err := parseNodeFlags(t, nil, "--config", file)
	if err == nil || !strings.Contains(err.Error(), "datadir") {
		t.Fatalf("misspelt key accepted: %v", err)
	}
}

func TestParseLeg(t *testing.T) {
	a, b := common.HexToAddress("0x01"), common.HexToAddress("0x02")
	leg, err := parseLeg("chain=31001,from=" + a.Hex() + ",to=" + b.Hex() + ",amount=0x64")
	if err != nil {
		t.Fatal(err)
	}
	if leg.ChainId != 31001 || common.BytesToAddress(leg.Sender) != a || common.BytesToAddress(leg.Receiver) != b ||
		new(big.Int).SetBytes(leg.Amount).Int64() != 100 || len(leg.Asset) != 20 {
		t.Fatalf("leg %v", leg)
	}
	for _, bad := range []string{
		"chain=1,from=" + a.Hex() + ",to=" + b.Hex(),                     // no amount
		"chain=1,from=0x12,to=" + b.Hex() + ",amount=1",                  // short address
		"chain=1,from=" + a.Hex() + ",to=" + b.Hex() + ",amount=-5",      // negative
		"chain=1,from=" + a.Hex() + ",to=" + b.Hex() + ",amount=0",       // zero
		"chain=x,from=" + a.Hex() + ",to=" + b.Hex() + ",amount=1",       // bad chain
		"chain=1,from=" + a.Hex() + ",to=" + b.Hex() + ",amount=1,fee=2", // unknown key
	} {
		if _, err := parseLeg(bad); err == nil {
			t.Errorf("leg %q accepted", bad)
		}
	}
}

// A cluster member reads its chains and enclave like a node: the same
// file, variables and flags; it needs no role or data directory, and may
// follow no chain.
func TestMemberConfigSharesNodeChainsAndEnclave(t *testing.T) {
	parse := func(env map[string]string, args ...string) (nodeConfig, error) {
		t.Helper()
		var f nodeFlags
		fs := pflag.NewFlagSet("member", pflag.ContinueOnError)
		f.registerChains(fs)
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		return loadMemberConfig(&f, fs, func(k string) string { return env[k] })
	}
	file := writeConfig(t, `{"role": "coordinator", "data_dir": "/ignored", "enclave": "simulation",
		"chains": [{"rpc": "ws://file:8546", "contract": "`+testContract+`", "start_block": 7}]}`)
	cfg, err := parse(map[string]string{"TEESWAP_ALLOW_SIMULATION": "1"}, "--config", file, "--poll-interval", "200ms")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Chains) != 1 || cfg.Chains[0].StartBlock != 7 || cfg.Enclave != "simulation" || !cfg.AllowSimulation ||
		time.Duration(cfg.PollInterval) != 200*time.Millisecond {
		t.Fatalf("member config %+v", cfg)
	}
	cfg, err = parse(nil, "--chain", "rpc=ws://a:8546,contract="+testContract+",id=5")
	if err != nil || len(cfg.Chains) != 1 || cfg.Chains[0].ID != 5 || cfg.Enclave != "auto" || cfg.AllowSimulation {
		t.Fatalf("flag chain, node defaults: %+v (%v)", cfg, err)
	}
	if cfg, err = parse(nil); err != nil || len(cfg.Chains) != 0 {
		t.Fatalf("no chains: %+v (%v)", cfg, err)
	}
	if _, err := parse(nil, "--chain", "rpc=ws://a:8546"); err == nil || !strings.Contains(err.Error(), "contract") {
		t.Fatalf("a chain without contract: %v", err)
	}
	if _, err := parse(nil, "--enclave", "tdx"); err == nil {
		t.Fatal("an unknown enclave backend passed")
	}
}
