package actors

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Timers here send through the system's root context from the timer's own
// goroutine. protoactor's scheduler.TimerScheduler sends through the
// actor's context from that goroutine and reads its cancel flag without
// synchronisation; both are data races under -race. A waiting timer here
// holds no goroutine, which matters with 10,000 instance actors alive.

// sendAfter sends msg to pid once after d, unless the returned function is
// called first or the actor system has stopped.
func sendAfter(system *actor.ActorSystem, d time.Duration, pid *actor.PID, msg any) (cancel func()) {
	t := time.AfterFunc(d, func() {
		if !system.IsStopped() {
			system.Root.Send(pid, msg)
		}
	})
	return func() { t.Stop() }
}

// sendEvery sends msg to pid every interval until the returned function is
// called or the actor system stops.
func sendEvery(system *actor.ActorSystem, interval time.Duration, pid *actor.PID, msg any) (cancel func()) {
	var (
		mu      sync.Mutex
		stopped bool
		t       *time.Timer
	)
	fire := func() {
		mu.Lock()
		defer mu.Unlock()
		if stopped || system.IsStopped() {
			return
		}
		system.Root.Send(pid, msg)
		t.Reset(interval)
	}
	mu.Lock()
	t = time.AfterFunc(interval, fire)
	mu.Unlock()
	return func() {
		mu.Lock()
		defer mu.Unlock()
		stopped = true
		t.Stop()
	}
}

// backoff is a retry schedule: the first wait is base, and each next one
// doubles up to limit. Under load the peers are slow rather than gone;
// resending at a fixed pace then multiplies the load that made them slow.
type backoff struct {
	base, limit, next time.Duration
}

func newBackoff(base, limit time.Duration) backoff {
	return backoff{base: base, limit: max(limit, base), next: base}
}

// wait returns the wait before the next retry and moves the schedule on.
func (b *backoff) wait() time.Duration {
	d := b.next
	b.next = min(2*b.next, b.limit)
	return d
}

// reset starts the schedule over: the peers answered, so they are live.
func (b *backoff) reset() { b.next = b.base }

// roundTrips estimates how long a phase takes, from PREPARE out to the
// last PREPARED in, across all of a coordinator's instances (an EWMA with
// weight 1/8, as TCP's smoothed RTT). A resend waits at least twice that:
// under load a phase is slow for everyone, and resending what is merely
// queued only adds to the queue.
type roundTrips struct {
	smoothed atomic.Int64 // nanoseconds; 0 until the first sample
}

func (r *roundTrips) observe(d time.Duration) {
	for {
		old := r.smoothed.Load()
		next := int64(d)
		if old != 0 {
			next = old + (int64(d)-old)/8
		}
		if r.smoothed.CompareAndSwap(old, next) {
			return
		}
	}
}

// timeout is the least wait before resending a phase.
func (r *roundTrips) timeout() time.Duration {
	return 2 * time.Duration(r.smoothed.Load())
}
