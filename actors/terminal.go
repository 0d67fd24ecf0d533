package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// ChainOps carries out a terminal's on-chain actions. Implementations sign
// transactions through the terminal's enclave key; nothing here sees it.
type ChainOps interface {
	Open(ctx context.Context, b TxBuilder, req *messages.ChannelOpen, coordinator common.Address) ([32]byte, error)
	CooperativeClose(ctx context.Context, b TxBuilder, terms terminal.CloseTerms, sigA, sigB []byte) (payoutA, payoutB *big.Int, err error)
}

// PeerResolver finds another terminal's actor by its chain address.
type PeerResolver interface {
	Peer(addr common.Address) *actor.PID
}

// TerminalConfig configures a terminal actor.
type TerminalConfig struct {
	// Signer is the terminal's enclave key handle; only its machine signs
	// with it (enclave/hostapi for the registration).
	Signer       enclave.Key
	Store        Store
	VerifyReport terminal.ReportVerifier
	Coordinator  *actor.PID
	// Report is this terminal's framed attestation report (FrameReport),
	// sent with each registration.
	Report []byte
	// TrustedCoordinator, when set, is the only coordinator enclave
	// address this terminal admits (pin it when peers run simulation
	// enclaves, whose reports anyone can make).
	TrustedCoordinator common.Address
	// Watchers are the remote watcher nodes (host:port) whose chain
	// events this terminal takes, besides its own in-process watchers.
	Watchers []string
	// Credential is the node's control credential, required on owner-only
	// requests (open, close, list); empty for in-process deployments.
	Credential string
	Clock      Clock
	// RetryInterval paces registration retries, parked PREPAREs and refund
	// requests for instances whose deadline passed without an outcome.
	RetryInterval time.Duration
	Chain         ChainOps     // optional: channel open/close on chain
	Peers         PeerResolver // optional: for cooperative close
	Logger        *slog.Logger
	// OnOutcome, when set, is called after an instance's outcome has been
	// applied and persisted (tests and the demo watch it).
	OnOutcome func(id [32]byte, network uint32, phase messages.TerminalPhase)
}

type activeKey struct {
	id  [32]byte
	net uint32
}

type parked struct {
	env      *messages.Envelope
	deadline int64
}

type (
	terminalTick struct{}
	openDone     struct {
		client *actor.PID
		id     [32]byte
		err    error
		txs    []*messages.TxReceipt
	}
	closeDone struct {
		client           *actor.PID
		id               [32]byte
		payoutA, payoutB *big.Int
		err              error
		txs              []*messages.TxReceipt
	}
)

// TerminalActor wraps one terminal enclave's channel machine.
type TerminalActor struct {
	cfg        TerminalConfig
	m          *terminal.Machine
	active     map[activeKey]int64
	parked     []parked
	registered bool
	cancel     func()
	tx         *actorTx       // the enclave's transaction entry point, once started
	arb        *arbitrator    // nil without DisputeOps
	settle     settleResend   // settled states the counterparties have not countersigned
	faults     terminalFaults // issue 11: terminal_faults.go
}

// NewTerminal restores a terminal from its store and returns its props.
func NewTerminal(cfg TerminalConfig) (*actor.Props, error) {
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = 500 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := cfg.Store.LoadTerminal()
	if err != nil {
		return nil, err
	}
	mcfg := terminal.Config{Signer: cfg.Signer, VerifyReport: cfg.VerifyReport}
	if d, ok := cfg.Chain.(interface {
		Deployments() map[uint64]common.Address
	}); ok {
		mcfg.Contracts = d.Deployments()
	}
	m, err := terminal.Restore(mcfg, st.Coordinators, st.Channels, st.Instances)
	if err != nil {
		return nil, err
	}
	a := &TerminalActor{cfg: cfg, m: m, active: map[activeKey]int64{}, arb: newArbitrator(cfg.Chain)}
	a.track(st.Instances)
	return actor.PropsFromProducer(func() actor.Actor { return a }), nil
}

