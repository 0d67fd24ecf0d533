package chaintest

import (
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi"
	"github.com/ethereum/go-ethereum/common"
)

// Probe is the suite's tiny contract, compiled with solc 0.8.28 (optimizer
// on, 200 runs, evmVersion cancun) from:
//
//	// SPDX-License-Identifier: UNLICENSED
//	pragma solidity 0.8.28;
//
//	contract Probe {
//	    uint256 public value;
//	    event Set(address indexed by, uint256 value);
//
//	    constructor(uint256 v) { value = v; }
//
//	    function set(uint256 v) external payable {
//	        require(v != 0, "probe: zero");
//	        value = v;
//	        emit Set(msg.sender, v);
//	    }
//	}
const (
	probeABIJSON = `[{"inputs":[{"internalType":"uint256","name":"v","type":"uint256"}],"stateMutability":"nonpayable","type":"constructor"},{"anonymous":false,"inputs":[{"indexed":true,"internalType":"address","name":"by","type":"address"},{"indexed":false,"internalType":"uint256","name":"value","type":"uint256"}],"name":"Set","type":"event"},{"inputs":[{"internalType":"uint256","name":"v","type":"uint256"}],"name":"set","outputs":[],"stateMutability":"payable","type":"function"},{"inputs":[],"name":"value","outputs":[{"internalType":"uint256","name":"","type":"uint256"}],"stateMutability":"view","type":"function"}]`
	probeBinHex  = "6080604052348015600e575f5ffd5b5060405161017a38038061017a833981016040819052602b916031565b5f556047565b5f602082840312156040575f5ffd5b5051919050565b610126806100545f395ff3fe6080604052600436106025575f3560e01c80633fa4f24514602957806360fe47b114604d575b5f5ffd5b3480156033575f5ffd5b50603b5f5481565b60405190815260200160405180910390f35b605c605836600460da565b605e565b005b805f03609e5760405162461bcd60e51b815260206004820152600b60248201526a70726f62653a207a65726f60a81b604482015260640160405180910390fd5b5f81905560405181815233907ffd28ec3ec2555238d8ad6f9faf3e4cd10e574ce7e7ef28b73caa53f9512f65b99060200160405180910390a250565b5f6020828403121560e9575f5ffd5b503591905056fea26469706673582212205deef817e4f9a9fb0a58ac9df1eb3f39b8ac7758afb7177a96c534f1447cb86864736f6c634300081c0033"
	// ProbeZeroReason is the revert reason of set(0).
	ProbeZeroReason = "probe: zero"
)

var (
	// ProbeABI is Probe's ABI.
	ProbeABI = mustABI(probeABIJSON)
	// ProbeBytecode is Probe's creation code (append the packed constructor).
	ProbeBytecode = common.FromHex(probeBinHex)
)

func mustABI(s string) abi.ABI {
	a, err := abi.JSON(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return a
}
