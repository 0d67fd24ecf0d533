package terminal

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/messages"
)

// Refusals of BuildTx. A malicious host asking for a transaction the
// channel state does not back gets one of these; nothing is signed.
var (
	// ErrWrongContract: the chain id or contract is not the channel's, or
	// not a deployment this enclave was configured with.
	ErrWrongContract = errors.New("terminal: transaction for another chain or contract")
	// ErrNotLatest: close terms or a state version that are not the newest
	// this enclave holds.
	ErrNotLatest = errors.New("terminal: not the latest state this enclave holds")
	// ErrNothingNewer: the chain already stands on a state at least as new
	// as any this enclave holds, so there is nothing to challenge with.
	ErrNothingNewer = errors.New("terminal: no state newer than the one on chain")
	// ErrNoOutcome: this enclave holds no coordinator outcome for the lock.
	ErrNoOutcome = errors.New("terminal: no signed outcome for this instance")
	// ErrNotForceClosing: a unilateral close of a channel the machine has not
	// first marked closing (ForceClose), which would keep signing on it.
	ErrNotForceClosing = errors.New("terminal: channel is not marked for a unilateral close")
)

// TxParams are what the host chooses for a transaction: nonce, gas and
// fees, and the chain and contract it believes it acts on. The enclave
// chooses the rest (recipient, calldata, value) from the request and its
// own channel state, and checks chain and contract against the channel.
type TxParams struct {
	ChainID   uint64
	Contract  common.Address
	Nonce     uint64
	Gas       uint64
	GasTipCap *big.Int
	GasFeeCap *big.Int
}

// TxRequest is one of the typed transaction requests below.
type TxRequest interface{ txRequest() }

// OpenTx opens a channel from this terminal (party A) to Counterparty with
// Deposit of Asset (zero: the native coin), settled by Coordinator, which
// must be an attested coordinator.
type OpenTx struct {
	Counterparty, Asset, Coordinator common.Address
	Deposit                          *big.Int
}

// ApproveTx lets the configured contract pull Amount of Token for a
// deposit (ERC-20 approve; the spender is always the contract).
type ApproveTx struct {
	Token  common.Address
	Amount *big.Int
}

// TopUpTx adds Amount to this terminal's deposit in a channel.
type TopUpTx struct {
	ChannelID [32]byte
	Amount    *big.Int
}

// CooperativeCloseTx submits a cooperative close. Terms must be exactly the
// final balances this enclave computes from its latest state, and SigA,
// SigB the two parties' signatures over them.
type CooperativeCloseTx struct {
	Terms      CloseTerms
	SigA, SigB []byte
}

// CloseUnilateralTx closes a channel marked by ForceClose on the newest
// doubly-signed state the enclave holds, which must be at Version.
type CloseUnilateralTx struct {
	ChannelID [32]byte
	Version   uint64
}

// ChallengeTx replaces a closing state at OnChainVersion with the newest
// doubly-signed state the enclave holds, which must be at Version.
type ChallengeTx struct {
	ChannelID      [32]byte
	Version        uint64
	OnChainVersion uint64
}

// SubmitOutcomeTx puts the coordinator's signed outcome of an instance on
// chain. The enclave submits only an outcome it verified when it applied it.
type SubmitOutcomeTx struct {
	InstanceID [32]byte
}

// FinalizeTx pays out a closing channel after its challenge period.
type FinalizeTx struct {
	ChannelID [32]byte
}

// WithdrawTx claims this terminal's deferred payouts in Asset.
type WithdrawTx struct {
	Asset common.Address
}

func (OpenTx) txRequest()             {}
func (ApproveTx) txRequest()          {}
func (TopUpTx) txRequest()            {}
func (CooperativeCloseTx) txRequest() {}
func (CloseUnilateralTx) txRequest()  {}
func (ChallengeTx) txRequest()        {}
func (SubmitOutcomeTx) txRequest()    {}
func (FinalizeTx) txRequest()         {}
func (WithdrawTx) txRequest()         {}

var pcABI = contracts.NewPaymentChannels()

// BuildTx builds the transaction req asks for, checks it against the
// channel state this enclave holds and signs it with the terminal key.
// It changes nothing in the machine. This is the only way the terminal
// key signs a chain transaction: the host never hands it a digest.
func (m *Machine) BuildTx(req TxRequest, p TxParams) (*types.Transaction, error) {
	if p.ChainID == 0 || p.Gas == 0 || p.GasTipCap == nil || p.GasFeeCap == nil || p.GasTipCap.Sign() < 0 || p.GasFeeCap.Cmp(p.GasTipCap) < 0 {
		return nil, fmt.Errorf("%w: transaction parameters incomplete", ErrMalformed)
	}
	to, data, value, err := m.buildCall(req, p)
	if err != nil {
		return nil, err
	}
	chainID := new(big.Int).SetUint64(p.ChainID)
	tx := types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: p.Nonce, GasTipCap: p.GasTipCap, GasFeeCap: p.GasFeeCap,
		Gas: p.Gas, To: &to, Value: value, Data: data})
	signer := types.LatestSignerForChainID(chainID)
	sig, err := m.signer.Sign([32]byte(signer.Hash(tx)))
	if err != nil {
		return nil, fmt.Errorf("terminal: sign transaction: %w", err)
	}
	return tx.WithSignature(signer, sig)
}

