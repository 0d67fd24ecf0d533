package evm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
)

// Config tunes a Client. Zero values select the defaults.
type Config struct {
	// Confirmations is the default depth Transact and WaitReceipt wait for:
	// 1 returns as soon as the transaction is in the head block, n waits for
	// n-1 more blocks. Default 1.
	Confirmations uint64
	// PollInterval is how often receipts and heads are polled while waiting.
	// Default 50ms for Dial, 2ms for simulated chains.
	PollInterval time.Duration
	// ReceiptTimeout bounds each wait for a receipt (on top of the caller's
	// context). Default 2 minutes; negative means no bound.
	ReceiptTimeout time.Duration
	// GasMarginPercent is added to the gas estimate of contract creations and
	// calls (not plain transfers). Default 20.
	GasMarginPercent uint64
	// Logger receives debug logs (nonce resyncs, transient poll errors).
	// Default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults(poll time.Duration) Config {
	if c.Confirmations == 0 {
		c.Confirmations = 1
	}
	if c.PollInterval <= 0 {
		c.PollInterval = poll
	}
	if c.ReceiptTimeout == 0 {
		c.ReceiptTimeout = 2 * time.Minute
	}
	if c.GasMarginPercent == 0 {
		c.GasMarginPercent = 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// rpcClient is the part of ethclient.Client / simulated.Client used here.
type rpcClient interface {
	chain.Backend
	ethereum.BlockNumberReader
	BalanceAt(ctx context.Context, account common.Address, blockNumber *big.Int) (*big.Int, error)
	SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error)
}

// Client implements chain.Chain over a go-ethereum client.
type Client struct {
	cfg       Config
	rpc       rpcClient
	backend   chain.Backend
	chainID   uint64
	chainBig  *big.Int
	signer    types.Signer
	afterSend func() // simulated auto-mining; nil for real nodes
	closeFn   func() error
	closed    atomic.Bool

	mu       sync.Mutex
	accounts map[common.Address]*account
}

var _ chain.Chain = (*Client)(nil)

// account serialises sends from one address and tracks its next nonce.
type account struct {
	mu    sync.Mutex
	known bool
	next  uint64
}

func newClient(rpc rpcClient, backend chain.Backend, chainID uint64, cfg Config, afterSend func(), closeFn func() error) *Client {
	id := new(big.Int).SetUint64(chainID)
	return &Client{
		cfg:       cfg,
		rpc:       rpc,
		backend:   backend,
		chainID:   chainID,
		chainBig:  id,
		signer:    types.LatestSignerForChainID(id),
		afterSend: afterSend,
		closeFn:   closeFn,
		accounts:  map[common.Address]*account{},
	}
}

// ChainID implements chain.Chain.
func (c *Client) ChainID() uint64 { return c.chainID }

// Backend implements chain.Chain.
func (c *Client) Backend() chain.Backend { return c.backend }

// Config returns the effective configuration.
func (c *Client) Config() Config { return c.cfg }

// Close implements chain.Chain.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	if c.closeFn != nil {
		return c.closeFn()
	}
	return nil
}

func (c *Client) account(a common.Address) *account {
	c.mu.Lock()
	defer c.mu.Unlock()
	acc := c.accounts[a]
	if acc == nil {
		acc = &account{}
		c.accounts[a] = acc
	}
	return acc
}

// resync makes the next send from a re-read its nonce from the node.
func (c *Client) resync(a common.Address) {
	acc := c.account(a)
	acc.mu.Lock()
	acc.known = false
	acc.mu.Unlock()
}

// Transact implements chain.Chain.
func (c *Client) Transact(ctx context.Context, s chain.TxSigner, to *common.Address, data []byte, value *big.Int) (*types.Receipt, error) {
	tx, err := c.Send(ctx, s, to, data, value)
	if err != nil {
		return nil, err
	}
	rcpt, err := c.WaitReceipt(ctx, tx.Hash(), 0)
	if errors.Is(err, chain.ErrTimeout) {
		// The transaction may have been dropped; do not build on its nonce.
		c.resync(s.Address())
	}
	return rcpt, err
}

