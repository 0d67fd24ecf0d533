package messages

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

// EIP-712 typed data checked by contracts/PaymentChannels.sol. The domain
// carries the chain id, the contract and (as salt) the channel id, so a
// signature is valid on exactly one channel of one contract on one chain.
const (
	EIP712Name    = "teeswap"
	EIP712Version = "1"

	DomainType           = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract,bytes32 salt)"
	ChannelStateType     = "ChannelState(uint64 version,uint256 depositA,uint256 depositB,uint256 balanceA,uint256 balanceB,bytes32 lockId,uint256 lockAmount,bool lockAToB,uint8 lockStage,bool lockCrossChain)"
	CooperativeCloseType = "CooperativeClose(uint64 version,uint256 balanceA,uint256 balanceB)"
	// Outcome is signed by the coordinator enclave; its domain salt is zero
	// because it concerns an instance, not one channel.
	OutcomeType = "Outcome(bytes32 instanceId,bool confirmed)"
)

var (
	domainTypeHash           = crypto.Keccak256Hash([]byte(DomainType))
	channelStateTypeHash     = crypto.Keccak256Hash([]byte(ChannelStateType))
	cooperativeCloseTypeHash = crypto.Keccak256Hash([]byte(CooperativeCloseType))
	outcomeTypeHash          = crypto.Keccak256Hash([]byte(OutcomeType))
	nameHash                 = crypto.Keccak256Hash([]byte(EIP712Name))
	versionHash              = crypto.Keccak256Hash([]byte(EIP712Version))
)

// word is one 32-byte ABI word.
type word = [32]byte

func uintWord(v *big.Int) word {
	var w word
	v.FillBytes(w[:])
	return w
}

func u64Word(v uint64) word { return uintWord(new(big.Int).SetUint64(v)) }

func boolWord(b bool) word {
	var w word
	if b {
		w[31] = 1
	}
	return w
}

func addrWord(a common.Address) word {
	var w word
	copy(w[12:], a[:])
	return w
}

func hashWords(ws ...word) [32]byte {
	h := crypto.NewKeccakState()
	for i := range ws {
		h.Write(ws[i][:])
	}
	var out [32]byte
	h.Read(out[:])
	return out
}

// DomainSeparator is the EIP-712 domain hash for one contract on one chain;
// salt is the channel id, or zero for outcomes.
func DomainSeparator(chainID uint64, contract common.Address, salt [32]byte) [32]byte {
	return hashWords(domainTypeHash, nameHash, versionHash, u64Word(chainID), addrWord(contract), salt)
}

func typedDigest(domain, structHash [32]byte) [32]byte {
	return crypto.Keccak256Hash([]byte{0x19, 0x01}, domain[:], structHash[:])
}

// ChannelStateDigest is the EIP-712 digest both parties sign for st.
func ChannelStateDigest(st *ChannelState) ([32]byte, error) {
	contract, err := Address(st.GetContract())
	if err != nil {
		return [32]byte{}, fmt.Errorf("channel state contract: %w", err)
	}
	channelID, err := Hash32(st.GetChannelId())
	if err != nil {
		return [32]byte{}, fmt.Errorf("channel state id: %w", err)
	}
	var amounts [4]*big.Int
	for i, b := range [][]byte{st.DepositA, st.DepositB, st.BalanceA, st.BalanceB} {
		if amounts[i], err = Amount(b); err != nil {
			return [32]byte{}, err
		}
	}
	var lockID word
	lockAmount := new(big.Int)
	var aToB, cross bool
	var stage LockStage
	if l := st.GetLock(); l != nil {
		if lockID, err = Hash32(l.LockId); err != nil {
			return [32]byte{}, fmt.Errorf("lock id: %w", err)
		}
		if lockAmount, err = Amount(l.Amount); err != nil {
			return [32]byte{}, err
		}
		aToB, cross, stage = l.AToB, l.CrossChain, l.Stage
		if stage != LockStage_LOCK_STAGE_PREPARED && stage != LockStage_LOCK_STAGE_COMMITTED {
			return [32]byte{}, fmt.Errorf("%w: lock stage %v", ErrMalformed, stage)
		}
	}
	structHash := hashWords(channelStateTypeHash, u64Word(st.Version),
		uintWord(amounts[0]), uintWord(amounts[1]), uintWord(amounts[2]), uintWord(amounts[3]),
		lockID, uintWord(lockAmount), boolWord(aToB), u64Word(uint64(stage)), boolWord(cross))
	return typedDigest(DomainSeparator(st.ChainId, contract, channelID), structHash), nil
}

// CooperativeCloseDigest is the EIP-712 digest both parties sign to close a
// channel at once with final balances.
func CooperativeCloseDigest(chainID uint64, contract common.Address, channelID [32]byte, version uint64, balanceA, balanceB *big.Int) [32]byte {
	structHash := hashWords(cooperativeCloseTypeHash, u64Word(version), uintWord(balanceA), uintWord(balanceB))
	return typedDigest(DomainSeparator(chainID, contract, channelID), structHash)
}

// OutcomeDigest is the EIP-712 digest the coordinator signs when an
// instance ends: confirmed, or refund-authorized.
func OutcomeDigest(chainID uint64, contract common.Address, instanceID [32]byte, confirmed bool) [32]byte {
	structHash := hashWords(outcomeTypeHash, instanceID, boolWord(confirmed))
	return typedDigest(DomainSeparator(chainID, contract, [32]byte{}), structHash)
}

// SignChannelState signs st's EIP-712 digest.
func SignChannelState(s Signer, st *ChannelState) (*SignedChannelState, error) {
	d, err := ChannelStateDigest(st)
	if err != nil {
		return nil, err
	}
	sig, err := s.Sign(d)
	if err != nil {
		return nil, fmt.Errorf("messages: sign channel state: %w", err)
	}
	addr := s.Address()
	return &SignedChannelState{State: st, Signer: addr.Bytes(), Signature: sig}, nil
}

// Verify checks that sc is signed by its named signer and returns it.
func (sc *SignedChannelState) Verify() (common.Address, error) {
	signer, err := Address(sc.GetSigner())
	if err != nil {
		return common.Address{}, err
	}
	d, err := ChannelStateDigest(sc.GetState())
	if err != nil {
		return common.Address{}, err
	}
	got, err := RecoverAddress(d, sc.GetSignature())
	if err != nil {
		return common.Address{}, err
	}
	if got != signer {
		return common.Address{}, fmt.Errorf("%w: %s, recovered %s", ErrSignerMismatch, signer, got)
	}
	return signer, nil
}
