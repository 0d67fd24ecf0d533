package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestStatusText(t *testing.T) {
	six := 6
	var b bytes.Buffer
	printStatus(&b, statusJSON{Node: "127.0.0.1:7001", Role: roleTerminal, ChainAddress: "0xAb", Enclave: "simulation",
		CoordinatorNode: "127.0.0.1:7000", Registered: true, Coordinators: []string{"0xC0"},
		Chains: []chainStatusJSON{{ChainID: 1337, Head: 12, Balance: "1500000000000000000", Tokens: []tokenBalanceJSON{
			{Token: "0xT1", Balance: "12500000", Decimals: &six, Symbol: "USDC"},
			{Token: "0xT2", Balance: "7"},
			{Token: "0xT3", Error: "no ERC-20 decimals() at this address"}}}},
		ChannelsByPhase: map[string]uint32{"IDLE": 2, "CLOSED": 1}, InstancesInFlight: 1})
	for _, want := range []string{"terminal node at 127.0.0.1:7001", "0xAb (simulation enclave)", "registered, trusts 0xC0",
		"chain 1337", "head 12, balance 1.5eth, 12.5USDC, 7 of token 0xT2, token 0xT3: no ERC-20", "1 CLOSED, 2 IDLE", "1 instances"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
	if code, msg := run(t, "status"); code != exitUsage || !strings.Contains(msg, "--node") {
		t.Fatalf("status without --node: exit %d: %s", code, msg)
	}
}
