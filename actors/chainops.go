package actors

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Deployment is one chain and the PaymentChannels contract on it.
type Deployment struct {
	Chain    chain.Chain
	Contract common.Address
}

// ContractOpsConfig configures ContractOps.
type ContractOpsConfig struct {
	// Chains are the chains the terminal may act on, with their contracts.
	Chains []Deployment
	// Timeout bounds each on-chain action (all its transactions and their
	// confirmations). Default 2 minutes.
	Timeout time.Duration
	// OnReceipt, when set, sees the receipt of every mined transaction sent
	// through these operations, reverted ones included (gas accounting). It
	// may be called from several goroutines at once.
	OnReceipt func(chainID uint64, r *types.Receipt)
}

// ContractOps carries out a terminal's on-chain actions (ChainOps,
// DisputeOps) against the PaymentChannels contract of each of its chains.
// It never signs: each action names a typed request that the terminal's
// enclave (a TxBuilder) turns into calldata and signs after checking it
// against its channel state; ContractOps supplies nonce, gas and fees and
// sends.
type ContractOps struct {
	cfg    ContractOpsConfig
	pc     *contracts.PaymentChannels
	chains map[uint64]Deployment
}

var (
	_ ChainOps   = (*ContractOps)(nil)
	_ DisputeOps = (*ContractOps)(nil)
)

// NewContractOps checks cfg and returns the terminal's chain operations.
func NewContractOps(cfg ContractOpsConfig) (*ContractOps, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	o := &ContractOps{cfg: cfg, pc: contracts.NewPaymentChannels(), chains: map[uint64]Deployment{}}
	for _, d := range cfg.Chains {
		if d.Chain == nil || d.Contract == (common.Address{}) {
			return nil, errors.New("actors: chain ops need a chain and a contract address for every deployment")
		}
		if _, dup := o.chains[d.Chain.ChainID()]; dup {
			return nil, fmt.Errorf("actors: chain %d given twice", d.Chain.ChainID())
		}
		o.chains[d.Chain.ChainID()] = d
	}
	return o, nil
}

// Deployments lists the contract of each chain: what the terminal enclave
// is configured to act on.
func (o *ContractOps) Deployments() map[uint64]common.Address {
	out := make(map[uint64]common.Address, len(o.chains))
	for id, d := range o.chains {
		out[id] = d.Contract
	}
	return out
}

func (o *ContractOps) deployment(chainID uint64) (Deployment, error) {
	d, ok := o.chains[chainID]
	if !ok {
		return Deployment{}, fmt.Errorf("this terminal has no access to chain %d", chainID)
	}
	return d, nil
}

