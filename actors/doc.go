// Package actors is teeswap's running system: thin protoactor-go actors
// around the pure enclave machines. A terminal actor wraps one terminal
// enclave; the coordinator actor spawns one child actor per instance, so
// thousands run at once without blocking each other; a directory actor
// answers routes and watcher actors follow each chain's contract.
//
// Every actor follows one loop: decode, hand the input to its machine,
// persist the machine's records (write-ahead, sealed by the enclave),
// then send the machine's envelopes. A crash at any point is recovered by
// restoring the persisted records. Time comes from the actor's clock and is
// passed to the machines as an argument.
package actors
