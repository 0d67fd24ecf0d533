// Package sim is the simulation enclave backend, for machines without SGX.
//
// It is NOT secure. Keys live in ordinary process memory, and sealing uses
// AES-256-GCM under a key the process holds: random per process by default, or
// supplied by the caller (see SealKeyFile) so that sealed state survives
// restarts in tests and demos. Anyone who can read that key or the process's
// memory has every secret.
//
// Reports are self-signed by the backend's own attestation key and marked
// Simulated. The signature only detects tampering; the Verifier accepts them
// only when its policy allows simulation. Opening a backend logs a warning.
//
// Importing the package registers it with enclave.Open as "simulation".
package sim
