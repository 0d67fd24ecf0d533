// Package cluster runs coordinator instances across several members: a
// fenced, etcd-backed instance store (compare-and-swap on mod revisions
// under a lease per member) and, on top of it, instances as protoactor
// cluster grains keyed by instance id. It is additive: the single-process
// coordinator in package actors stays the default.
package cluster
