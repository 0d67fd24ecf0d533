package watcher

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum"

	"github.com/teeswap/teeswap/chain/directory"
)

// checkReorg verifies the cursor's block is still canonical; if not, it
// rewinds to the newest journaled block that is, undoing the directory
// changes of the blocks after it.
func (w *Watcher) checkReorg(ctx context.Context) error {
	canonical := func(c directory.Cursor) (bool, error) {
		h, err := w.header(ctx, c.BlockNumber)
		if errors.Is(err, ethereum.NotFound) {
			return false, nil // the chain is shorter now
		}
		if err != nil {
			return false, fmt.Errorf("watcher: header %d: %w", c.BlockNumber, err)
		}
		return h.Hash() == c.BlockHash, nil
	}
	ok, err := canonical(*w.cur)
	if err != nil || ok {
		return err
	}
	anc := -1
	for i := len(w.journal) - 2; i >= 0; i-- {
		ok, err := canonical(w.journal[i].cursor)
		if err != nil {
			return err
		}
		if ok {
			anc = i
			break
		}
	}
	if anc < 0 {
		reason := fmt.Sprintf("no journaled block within %d blocks is canonical", w.cfg.ReorgWindow)
		if len(w.journal) <= 1 {
			reason = "no journal since the restart"
		}
		w.cfg.Logger.Error("reorg cannot be undone", "cursor", w.cur.BlockNumber, "reason", reason)
		return &ReorgError{Cursor: *w.cur, Reason: reason}
	}
	undone := w.journal[anc+1:]
	ancestor := w.journal[anc].cursor
	from := *w.cur

	// The state of each touched channel before the oldest undone block.
	var restore []directory.Change
	seen := map[directory.ChannelID]bool{}
	for _, e := range undone {
		for _, p := range e.prior {
			if seen[p.id] {
				continue
			}
			seen[p.id] = true
			if p.ch == nil {
				restore = append(restore, directory.DeleteChange(p.id))
			} else {
				restore = append(restore, directory.PutChange(*p.ch))
			}
		}
	}
	// Undo first, then rewind: a crash in between leaves the old cursor,
	// whose block is not canonical, and the next start reports a ReorgError
	// instead of silently keeping the orphaned changes.
	if len(restore) > 0 {
		bump := from
		bump.LogIndex++
		if err := w.store.Apply(w.cfg.ChainID, restore, bump); err != nil {
			return w.storeErr(err)
		}
	}
	if err := w.store.SetCursor(w.cfg.ChainID, ancestor); err != nil {
		return fmt.Errorf("watcher: rewind cursor: %w", err)
	}
	w.cur = &ancestor
	w.journal = w.journal[:anc+1]

	depth := from.BlockNumber - ancestor.BlockNumber
	level := w.cfg.Logger.Info
	if w.cfg.Depth > 0 {
		level = w.cfg.Logger.Error // the finality assumption was violated
	}
	level("reorg: rewound processed blocks", "from", from.BlockNumber, "ancestor", ancestor.BlockNumber,
		"depth", depth, "finality_depth", w.cfg.Depth, "channels_restored", len(restore))
	for i := len(undone) - 1; i >= 0; i-- {
		evs := undone[i].events
		for j := len(evs) - 1; j >= 0; j-- {
			ev := evs[j]
			ev.Removed = true
			w.deliver(ev)
		}
	}
	w.deliver(Event{
		Kind: KindReorg, ChainID: w.cfg.ChainID, Contract: w.cfg.Contract,
		Block: ancestor.BlockNumber, BlockHash: ancestor.BlockHash,
		Reorg: &Reorg{From: from, Ancestor: ancestor, Depth: depth},
	})
	return nil
}
