package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/big"
	"strings"
	"testing"
)

// TestDemoJSONConservesOnChainBalances runs `teeswap demo --json` in
// process, as the command line would, and checks its one JSON object.
func TestDemoJSONConservesOnChainBalances(t *testing.T) {
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetArgs([]string{"demo", "--json", "--log-level", "error"})
	t.Cleanup(func() {
		rootCmd.SetOut(nil)
		rootCmd.SetArgs(nil)
		flagJSON, flagLogLevel = false, "warn"
	})
	if err := rootCmd.Execute(); err != nil {
		t.Fatalf("teeswap demo --json: %v\n%s", err, out.String())
	}
	var rep struct {
		SwapsConfirmed    int    `json:"swaps_confirmed"`
		SwapsRefunded     int    `json:"swaps_refunded"`
		PaymentsConfirmed int    `json:"payments_confirmed"`
		ChannelsOpened    int    `json:"channels_opened"`
		ChannelsClosed    int    `json:"channels_closed"`
		OnchainConserved  *bool  `json:"onchain_conserved"`
		ContractsEmpty    bool   `json:"contracts_empty"`
		ElapsedMs         *int64 `json:"elapsed_ms"`
		EnclaveSimulated  bool   `json:"enclave_simulated"`
		Error             string `json:"error"`
		Instances         []struct {
			Name         string   `json:"name"`
			Outcome      string   `json:"outcome"`
			RefundReason string   `json:"refund_reason"`
			Orders       []string `json:"orders"`
		} `json:"instances"`
		Chains []struct {
			ChainID  uint64 `json:"chain_id"`
			Accounts []struct {
				Name      string `json:"name"`
				StartWei  string `json:"start_wei"`
				EndWei    string `json:"end_wei"`
				GasWei    string `json:"gas_wei"`
				Transfers string `json:"confirmed_transfers_wei"`
				Conserved bool   `json:"conserved"`
			} `json:"accounts"`
		} `json:"chains"`
	}
	raw := out.String()
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, raw)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("output holds more than one JSON object:\n%s", raw)
	}
	if rep.OnchainConserved == nil || !*rep.OnchainConserved || !rep.ContractsEmpty || rep.Error != "" {
		t.Fatalf("onchain_conserved %v, contracts_empty %v, error %q", rep.OnchainConserved, rep.ContractsEmpty, rep.Error)
	}
	if rep.SwapsConfirmed != 1 || rep.SwapsRefunded != 1 || rep.PaymentsConfirmed != 1 || rep.ChannelsOpened != 4 || rep.ChannelsClosed != 4 {
		t.Fatalf("counts: %d swaps confirmed, %d refunded, %d payments, %d opened, %d closed",
			rep.SwapsConfirmed, rep.SwapsRefunded, rep.PaymentsConfirmed, rep.ChannelsOpened, rep.ChannelsClosed)
	}
	if len(rep.Instances) != 3 || rep.Instances[2].Outcome != "refund_authorized" || rep.Instances[2].RefundReason != "deadline" {
		t.Fatalf("instances %+v", rep.Instances)
	}
	// The payers signed every instance's orders: s1 and s2 for the swaps,
	// s1 for the payment.
	for i, want := range []string{"s1,s2", "s1", "s1,s2"} {
		if got := strings.Join(rep.Instances[i].Orders, ","); got != want {
			t.Fatalf("instance %s: orders signed by %q, want %q", rep.Instances[i].Name, got, want)
		}
	}
	if rep.ElapsedMs == nil || *rep.ElapsedMs <= 0 || !rep.EnclaveSimulated {
		t.Fatalf("elapsed_ms %v, simulated %v", rep.ElapsedMs, rep.EnclaveSimulated)
	}
	// Recheck the arithmetic the demo claims, from its own numbers.
	if len(rep.Chains) != 2 || rep.Chains[0].ChainID == rep.Chains[1].ChainID {
		t.Fatalf("want two chains with distinct ids, got %+v", rep.Chains)
	}
	parse := func(s string) *big.Int {
		v, ok := new(big.Int).SetString(s, 10)
		if !ok {
			t.Fatalf("not a wei amount: %q", s)
		}
		return v
	}
	moved := new(big.Int)
	for _, c := range rep.Chains {
		if len(c.Accounts) != 4 {
			t.Fatalf("chain %d lists %d accounts, want the deployer and 3 terminals", c.ChainID, len(c.Accounts))
		}
		for _, a := range c.Accounts {
			want := new(big.Int).Sub(parse(a.StartWei), parse(a.GasWei))
			want.Add(want, parse(a.Transfers))
			if !a.Conserved || want.Cmp(parse(a.EndWei)) != 0 {
				t.Errorf("chain %d %s: end %s, want %s", c.ChainID, a.Name, a.EndWei, want)
			}
			if parse(a.GasWei).Sign() <= 0 {
				t.Errorf("chain %d %s paid no gas", c.ChainID, a.Name)
			}
			moved.Add(moved, parse(a.Transfers))
		}
	}
	if moved.Sign() != 0 {
		t.Errorf("confirmed transfers do not net to zero: %s", moved)
	}
}

func TestFmtEth(t *testing.T) {
	for _, c := range []struct {
		wei  string
		want string
	}{
		{"0", "0.000000000"},
		{"1500000000000000000", "1.500000000"},
		{"-2264658852000000", "-0.002264658"},
		{"100000000000000000000", "100.000000000"},
	} {
		v, _ := new(big.Int).SetString(c.wei, 10)
		if got := fmtEth(v); got != c.want {
			t.Errorf("fmtEth(%s) = %s, want %s", c.wei, got, c.want)
		}
	}
	if got := fmtAmount(eth(1, 4)); got != "0.25 ETH" {
		t.Errorf("fmtAmount(0.25 ETH) = %s", got)
	}
}