// Open implements ChainOps: it opens a channel from the enclave's account
// (party A) to req.Counterparty with req.Amount of req.Token (empty or
// zero: the native coin; a token is approved first) and returns the
// channel id from the contract's ChannelOpened event.
func (o *ContractOps) Open(ctx context.Context, b TxBuilder, req *messages.ChannelOpen, coordinator common.Address) ([32]byte, error) {
	d, err := o.deployment(req.GetChainId())
	if err != nil {
		return [32]byte{}, err
	}
	counterparty, err := messages.Address(req.GetCounterparty())
	if err != nil || counterparty == (common.Address{}) {
		return [32]byte{}, fmt.Errorf("open channel: counterparty must be a 20-byte non-zero address")
	}
	var token common.Address
	if len(req.GetToken()) > 0 {
		if token, err = messages.Address(req.GetToken()); err != nil {
			return [32]byte{}, fmt.Errorf("open channel: token must be a 20-byte address: %w", err)
		}
	}
	amount, err := messages.Amount(req.GetAmount())
	if err != nil || amount.Sign() <= 0 {
		return [32]byte{}, fmt.Errorf("open channel: the deposit must be a positive amount")
	}
	if coordinator == (common.Address{}) {
		return [32]byte{}, fmt.Errorf("open channel: no coordinator")
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	if token != (common.Address{}) {
		if _, err := o.transact(ctx, b, d, terminal.ApproveTx{Token: token, Amount: amount}); err != nil {
			return [32]byte{}, fmt.Errorf("approve %s of token %s: %w", amount, token, err)
		}
	}
	r, err := o.transact(ctx, b, d, terminal.OpenTx{Counterparty: counterparty, Asset: token, Coordinator: coordinator, Deposit: amount})
	if err != nil {
		return [32]byte{}, fmt.Errorf("open channel on chain %d with %s: %w", d.Chain.ChainID(), counterparty, err)
	}
	for _, l := range r.Logs {
		if l.Address != d.Contract {
			continue
		}
		if ev, err := o.pc.UnpackChannelOpenedEvent(l); err == nil && ev.A == b.Address() && ev.B == counterparty {
			return ev.ChannelId, nil
		}
	}
	return [32]byte{}, fmt.Errorf("open channel on chain %d: tx %s emitted no ChannelOpened event", d.Chain.ChainID(), r.TxHash.Hex())
}

// TopUp adds amount to the enclave account's deposit in channel id on
// chainID and returns both parties' deposit totals from the
// ChannelToppedUp event. The watcher forwards that event to both
// terminals, whose enclaves then count the new deposit.
func (o *ContractOps) TopUp(ctx context.Context, b TxBuilder, chainID uint64, id [32]byte, amount *big.Int) (depositA, depositB *big.Int, err error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return nil, nil, err
	}
	if amount == nil || amount.Sign() <= 0 {
		return nil, nil, errors.New("top up: the amount must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	ch, err := o.Channel(ctx, chainID, id)
	if err != nil {
		return nil, nil, fmt.Errorf("top up: %w", err)
	}
	if ch.Token != (common.Address{}) {
		if _, err := o.transact(ctx, b, d, terminal.ApproveTx{Token: ch.Token, Amount: amount}); err != nil {
			return nil, nil, fmt.Errorf("top up channel %x on chain %d: approve: %w", id[:6], chainID, err)
		}
	}
	r, err := o.transact(ctx, b, d, terminal.TopUpTx{ChannelID: id, Amount: amount})
	if err != nil {
		return nil, nil, fmt.Errorf("top up channel %x on chain %d: %w", id[:6], chainID, err)
	}
	for _, l := range r.Logs {
		if l.Address != d.Contract {
			continue
		}
		if ev, err := o.pc.UnpackChannelToppedUpEvent(l); err == nil && ev.ChannelId == id {
			return ev.DepositA, ev.DepositB, nil
		}
	}
	return nil, nil, fmt.Errorf("top up: tx %s emitted no ChannelToppedUp event", r.TxHash.Hex())
}

// CooperativeClose implements ChainOps: it submits the final balances with
// both parties' signatures and returns the payouts from the contract's
// ChannelClosed event.
func (o *ContractOps) CooperativeClose(ctx context.Context, b TxBuilder, terms terminal.CloseTerms, sigA, sigB []byte) (payoutA, payoutB *big.Int, err error) {
	d, err := o.deployment(terms.ChainID)
	if err != nil {
		return nil, nil, err
	}
	if terms.Contract != (common.Address{}) && terms.Contract != d.Contract {
		return nil, nil, fmt.Errorf("close: channel %x is on contract %s, this terminal uses %s on chain %d",
			terms.ChannelID[:6], terms.Contract, d.Contract, terms.ChainID)
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	r, err := o.transact(ctx, b, d, terminal.CooperativeCloseTx{Terms: terms, SigA: sigA, SigB: sigB})
	if err != nil {
		return nil, nil, fmt.Errorf("close channel %x on chain %d: %w", terms.ChannelID[:6], terms.ChainID, err)
	}
	for _, l := range r.Logs {
		if l.Address != d.Contract {
			continue
		}
		if ev, err := o.pc.UnpackChannelClosedEvent(l); err == nil && ev.ChannelId == terms.ChannelID {
			return ev.PayoutA, ev.PayoutB, nil
		}
	}
	return nil, nil, fmt.Errorf("close: tx %s emitted no ChannelClosed event", r.TxHash.Hex())
}

// Do implements DisputeOps: it sends the transaction of one dispute
// request (close unilaterally, challenge, submit an outcome, finalize,
// withdraw) on chainID and waits for it.
func (o *ContractOps) Do(ctx context.Context, b TxBuilder, chainID uint64, req terminal.TxRequest) error {
	d, err := o.deployment(chainID)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	_, err = o.transact(ctx, b, d, req)
	return err
}

// ChainTime implements DisputeOps: the latest block's timestamp, the clock
// the contract's challenge period runs on.
func (o *ContractOps) ChainTime(ctx context.Context, chainID uint64) (uint64, error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return 0, err
	}
	h, err := d.Chain.HeaderByNumber(ctx, nil)
	if err != nil {
		return 0, err
	}
	return h.Time, nil
}

// Outcome implements DisputeOps: the outcome the contract recorded for an
// instance of coordinator (0 none, 1 confirmed, 2 refunded).
func (o *ContractOps) Outcome(ctx context.Context, chainID uint64, coordinator common.Address, instance [32]byte) (uint8, error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return 0, err
	}
	out, err := d.Chain.Call(ctx, ethereum.CallMsg{To: &d.Contract, Data: o.pc.PackOutcome(coordinator, instance)}, nil)
	if err != nil {
		return 0, err
	}
	return o.pc.UnpackOutcome(out)
}

// Withdrawable implements DisputeOps: account's deferred payouts in token.
func (o *ContractOps) Withdrawable(ctx context.Context, chainID uint64, token, account common.Address) (*big.Int, error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return nil, err
	}
	out, err := d.Chain.Call(ctx, ethereum.CallMsg{To: &d.Contract, Data: o.pc.PackWithdrawable(token, account)}, nil)
	if err != nil {
		return nil, err
	}
	return o.pc.UnpackWithdrawable(out)
}

