// Package terminal is the pure channel machine that runs inside a
// terminal's enclave (patent [0107]-[0108], [0119]-[0129]).
//
// It keeps every payment channel of one terminal (IDLE, PREPARED,
// COMMITTED; balances; the reservation of the instance that holds it) and
// answers the coordinator's PREPARE, COMMIT, CONFIRM and REFUND-AUTHORIZED.
// It does no I/O, reads no clock and draws no randomness: time arrives as
// an argument and every handler returns an Output, the records to persist
// and the envelopes to send. The shell must persist Output records before
// it sends Output envelopes (write-ahead), in the manner of etcd raft's
// Ready. A handler that returns an error leaves the machine unchanged.
package terminal