// Send implements chain.Chain.
func (c *Client) Send(ctx context.Context, s chain.TxSigner, to *common.Address, data []byte, value *big.Int) (*types.Transaction, error) {
	if c.closed.Load() {
		return nil, chain.ErrClosed
	}
	if value == nil {
		value = new(big.Int)
	}
	from := s.Address()
	gas, err := c.rpc.EstimateGas(ctx, ethereum.CallMsg{From: from, To: to, Value: value, Data: data})
	if err != nil {
		return nil, classify(err)
	}
	if to == nil || len(data) > 0 {
		gas += gas * c.cfg.GasMarginPercent / 100
	}
	tip, err := c.rpc.SuggestGasTipCap(ctx)
	if err != nil {
		return nil, fmt.Errorf("chain %d: gas tip: %w", c.chainID, err)
	}
	head, err := c.rpc.HeaderByNumber(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("chain %d: head: %w", c.chainID, err)
	}
	feeCap := new(big.Int).Set(tip)
	if head.BaseFee != nil {
		feeCap.Add(feeCap, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	}

	signed, err := c.sendLocked(ctx, s, &types.DynamicFeeTx{
		ChainID: c.chainBig, GasTipCap: tip, GasFeeCap: feeCap, Gas: gas,
		To: to, Value: value, Data: data,
	})
	if err != nil {
		return nil, err
	}
	if c.afterSend != nil {
		c.afterSend()
	}
	return signed, nil
}

// maxNonceRetries bounds resync-and-retry on nonce errors.
const maxNonceRetries = 3

// sendLocked assigns the nonce, signs and sends under the sender's lock, so
// concurrent senders from one address get consecutive nonces.
func (c *Client) sendLocked(ctx context.Context, s chain.TxSigner, inner *types.DynamicFeeTx) (*types.Transaction, error) {
	from := s.Address()
	acc := c.account(from)
	acc.mu.Lock()
	defer acc.mu.Unlock()
	var lastErr error
	for range maxNonceRetries {
		if !acc.known {
			n, err := c.rpc.PendingNonceAt(ctx, from)
			if err != nil {
				return nil, fmt.Errorf("chain %d: nonce of %s: %w", c.chainID, from, err)
			}
			acc.next, acc.known = n, true
		}
		inner.Nonce = acc.next
		signed, err := s.SignTx(types.NewTx(inner), c.chainBig)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", chain.ErrSigner, err)
		}
		if sender, err := types.Sender(c.signer, signed); err != nil || sender != from {
			return nil, fmt.Errorf("%w: signed by %s (%v), want %s", chain.ErrSigner, sender, err, from)
		}
		err = c.sendWithLagRetry(ctx, signed, from)
		if err == nil {
			acc.next++
			return signed, nil
		}
		acc.known = false
		if !isNonceError(err) {
			return nil, classify(err)
		}
		c.cfg.Logger.Debug("nonce rejected, resyncing", "chain", c.chainID, "from", from, "nonce", inner.Nonce, "err", err)
		lastErr = err
	}
	return nil, fmt.Errorf("%w: %w", chain.ErrNonce, lastErr)
}

// poolLagRetries bounds retries of a send the pool rejects for funds the
// latest block shows: a node's pool adopts a new head asynchronously, so
// right after a funding transaction is mined it may still see the old
// balance.
const poolLagRetries = 20

func (c *Client) sendWithLagRetry(ctx context.Context, tx *types.Transaction, from common.Address) error {
	for i := 0; ; i++ {
		err := c.rpc.SendTransaction(ctx, tx)
		if err == nil || i == poolLagRetries || !errors.Is(classify(err), chain.ErrInsufficientFunds) {
			return err
		}
		bal, berr := c.rpc.BalanceAt(ctx, from, nil)
		if berr != nil || bal.Cmp(tx.Cost()) < 0 {
			return err // really short of funds
		}
		c.cfg.Logger.Debug("pool behind head, retrying send", "chain", c.chainID, "from", from, "attempt", i+1)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(c.cfg.PollInterval + 5*time.Millisecond):
		}
	}
}

