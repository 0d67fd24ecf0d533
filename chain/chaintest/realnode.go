package chaintest

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rpc"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/chain/evm"
)

// Environment variables of the real-node tests.
const (
	// EnvRPC is the node's URL, e.g. ws://127.0.0.1:18546. Unset: real-node
	// tests skip.
	EnvRPC = "TEESWAP_ETH_RPC"
	// EnvKey optionally holds a funded hex private key. Unset: the node must
	// have an unlocked account (geth --dev, hardhat node), which funds a fresh
	// key through eth_sendTransaction.
	EnvKey = "TEESWAP_ETH_KEY"
)

// SkipMessage says how to enable the real-node tests.
const SkipMessage = EnvRPC + " is not set: real-node chain tests skipped. Enable with: " +
	"eval \"$(chain/chaintest/geth-dev.sh start)\" (sets " + EnvRPC + "), run the tests, then chain/chaintest/geth-dev.sh stop"

// RealNode dials the node named by TEESWAP_ETH_RPC (skipping the test if it
// is unset) and returns it with a funded signer: TEESWAP_ETH_KEY if set,
// otherwise a fresh key funded with `fund` wei by the node's first unlocked
// account. The connection is closed when the test ends.
func RealNode(t testing.TB, cfg evm.Config, fund int64) (*evm.Client, chain.TxSigner) {
	t.Helper()
	url := os.Getenv(EnvRPC)
	if url == "" {
		t.Skip(SkipMessage)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := evm.Dial(ctx, url, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if hexKey := os.Getenv(EnvKey); hexKey != "" {
		key, err := crypto.HexToECDSA(hexKey)
		if err != nil {
			t.Fatalf("%s: %v", EnvKey, err)
		}
		return c, NewKeySigner(key)
	}
	s := NewRandomSigner()
	if err := fundFromNode(ctx, c, url, s.Address(), Ether(fund)); err != nil {
		t.Fatalf("fund test key from the node's unlocked account (or set %s): %v", EnvKey, err)
	}
	return c, s
}

func fundFromNode(ctx context.Context, c chain.Chain, url string, to common.Address, wei *big.Int) error {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return err
	}
	defer rc.Close()
	var accounts []common.Address
	if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
		return err
	}
	if len(accounts) == 0 {
		return fmt.Errorf("node has no unlocked account")
	}
	var hash common.Hash
	if err := rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{
		"from": accounts[0], "to": to, "value": (*hexutil.Big)(wei),
	}); err != nil {
		return err
	}
	_, err = c.WaitReceipt(ctx, hash, 1)
	return err
}
