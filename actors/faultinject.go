package actors

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// FaultInjector loses, duplicates, delays and reorders protocol envelopes
// at actors' mailboxes (the actor boundary), as a network and a host
// could; sims and tests put its middleware on the actors' props. Every
// decision comes from one seeded source, so a seed replays the same
// sequence of decisions (actor scheduling may still interleave them
// differently).
type FaultInjector struct {
	// Probabilities per envelope, each in [0, 1].
	Drop, Duplicate, Delay float64
	// MaxDelay bounds a delay; random delays reorder messages.
	MaxDelay time.Duration
	// Filter, when set, limits faults to the envelopes it accepts.
	Filter func(actor string, env *messages.Envelope) bool

	mu  sync.Mutex
	rng *rand.Rand
	// cut is the side of an active partition (nil: none).
	cut atomic.Pointer[map[common.Address]bool]

	dropped, duplicated, delayed, partitioned atomic.Int64
}

// Partition drops, until Heal, every envelope between the addresses in
// side and everyone else, both ways: the receiving actor's address (given
// to MiddlewareAt) against the envelope's signer. Messages that are not
// envelopes (registrations, queries, requests) still pass.
func (f *FaultInjector) Partition(side []common.Address) {
	m := make(map[common.Address]bool, len(side))
	for _, a := range side {
		m[a] = true
	}
	f.cut.Store(&m)
}

// Heal ends the partition.
func (f *FaultInjector) Heal() { f.cut.Store(nil) }

// acrossCut reports whether the active partition separates self from
// the envelope's signer.
func (f *FaultInjector) acrossCut(self common.Address, env *messages.Envelope) bool {
	cut := f.cut.Load()
	if cut == nil || self == (common.Address{}) || len(env.Signer) != common.AddressLength {
		return false
	}
	return (*cut)[self] != (*cut)[common.BytesToAddress(env.Signer)]
}

// NewFaultInjector returns an injector drawing from seed.
func NewFaultInjector(seed uint64) *FaultInjector {
	return &FaultInjector{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// FaultCounts is how many envelopes were faulted.
type FaultCounts struct{ Dropped, Duplicated, Delayed, Partitioned int64 }

// Counts returns the faults injected so far.
func (f *FaultInjector) Counts() FaultCounts {
	return FaultCounts{f.dropped.Load(), f.duplicated.Load(), f.delayed.Load(), f.partitioned.Load()}
}

type delayedMsg struct{ msg any }

type faultKind int

const (
	faultNone faultKind = iota
	faultDrop
	faultDup
	faultDelay
)

func (f *FaultInjector) decide() (faultKind, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x := f.rng.Float64()
	switch {
	case x < f.Drop:
		return faultDrop, 0
	case x < f.Drop+f.Duplicate:
		return faultDup, 0
	case x < f.Drop+f.Duplicate+f.Delay:
		return faultDelay, time.Duration(f.rng.Int64N(int64(max(f.MaxDelay, time.Millisecond))))
	}
	return faultNone, 0
}

// Middleware faults the envelopes the named actor receives.
func (f *FaultInjector) Middleware(name string) actor.ReceiverMiddleware {
	return f.MiddlewareAt(name, common.Address{})
}

// MiddlewareAt is Middleware for an actor whose chain address is self, so
// that partitions apply to it too.
func (f *FaultInjector) MiddlewareAt(name string, self common.Address) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			switch m := env.Message.(type) {
			case delayedMsg:
				next(c, actor.WrapEnvelope(m.msg))
				return
			case *messages.Envelope:
				if f.acrossCut(self, m) {
					f.partitioned.Add(1)
					return
				}
				if f.Filter != nil && !f.Filter(name, m) {
					break
				}
				kind, d := f.decide()
				switch kind {
				case faultDrop:
					f.dropped.Add(1)
					return
				case faultDup:
					f.duplicated.Add(1)
					next(c, env)
				case faultDelay:
					f.delayed.Add(1)
					sendAfter(c.ActorSystem(), d, c.Self(), delayedMsg{m})
					return
				}
			}
			next(c, env)
		}
	}
}
