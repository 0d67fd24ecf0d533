package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/sim"
)

var quiet = slog.New(slog.DiscardHandler)

func TestSealedKeySurvivesRestartAndRefusesAnotherEnclave(t *testing.T) {
	dir := t.TempDir()
	sealKey, err := sim.SealKeyFile(filepath.Join(dir, fileSimSealKey))
	if err != nil {
		t.Fatal(err)
	}
	b, err := sim.New(sim.Options{SealKey: sealKey, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, fileSealedKey)
	k1, restored, err := loadOrCreateKey(b, path)
	if err != nil || restored {
		t.Fatalf("first start: restored=%v err=%v", restored, err)
	}
	// A new process: a new backend from the same sealing key file.
	b2, _ := sim.New(sim.Options{SealKey: sealKey, Logger: quiet})
	k2, restored, err := loadOrCreateKey(b2, path)
	if err != nil || !restored || k2.Address() != k1.Address() {
		t.Fatalf("restart: %v restored=%v err=%v, want %v", k2, restored, err, k1.Address())
	}
	// Another enclave (sealing key) cannot open it, and says so.
	other, _ := sim.New(sim.Options{Logger: quiet})
	if _, _, err := loadOrCreateKey(other, path); err == nil || !strings.Contains(err.Error(), "cannot be opened") {
		t.Fatalf("foreign enclave: %v", err)
	}
}

func TestSelfPeerResolvesOnlyItself(t *testing.T) {
	me := common.HexToAddress("0x01")
	p := selfPeer{addr: me}
	if p.Peer(common.HexToAddress("0x02")) != nil {
		t.Fatal("resolved a stranger")
	}
}

// run executes the root command in process and returns its exit code as
// main would set it.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	resetFlags(rootCmd)
	prepareCommands(rootCmd)
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	err := rootCmd.Execute()
	if err == nil {
		return 0, out.String()
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, err.Error()
	}
	return 1, err.Error()
}

// resetFlags puts every flag back to its default: cobra keeps values
// between in-process runs.
func resetFlags(c *cobra.Command) {
	reset := func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			_ = sv.Replace(nil)
		} else {
			_ = f.Value.Set(f.DefValue)
		}
		f.Changed = false
	}
	c.Flags().VisitAll(reset)
	c.PersistentFlags().VisitAll(reset)
	for _, sub := range c.Commands() {
		resetFlags(sub)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	a := common.HexToAddress("0x01").Hex()
	for _, args := range [][]string{
		{"swap", "--coordinator", "127.0.0.1:1"},
		{"swap", "--coordinator", "127.0.0.1:1", "--leg", "chain=1"},
		{"swap", "--leg", "chain=1,from=" + a + ",to=" + a + ",amount=1"},
		{"pay", "--coordinator", "127.0.0.1:1", "--chain", "1"},
		{"channel", "open", "--terminal", "127.0.0.1:1", "--chain", "1", "--counterparty", "nope", "--amount", "1"},
		{"channel", "open", "--terminal", "127.0.0.1:1", "--chain", "1", "--counterparty", a, "--amount", "0"},
		{"channel", "close", "--terminal", "127.0.0.1:1", "--channel", "0xzz"},
		{"channel", "list"},
		{"route", "--node", "127.0.0.1:1", "--chain", "1"},
		{"deploy"},
		{"deploy", "--rpc", "ws://127.0.0.1:1"},
		{"deploy", "--rpc", "ws://127.0.0.1:1", "--dev-unlocked", "--data-dir", "x"},
		{"node", "--role", "boss"},
	} {
		if code, msg := run(t, args...); code != 2 {
			t.Errorf("teeswap %s: exit %d (%s), want 2", strings.Join(args, " "), code, msg)
		}
	}
}

type codeAt map[common.Address][]byte

func (c codeAt) CodeAt(_ context.Context, a common.Address, _ *big.Int) ([]byte, error) {
	return c[a], nil
}

// Incident: a contract address with no code was accepted at start-up and
// the first channel open sent the deposit there.
func TestNodeRefusesContractAddressWithoutCode(t *testing.T) {
	contract, empty := common.HexToAddress("0xc0de"), common.HexToAddress("0xe0")
	chain := codeAt{contract: {0x60, 0x80}}
	if err := checkContractCode(context.Background(), chain, 7, contract); err != nil {
		t.Fatalf("deployed contract: %v", err)
	}
	if err := checkContractCode(context.Background(), chain, 7, empty); !errors.Is(err, errNoContractCode) {
		t.Fatalf("address without code: %v, want errNoContractCode", err)
	}
}

// Incident: state.db deleted or emptied, the node started afresh at
// version 0. A node whose sealed key exists refuses to.
func TestNodeWithSealedKeyRefusesMissingOrEmptyStore(t *testing.T) {
	dir := t.TempDir()
	b, err := sim.New(sim.Options{SealKey: make([]byte, sim.SealKeySize), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cfg: nodeConfig{DataDir: dir}, log: quiet, info: nodeInfo{Restored: true}}
	if _, err := n.openStore(b); !errors.Is(err, actors.ErrStoreMissing) {
		t.Fatalf("missing store: %v, want ErrStoreMissing", err)
	}
	if err := os.WriteFile(filepath.Join(dir, fileState), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := n.openStore(b); !errors.Is(err, actors.ErrStoreMissing) {
		t.Fatalf("empty store: %v, want ErrStoreMissing", err)
	}
	// A new node (no sealed key before) creates its store.
	fresh := &node{cfg: nodeConfig{DataDir: t.TempDir()}, log: quiet}
	st, err := fresh.openStore(b)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}
