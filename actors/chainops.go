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
	// Signer signs every transaction: the terminal's enclave key through
	// NewTxSigner.
	Signer chain.TxSigner
	// Chains are the chains the terminal may act on, with their contracts.
	Chains []Deployment
	// Timeout bounds each on-chain action (all its transactions and their
	// confirmations). Default 2 minutes.
	Timeout time.Duration
	// OnReceipt, when set, sees the receipt of every mined transaction this
	// signer sent, reverted ones included (gas accounting). It may be
	// called from several goroutines at once.
	OnReceipt func(chainID uint64, r *types.Receipt)
}

// ContractOps carries out a terminal's on-chain actions (ChainOps) against
// the PaymentChannels contract of each of its chains, signing through the
// terminal's enclave key.
type ContractOps struct {
	cfg    ContractOpsConfig
	pc     *contracts.PaymentChannels
	chains map[uint64]Deployment
}

var _ ChainOps = (*ContractOps)(nil)

// NewContractOps checks cfg and returns the terminal's chain operations.
func NewContractOps(cfg ContractOpsConfig) (*ContractOps, error) {
	if cfg.Signer == nil {
		return nil, errors.New("actors: chain ops need a signer")
	}
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

// Address is the account the operations are signed by.
func (o *ContractOps) Address() common.Address { return o.cfg.Signer.Address() }

func (o *ContractOps) deployment(chainID uint64) (Deployment, error) {
	d, ok := o.chains[chainID]
	if !ok {
		return Deployment{}, fmt.Errorf("this terminal has no access to chain %d", chainID)
	}
	return d, nil
}

// Open implements ChainOps: it opens a channel from the signer (party A)
// to req.Counterparty with req.Amount of req.Token (empty or zero: the
// native coin; a token is approved first) and returns the channel id from
// the contract's ChannelOpened event.
func (o *ContractOps) Open(ctx context.Context, req *messages.ChannelOpen, coordinator common.Address) ([32]byte, error) {
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
	value, err := o.pay(ctx, d, token, amount)
	if err != nil {
		return [32]byte{}, fmt.Errorf("open channel on chain %d: %w", d.Chain.ChainID(), err)
	}
	r, err := o.transact(ctx, d, &d.Contract, o.pc.PackOpen(counterparty, token, amount, coordinator), value)
	if err != nil {
		return [32]byte{}, fmt.Errorf("open channel on chain %d with %s: %w", d.Chain.ChainID(), counterparty, err)
	}
	for _, l := range r.Logs {
		if l.Address != d.Contract {
			continue
		}
		if ev, err := o.pc.UnpackChannelOpenedEvent(l); err == nil && ev.A == o.Address() && ev.B == counterparty {
			return ev.ChannelId, nil
		}
	}
	return [32]byte{}, fmt.Errorf("open channel on chain %d: tx %s emitted no ChannelOpened event", d.Chain.ChainID(), r.TxHash.Hex())
}

// TopUp adds amount to the signer's deposit in channel id on chainID and
// returns both parties' deposit totals from the ChannelToppedUp event. The
// watcher forwards that event to both terminals, whose enclaves then count
// the new deposit.
func (o *ContractOps) TopUp(ctx context.Context, chainID uint64, id [32]byte, amount *big.Int) (depositA, depositB *big.Int, err error) {
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
	value, err := o.pay(ctx, d, ch.Token, amount)
	if err != nil {
		return nil, nil, fmt.Errorf("top up channel %x on chain %d: %w", id[:6], chainID, err)
	}
	r, err := o.transact(ctx, d, &d.Contract, o.pc.PackTopUp(id, amount), value)
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
func (o *ContractOps) CooperativeClose(ctx context.Context, terms terminal.CloseTerms, sigA, sigB []byte) (payoutA, payoutB *big.Int, err error) {
	d, err := o.deployment(terms.ChainID)
	if err != nil {
		return nil, nil, err
	}
	if terms.Contract != (common.Address{}) && terms.Contract != d.Contract {
		return nil, nil, fmt.Errorf("close: channel %x is on contract %s, this terminal uses %s on chain %d",
			terms.ChannelID[:6], terms.Contract, d.Contract, terms.ChainID)
	}
	if terms.BalanceA == nil || terms.BalanceB == nil {
		return nil, nil, errors.New("close: final balances missing")
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	data := o.pc.PackCooperativeClose(terms.ChannelID, terms.Version, terms.BalanceA, terms.BalanceB, sigA, sigB)
	r, err := o.transact(ctx, d, &d.Contract, data, nil)
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

// Channel reads a channel's on-chain record.
func (o *ContractOps) Channel(ctx context.Context, chainID uint64, id [32]byte) (contracts.PaymentChannelsChannel, error) {
	d, err := o.deployment(chainID)
	if err != nil {
		return contracts.PaymentChannelsChannel{}, err
	}
	out, err := d.Chain.Call(ctx, ethereum.CallMsg{From: o.Address(), To: &d.Contract, Data: o.pc.PackGetChannel(id)}, nil)
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

// pay prepares a deposit of amount: the native coin travels as the call's
// value; a token is approved to the contract first.
func (o *ContractOps) pay(ctx context.Context, d Deployment, token common.Address, amount *big.Int) (*big.Int, error) {
	if token == (common.Address{}) {
		return amount, nil
	}
	if _, err := o.transact(ctx, d, &token, packApprove(d.Contract, amount), nil); err != nil {
		return nil, fmt.Errorf("approve %s of token %s: %w", amount, token, err)
	}
	return nil, nil
}

// transact sends one transaction and reports its receipt, reverted or not.
func (o *ContractOps) transact(ctx context.Context, d Deployment, to *common.Address, data []byte, value *big.Int) (*types.Receipt, error) {
	r, err := d.Chain.Transact(ctx, o.cfg.Signer, to, data, value)
	if o.cfg.OnReceipt != nil {
		var rev *chain.RevertError
		switch {
		case r != nil:
			o.cfg.OnReceipt(d.Chain.ChainID(), r)
		case errors.As(err, &rev) && rev.Receipt != nil:
			o.cfg.OnReceipt(d.Chain.ChainID(), rev.Receipt)
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

// packApprove is the calldata of ERC-20 approve(spender, amount).
func packApprove(spender common.Address, amount *big.Int) []byte {
	data := make([]byte, 0, 4+64)
	data = append(data, 0x09, 0x5e, 0xa7, 0xb3) // approve(address,uint256)
	data = append(data, common.LeftPadBytes(spender.Bytes(), 32)...)
	return append(data, common.LeftPadBytes(amount.Bytes(), 32)...)
}

// DeployPaymentChannels deploys the contract on c with the given challenge
// period (seconds), signed by signer (an enclave key through NewTxSigner).
func DeployPaymentChannels(ctx context.Context, c chain.Chain, signer chain.TxSigner, challengePeriod uint64) (common.Address, *types.Receipt, error) {
	pc := contracts.NewPaymentChannels()
	addr, r, err := chain.Deploy(ctx, c, signer, common.FromHex(contracts.PaymentChannelsMetaData.Bin), pc.PackConstructor(challengePeriod))
	if err != nil {
		return common.Address{}, r, fmt.Errorf("deploy PaymentChannels on chain %d: %w", c.ChainID(), explain(err))
	}
	return addr, r, nil
}
