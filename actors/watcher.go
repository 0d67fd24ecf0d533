package actors

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/chain/watcher"
	"github.com/teeswap/teeswap/messages"
)

// WatcherConfig configures a chain watcher actor.
type WatcherConfig struct {
	// Source is the chain (a chain.Chain satisfies it).
	Source watcher.Source
	// Store is the channel directory the watcher keeps current. Pass the
	// directory.Router the coordinator routes with, so routes see every
	// change at once.
	Store      directory.Store
	ChainID    uint64
	Contract   common.Address
	StartBlock uint64 // the contract's deployment block
	Depth      uint64 // finality depth: blocks above head-Depth wait
	// Interval paces polls; a Poke polls at once. Default 1s.
	Interval time.Duration
	// Peers resolves a channel party's terminal actor for parties that did
	// not Subscribe (in-process deployments pass their Local).
	Peers PeerResolver
	// OnEvent, when set, sees every final event after it was applied to
	// the directory and forwarded, on the actor's goroutine.
	OnEvent func(watcher.Event)
	Logger  *slog.Logger
}

// Poke asks a watcher actor to poll now instead of at its next tick (an
// in-process message: remote clients rely on the interval).
type Poke struct{}

type (
	watcherTick struct{}
	pollDone    struct {
		events []watcher.Event
		err    error
	}
)

// WatcherActor follows one chain's PaymentChannels contract (patent 400,
// 500): it applies each final event to the channel directory, then
// forwards it as a messages.ChainEvent to the terminals of the channel's
// two parties, whose enclaves open, top up or close their channel state
// ([0070]). Chain reads run on a goroutine, one poll at a time, so the
// actor stays responsive; pokes during a poll coalesce into one more.
type WatcherActor struct {
	cfg  WatcherConfig
	w    *watcher.Watcher
	subs map[common.Address]*actor.PID

	mu  sync.Mutex // guards buf, filled by the polling goroutine
	buf []watcher.Event

	polling, again bool
	ctx            context.Context
	stop           context.CancelFunc
	done           chan struct{} // closed when the running poll returns
	cancelTimer    func()
}

// NewWatcher checks cfg and returns the watcher actor's props.
func NewWatcher(cfg WatcherConfig) (*actor.Props, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("chain", cfg.ChainID)
	a := &WatcherActor{cfg: cfg, subs: map[common.Address]*actor.PID{}}
	w, err := watcher.New(cfg.Source, cfg.Store, watcher.Config{
		ChainID: cfg.ChainID, Contract: cfg.Contract, StartBlock: cfg.StartBlock, Depth: cfg.Depth,
		Logger: cfg.Logger, OnEvent: a.collect,
	})
	if err != nil {
		return nil, err
	}
	a.w = w
	return actor.PropsFromProducer(func() actor.Actor { return a }), nil
}

// collect runs on the polling goroutine, in chain order.
func (a *WatcherActor) collect(ev watcher.Event) {
	a.mu.Lock()
	a.buf = append(a.buf, ev)
	a.mu.Unlock()
}

// Receive handles one message.
func (a *WatcherActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.ctx, a.stop = context.WithCancel(context.Background())
		a.cancelTimer = sendEvery(ctx.ActorSystem(), a.cfg.Interval, ctx.Self(), watcherTick{})
		a.poll(ctx)
	case watcherTick, Poke, *Poke:
		a.poll(ctx)
	case *pollDone:
		a.polling = false
		a.forward(ctx, m.events)
		if m.err != nil && a.ctx.Err() == nil {
			if errors.Is(m.err, watcher.ErrReorgTooDeep) {
				a.cfg.Logger.Error("watcher cannot undo a reorg; rebuild this chain's directory", "err", m.err)
			} else {
				a.cfg.Logger.Warn("watcher poll failed; retrying", "err", m.err)
			}
		}
		if a.again {
			a.again = false
			a.poll(ctx)
		}
	case *messages.Subscribe:
		addr, err := messages.Address(m.Address)
		pid := pidOf(m.Peer)
		if pid == nil {
			pid = ctx.Sender()
		}
		if err != nil || pid == nil {
			a.cfg.Logger.Warn("subscribe: need a 20-byte address and a peer")
			return
		}
		if !fromNode(ctx, pid.Address) {
			// A node subscribes its own actors only: a stranger cannot
			// take a terminal's events away from it.
			a.cfg.Logger.Warn("subscribe for another node's actor refused", "peer", pid, "sender", ctx.Sender(), "err", ErrSenderNotAllowed)
			return
		}
		a.subs[addr] = pid
	case *actor.Stopping:
		if a.cancelTimer != nil {
			a.cancelTimer()
		}
		if a.stop != nil {
			a.stop()
		}
		if a.done != nil {
			// Let the running poll see the cancellation, so nothing reads
			// the chain after the watcher stopped.
			select {
			case <-a.done:
			case <-time.After(5 * time.Second):
			}
		}
	}
}

