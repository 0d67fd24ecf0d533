// Package watcher follows one chain's PaymentChannels contract and keeps the
// channel directory current (patent [0061]).
//
// A Watcher is driven by its caller: Poll reads the chain up to head minus
// the finality depth, decodes the contract's events, and for every block
// with events applies the resulting directory changes together with the new
// cursor in one Store.Apply, then hands the decoded events to OnEvent. Run
// wraps Poll in a loop for actors; tests call Poll directly.
//
// Exactly-once: the cursor (block number, hash, log index) is written in the
// same transaction as the block's changes, and the store refuses a cursor
// that does not advance, so after a crash or restart the watcher resumes at
// the first unapplied block and never applies an event twice. OnEvent runs
// after the commit, so a crash between the two loses the notification, not
// the directory update; consumers reconcile from the directory on start.
//
// Reorgs: the cursor keeps the hash of the last processed block. When the
// canonical block at that height differs, the watcher walks back through its
// journal of recently processed blocks (bounded by Config.ReorgWindow) to
// the newest block still canonical, restores the channels the orphaned
// blocks touched, rewinds the cursor and re-reads the new branch. Undone
// events are delivered again with Removed set, followed by a KindReorg
// event. With a finality depth at least as deep as any reorg this never
// triggers; one that reaches processed blocks anyway is logged as an error.
// The journal lives in memory: a reorg of processed blocks detected right
// after a restart, or deeper than the window, cannot be undone and Poll
// returns a *ReorgError (errors.Is ErrReorgTooDeep); rebuild the chain's
// directory from the contract's deployment block in that case.
package watcher
