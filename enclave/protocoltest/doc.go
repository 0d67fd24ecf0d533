// Package protocoltest is a deterministic harness for the terminal and
// coordinator machines: seeded keys, channels opened at version 0, and an
// in-memory network whose deliveries, drops and duplicates the test
// chooses. Role tests, the exhaustive explorer, fuzz targets and
// benchmarks all drive the machines through it, with no actors or chains.
package protocoltest