// WaitReceipt implements chain.Chain.
func (c *Client) WaitReceipt(ctx context.Context, txHash common.Hash, confirmations uint64) (*types.Receipt, error) {
	if confirmations == 0 {
		confirmations = c.cfg.Confirmations
	}
	if c.cfg.ReceiptTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.ReceiptTimeout)
		defer cancel()
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: tx %s on chain %d: %w", chain.ErrTimeout, txHash.Hex(), c.chainID, ctx.Err())
		case <-timer.C:
		}
		if c.closed.Load() {
			return nil, chain.ErrClosed
		}
		rcpt, ok, err := c.confirmed(ctx, txHash, confirmations)
		switch {
		case err != nil:
			c.cfg.Logger.Debug("receipt poll failed", "chain", c.chainID, "tx", txHash, "err", err)
		case ok && rcpt.Status == types.ReceiptStatusFailed:
			return rcpt, c.minedRevert(ctx, rcpt)
		case ok:
			return rcpt, nil
		}
		timer.Reset(c.cfg.PollInterval)
	}
}

// confirmed returns the receipt once it is deep enough.
func (c *Client) confirmed(ctx context.Context, txHash common.Hash, confirmations uint64) (*types.Receipt, bool, error) {
	rcpt, err := c.rpc.TransactionReceipt(ctx, txHash)
	if errors.Is(err, ethereum.NotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	head, err := c.rpc.BlockNumber(ctx)
	if err != nil {
		return nil, false, err
	}
	if mined := rcpt.BlockNumber.Uint64(); head < mined || head-mined+1 < confirmations {
		return nil, false, nil
	}
	// The receipt is looked up through the canonical index, but a reorg may
	// have happened between the two reads: check the block is still canonical.
	hdr, err := c.rpc.HeaderByNumber(ctx, rcpt.BlockNumber)
	if err != nil {
		return nil, false, err
	}
	if hdr.Hash() != rcpt.BlockHash {
		return nil, false, nil
	}
	return rcpt, true, nil
}

// minedRevert recovers the reason of a mined revert by replaying the
// transaction as a call, first on the parent state, then on the block's.
func (c *Client) minedRevert(ctx context.Context, rcpt *types.Receipt) error {
	base := &chain.RevertError{TxHash: rcpt.TxHash, Receipt: rcpt}
	tx, _, err := c.rpc.TransactionByHash(ctx, rcpt.TxHash)
	if err != nil {
		return base
	}
	from, err := types.Sender(c.signer, tx)
	if err != nil {
		return base
	}
	msg := ethereum.CallMsg{From: from, To: tx.To(), Gas: tx.Gas(), Value: tx.Value(), Data: tx.Data()}
	for _, at := range []*big.Int{new(big.Int).Sub(rcpt.BlockNumber, big.NewInt(1)), rcpt.BlockNumber} {
		_, err := c.rpc.CallContract(ctx, msg, at)
		var re *chain.RevertError
		if errors.As(classify(err), &re) {
			re.TxHash, re.Receipt = rcpt.TxHash, rcpt
			return re
		}
	}
	return base
}

// Call implements chain.Chain.
func (c *Client) Call(ctx context.Context, msg ethereum.CallMsg, block *big.Int) ([]byte, error) {
	out, err := c.rpc.CallContract(ctx, msg, block)
	return out, classify(err)
}

// BalanceAt implements chain.Chain.
func (c *Client) BalanceAt(ctx context.Context, addr common.Address, block *big.Int) (*big.Int, error) {
	return c.rpc.BalanceAt(ctx, addr, block)
}

// HeaderByNumber implements chain.Chain.
func (c *Client) HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error) {
	return c.rpc.HeaderByNumber(ctx, number)
}

// FilterLogs implements chain.Chain.
func (c *Client) FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error) {
	return c.rpc.FilterLogs(ctx, q)
}

// SubscribeNewHead implements chain.Chain.
func (c *Client) SubscribeNewHead(ctx context.Context, ch chan<- *types.Header) (ethereum.Subscription, error) {
	return c.rpc.SubscribeNewHead(ctx, ch)
}
