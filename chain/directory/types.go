package directory

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
)

// ChannelID identifies a channel within one contract on one chain; it is the
// id the payment-channel contract assigns.
type ChannelID [32]byte

// String returns the id as 0x-prefixed hex.
func (id ChannelID) String() string { return "0x" + hex.EncodeToString(id[:]) }

// Compare orders ids as big-endian byte strings; FindRoute's tie-break uses it.
func (id ChannelID) Compare(other ChannelID) int { return bytes.Compare(id[:], other[:]) }

// Status is a channel's lifecycle stage as seen on chain.
type Status uint8

// The zero Status is invalid so that a forgotten field is caught by validation
// instead of silently meaning "open".
const (
	StatusOpen Status = iota + 1
	StatusClosing
	StatusClosed
)

func (s Status) String() string {
	switch s {
	case StatusOpen:
		return "open"
	case StatusClosing:
		return "closing"
	case StatusClosed:
		return "closed"
	default:
		return fmt.Sprintf("status(%d)", uint8(s))
	}
}

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool { return s >= StatusOpen && s <= StatusClosed }

// Channel is the directory's record of one payment channel.
type Channel struct {
	ChainID  uint64
	Contract common.Address
	ID       ChannelID
	A, B     common.Address
	// Asset is the token contract; the zero address means the chain's native coin.
	Asset common.Address
	// BalanceA and BalanceB are the last known capacities of each side, derived
	// from on-chain deposits and settlements. A can pay B at most BalanceA.
	BalanceA, BalanceB *big.Int
	Version            uint64
	Status             Status
	Coordinator        common.Address
	OpenedAtBlock      uint64
	UpdatedAtBlock     uint64
}

// Clone returns a deep copy, so callers and stores never share *big.Int values.
func (c Channel) Clone() Channel {
	out := c
	if c.BalanceA != nil {
		out.BalanceA = new(big.Int).Set(c.BalanceA)
	}
	if c.BalanceB != nil {
		out.BalanceB = new(big.Int).Set(c.BalanceB)
	}
	return out
}

// maxBalance is 2^256-1: balances are EVM uint256 values, and the bound keeps
// the on-disk encoding fixed-width per field.
var maxBalance = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// Validate checks the invariants every stored channel must hold.
func (c *Channel) Validate() error {
	switch {
	case c.A == (common.Address{}) || c.B == (common.Address{}):
		return fmt.Errorf("%w: channel %s has a zero party address", ErrInvalidChannel, c.ID)
	case c.A == c.B:
		return fmt.Errorf("%w: channel %s has A == B", ErrInvalidChannel, c.ID)
	case !c.Status.Valid():
		return fmt.Errorf("%w: channel %s has invalid %s", ErrInvalidChannel, c.ID, c.Status)
	}
	for side, bal := range [2]*big.Int{c.BalanceA, c.BalanceB} {
		if bal == nil || bal.Sign() < 0 || bal.Cmp(maxBalance) > 0 {
			return fmt.Errorf("%w: channel %s balance %c is nil, negative or above 2^256-1",
				ErrInvalidChannel, c.ID, "AB"[side])
		}
	}
	return nil
}

// Cursor is the position in a chain's event log up to which the directory is
// current: the last applied event (or the end of the last processed block).
type Cursor struct {
	BlockNumber uint64
	BlockHash   common.Hash
	LogIndex    uint
}

// After reports whether c is strictly later than other in (block, log index)
// order. The hash is not compared: it is kept so the watcher can detect reorgs.
func (c Cursor) After(other Cursor) bool {
	if c.BlockNumber != other.BlockNumber {
		return c.BlockNumber > other.BlockNumber
	}
	return c.LogIndex > other.LogIndex
}

// Op says what a Change does.
type Op uint8

const (
	// OpPut inserts or replaces Change.Channel.
	OpPut Op = iota + 1
	// OpUpdate runs Change.Fn on the stored channel Change.ID; it fails if absent.
	OpUpdate
	// OpDelete removes Change.ID; it fails if absent.
	OpDelete
)

// Change is one write inside Store.Apply. Build it with PutChange,
// UpdateChange or DeleteChange.
type Change struct {
	Op      Op
	Channel Channel
	ID      ChannelID
	// Fn edits a copy of the stored channel. It runs inside the store's write
	// transaction, so it must not call the store.
	Fn func(*Channel) error
}

// PutChange inserts or replaces ch.
func PutChange(ch Channel) Change { return Change{Op: OpPut, Channel: ch, ID: ch.ID} }

// UpdateChange edits the stored channel id with fn (e.g. a deposit or close event).
func UpdateChange(id ChannelID, fn func(*Channel) error) Change {
	return Change{Op: OpUpdate, ID: id, Fn: fn}
}

// DeleteChange removes channel id.
func DeleteChange(id ChannelID) Change { return Change{Op: OpDelete, ID: id} }

// Equal reports whether c and o hold the same values (balances by value).
func (c Channel) Equal(o Channel) bool {
	eqBal := func(x, y *big.Int) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Cmp(y) == 0
	}
	return c.ChainID == o.ChainID && c.Contract == o.Contract && c.ID == o.ID &&
		c.A == o.A && c.B == o.B && c.Asset == o.Asset &&
		eqBal(c.BalanceA, o.BalanceA) && eqBal(c.BalanceB, o.BalanceB) &&
		c.Version == o.Version && c.Status == o.Status && c.Coordinator == o.Coordinator &&
		c.OpenedAtBlock == o.OpenedAtBlock && c.UpdatedAtBlock == o.UpdatedAtBlock
}
