package actors

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/messages"
)

// EnclaveTxSigner signs chain transactions with an enclave-held key
// (enclave.Key or any messages.Signer): it hashes the transaction for the
// chain's signer outside, asks the key to sign the digest, and attaches the
// signature. The private key never leaves the enclave backend.
type EnclaveTxSigner struct {
	key messages.Signer
}

var _ chain.TxSigner = (*EnclaveTxSigner)(nil)

// NewTxSigner adapts key into a chain.TxSigner.
func NewTxSigner(key messages.Signer) *EnclaveTxSigner { return &EnclaveTxSigner{key: key} }

// Address implements chain.TxSigner: the key's address.
func (s *EnclaveTxSigner) Address() common.Address { return s.key.Address() }

// SignTx implements chain.TxSigner. It signs for chainID with the latest
// signer (EIP-155, EIP-1559 and later typed transactions) and checks that
// the signature recovers to the key's address.
func (s *EnclaveTxSigner) SignTx(tx *types.Transaction, chainID *big.Int) (*types.Transaction, error) {
	if chainID == nil || chainID.Sign() <= 0 {
		return nil, fmt.Errorf("%w: no chain id", chain.ErrSigner)
	}
	signer := types.LatestSignerForChainID(chainID)
	sig, err := s.key.Sign(signer.Hash(tx))
	if err != nil {
		return nil, fmt.Errorf("%w: enclave refused to sign: %w", chain.ErrSigner, err)
	}
	signed, err := tx.WithSignature(signer, sig)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", chain.ErrSigner, err)
	}
	if from, err := types.Sender(signer, signed); err != nil || from != s.key.Address() {
		return nil, fmt.Errorf("%w: signature recovers to %s (%v), want %s", chain.ErrSigner, from, err, s.key.Address())
	}
	return signed, nil
}
