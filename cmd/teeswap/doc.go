// Command teeswap is the single teeswap binary: `demo` runs the embedded
// default end to end; `node` runs a coordinator, terminal or watcher as
// its own process; `swap`, `pay` and `channel` are clients of a running
// node; `deploy` puts the contract on a real chain; `sim` runs load.
package main
