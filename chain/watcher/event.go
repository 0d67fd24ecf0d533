package watcher

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/contracts"
)

// Kind is what an Event reports.
type Kind uint8

// Event kinds. The first five change the directory; LockResolved and
// OutcomeRecorded are notifications only; Reorg reports a rewind.
const (
	KindOpened Kind = iota + 1
	KindToppedUp
	KindCloseRequested
	KindChallenged
	KindClosed
	KindLockResolved
	KindOutcomeRecorded
	KindReorg
)

func (k Kind) String() string {
	switch k {
	case KindOpened:
		return "opened"
	case KindToppedUp:
		return "topped-up"
	case KindCloseRequested:
		return "close-requested"
	case KindChallenged:
		return "challenged"
	case KindClosed:
		return "closed"
	case KindLockResolved:
		return "lock-resolved"
	case KindOutcomeRecorded:
		return "outcome-recorded"
	case KindReorg:
		return "reorg"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Event is a decoded contract event, delivered to Config.OnEvent after the
// directory changes of its block were committed. Exactly one of the payload
// pointers matching Kind is set.
type Event struct {
	Kind     Kind
	ChainID  uint64
	Contract common.Address
	// ChannelID is the channel concerned; zero for OutcomeRecorded and Reorg.
	ChannelID directory.ChannelID
	Block     uint64
	BlockHash common.Hash
	TxHash    common.Hash
	LogIndex  uint
	// Removed marks an event delivered earlier whose block a reorg dropped;
	// its directory changes were undone.
	Removed bool
	// Unknown marks an event about a channel the directory does not hold
	// (the watcher started after the channel was opened): it changed nothing.
	Unknown bool

	Opened          *contracts.PaymentChannelsChannelOpened
	ToppedUp        *contracts.PaymentChannelsChannelToppedUp
	CloseRequested  *contracts.PaymentChannelsCloseRequested
	Challenged      *contracts.PaymentChannelsChallenged
	Closed          *contracts.PaymentChannelsChannelClosed
	LockResolved    *contracts.PaymentChannelsLockResolved
	OutcomeRecorded *contracts.PaymentChannelsOutcomeRecorded
	Reorg           *Reorg
}

// Reorg describes a rewind: the cursor moved from From back to Ancestor, the
// newest processed block still canonical, and Depth blocks are re-read.
type Reorg struct {
	From, Ancestor directory.Cursor
	Depth          uint64
}

// ErrReorgTooDeep is matched by *ReorgError.
var ErrReorgTooDeep = errors.New("watcher: reorg cannot be undone")

// ReorgError reports a reorg of processed blocks that the watcher cannot
// undo: deeper than its journal (Config.ReorgWindow), or detected before the
// journal was rebuilt after a restart. The directory still reflects the old
// branch up to Cursor; rebuild it from the contract's deployment block.
type ReorgError struct {
	Cursor directory.Cursor
	Reason string
}

func (e *ReorgError) Error() string {
	return fmt.Sprintf("watcher: reorg below processed block %d (%s) cannot be undone: %s",
		e.Cursor.BlockNumber, e.Cursor.BlockHash.Hex(), e.Reason)
}

// Is makes errors.Is(err, ErrReorgTooDeep) hold.
func (e *ReorgError) Is(target error) bool { return target == ErrReorgTooDeep }
