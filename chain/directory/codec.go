package directory

import (
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// On-disk encoding, fixed layout, big-endian, so equal channels always encode
// to equal bytes:
//
//	version(1)=1 chainID(8) contract(20) id(32) A(20) B(20) asset(20)
//	balanceA(32) balanceB(32) version(8) status(1) coordinator(20)
//	openedAt(8) updatedAt(8)
//
// Balances are bounded by Validate to 256 bits, so they fit 32 bytes.
const (
	codecV1    = 1
	channelLen = 1 + 8 + 20 + 32 + 20 + 20 + 20 + 32 + 32 + 8 + 1 + 20 + 8 + 8
	cursorLen  = 1 + 8 + 32 + 8
)

func encodeChannel(c *Channel) []byte {
	b := make([]byte, 0, channelLen)
	b = append(b, codecV1)
	b = binary.BigEndian.AppendUint64(b, c.ChainID)
	b = append(b, c.Contract[:]...)
	b = append(b, c.ID[:]...)
	b = append(b, c.A[:]...)
	b = append(b, c.B[:]...)
	b = append(b, c.Asset[:]...)
	b = appendU256(b, c.BalanceA)
	b = appendU256(b, c.BalanceB)
	b = binary.BigEndian.AppendUint64(b, c.Version)
	b = append(b, byte(c.Status))
	b = append(b, c.Coordinator[:]...)
	b = binary.BigEndian.AppendUint64(b, c.OpenedAtBlock)
	return binary.BigEndian.AppendUint64(b, c.UpdatedAtBlock)
}

// appendU256 appends v as 32 big-endian bytes; v must be validated first.
func appendU256(b []byte, v *big.Int) []byte {
	n := len(b)
	b = append(b, make([]byte, 32)...)
	v.FillBytes(b[n:])
	return b
}

func decodeChannel(b []byte) (Channel, error) {
	var c Channel
	if len(b) != channelLen || b[0] != codecV1 {
		return c, fmt.Errorf("%w: channel record of %d bytes, version %d", ErrCorrupt, len(b), first(b))
	}
	p := b[1:]
	c.ChainID, p = binary.BigEndian.Uint64(p), p[8:]
	p = copy20(&c.Contract, p)
	copy(c.ID[:], p)
	p = p[32:]
	p = copy20(&c.A, p)
	p = copy20(&c.B, p)
	p = copy20(&c.Asset, p)
	c.BalanceA, p = new(big.Int).SetBytes(p[:32]), p[32:]
	c.BalanceB, p = new(big.Int).SetBytes(p[:32]), p[32:]
	c.Version, p = binary.BigEndian.Uint64(p), p[8:]
	c.Status, p = Status(p[0]), p[1:]
	p = copy20(&c.Coordinator, p)
	c.OpenedAtBlock, p = binary.BigEndian.Uint64(p), p[8:]
	c.UpdatedAtBlock = binary.BigEndian.Uint64(p)
	if err := c.Validate(); err != nil {
		return Channel{}, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return c, nil
}

func copy20(dst *common.Address, p []byte) []byte {
	copy(dst[:], p)
	return p[20:]
}

func first(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}

func encodeCursor(c Cursor) []byte {
	b := make([]byte, 0, cursorLen)
	b = append(b, codecV1)
	b = binary.BigEndian.AppendUint64(b, c.BlockNumber)
	b = append(b, c.BlockHash[:]...)
	return binary.BigEndian.AppendUint64(b, uint64(c.LogIndex))
}

func decodeCursor(b []byte) (Cursor, error) {
	if len(b) != cursorLen || b[0] != codecV1 {
		return Cursor{}, fmt.Errorf("%w: cursor record of %d bytes, version %d", ErrCorrupt, len(b), first(b))
	}
	var c Cursor
	c.BlockNumber = binary.BigEndian.Uint64(b[1:])
	copy(c.BlockHash[:], b[9:41])
	c.LogIndex = uint(binary.BigEndian.Uint64(b[41:]))
	return c, nil
}
