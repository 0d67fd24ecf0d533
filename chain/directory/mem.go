package directory

import (
	"slices"
	"sync"
)

// MemStore is an in-memory Store for tests and simulations.
type MemStore struct {
	mu     sync.RWMutex
	chains map[uint64]*memChain
	closed bool
}

type memChain struct {
	channels map[ChannelID]Channel
	cursor   *Cursor
}

var _ Store = (*MemStore)(nil)

// NewMemStore returns an empty in-memory store.
func NewMemStore() *MemStore { return &MemStore{chains: map[uint64]*memChain{}} }

func (m *MemStore) chain(chainID uint64) *memChain {
	c := m.chains[chainID]
	if c == nil {
		c = &memChain{channels: map[ChannelID]Channel{}}
		m.chains[chainID] = c
	}
	return c
}

// write runs changes (and optionally a cursor move) atomically under the lock.
func (m *MemStore) write(chainID uint64, changes []Change, cursor *Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	c := m.chains[chainID]
	if cursor != nil && c != nil {
		if err := checkCursor(c.cursor, *cursor); err != nil {
			return err
		}
	}
	st := newStaged(chainID, func(id ChannelID) (Channel, bool, error) {
		if c == nil {
			return Channel{}, false, nil
		}
		ch, ok := c.channels[id]
		return ch, ok, nil
	})
	if err := st.run(changes); err != nil {
		return err
	}
	c = m.chain(chainID)
	for _, id := range st.order {
		if ch := st.writes[id]; ch == nil {
			delete(c.channels, id)
		} else {
			c.channels[id] = *ch // already a private clone
		}
	}
	if cursor != nil {
		cp := *cursor
		c.cursor = &cp
	}
	return nil
}

func (m *MemStore) Put(ch Channel) error {
	return m.write(ch.ChainID, []Change{PutChange(ch)}, nil)
}

func (m *MemStore) Update(chainID uint64, id ChannelID, fn func(*Channel) error) error {
	return m.write(chainID, []Change{UpdateChange(id, fn)}, nil)
}

func (m *MemStore) Delete(chainID uint64, id ChannelID) error {
	return m.write(chainID, []Change{DeleteChange(id)}, nil)
}

func (m *MemStore) Apply(chainID uint64, changes []Change, newCursor Cursor) error {
	return m.write(chainID, changes, &newCursor)
}

func (m *MemStore) SetCursor(chainID uint64, cur Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return ErrClosed
	}
	m.chain(chainID).cursor = &cur
	return nil
}

func (m *MemStore) Get(chainID uint64, id ChannelID) (Channel, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Channel{}, ErrClosed
	}
	if c := m.chains[chainID]; c != nil {
		if ch, ok := c.channels[id]; ok {
			return ch.Clone(), nil
		}
	}
	return Channel{}, ErrNotFound
}

func (m *MemStore) List(chainID uint64) ([]Channel, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	c := m.chains[chainID]
	if c == nil {
		return nil, nil
	}
	out := make([]Channel, 0, len(c.channels))
	for _, ch := range c.channels {
		out = append(out, ch.Clone())
	}
	slices.SortFunc(out, func(a, b Channel) int { return a.ID.Compare(b.ID) })
	return out, nil
}

func (m *MemStore) Chains() ([]uint64, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return nil, ErrClosed
	}
	out := make([]uint64, 0, len(m.chains))
	for id, c := range m.chains {
		if len(c.channels) > 0 || c.cursor != nil {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (m *MemStore) Cursor(chainID uint64) (Cursor, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.closed {
		return Cursor{}, ErrClosed
	}
	if c := m.chains[chainID]; c != nil && c.cursor != nil {
		return *c.cursor, nil
	}
	return Cursor{}, ErrNotFound
}

// Close makes every later call fail with ErrClosed.
func (m *MemStore) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.chains = nil
	return nil
}