// TxCall returns the recipient, calldata and value BuildTx would sign for
// req, after the same checks: what the host estimates gas with.
func (m *Machine) TxCall(req TxRequest, p TxParams) (common.Address, []byte, *big.Int, error) {
	return m.buildCall(req, p)
}

// buildCall returns the recipient, calldata and value for req.
func (m *Machine) buildCall(req TxRequest, p TxParams) (common.Address, []byte, *big.Int, error) {
	zero := new(big.Int)
	switch r := req.(type) {
	case OpenTx:
		if err := m.checkDeployment(p); err != nil {
			return common.Address{}, nil, nil, err
		}
		if r.Counterparty == (common.Address{}) || r.Counterparty == m.self {
			return common.Address{}, nil, nil, fmt.Errorf("%w: counterparty %s", ErrMalformed, r.Counterparty)
		}
		if !positive(r.Deposit) {
			return common.Address{}, nil, nil, fmt.Errorf("%w: deposit must be positive", ErrMalformed)
		}
		if !m.trusted[r.Coordinator] {
			return common.Address{}, nil, nil, fmt.Errorf("%w: %s", ErrUntrustedCoordinator, r.Coordinator)
		}
		value := zero
		if r.Asset == (common.Address{}) {
			value = r.Deposit
		}
		return p.Contract, pcABI.PackOpen(r.Counterparty, r.Asset, r.Deposit, r.Coordinator), value, nil
	case ApproveTx:
		if err := m.checkDeployment(p); err != nil {
			return common.Address{}, nil, nil, err
		}
		if r.Token == (common.Address{}) || r.Token == p.Contract || !positive(r.Amount) {
			return common.Address{}, nil, nil, fmt.Errorf("%w: approve %v of token %s", ErrMalformed, r.Amount, r.Token)
		}
		return r.Token, packApprove(p.Contract, r.Amount), zero, nil
	case TopUpTx:
		c, err := m.txChannel(r.ChannelID, p)
		if err != nil {
			return common.Address{}, nil, nil, err
		}
		if c.Closed {
			return common.Address{}, nil, nil, fmt.Errorf("%w: %x", ErrChannelClosed, r.ChannelID)
		}
		if !positive(r.Amount) {
			return common.Address{}, nil, nil, fmt.Errorf("%w: top-up must be positive", ErrMalformed)
		}
		value := zero
		if common.BytesToAddress(c.Asset) == (common.Address{}) {
			value = r.Amount
		}
		return p.Contract, pcABI.PackTopUp(r.ChannelID, r.Amount), value, nil
	case CooperativeCloseTx:
		return m.buildCooperativeClose(r, p)
	case CloseUnilateralTx:
		c, err := m.txChannel(r.ChannelID, p)
		if err != nil {
			return common.Address{}, nil, nil, err
		}
		if !c.GetDispute().GetForce() {
			return common.Address{}, nil, nil, fmt.Errorf("%w: %x", ErrNotForceClosing, r.ChannelID)
		}
		st, sigA, sigB := evidence(c, m.self, m.activeLegRecord(c))
		if st.Version != r.Version {
			return common.Address{}, nil, nil, fmt.Errorf("%w: close at version %d asked, newest held is %d", ErrNotLatest, r.Version, st.Version)
		}
		return p.Contract, pcABI.PackCloseUnilateral(r.ChannelID, contractState(st), sigA, sigB), zero, nil
	case ChallengeTx:
		c, err := m.txChannel(r.ChannelID, p)
		if err != nil {
			return common.Address{}, nil, nil, err
		}
		st, sigA, sigB := evidence(c, m.self, m.activeLegRecord(c))
		if st.Version != r.Version {
			return common.Address{}, nil, nil, fmt.Errorf("%w: challenge with version %d asked, newest held is %d", ErrNotLatest, r.Version, st.Version)
		}
		onChain := max(r.OnChainVersion, c.GetDispute().GetClosingVersion())
		if st.Version <= onChain || len(sigA) == 0 {
			return common.Address{}, nil, nil, fmt.Errorf("%w: chain at %d, newest held %d", ErrNothingNewer, onChain, st.Version)
		}
		return p.Contract, pcABI.PackChallenge(r.ChannelID, contractState(st), sigA, sigB), zero, nil
	case SubmitOutcomeTx:
		if err := m.checkDeployment(p); err != nil {
			return common.Address{}, nil, nil, err
		}
		confirmed, coord, sig, err := m.outcomeFor(r.InstanceID, p)
		if err != nil {
			return common.Address{}, nil, nil, err
		}
		return p.Contract, pcABI.PackSubmitOutcome(r.InstanceID, confirmed, coord, sig), zero, nil
	case FinalizeTx:
		c, err := m.txChannel(r.ChannelID, p)
		if err != nil {
			return common.Address{}, nil, nil, err
		}
		if !c.Closed {
			return common.Address{}, nil, nil, fmt.Errorf("%w: channel %x is open here", ErrWrongPhase, r.ChannelID)
		}
		return p.Contract, pcABI.PackFinalize(r.ChannelID), zero, nil
	case WithdrawTx:
		if err := m.checkDeployment(p); err != nil {
			return common.Address{}, nil, nil, err
		}
		return p.Contract, pcABI.PackWithdraw(r.Asset), zero, nil
	default:
		return common.Address{}, nil, nil, fmt.Errorf("%w: transaction request %T", ErrMalformed, req)
	}
}