// Receive handles one message.
func (a *TerminalActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.cancel = sendEvery(ctx.ActorSystem(), a.cfg.RetryInterval, ctx.Self(), terminalTick{})
		a.tx = &actorTx{addr: a.m.Address(), system: ctx.ActorSystem(), pid: ctx.Self(), stopped: make(chan struct{})}
		a.register(ctx)
		a.queryCommitted(ctx)
		if a.arb != nil {
			a.arb.catchUp(a.m.Channels()) // closes made while down
			a.arbitrate(ctx, nil)
		}
	case *messages.RegistrationRequest:
		if a.allowed(ctx, m, a.fromCoordinator(ctx)) {
			a.reRegister(ctx, m)
		}
	case *txBuild:
		m.run(a.m)
	case *disputeDone:
		a.disputeDone(ctx, m)
	case *actor.Stopping:
		if a.cancel != nil {
			a.cancel()
		}
		if a.tx != nil && a.tx.stopped != nil {
			close(a.tx.stopped)
		}
	case *messages.Registered:
		if a.allowed(ctx, m, a.fromCoordinator(ctx)) {
			a.admit(m)
		}
	case *messages.SettledState:
		a.settledState(ctx, m) // from a counterparty, not the coordinator
	case *messages.Envelope:
		if a.allowed(ctx, m, a.fromCoordinator(ctx)) {
			a.handle(ctx, m)
		}
	case terminalTick:
		a.tick(ctx)
	case *messages.ChainEvent:
		if a.allowed(ctx, m, a.fromWatcher(ctx)) {
			a.chainEvent(ctx, m)
		}
	case *messages.ChannelListRequest:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			// The chain address is public: peers learn it here.
			ctx.Respond(&messages.ChannelList{Terminal: a.m.Address().Bytes(), Error: err.Error()})
			return
		}
		ctx.Respond(a.list())
	case *messages.SignOrder:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			ctx.Respond(&messages.OrderSigned{Error: err.Error()})
			return
		}
		ctx.Respond(a.signOrder(m))
	case *messages.ChannelOpen:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			ctx.Respond(&messages.ChannelOpened{Error: err.Error()})
			return
		}
		a.open(ctx, m)
	case *openDone:
		reply := &messages.ChannelOpened{ChannelId: m.id[:], Txs: m.txs}
		if m.err != nil {
			reply.Error = m.err.Error()
		}
		if m.client != nil {
			ctx.Send(m.client, reply)
		}
	case *messages.ChannelClose:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			ctx.Respond(&messages.ChannelClosed{ChannelId: m.ChannelId, Error: err.Error()})
			return
		}
		a.closeChannel(ctx, m)
	case *messages.ChannelTopUp:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			ctx.Respond(&messages.ChannelToppedUp{ChannelId: m.ChannelId, Error: err.Error()})
			return
		}
		a.topUp(ctx, m)
	case *messages.NodeStatusRequest:
		if err := CheckCredential(a.cfg.Credential, m); err != nil {
			ctx.Respond(&messages.NodeStatus{Error: err.Error()})
			return
		}
		ctx.Respond(a.nodeStatus())
	case *topUpDone:
		if m.client != nil {
			ctx.Send(m.client, m.reply)
		}
	case *messages.CloseSignature:
		if err := a.fromCounterparty(ctx, m.ChannelId); err != nil {
			a.cfg.Logger.Warn("close co-signature refused", "sender", ctx.Sender(), "err", err)
			ctx.Respond(&messages.CloseSigned{Error: err.Error()})
			return
		}
		ctx.Respond(a.cosign(m))
	case *closeDone:
		reply := &messages.ChannelClosed{ChannelId: m.id[:], PayoutA: messages.AmountBytes(m.payoutA), PayoutB: messages.AmountBytes(m.payoutB), Txs: m.txs}
		if m.err != nil {
			reply.Error = m.err.Error() + "; the channel is not closed on chain: it stays unused (closing) until a close succeeds; retry it or settle by dispute"
		}
		if m.client != nil {
			ctx.Send(m.client, reply)
		}
	}
}

func (a *TerminalActor) register(ctx actor.Context) {
	if a.registered || a.cfg.Coordinator == nil {
		return
	}
	reg, err := SignedRegistration(a.cfg.Signer, ctx.Self(), a.cfg.Report, a.cfg.Clock.nowMs())
	if err != nil {
		a.cfg.Logger.Error("sign registration", "err", err)
		return
	}
	reg.Applied = a.appliedReport() // self-authenticating: each entry carries the coordinator's own signature
	ctx.Request(a.cfg.Coordinator, reg)
}

