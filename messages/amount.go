package messages

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// maxAmountBytes bounds amounts to uint256, what the contract can hold.
const maxAmountBytes = 32

func bigFrom(b []byte) *big.Int { return new(big.Int).SetBytes(b) }

// Amount decodes an amount field. It rejects encodings longer than 32
// bytes or with a leading zero byte, so each value has one encoding and
// two equal amounts always hash alike.
func Amount(b []byte) (*big.Int, error) {
	if len(b) > maxAmountBytes {
		return nil, fmt.Errorf("%w: amount of %d bytes exceeds uint256", ErrMalformed, len(b))
	}
	if len(b) > 0 && b[0] == 0 {
		return nil, fmt.Errorf("%w: amount has a leading zero byte", ErrMalformed)
	}
	return new(big.Int).SetBytes(b), nil
}

// AmountBytes is the canonical encoding of a non-negative amount.
func AmountBytes(v *big.Int) []byte {
	if v == nil || v.Sign() <= 0 {
		return nil
	}
	return v.Bytes()
}

// Address decodes a 20-byte address field.
func Address(b []byte) (common.Address, error) {
	if len(b) != common.AddressLength {
		return common.Address{}, fmt.Errorf("%w: address of %d bytes", ErrMalformed, len(b))
	}
	return common.BytesToAddress(b), nil
}

// Hash32 decodes a 32-byte id or hash field.
func Hash32(b []byte) ([32]byte, error) {
	var h [32]byte
	if len(b) != 32 {
		return h, fmt.Errorf("%w: id of %d bytes, want 32", ErrMalformed, len(b))
	}
	copy(h[:], b)
	return h, nil
}
