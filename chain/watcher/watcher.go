package watcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/contracts"
)

// Source is the part of chain.Chain the watcher reads.
type Source interface {
	HeaderByNumber(ctx context.Context, number *big.Int) (*types.Header, error)
	FilterLogs(ctx context.Context, q ethereum.FilterQuery) ([]types.Log, error)
}

// Config configures a Watcher.
type Config struct {
	// ChainID keys the directory's records (use chain.Chain.ChainID()).
	ChainID uint64
	// Contract is the PaymentChannels contract followed.
	Contract common.Address
	// StartBlock is where to begin when the store has no cursor for the
	// chain: the contract's deployment block.
	StartBlock uint64
	// Depth is the finality depth: only blocks at or below head-Depth are
	// processed. 0 processes the head itself.
	Depth uint64
	// MaxRange bounds the blocks of one log query. Default 2000.
	MaxRange uint64
	// ReorgWindow is how many blocks back the watcher can undo. Default 256.
	ReorgWindow uint64
	// OnEvent, if set, receives every decoded event after its block was
	// committed, in chain order, on the goroutine calling Poll.
	OnEvent func(Event)
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Watcher follows one contract on one chain. Poll and Run may be called
// from one goroutine at a time (calls are serialised).
type Watcher struct {
	src    Source
	store  directory.Store
	cfg    Config
	pc     *contracts.PaymentChannels
	kinds  map[common.Hash]Kind
	topics []common.Hash

	mu      sync.Mutex
	loaded  bool
	cur     *directory.Cursor // nil: nothing processed yet
	journal []entry           // processed blocks still within the reorg window
}

// entry is a processed block (one with events, or the end of a range).
type entry struct {
	cursor directory.Cursor
	// prior holds, for each channel the block changed, its state before the
	// block (nil: absent), in first-touch order.
	prior []priorState
	// events the block delivered, for Removed notifications.
	events []Event
}

type priorState struct {
	id directory.ChannelID
	ch *directory.Channel
}

// New returns a watcher writing to store. It reads the stored cursor on the
// first Poll.
func New(src Source, store directory.Store, cfg Config) (*Watcher, error) {
	if src == nil || store == nil {
		return nil, errors.New("watcher: nil source or store")
	}
	if cfg.ChainID == 0 || cfg.Contract == (common.Address{}) {
		return nil, errors.New("watcher: chain id and contract are required")
	}
	if cfg.MaxRange == 0 {
		cfg.MaxRange = 2000
	}
	if cfg.ReorgWindow == 0 {
		cfg.ReorgWindow = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("chain", cfg.ChainID, "contract", cfg.Contract)
	pc := contracts.NewPaymentChannels()
	events := pc.GetABI().Events
	w := &Watcher{src: src, store: store, cfg: cfg, pc: pc, kinds: map[common.Hash]Kind{}}
	for name, kind := range map[string]Kind{
		contracts.PaymentChannelsChannelOpenedEventName:   KindOpened,
		contracts.PaymentChannelsChannelToppedUpEventName: KindToppedUp,
		contracts.PaymentChannelsCloseRequestedEventName:  KindCloseRequested,
		contracts.PaymentChannelsChallengedEventName:      KindChallenged,
		contracts.PaymentChannelsChannelClosedEventName:   KindClosed,
		contracts.PaymentChannelsLockResolvedEventName:    KindLockResolved,
		contracts.PaymentChannelsOutcomeRecordedEventName: KindOutcomeRecorded,
	} {
		ev, ok := events[name]
		if !ok {
			return nil, fmt.Errorf("watcher: binding lacks event %s", name)
		}
		w.kinds[ev.ID] = kind
		w.topics = append(w.topics, ev.ID)
	}
	slices.SortFunc(w.topics, func(a, b common.Hash) int { return a.Cmp(b) })
	return w, nil
}

// Cursor returns the position processed so far (ok false before any).
func (w *Watcher) Cursor() (c directory.Cursor, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.cur == nil {
		return directory.Cursor{}, false
	}
	return *w.cur, true
}

// Run polls every interval until ctx ends or a reorg cannot be undone.
// Other errors (node unreachable, …) are logged and retried.
func (w *Watcher) Run(ctx context.Context, interval time.Duration) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if _, err := w.Poll(ctx); err != nil {
			if errors.Is(err, ErrReorgTooDeep) {
				return err
			}
			if ctx.Err() == nil {
				w.cfg.Logger.Warn("watcher poll failed", "err", err)
			}
		}
		t.Reset(interval)
	}
}

