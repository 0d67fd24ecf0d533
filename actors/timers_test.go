package actors

import (
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

func TestBackoffDoublesToItsLimitAndResets(t *testing.T) {
	b := newBackoff(100*time.Millisecond, 450*time.Millisecond)
	var got []time.Duration
	for range 5 {
		got = append(got, b.wait())
	}
	want := []time.Duration{100, 200, 400, 450, 450}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits %v, want %v ms", got, want)
		}
	}
	b.reset()
	if w := b.wait(); w != 100*time.Millisecond {
		t.Fatalf("after reset the wait is %v", w)
	}
	short := newBackoff(time.Second, time.Millisecond)
	if first, second := short.wait(), short.wait(); first != time.Second || second != time.Second {
		t.Fatalf("a limit below the base shortened the waits to %v, %v", first, second)
	}
}

func TestRoundTripsSmoothAndTimeOutAtTwice(t *testing.T) {
	var r roundTrips
	if r.timeout() != 0 {
		t.Fatal("no sample yet must impose no wait")
	}
	r.observe(800 * time.Millisecond)
	if r.timeout() != 1600*time.Millisecond {
		t.Fatalf("first sample: timeout %v, want 1.6s", r.timeout())
	}
	r.observe(0)
	if got := r.timeout(); got != 1400*time.Millisecond {
		t.Fatalf("after a fast phase: timeout %v, want 1.4s (weight 1/8)", got)
	}
}

// receiver counts what reaches it.
type receiver struct{ got chan any }

func (r *receiver) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case string:
		r.got <- m
	}
}

func TestTimersSendAndCancel(t *testing.T) {
	system := actor.NewActorSystem()
	defer system.Shutdown()
	r := &receiver{got: make(chan any, 100)}
	pid := system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))

	cancelOnce := sendAfter(system, 30*time.Millisecond, pid, "never")
	cancelOnce()
	sendAfter(system, 10*time.Millisecond, pid, "once")
	if m := <-r.got; m != "once" {
		t.Fatalf("got %v", m)
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(r.got); n != 0 {
		t.Fatalf("a cancelled timer still sent (%v)", <-r.got)
	}

	stop := sendEvery(system, 5*time.Millisecond, pid, "tick")
	for range 3 {
		if m := <-r.got; m != "tick" {
			t.Fatalf("got %v", m)
		}
	}
	stop()
	stop() // cancelling twice is harmless
	time.Sleep(20 * time.Millisecond)
	for len(r.got) > 0 {
		<-r.got // at most a tick already in flight at the cancel
	}
	time.Sleep(30 * time.Millisecond)
	if n := len(r.got); n != 0 {
		t.Fatalf("%d ticks after the cancel", n)
	}
}
