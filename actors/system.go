package actors

import (
	"io"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

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

// instanceOf reads the instance id from any payload that names one.
func instanceOf(env *messages.Envelope) ([32]byte, bool) {
	var m interface {
		proto.Message
		GetInstanceId() []byte
	}
	switch env.GetKind() {
	case messages.Kind_KIND_PREPARE:
		m = &messages.Prepare{}
	case messages.Kind_KIND_PREPARED:
		m = &messages.Prepared{}
	case messages.Kind_KIND_COMMIT:
		m = &messages.Commit{}
	case messages.Kind_KIND_COMMITTED:
		m = &messages.Committed{}
	case messages.Kind_KIND_CONFIRM:
		m = &messages.Confirm{}
	case messages.Kind_KIND_REFUND_REQUEST:
		m = &messages.RefundRequest{}
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		m = &messages.RefundAuthorized{}
	case messages.Kind_KIND_REFUND_DENIED:
		m = &messages.RefundDenied{}
	default:
		return [32]byte{}, false
	}
	if proto.Unmarshal(env.Payload, m) != nil || len(m.GetInstanceId()) != 32 {
		return [32]byte{}, false
	}
	return [32]byte(m.GetInstanceId()), true
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