// Poll processes every block up to head-Depth not processed yet and returns
// the number of events applied (delivered as not Removed).
func (w *Watcher) Poll(ctx context.Context) (applied int, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.load(); err != nil {
		return 0, err
	}
	for {
		n, more, err := w.step(ctx)
		applied += n
		if err != nil || !more {
			return applied, err
		}
	}
}

func (w *Watcher) load() error {
	if w.loaded {
		return nil
	}
	c, err := w.store.Cursor(w.cfg.ChainID)
	switch {
	case errors.Is(err, directory.ErrNotFound):
	case err != nil:
		return fmt.Errorf("watcher: load cursor: %w", err)
	default:
		w.cur = &c
		// Without undo data: the stored cursor is an ancestor candidate only.
		w.journal = []entry{{cursor: c}}
	}
	w.loaded = true
	return nil
}

func (w *Watcher) header(ctx context.Context, n uint64) (*types.Header, error) {
	return w.src.HeaderByNumber(ctx, new(big.Int).SetUint64(n))
}

// step handles one range; more reports whether blocks remain below head-Depth.
func (w *Watcher) step(ctx context.Context) (applied int, more bool, err error) {
	head, err := w.src.HeaderByNumber(ctx, nil)
	if err != nil {
		return 0, false, fmt.Errorf("watcher: head: %w", err)
	}
	if w.cur != nil {
		if err := w.checkReorg(ctx); err != nil {
			return 0, false, err
		}
	}
	from := w.cfg.StartBlock
	if w.cur != nil {
		from = w.cur.BlockNumber + 1
	}
	headN := head.Number.Uint64()
	if headN < w.cfg.Depth {
		return 0, false, nil
	}
	safe := headN - w.cfg.Depth
	if from > safe {
		return 0, false, nil
	}
	to := min(safe, from+w.cfg.MaxRange-1)
	if w.cur == nil && len(w.journal) == 0 {
		// Journal the block before the first one read as an ancestor
		// candidate (genesis when starting at 0: it holds no contract logs).
		base := from - min(from, 1)
		h, err := w.header(ctx, base)
		if err != nil {
			return 0, false, fmt.Errorf("watcher: header %d: %w", base, err)
		}
		w.journal = []entry{{cursor: directory.Cursor{BlockNumber: base, BlockHash: h.Hash()}}}
	}
	toHdr, err := w.header(ctx, to)
	if err != nil {
		return 0, false, fmt.Errorf("watcher: header %d: %w", to, err)
	}
	logs, err := w.src.FilterLogs(ctx, ethereum.FilterQuery{
		FromBlock: new(big.Int).SetUint64(from), ToBlock: new(big.Int).SetUint64(to),
		Addresses: []common.Address{w.cfg.Contract}, Topics: [][]common.Hash{w.topics},
	})
	if err != nil {
		return 0, false, fmt.Errorf("watcher: logs %d-%d: %w", from, to, err)
	}
	// The logs must come from the branch we check against: if the range end
	// or our cursor block changed meanwhile, a reorg raced the query; retry.
	if again, err := w.header(ctx, to); err != nil || again.Hash() != toHdr.Hash() {
		return 0, err == nil, err
	}
	if w.cur != nil {
		if c, err := w.header(ctx, w.cur.BlockNumber); err != nil || c.Hash() != w.cur.BlockHash {
			return 0, err == nil, err
		}
	}
	blocks, ok := groupByBlock(logs, to, toHdr.Hash())
	if !ok {
		return 0, true, nil
	}
	for _, b := range blocks {
		n, err := w.applyBlock(b)
		applied += n
		if err != nil {
			return applied, false, err
		}
	}
	if w.cur == nil || w.cur.BlockNumber < to {
		c := directory.Cursor{BlockNumber: to, BlockHash: toHdr.Hash()}
		if err := w.store.Apply(w.cfg.ChainID, nil, c); err != nil {
			return applied, false, w.storeErr(err)
		}
		w.advance(entry{cursor: c})
	}
	return applied, to < safe, nil
}

type blockLogs struct {
	num  uint64
	hash common.Hash
	logs []types.Log
}