// allowed logs and reports a message from a sender it may not come from.
func (a *TerminalActor) allowed(ctx actor.Context, m any, ok bool) bool {
	if !ok {
		a.cfg.Logger.Warn("message refused", "type", fmt.Sprintf("%T", m), "sender", ctx.Sender(), "err", ErrSenderNotAllowed)
	}
	return ok
}

// fromCoordinator: registration answers and protocol envelopes come from
// the configured coordinator's node (or this process).
func (a *TerminalActor) fromCoordinator(ctx actor.Context) bool {
	if a.cfg.Coordinator == nil {
		return inProcess(ctx)
	}
	return fromNode(ctx, a.cfg.Coordinator.Address)
}

// fromWatcher: chain events come from this process's watchers or from a
// configured watcher node.
func (a *TerminalActor) fromWatcher(ctx actor.Context) bool {
	if inProcess(ctx) {
		return true
	}
	for _, w := range a.cfg.Watchers {
		if ctx.Sender().Address == w {
			return true
		}
	}
	return false
}

// fromCounterparty: a close co-signature request or a settled state
// comes from the node of the channel's counterparty.
func (a *TerminalActor) fromCounterparty(ctx actor.Context, channelID []byte) error {
	id, err := messages.Hash32(channelID)
	if err != nil {
		return err
	}
	c := a.m.Channel(id)
	if c == nil {
		return fmt.Errorf("%w: %x", terminal.ErrUnknownChannel, id)
	}
	if inProcess(ctx) {
		return nil
	}
	peerAddr := common.BytesToAddress(c.PartyA)
	if peerAddr == a.m.Address() {
		peerAddr = common.BytesToAddress(c.PartyB)
	}
	var peer *actor.PID
	if a.cfg.Peers != nil {
		peer = a.cfg.Peers.Peer(peerAddr)
	}
	if peer == nil || ctx.Sender().Address != peer.Address {
		return fmt.Errorf("%w: only the counterparty %s may send this for channel %x", ErrSenderNotAllowed, peerAddr, id)
	}
	return nil
}

func (a *TerminalActor) admit(r *messages.Registered) {
	if r.Error != "" {
		a.cfg.Logger.Warn("coordinator refused registration", "err", r.Error)
		return
	}
	coord, err := messages.Address(r.Coordinator)
	if err != nil {
		a.cfg.Logger.Warn("registration reply", "err", err)
		return
	}
	if pin := a.cfg.TrustedCoordinator; pin != (common.Address{}) && coord != pin {
		a.cfg.Logger.Error("registration answer names another coordinator than the pinned one; ignored", "coordinator", coord, "pinned", pin)
		return
	}
	if err := a.m.AdmitCoordinator(coord, r.Report); err != nil {
		a.cfg.Logger.Error("coordinator attestation rejected", "coordinator", coord, "err", err)
		return
	}
	if err := a.cfg.Store.SaveTrusted(coord); err != nil {
		a.cfg.Logger.Error("persist coordinator", "err", err)
		return
	}
	a.registered = true
}

// step persists a machine output, then sends it: write-ahead.
func (a *TerminalActor) step(ctx actor.Context, out terminal.Output) bool {
	if err := a.cfg.Store.SaveTerminal(out); err != nil {
		a.cfg.Logger.Error("persist; dropping output", "err", err)
		return false
	}
	a.track(out.Instances)
	for _, env := range out.Send {
		ctx.Send(a.cfg.Coordinator, env)
		countOut(roleTerminal, env)
	}
	if a.settle.idle && len(out.Channels) > 0 {
		// An outcome may have left a settled state waiting for the
		// counterparty: look again one retry interval from now.
		a.settle.sent(a.cfg.Clock.nowMs(), a.cfg.RetryInterval)
	}
	a.sendPeers(ctx, out.Peer)
	return true
}

