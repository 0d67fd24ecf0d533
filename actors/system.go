package actors

import (
	"io"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/teeswap/teeswap/messages"
)

// NewSystem returns an actor system whose own logging goes to logger at
// warning level and above (protoactor's default coloured logs are noisy).
func NewSystem(logger *slog.Logger) *actor.ActorSystem {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	quiet := slog.New(levelFilter{logger.Handler(), slog.LevelWarn})
	return actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
}

// Clock is where actors read time; tests pass a fake one.
type Clock func() time.Time

func (c Clock) nowMs() int64 {
	if c == nil {
		return time.Now().UnixMilli()
	}
	return c().UnixMilli()
}

// pidOf turns a Peer into a PID; nil for an empty peer.
func pidOf(p *messages.Peer) *actor.PID {
	if p.GetId() == "" {
		return nil
	}
	return actor.NewPID(p.Address, p.Id)
}

// peerOf turns a PID into a Peer.
func peerOf(pid *actor.PID) *messages.Peer {
	if pid == nil {
		return nil
	}
	return &messages.Peer{Address: pid.Address, Id: pid.Id}
}