// groupByBlock orders logs by (block, index) and groups them; ok is false
// if they are inconsistent (two hashes for one height, removed logs, or a
// range end that is not toHash), meaning a reorg raced the query.
func groupByBlock(logs []types.Log, to uint64, toHash common.Hash) ([]blockLogs, bool) {
	slices.SortFunc(logs, func(a, b types.Log) int {
		return cmp.Or(cmp.Compare(a.BlockNumber, b.BlockNumber), cmp.Compare(a.Index, b.Index))
	})
	var out []blockLogs
	for _, l := range logs {
		if l.Removed || (l.BlockNumber == to && l.BlockHash != toHash) {
			return nil, false
		}
		if n := len(out); n > 0 && out[n-1].num == l.BlockNumber {
			if out[n-1].hash != l.BlockHash {
				return nil, false
			}
			out[n-1].logs = append(out[n-1].logs, l)
			continue
		}
		out = append(out, blockLogs{num: l.BlockNumber, hash: l.BlockHash, logs: []types.Log{l}})
	}
	return out, true
}

func (w *Watcher) storeErr(err error) error {
	if errors.Is(err, directory.ErrStaleCursor) {
		// Someone else advanced this chain's cursor: reload on the next Poll.
		w.loaded, w.cur, w.journal = false, nil, nil
	}
	return fmt.Errorf("watcher: apply: %w", err)
}

// advance records a committed block and prunes the journal to the window,
// keeping one entry at or below its lower edge as an ancestor candidate.
func (w *Watcher) advance(e entry) {
	c := e.cursor
	w.cur = &c
	w.journal = append(w.journal, e)
	if c.BlockNumber < w.cfg.ReorgWindow {
		return
	}
	edge := c.BlockNumber - w.cfg.ReorgWindow
	drop := 0
	for drop+1 < len(w.journal) && w.journal[drop+1].cursor.BlockNumber <= edge {
		drop++
	}
	w.journal = slices.Delete(w.journal, 0, drop)
}

// applyBlock decodes one block's logs, applies their changes with the
// block's cursor in one transaction, journals the undo data and delivers the
// events.
func (w *Watcher) applyBlock(b blockLogs) (int, error) {
	if w.cur != nil && b.num <= w.cur.BlockNumber {
		return 0, nil // already applied (belt and braces: the store refuses it too)
	}
	var (
		changes []directory.Change
		events  []Event
		prior   []priorState
		exists  = map[directory.ChannelID]bool{}
	)
	touch := func(id directory.ChannelID) (bool, error) {
		if ok, seen := exists[id]; seen {
			return ok, nil
		}
		ch, err := w.store.Get(w.cfg.ChainID, id)
		switch {
		case errors.Is(err, directory.ErrNotFound):
			prior = append(prior, priorState{id: id})
			exists[id] = false
		case err != nil:
			return false, fmt.Errorf("watcher: get channel %s: %w", id, err)
		default:
			prior = append(prior, priorState{id: id, ch: &ch})
			exists[id] = true
		}
		return exists[id], nil
	}
	for i := range b.logs {
		ev, err := w.decode(&b.logs[i])
		if err != nil {
			return 0, err
		}
		if ev.Kind == 0 {
			continue
		}
		change, unknown, err := w.change(ev, touch)
		if err != nil {
			return 0, err
		}
		ev.Unknown = unknown
		if change != nil {
			changes = append(changes, *change)
			if ev.Kind == KindOpened {
				exists[ev.ChannelID] = true
			}
		}
		events = append(events, ev)
	}
	last := b.logs[len(b.logs)-1]
	c := directory.Cursor{BlockNumber: b.num, BlockHash: b.hash, LogIndex: last.Index}
	if err := w.store.Apply(w.cfg.ChainID, changes, c); err != nil {
		return 0, w.storeErr(err)
	}
	w.advance(entry{cursor: c, prior: prior, events: events})
	for _, ev := range events {
		w.deliver(ev)
	}
	return len(events), nil
}

func (w *Watcher) deliver(ev Event) {
	if w.cfg.OnEvent != nil {
		w.cfg.OnEvent(ev)
	}
}