// track keeps the set of instances waiting for an outcome.
func (a *TerminalActor) track(recs []*messages.TerminalInstance) {
	for _, r := range recs {
		k := activeKey{[32]byte(r.InstanceId), r.NetworkIndex}
		switch r.Phase {
		case messages.TerminalPhase_TERMINAL_PHASE_PREPARED, messages.TerminalPhase_TERMINAL_PHASE_COMMITTED:
			a.active[k] = r.GetPrepare().GetDeadlineMs()
		default:
			if _, was := a.active[k]; was && a.cfg.OnOutcome != nil {
				a.cfg.OnOutcome(k.id, k.net, r.Phase)
			}
			delete(a.active, k)
		}
	}
}

func (a *TerminalActor) handle(ctx actor.Context, env *messages.Envelope) {
	var (
		out terminal.Output
		err error
	)
	now := a.cfg.Clock.nowMs()
	countIn(roleTerminal, env)
	switch env.Kind {
	case messages.Kind_KIND_PREPARE:
		out, err = a.m.HandlePrepare(env, now)
		if errors.Is(err, terminal.ErrChannelBusy) {
			var p messages.Prepare
			if _, perr := env.Open(messages.Kind_KIND_PREPARE, &p); perr == nil {
				a.parked = append(a.parked, parked{env: env, deadline: p.DeadlineMs})
				return
			}
		}
		if declinable(err) {
			a.cfg.Logger.Info("declining", "err", err)
			out, err = a.m.Decline(env, err.Error())
		}
	case messages.Kind_KIND_COMMIT:
		out, err = a.m.HandleCommit(env, now)
	case messages.Kind_KIND_CONFIRM:
		out, err = a.m.HandleConfirm(env)
	case messages.Kind_KIND_REFUND_AUTHORIZED:
		out, err = a.m.HandleRefundAuthorized(env)
	case messages.Kind_KIND_REFUND_DENIED:
		return // the CONFIRM it comes with settles the instance
	default:
		err = fmt.Errorf("unexpected %v at a terminal", env.Kind)
	}
	if err != nil {
		refusal(roleTerminal, err)
		if !errors.Is(err, terminal.ErrDuplicate) {
			a.cfg.Logger.Info("rejected", "kind", env.Kind, "err", err)
		} else {
			a.ackOutcome(ctx, env) // our ack was lost: the coordinator resends
		}
		return
	}
	stepped := a.step(ctx, out)
	if stepped {
		a.ackOutcome(ctx, env)
	}
	if stepped && len(out.Channels) > 0 && len(a.parked) > 0 && env.Kind != messages.Kind_KIND_PREPARE {
		a.retryParked(ctx, now)
	}
}

