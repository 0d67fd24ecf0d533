package directory

import (
	"errors"
	"fmt"
)

// Store errors.
var (
	ErrNotFound       = errors.New("directory: not found")
	ErrInvalidChannel = errors.New("directory: invalid channel")
	ErrInvalidChange  = errors.New("directory: invalid change")
	// ErrStaleCursor means Apply was given a cursor not after the stored one:
	// the events were already applied (e.g. redelivered after a restart).
	ErrStaleCursor = errors.New("directory: cursor does not advance")
	ErrClosed      = errors.New("directory: store closed")
	// ErrCorrupt means a persisted record could not be decoded.
	ErrCorrupt = errors.New("directory: corrupt record")
)

// Store persists the channel directory. Implementations are safe for
// concurrent use, and every method returns copies (no shared *big.Int).
type Store interface {
	// Put inserts or replaces a channel after validating it.
	Put(ch Channel) error
	// Update edits a stored channel in place; ErrNotFound if absent. fn may not
	// change ChainID or ID.
	Update(chainID uint64, id ChannelID, fn func(*Channel) error) error
	// Get returns a stored channel or ErrNotFound.
	Get(chainID uint64, id ChannelID) (Channel, error)
	// Delete removes a channel; ErrNotFound if absent. A closed channel is
	// normally kept with StatusClosed instead, so its history stays visible.
	Delete(chainID uint64, id ChannelID) error
	// List returns a chain's channels ordered by ID.
	List(chainID uint64) ([]Channel, error)
	// Chains returns the ids of chains holding channels or a cursor, ascending.
	Chains() ([]uint64, error)
	// Cursor returns where the chain's watcher should resume; ErrNotFound if
	// none was ever set.
	Cursor(chainID uint64) (Cursor, error)
	// SetCursor sets the cursor unconditionally (initial start, reorg rewind).
	SetCursor(chainID uint64, c Cursor) error
	// Apply performs changes in order and sets the cursor to newCursor in one
	// transaction: on any error nothing changes. newCursor must be After the
	// stored cursor, if any (ErrStaleCursor otherwise).
	Apply(chainID uint64, changes []Change, newCursor Cursor) error
	Close() error
}

// staged is the working set of one transaction: reads fall through to the
// committed state via load, writes stay local until commit.
type staged struct {
	chainID uint64
	load    func(ChannelID) (Channel, bool, error)
	writes  map[ChannelID]*Channel // nil value = deleted
	order   []ChannelID            // first-write order, for deterministic commits
}

func newStaged(chainID uint64, load func(ChannelID) (Channel, bool, error)) *staged {
	return &staged{chainID: chainID, load: load, writes: map[ChannelID]*Channel{}}
}

func (s *staged) get(id ChannelID) (Channel, bool, error) {
	if ch, ok := s.writes[id]; ok {
		if ch == nil {
			return Channel{}, false, nil
		}
		return *ch, true, nil
	}
	return s.load(id)
}

func (s *staged) set(id ChannelID, ch *Channel) {
	if _, ok := s.writes[id]; !ok {
		s.order = append(s.order, id)
	}
	s.writes[id] = ch
}

// run applies changes to the stage, validating each; shared by both stores so
// their semantics cannot drift.
func (s *staged) run(changes []Change) error {
	for i, c := range changes {
		if err := s.one(c); err != nil {
			return fmt.Errorf("change %d: %w", i, err)
		}
	}
	return nil
}

func (s *staged) one(c Change) error {
	switch c.Op {
	case OpPut:
		ch := c.Channel.Clone()
		if ch.ChainID != s.chainID {
			return fmt.Errorf("%w: channel %s has chain %d, applying to chain %d",
				ErrInvalidChannel, ch.ID, ch.ChainID, s.chainID)
		}
		if err := ch.Validate(); err != nil {
			return err
		}
		s.set(ch.ID, &ch)
	case OpUpdate:
		if c.Fn == nil {
			return fmt.Errorf("%w: update of %s without a function", ErrInvalidChange, c.ID)
		}
		cur, ok, err := s.get(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: channel %s on chain %d", ErrNotFound, c.ID, s.chainID)
		}
		next := cur.Clone()
		if err := c.Fn(&next); err != nil {
			return err
		}
		if next.ChainID != cur.ChainID || next.ID != cur.ID {
			return fmt.Errorf("%w: update may not change chain or id of %s", ErrInvalidChange, c.ID)
		}
		if err := next.Validate(); err != nil {
			return err
		}
		next = next.Clone() // drop any reference fn kept to the balances
		s.set(c.ID, &next)
	case OpDelete:
		_, ok, err := s.get(c.ID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: channel %s on chain %d", ErrNotFound, c.ID, s.chainID)
		}
		s.set(c.ID, nil)
	default:
		return fmt.Errorf("%w: unknown op %d", ErrInvalidChange, c.Op)
	}
	return nil
}

func checkCursor(cur *Cursor, next Cursor) error {
	if cur != nil && !next.After(*cur) {
		return fmt.Errorf("%w: stored %d/%d, given %d/%d", ErrStaleCursor,
			cur.BlockNumber, cur.LogIndex, next.BlockNumber, next.LogIndex)
	}
	return nil
}