func (m *Machine) buildCooperativeClose(r CooperativeCloseTx, p TxParams) (common.Address, []byte, *big.Int, error) {
	t := r.Terms
	c, err := m.txChannel(t.ChannelID, p)
	if err != nil {
		return common.Address{}, nil, nil, err
	}
	if !c.Closed || c.Phase != messages.ChannelPhase_CHANNEL_PHASE_IDLE || c.GetDispute().GetForce() {
		return common.Address{}, nil, nil, fmt.Errorf("%w: this enclave has not signed a cooperative close of %x", ErrWrongPhase, t.ChannelID)
	}
	final := resolve(c.Latest)
	if t.Version != final.Version || t.BalanceA == nil || t.BalanceB == nil ||
		t.BalanceA.Cmp(amt(final.BalanceA)) != 0 || t.BalanceB.Cmp(amt(final.BalanceB)) != 0 {
		return common.Address{}, nil, nil, fmt.Errorf("%w: close at %v/%v version %d asked, latest is %s/%s version %d",
			ErrNotLatest, t.BalanceA, t.BalanceB, t.Version, amt(final.BalanceA), amt(final.BalanceB), final.Version)
	}
	d := messages.CooperativeCloseDigest(c.ChainId, common.BytesToAddress(c.Contract), t.ChannelID, final.Version, amt(final.BalanceA), amt(final.BalanceB))
	for _, s := range []struct {
		sig   []byte
		party []byte
	}{{r.SigA, c.PartyA}, {r.SigB, c.PartyB}} {
		if got, err := messages.RecoverAddress(d, s.sig); err != nil || got != common.BytesToAddress(s.party) {
			return common.Address{}, nil, nil, fmt.Errorf("%w: close signature of %x", ErrBadSignature, s.party)
		}
	}
	return p.Contract, pcABI.PackCooperativeClose(t.ChannelID, final.Version, amt(final.BalanceA), amt(final.BalanceB), r.SigA, r.SigB), new(big.Int), nil
}

// checkDeployment checks p names a contract this enclave was configured
// with or holds a channel on.
func (m *Machine) checkDeployment(p TxParams) error {
	if c, ok := m.contracts[p.ChainID]; ok && c == p.Contract {
		return nil
	}
	for _, c := range m.channels {
		if c.ChainId == p.ChainID && common.BytesToAddress(c.Contract) == p.Contract {
			return nil
		}
	}
	return fmt.Errorf("%w: chain %d contract %s", ErrWrongContract, p.ChainID, p.Contract)
}