// decode turns a log into an Event; Kind 0 means an event the watcher ignores.
func (w *Watcher) decode(l *types.Log) (Event, error) {
	ev := Event{
		ChainID: w.cfg.ChainID, Contract: l.Address, Block: l.BlockNumber,
		BlockHash: l.BlockHash, TxHash: l.TxHash, LogIndex: l.Index,
	}
	if len(l.Topics) == 0 {
		return Event{}, nil
	}
	ev.Kind = w.kinds[l.Topics[0]]
	var err error
	switch ev.Kind {
	case KindOpened:
		if ev.Opened, err = w.pc.UnpackChannelOpenedEvent(l); err == nil {
			ev.ChannelID = ev.Opened.ChannelId
		}
	case KindToppedUp:
		if ev.ToppedUp, err = w.pc.UnpackChannelToppedUpEvent(l); err == nil {
			ev.ChannelID = ev.ToppedUp.ChannelId
		}
	case KindCloseRequested:
		if ev.CloseRequested, err = w.pc.UnpackCloseRequestedEvent(l); err == nil {
			ev.ChannelID = ev.CloseRequested.ChannelId
		}
	case KindChallenged:
		if ev.Challenged, err = w.pc.UnpackChallengedEvent(l); err == nil {
			ev.ChannelID = ev.Challenged.ChannelId
		}
	case KindClosed:
		if ev.Closed, err = w.pc.UnpackChannelClosedEvent(l); err == nil {
			ev.ChannelID = ev.Closed.ChannelId
		}
	case KindLockResolved:
		if ev.LockResolved, err = w.pc.UnpackLockResolvedEvent(l); err == nil {
			ev.ChannelID = ev.LockResolved.ChannelId
		}
	case KindOutcomeRecorded:
		ev.OutcomeRecorded, err = w.pc.UnpackOutcomeRecordedEvent(l)
	default:
		return Event{}, nil
	}
	if err != nil {
		// Our own contract's event that does not decode: the binding and the
		// deployed contract disagree. Stop rather than skip it.
		return Event{}, fmt.Errorf("watcher: decode %s log %d of block %d: %w", ev.Kind, l.Index, l.BlockNumber, err)
	}
	return ev, nil
}

// change maps an event to its directory change (nil: none). touch records
// the channel's prior state and reports whether it exists.
func (w *Watcher) change(ev Event, touch func(directory.ChannelID) (bool, error)) (_ *directory.Change, unknown bool, _ error) {
	if ev.Kind == KindOutcomeRecorded || ev.Kind == KindLockResolved {
		return nil, false, nil
	}
	exists, err := touch(ev.ChannelID)
	if err != nil {
		return nil, false, err
	}
	block := ev.Block
	if ev.Kind == KindOpened {
		o := ev.Opened
		c := directory.PutChange(directory.Channel{
			ChainID: w.cfg.ChainID, Contract: ev.Contract, ID: o.ChannelId,
			A: o.A, B: o.B, Asset: o.Token, Coordinator: o.Coordinator,
			BalanceA: new(big.Int).Set(o.DepositA), BalanceB: new(big.Int),
			Status: directory.StatusOpen, OpenedAtBlock: block, UpdatedAtBlock: block,
		})
		return &c, false, nil
	}
	if !exists {
		w.cfg.Logger.Warn("event for a channel not in the directory; started after its opening?",
			"kind", ev.Kind, "channel", ev.ChannelID, "block", block)
		return nil, true, nil
	}
	var fn func(*directory.Channel) error
	switch ev.Kind {
	case KindToppedUp:
		t := ev.ToppedUp
		fn = func(ch *directory.Channel) error {
			switch t.By {
			case ch.A:
				ch.BalanceA = new(big.Int).Add(ch.BalanceA, t.Amount)
			case ch.B:
				ch.BalanceB = new(big.Int).Add(ch.BalanceB, t.Amount)
			}
			return nil
		}
	case KindCloseRequested:
		v := ev.CloseRequested.Version
		fn = func(ch *directory.Channel) error {
			ch.Status, ch.Version = directory.StatusClosing, v
			return nil
		}
	case KindChallenged:
		v := ev.Challenged.Version
		fn = func(ch *directory.Channel) error {
			ch.Version = v
			return nil
		}
	case KindClosed:
		cl := ev.Closed
		fn = func(ch *directory.Channel) error {
			ch.Status = directory.StatusClosed
			ch.BalanceA, ch.BalanceB = new(big.Int).Set(cl.PayoutA), new(big.Int).Set(cl.PayoutB)
			return nil
		}
	}
	c := directory.UpdateChange(ev.ChannelID, func(ch *directory.Channel) error {
		if err := fn(ch); err != nil {
			return err
		}
		ch.UpdatedAtBlock = block
		return nil
	})
	return &c, false, nil
}