// Channel reads a channel's on-chain record.
func (o *ContractOps) Channel(ctx context.Context, chainID uint64, id [32]byte) (contracts.PaymentChannelsChannel, error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return contracts.PaymentChannelsChannel{}, err
	}
	out, err := d.Chain.Call(ctx, ethereum.CallMsg{To: &d.Contract, Data: o.pc.PackGetChannel(id)}, nil)
	if err != nil {
		return contracts.PaymentChannelsChannel{}, fmt.Errorf("read channel %x on chain %d: %w", id[:6], chainID, err)
	}
	ch, err := o.pc.UnpackGetChannel(out)
	if err != nil {
		return contracts.PaymentChannelsChannel{}, fmt.Errorf("read channel %x on chain %d: %w", id[:6], chainID, err)
	}
	if ch.Status == 0 {
		return contracts.PaymentChannelsChannel{}, fmt.Errorf("channel %x does not exist on chain %d", id[:6], chainID)
	}
	return ch, nil
}

// transact asks the enclave for req's call, sends it with nonce, gas and
// fees the chain adapter picks, the enclave signing, and reports its
// receipt, reverted or not.
func (o *ContractOps) transact(ctx context.Context, b TxBuilder, d Deployment, req terminal.TxRequest) (*types.Receipt, error) {
	to, data, value, err := b.TxCall(ctx, req, terminal.TxParams{ChainID: d.Chain.ChainID(), Contract: d.Contract})
	if err != nil {
		return nil, err
	}
	r, err := d.Chain.Transact(ctx, &enclaveTx{ctx: ctx, b: b, req: req, contract: d.Contract}, &to, data, value)
	mined := r
	var rev *chain.RevertError
	if mined == nil && errors.As(err, &rev) {
		mined = rev.Receipt
	}
	if mined != nil {
		recordTx(ctx, d.Chain.ChainID(), req, mined)
		if o.cfg.OnReceipt != nil {
			o.cfg.OnReceipt(d.Chain.ChainID(), mined)
		}
	}
	if err != nil {
		return nil, explain(err)
	}
	return r, nil
}

// explain puts a contract's revert reason first, keeping err for errors.As.
func explain(err error) error {
	var rev *chain.RevertError
	if errors.As(err, &rev) && rev.Reason != "" {
		return fmt.Errorf("the contract refused (%s): %w", rev.Reason, err)
	}
	return err
}

// DeployPaymentChannels deploys the contract on c with the given challenge
// period (seconds), signed by signer (an enclave key's hostapi.Deployer,
// which signs PaymentChannels creations and nothing else).
func DeployPaymentChannels(ctx context.Context, c chain.Chain, signer chain.TxSigner, challengePeriod uint64) (common.Address, *types.Receipt, error) {
	pc := contracts.NewPaymentChannels()
	addr, r, err := chain.Deploy(ctx, c, signer, common.FromHex(contracts.PaymentChannelsMetaData.Bin), pc.PackConstructor(challengePeriod))
	if err != nil {
		return common.Address{}, r, fmt.Errorf("deploy PaymentChannels on chain %d: %w", c.ChainID(), explain(err))
	}
	return addr, r, nil
}
