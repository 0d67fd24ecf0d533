// Package directory is the payment channel directory (patent item 300) and the
// route finder that builds per-chain payment channel networks (item 600) from it.
//
// The directory holds, per chain, every known channel with its last known
// per-side capacity, kept current by a chain watcher. A Store persists it
// (NewMemStore for tests and simulations, OpenBolt for nodes). Store.Apply
// writes a block's worth of changes together with the watcher's resume cursor
// in one transaction, and refuses a cursor that does not move forward, so a
// watcher that restarts after a crash neither misses nor double-applies an
// event: either the block's changes and its cursor are both on disk, or neither.
//
// Router wraps a Store (it is itself a Store, writing through) and keeps an
// in-memory adjacency index per (chain, asset) of open channels, updated on
// every write, so FindRoute never touches disk. FindRoute returns a shortest
// path (fewest hops, patent [0086]) in which every payer side can carry the
// amount. Ties between equally short paths are broken deterministically: the
// route whose sequence of channel IDs is lexicographically smallest (comparing
// the first hop's ID, then the second, ...; IDs compare as big-endian bytes)
// wins, so every coordinator replica computes the same route from the same
// directory.
package directory
