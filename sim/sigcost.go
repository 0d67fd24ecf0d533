package sim

import (
	"crypto/rand"
	"runtime"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/messages"
)

// SigCount is how many signatures an instance makes and checks.
type SigCount struct {
	Signs, Verifies int
}

// Add sums two counts.
func (s SigCount) Add(o SigCount) SigCount {
	return SigCount{s.Signs + o.Signs, s.Verifies + o.Verifies}
}

// Total is signs plus verifications.
func (s SigCount) Total() int { return s.Signs + s.Verifies }

// ConfirmedCount is the signature work of one network (one leg) of h hops
// that ends confirmed, counted from the machines in enclave/coordinator and
// enclave/terminal. With T = h+1 terminals and L = 2h channel ends:
//
//	signs: the sender's order (1); coordinator PREPARE, COMMIT, outcome
//	  + CONFIRM (4); each terminal one prepared, one committed and one
//	  settled state per channel end and one PREPARED and one COMMITTED ack
//	  (3L + 2T).
//	verifications: the order at the coordinator and at the sender (2);
//	  PREPARE at each terminal (T); each PREPARED ack and its
//	  states at the coordinator (T + L); each terminal checks COMMIT, all T
//	  PREPARED acks of its network and its peers' prepared states
//	  (T + T*T + L); the COMMITTED acks at the coordinator (T + L); each
//	  terminal checks CONFIRM, all T COMMITTED acks, the outcome signature
//	  and its peers' committed states (2T + T*T + L); each terminal its
//	  peers' settled states (L).
//
// A 6-party 2-chain swap (two networks of 2 hops, two payers) makes 46
// signatures and 116 verifications (38 and 108 before the settled states
// of issue 9, 36 and 104 before orders).
func ConfirmedCount(hops int) SigCount {
	t, l := hops+1, 2*hops
	return SigCount{Signs: 5 + 3*l + 2*t, Verifies: 2 + 6*t + 2*t*t + 5*l}
}

// RefundedCount approximates one network refunded before PREPARED (the
// sim's refunds: a deadline that passed): the sender's order, the PREPARE
// and the refund (outcome + envelope) at the coordinator, a refund request
// per terminal, and each terminal checks the PREPARE, the REFUND-AUTHORIZED
// and its outcome signature while the coordinator checks the order and one
// request.
func RefundedCount(hops int) SigCount {
	t := hops + 1
	return SigCount{Signs: 4 + t, Verifies: 3*t + 2}
}

// SigCost is the measured cost of one signature and one verification on
// this machine, one core.
type SigCost struct {
	Sign, Verify time.Duration
}

// Min is the cheaper of c and o, per operation.
func (c SigCost) Min(o SigCost) SigCost {
	return SigCost{Sign: min(c.Sign, o.Sign), Verify: min(c.Verify, o.Verify)}
}

// MeasureSigCost times n signatures and n verifications (recovery plus
// address comparison, as messages.Envelope.Verify does) on one goroutine
// locked to its thread, in that thread's CPU time: the cost of the work
// itself, even on a machine busy with other processes.
func MeasureSigCost(n int) SigCost {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	key, _ := crypto.GenerateKey()
	addr := crypto.PubkeyToAddress(key.PublicKey)
	digests := make([][32]byte, n)
	for i := range digests {
		_, _ = rand.Read(digests[i][:])
	}
	sigs := make([][]byte, n)
	start := threadCPU()
	for i := range n {
		sigs[i], _ = crypto.Sign(digests[i][:], key)
	}
	sign := (threadCPU() - start) / time.Duration(n)
	start = threadCPU()
	for i := range n {
		got, err := messages.RecoverAddress(digests[i], sigs[i])
		if err != nil || got != addr {
			panic("sim: signature self-check failed")
		}
	}
	verify := (threadCPU() - start) / time.Duration(n)
	return SigCost{Sign: sign, Verify: verify}
}

// PerSecond is how many instances of count the given cores could run per
// second if signatures were the only work.
func (c SigCost) PerSecond(count SigCount, cores int) float64 {
	per := time.Duration(count.Signs)*c.Sign + time.Duration(count.Verifies)*c.Verify
	if per <= 0 {
		return 0
	}
	return float64(cores) / per.Seconds()
}

// threadCPU is the calling thread's CPU time (Linux RUSAGE_THREAD).
func threadCPU() time.Duration {
	const rusageThread = 1
	var ru syscall.Rusage
	if syscall.Getrusage(rusageThread, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
