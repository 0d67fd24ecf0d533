package protocoltest

import (
	"crypto/sha256"

	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/terminal"
)

var deterministic = proto.MarshalOptions{Deterministic: true}

// TerminalDigest hashes every record of a terminal machine, so a test can
// show that a rejected input changed nothing.
func TerminalDigest(t *terminal.Machine) [32]byte {
	h := sha256.New()
	for _, c := range t.Channels() {
		b, _ := deterministic.Marshal(c)
		h.Write(b)
	}
	for _, r := range t.Instances() {
		b, _ := deterministic.Marshal(r)
		h.Write(b)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// InstanceDigest hashes a coordinator instance's record.
func InstanceDigest(in *coordinator.Instance) [32]byte {
	b, _ := deterministic.Marshal(in.Record())
	return sha256.Sum256(b)
}