// declinable errors are honest reasons not to take part: the terminal
// asks for refund at once rather than let the instance wait its deadline.
// A payer without its valid order declines too: the PREPARE is the
// attested coordinator's, so the instance ends now for everyone.
func declinable(err error) bool {
	for _, e := range []error{terminal.ErrInsufficientBalance, terminal.ErrStaleVersion, terminal.ErrExpired, terminal.ErrChannelClosed,
		terminal.ErrUnauthorised, terminal.ErrOrderExpired, terminal.ErrOrderReplayed, terminal.ErrOrderMismatch} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (a *TerminalActor) retryParked(ctx actor.Context, now int64) {
	ps := a.parked
	a.parked = nil
	for _, p := range ps {
		if now >= p.deadline {
			if out, err := a.m.Decline(p.env, "channel stayed busy"); err == nil {
				a.step(ctx, out)
			}
			continue
		}
		a.handle(ctx, p.env)
	}
}

func (a *TerminalActor) tick(ctx actor.Context) {
	a.register(ctx)
	observeChannels(a.list())
	now := a.cfg.Clock.nowMs()
	if len(a.parked) > 0 {
		a.retryParked(ctx, now)
	}
	grace := a.cfg.RetryInterval.Milliseconds()
	asked := map[[32]byte]bool{}
	for k, deadline := range a.active {
		if now < deadline+grace || asked[k.id] {
			continue
		}
		// No outcome by the deadline: ask. The coordinator answers with
		// REFUND-AUTHORIZED, or with a denial and the CONFIRM we missed.
		asked[k.id] = true
		out, err := a.m.RequestRefund(k.id, "no outcome by the deadline")
		if err != nil {
			continue
		}
		a.step(ctx, out)
	}
	if a.arb != nil {
		a.arbitrate(ctx, a.m.Disputes())
	}
	a.resendSettled(ctx)
}

func (a *TerminalActor) chainEvent(ctx actor.Context, ev *messages.ChainEvent) {
	id, err := messages.Hash32(ev.ChannelId)
	if err != nil {
		a.cfg.Logger.Warn("chain event", "err", err)
		return
	}
	var out terminal.Output
	switch ev.Kind {
	case messages.ChainEventKind_CHAIN_EVENT_KIND_OPENED:
		out, err = a.m.OpenChannel(terminal.Opened{
			ChainID: ev.ChainId, Contract: common.BytesToAddress(ev.Contract), ChannelID: id,
			A: common.BytesToAddress(ev.PartyA), B: common.BytesToAddress(ev.PartyB), Asset: common.BytesToAddress(ev.Token),
			Coordinator: common.BytesToAddress(ev.Coordinator), DepositA: new(big.Int).SetBytes(ev.DepositA),
		})
	case messages.ChainEventKind_CHAIN_EVENT_KIND_TOPPED_UP:
		out, err = a.m.TopUp(id, new(big.Int).SetBytes(ev.DepositA), new(big.Int).SetBytes(ev.DepositB))
	case messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSE_REQUESTED, messages.ChainEventKind_CHAIN_EVENT_KIND_CHALLENGED,
		messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED:
		if a.arb != nil {
			a.checkChannel(ctx, id)
			return
		}
		if ev.Kind != messages.ChainEventKind_CHAIN_EVENT_KIND_CLOSED {
			return
		}
		out, err = a.m.ChannelClosed(id)
	default:
		return
	}
	if err != nil {
		if !errors.Is(err, terminal.ErrDuplicate) && !errors.Is(err, terminal.ErrNotParticipant) {
			a.cfg.Logger.Warn("chain event rejected", "kind", ev.Kind, "err", err)
		}
		return
	}
	if err := a.cfg.Store.SaveTerminal(out); err != nil {
		a.cfg.Logger.Error("persist chain event", "err", err)
	}
}

// signOrder has the enclave sign the owner's order for a swap this
// terminal pays. Owner-only: the request's credential was checked. Signing changes no
// state; the order is used, and recorded, when its PREPARE comes.
func (a *TerminalActor) signOrder(req *messages.SignOrder) *messages.OrderSigned {
	env, err := a.m.SignOrder(req.RequestId, req.Kind, req.Legs, req.ExpiresMs)
	if err != nil {
		return &messages.OrderSigned{Error: err.Error()}
	}
	return &messages.OrderSigned{Order: env}
}

func (a *TerminalActor) list() *messages.ChannelList {
	out := messages.ChannelList{Terminal: a.m.Address().Bytes()}
	for _, c := range a.m.Coordinators() {
		out.Coordinators = append(out.Coordinators, c.Bytes())
	}
	for _, c := range a.m.Channels() {
		st := terminal.Resolved(c.Latest)
		out.Channels = append(out.Channels, &messages.ChannelInfo{
			ChainId: c.ChainId, ChannelId: c.ChannelId, PartyA: c.PartyA, PartyB: c.PartyB,
			BalanceA: st.BalanceA, BalanceB: st.BalanceB, Version: st.Version,
			// Closed only once the contract closed it: a signed close may
			// still fail on chain (issue 11).
			Phase: c.Phase, Closed: c.ClosedOnChain, Closing: c.Closed && !c.ClosedOnChain, Asset: c.Asset,
			ClosingVersion: c.GetDispute().GetClosingVersion(), ClosingDeadline: c.GetDispute().GetDeadline(), Settled: c.GetDispute().GetSettled(),
		})
	}
	return &out
}

func (a *TerminalActor) open(ctx actor.Context, req *messages.ChannelOpen) {
	client := ctx.Sender()
	if a.cfg.Chain == nil {
		ctx.Respond(&messages.ChannelOpened{Error: "this terminal has no chain access"})
		return
	}
	coord := common.BytesToAddress(req.Coordinator)
	if len(req.Coordinator) == 0 {
		cs := a.m.Coordinators()
		if len(cs) == 0 {
			ctx.Respond(&messages.ChannelOpened{Error: "no attested coordinator yet"})
			return
		}
		coord = cs[0]
	}
	self, system, b := ctx.Self(), ctx.ActorSystem(), a.tx
	go func() { // chain I/O stays off the actor's mailbox
		txctx, txs := withTxRecorder(context.Background())
		id, err := a.cfg.Chain.Open(txctx, b, req, coord)
		system.Root.Send(self, &openDone{client: client, id: id, err: err, txs: txs.receipts()})
	}()
}

func (a *TerminalActor) closeChannel(ctx actor.Context, req *messages.ChannelClose) {
	if req.Force {
		a.forceClose(ctx, req)
		return
	}
	client := ctx.Sender()
	fail := func(err error) { ctx.Respond(&messages.ChannelClosed{ChannelId: req.ChannelId, Error: err.Error()}) }
	id, err := messages.Hash32(req.ChannelId)
	if err != nil {
		fail(err)
		return
	}
	if a.cfg.Chain == nil || a.cfg.Peers == nil {
		fail(errors.New("this terminal has no chain access"))
		return
	}
	c := a.m.Channel(id)
	if c == nil {
		fail(fmt.Errorf("%w: %x", terminal.ErrUnknownChannel, id))
		return
	}
	peerAddr := common.BytesToAddress(c.PartyA)
	if peerAddr == a.m.Address() {
		peerAddr = common.BytesToAddress(c.PartyB)
	}
	peer := a.cfg.Peers.Peer(peerAddr)
	if peer == nil {
		// The CLI retries on this text until its --wait ends: a node that
		// has just started may not have learned its peers yet.
		fail(fmt.Errorf("counterparty %s is not reachable (its node is not among this terminal's known peers)", peerAddr))
		return
	}
	terms, out, err := a.m.CooperativeClose(id, nil)
	if err != nil {
		fail(err)
		return
	}
	if err := a.cfg.Store.SaveTerminal(out); err != nil {
		fail(err)
		return
	}
	ask := &messages.CloseSignature{ChainId: terms.ChainID, ChannelId: id[:], Version: terms.Version,
		BalanceA: messages.AmountBytes(terms.BalanceA), BalanceB: messages.AmountBytes(terms.BalanceB)}
	isA := common.BytesToAddress(c.PartyA) == a.m.Address()
	self, system, b := ctx.Self(), ctx.ActorSystem(), a.tx
	go func() {
		if c.Closed {
			if err := a.closedOnChain(c.ChainId, id); err != nil {
				system.Root.Send(self, &closeDone{client: client, id: id, err: err})
				return
			}
		}
		res, err := system.Root.RequestFuture(peer, ask, 10*time.Second).Result()
		done := &closeDone{client: client, id: id}
		signed, ok := res.(*messages.CloseSigned)
		switch {
		case err != nil:
			done.err = fmt.Errorf("counterparty did not answer: %w", err)
		case !ok || signed.Error != "":
			done.err = fmt.Errorf("counterparty refused to close: %s", signed.GetError())
		default:
			sigA, sigB := terms.Signature, signed.Signature
			if !isA {
				sigA, sigB = sigB, sigA
			}
			txctx, txs := withTxRecorder(context.Background())
			done.payoutA, done.payoutB, done.err = a.cfg.Chain.CooperativeClose(txctx, b, terms, sigA, sigB)
			done.txs = txs.receipts()
		}
		system.Root.Send(self, done)
	}()
}

// cosign signs a counterparty's cooperative close if this enclave computes
// the very same final balances.
func (a *TerminalActor) cosign(req *messages.CloseSignature) *messages.CloseSigned {
	id, err := messages.Hash32(req.ChannelId)
	if err != nil {
		return &messages.CloseSigned{Error: err.Error()}
	}
	terms, out, err := a.m.CooperativeClose(id, &terminal.CloseTerms{ChainID: req.ChainId, Version: req.Version,
		BalanceA: new(big.Int).SetBytes(req.BalanceA), BalanceB: new(big.Int).SetBytes(req.BalanceB)})
	if err != nil {
		return &messages.CloseSigned{Error: err.Error()}
	}
	if err := a.cfg.Store.SaveTerminal(out); err != nil {
		return &messages.CloseSigned{Error: err.Error()}
	}
	return &messages.CloseSigned{Signature: terms.Signature}
}