// txChannel finds a channel and checks p is for its chain and contract.
func (m *Machine) txChannel(id [32]byte, p TxParams) (*messages.ChannelRecord, error) {
	c := m.channels[id]
	if c == nil {
		return nil, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	if c.ChainId != p.ChainID || common.BytesToAddress(c.Contract) != p.Contract {
		return nil, fmt.Errorf("%w: channel %x is on chain %d contract %x, asked for chain %d contract %s",
			ErrWrongContract, id, c.ChainId, c.Contract, p.ChainID, p.Contract)
	}
	return c, nil
}

// outcomeFor finds the coordinator's outcome of an instance, valid under
// p's chain and contract, among the instances this terminal ended.
func (m *Machine) outcomeFor(id [32]byte, p TxParams) (bool, common.Address, []byte, error) {
	for _, n := range m.instanceIDs[id] {
		r := m.instances[instanceKey{id, n}]
		var confirmed bool
		switch r.Phase {
		case messages.TerminalPhase_TERMINAL_PHASE_CONFIRMED:
			confirmed = true
		case messages.TerminalPhase_TERMINAL_PHASE_REFUNDED:
		default:
			continue
		}
		coord := common.BytesToAddress(r.Coordinator)
		d := messages.OutcomeDigest(p.ChainID, p.Contract, id, confirmed)
		if got, err := messages.RecoverAddress(d, r.OutcomeSignature); err == nil && got == coord {
			return confirmed, coord, r.OutcomeSignature, nil
		}
	}
	return false, common.Address{}, nil, fmt.Errorf("%w: %x on chain %d", ErrNoOutcome, id, p.ChainID)
}

// activeLegRecord returns the leg of the instance holding c, or nil.
func (m *Machine) activeLegRecord(c *messages.ChannelRecord) *messages.ChannelLeg {
	id, err := messages.Hash32(c.ActiveInstance)
	if err != nil || c.Phase == messages.ChannelPhase_CHANNEL_PHASE_IDLE {
		return nil
	}
	r := m.instances[instanceKey{id, c.ActiveNetwork}]
	if r == nil {
		return nil
	}
	for _, l := range r.Legs {
		if string(l.ChannelId) == string(c.ChannelId) {
			return l
		}
	}
	return nil
}

// Evidence returns the version of the newest state of a channel that both
// parties signed (0: only the opening deposit), what a unilateral close or
// a challenge submits.
func (m *Machine) Evidence(id [32]byte) (uint64, error) {
	c := m.channels[id]
	if c == nil {
		return 0, fmt.Errorf("%w: %x", ErrUnknownChannel, id)
	}
	st, _, _ := evidence(c, m.self, m.activeLegRecord(c))
	return st.Version, nil
}

// evidence picks the newest doubly-signed state among the channel's
// latest, the one kept across a top-up, the settled lock-free state after
// the last outcome (settle.go), and the active instance's leg
// (the prepared state once the peer's signature arrived with COMMIT).
// Without any, it is the version-0 deposit state, which takes no
// signatures.
func evidence(c *messages.ChannelRecord, self common.Address, leg *messages.ChannelLeg) (*messages.ChannelState, []byte, []byte) {
	best, bestA, bestB := &messages.ChannelState{Version: 0}, []byte(nil), []byte(nil)
	consider := func(st *messages.ChannelState, a, b []byte) {
		if st != nil && len(a) > 0 && len(b) > 0 && (bestA == nil || st.Version > best.Version) {
			best, bestA, bestB = st, a, b
		}
	}
	consider(c.Latest, c.LatestSigA, c.LatestSigB)
	consider(c.Evidence, c.EvidenceSigA, c.EvidenceSigB)
	consider(c.Settled, c.SettledSigA, c.SettledSigB) // only once both parties signed it
	if leg != nil {
		selfIsA := common.BytesToAddress(c.PartyA) == self
		pair := func(own, peer []byte) ([]byte, []byte) {
			if selfIsA {
				return own, peer
			}
			return peer, own
		}
		a, b := pair(leg.PreparedSigSelf, leg.PreparedSigPeer)
		consider(leg.Prepared, a, b)
		a, b = pair(leg.CommittedSigSelf, leg.CommittedSigPeer)
		consider(leg.Committed, a, b)
	}
	return best, bestA, bestB
}

// contractState is st as the contract's State struct.
func contractState(st *messages.ChannelState) contracts.PaymentChannelsState {
	out := contracts.PaymentChannelsState{
		Version:  st.Version,
		DepositA: amt(st.DepositA), DepositB: amt(st.DepositB),
		BalanceA: amt(st.BalanceA), BalanceB: amt(st.BalanceB),
		LockAmount: new(big.Int),
	}
	if l := st.Lock; l != nil {
		copy(out.LockId[:], l.LockId)
		out.LockAmount = amt(l.Amount)
		out.LockAToB = l.AToB
		out.LockStage = uint8(l.Stage)
		out.LockCrossChain = l.CrossChain
	}
	return out
}

func positive(v *big.Int) bool { return v != nil && v.Sign() > 0 && v.BitLen() <= 256 }

// packApprove is the calldata of ERC-20 approve(spender, amount).
func packApprove(spender common.Address, amount *big.Int) []byte {
	data := make([]byte, 0, 4+64)
	data = append(data, 0x09, 0x5e, 0xa7, 0xb3) // approve(address,uint256)
	data = append(data, common.LeftPadBytes(spender.Bytes(), 32)...)
	return append(data, common.LeftPadBytes(amount.Bytes(), 32)...)
}
