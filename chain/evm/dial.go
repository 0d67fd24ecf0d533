package evm

import (
	"context"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/ethclient"
)

// Dial connects to a node at url (http://, https://, ws://, wss:// or an IPC
// path) and reads its chain id. Log and head subscriptions need ws:// or IPC.
func Dial(ctx context.Context, url string, cfg Config) (*Client, error) {
	ec, err := ethclient.DialContext(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("chain: dial %s: %w", url, err)
	}
	id, err := ec.ChainID(ctx)
	if err != nil {
		ec.Close()
		return nil, fmt.Errorf("chain: chain id from %s: %w", url, err)
	}
	if !id.IsUint64() {
		ec.Close()
		return nil, fmt.Errorf("chain: chain id %s from %s does not fit 64 bits", id, url)
	}
	cfg = cfg.withDefaults(50 * time.Millisecond)
	return newClient(ec, ec, id.Uint64(), cfg, nil, func() error { ec.Close(); return nil }), nil
}
