// Package coordinator is the pure instance machine that runs inside the
// coordinator's enclave (patent [0109]-[0110], [0116]-[0132]).
//
// An Allocator hands out instance ids and channel-state versions, which are
// never reused. Each Instance moves NONE -> PREPARED -> COMMITTED, or from
// NONE or PREPARED to REFUND_AUTHORIZED, and signs exactly one of CONFIRM
// and REFUND-AUTHORIZED: once either is signed the phase is final and no
// input can produce the other. Like the terminal machine it does no I/O and
// reads no clock; every step returns the record to persist and the
// envelopes to send, and the shell persists before it sends.
package coordinator