func (a *WatcherActor) poll(ctx actor.Context) {
	if a.polling {
		a.again = true
		return
	}
	a.polling = true
	self, system, pctx := ctx.Self(), ctx.ActorSystem(), a.ctx
	done := make(chan struct{})
	a.done = done
	go func() {
		defer close(done)
		_, err := a.w.Poll(pctx)
		a.observe(pctx)
		a.mu.Lock()
		events := a.buf
		a.buf = nil
		a.mu.Unlock()
		system.Root.Send(self, &pollDone{events: events, err: err})
	}()
}

// forward turns final events into ChainEvents for both parties.
func (a *WatcherActor) forward(ctx actor.Context, events []watcher.Event) {
	for _, ev := range events {
		if ev.Removed {
			a.cfg.Logger.Error("a reorg removed a delivered event; terminals keep it", "kind", ev.Kind, "channel", ev.ChannelID, "block", ev.Block)
			continue
		}
		msg, parties := a.chainEvent(ev)
		if msg != nil {
			for _, p := range parties {
				if pid := a.peer(p); pid != nil {
					ctx.Send(pid, msg)
				} else {
					a.cfg.Logger.Debug("no terminal to tell", "party", p, "kind", ev.Kind)
				}
			}
		}
		if a.cfg.OnEvent != nil {
			a.cfg.OnEvent(ev)
		}
	}
}

func (a *WatcherActor) peer(addr common.Address) *actor.PID {
	if pid := a.subs[addr]; pid != nil {
		return pid
	}
	if a.cfg.Peers != nil {
		return a.cfg.Peers.Peer(addr)
	}
	return nil
}

// chainEvent maps a watcher event to the message its parties get (nil:
// none; the terminal machine has no use for it).
func (a *WatcherActor) chainEvent(ev watcher.Event) (*messages.ChainEvent, []common.Address) {
	msg := &messages.ChainEvent{ChainId: ev.ChainID, Contract: ev.Contract.Bytes(), ChannelId: append([]byte{}, ev.ChannelID[:]...), Block: ev.Block}
	if ev.Kind == watcher.KindOpened {
		o := ev.Opened
		msg.Kind = messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED
		msg.PartyA, msg.PartyB, msg.Token, msg.Coordinator = o.A.Bytes(), o.B.Bytes(), o.Token.Bytes(), o.Coordinator.Bytes()
		msg.DepositA = messages.AmountBytes(o.DepositA)
		return msg, []common.Address{o.A, o.B}
	}
	switch ev.Kind {
	case watcher.KindToppedUp:
		msg.Kind = messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP
		msg.DepositA, msg.DepositB = messages.AmountBytes(ev.ToppedUp.DepositA), messages.AmountBytes(ev.ToppedUp.DepositB)
	case watcher.KindCloseRequested:
		msg.Kind = messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSE_REQUESTED
	case watcher.KindClosed:
		msg.Kind = messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED
	default:
		return nil, nil
	}
	if ev.Unknown {
		return nil, nil
	}
	// The directory, already updated, names the parties.
	ch, err := a.cfg.Store.Get(ev.ChainID, ev.ChannelID)
	if err != nil {
		a.cfg.Logger.Warn("event for a channel the directory lacks", "kind", ev.Kind, "channel", ev.ChannelID, "err", err)
		return nil, nil
	}
	msg.PartyA, msg.PartyB, msg.Token, msg.Coordinator = ch.A.Bytes(), ch.B.Bytes(), ch.Asset.Bytes(), ch.Coordinator.Bytes()
	return msg, []common.Address{ch.A, ch.B}
}
