package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/messages"
)

// target is how a client command names the node actor it talks to.
type target struct {
	node, actorID, listen string
	coordinator, term     string
	dataDir, credFile     string
	allowSim, plaintext   bool
	timeout               time.Duration
}

// register adds the addressing flags; def is the actor a bare --node
// reaches (coordinator or terminal).
func (t *target) register(fs *pflag.FlagSet, def string) {
	fs.StringVar(&t.node, "node", "", "node host:port (with --actor)")
	fs.StringVar(&t.actorID, "actor", def, "actor id at --node")
	switch def {
	case actorCoordinator:
		fs.StringVar(&t.coordinator, "coordinator", "", "coordinator node host:port (env TEESWAP_COORDINATOR)")
	case actorTerminal:
		fs.StringVar(&t.term, "terminal", "", "terminal node host:port (env TEESWAP_TERMINAL)")
	}
	fs.StringVar(&t.listen, "listen", "127.0.0.1:0", "where this client listens for the answer; the node must reach it")
	fs.DurationVar(&t.timeout, "wait", 2*time.Minute, "how long to wait for the answer")
	fs.StringVar(&t.dataDir, "data-dir", "", "the node's data directory, to read its control credential (env TEESWAP_DATA_DIR)")
	fs.BoolVar(&t.allowSim, "allow-simulation", false, "accept the node's simulation enclave (env TEESWAP_ALLOW_SIMULATION)")
	fs.BoolVar(&t.plaintext, "insecure-plaintext-loopback", false, "INSECURE: talk to a node that runs remoting without TLS (env TEESWAP_INSECURE_PLAINTEXT_LOOPBACK)")
	fs.StringVar(&t.credFile, "credential", "", "the node's control credential file (env TEESWAP_CREDENTIAL; default DATA_DIR/"+fileCredential+")")
}

// credential reads the control credential owner-only requests carry:
// --credential, else the one in --data-dir. None: requests go without,
// and the node refuses the owner-only ones.
func (t *target) credential() (string, error) {
	file, dir := t.credFile, t.dataDir
	if file == "" {
		file = os.Getenv("TEESWAP_CREDENTIAL")
	}
	if dir == "" {
		dir = os.Getenv("TEESWAP_DATA_DIR")
	}
	if file == "" && dir != "" {
		file = filepath.Join(dir, fileCredential)
	}
	if file == "" {
		return "", nil
	}
	cred, err := actors.ReadCredential(file)
	if err != nil {
		return "", usageError("control credential: %v", err)
	}
	return cred, nil
}

func (t *target) pid() (*actor.PID, error) {
	if t.timeout <= 0 {
		return nil, usageError("--wait %v: give a positive duration", t.timeout)
	}
	switch {
	case t.node != "":
		if _, _, err := actors.SplitHostPort(t.node); err != nil {
			return nil, usageError("--node: %v", err)
		}
		return actor.NewPID(t.node, t.actorID), nil
	case t.coordinator != "" || (t.actorID == actorCoordinator && os.Getenv("TEESWAP_COORDINATOR") != ""):
		return t.named(t.coordinator, "TEESWAP_COORDINATOR", actorCoordinator)
	case t.term != "" || (t.actorID == actorTerminal && os.Getenv("TEESWAP_TERMINAL") != ""):
		return t.named(t.term, "TEESWAP_TERMINAL", actorTerminal)
	}
	switch t.actorID {
	case actorCoordinator:
		return nil, usageError("which coordinator? give --coordinator host:port (or --node host:port)")
	case actorTerminal:
		return nil, usageError("which terminal? give --terminal host:port (or --node host:port)")
	}
	return nil, usageError("which node? give --node host:port")
}

func (t *target) named(v, env, id string) (*actor.PID, error) {
	if v == "" {
		v = os.Getenv(env)
	}
	if _, _, err := actors.SplitHostPort(v); err != nil {
		return nil, usageError("%v", err)
	}
	return actor.NewPID(v, id), nil
}

// errNotRegisteredYet is a terminal's answer to an open before it has
// registered with (and attested) its coordinator.
const errNotRegisteredYet = "no attested coordinator yet"

// errPeerNotKnownYet is a terminal's answer to a cooperative close while
// it has not yet learned where the counterparty's node is (a node that
// has just (re)started asks its peers for their addresses): nothing was
// signed or sent, so asking again within --wait is safe.
const errPeerNotKnownYet = "is not reachable"

// clientConn is a client's own small actor system, listening so the node
// can answer.
type clientConn struct {
	sys    *actor.ActorSystem
	remote *remote.Remote
	pid    *actor.PID
	t      *target
	// cred is the node's control credential, if the client has it.
	cred string
	// units caches the token units the node told, by chain/token.
	units map[string]assetUnits
}

func (t *target) dial() (*clientConn, error) {
	pid, err := t.pid()
	if err != nil {
		return nil, err
	}
	host, port, err := actors.SplitHostPort(t.listen)
	if err != nil {
		return nil, usageError("--listen: %v", err)
	}
	cred, err := t.credential()
	if err != nil {
		return nil, err
	}
	rcfg := actors.RemoteConfig{Host: host, Port: port, Logger: logger(), Accept: actors.ClientAccepts}
	if t.plaintext || envBool("TEESWAP_INSECURE_PLAINTEXT_LOOPBACK") {
		rcfg.InsecurePlaintext = true
	} else {
		if cred == "" {
			return nil, usageError("remoting is TLS, and a client authenticates with the node's control credential: give --data-dir DIR or --credential FILE (or --insecure-plaintext-loopback for a node that runs without TLS)")
		}
		// The client has no enclave: it proves it holds the node's
		// credential, and checks the node's enclave-bound certificate.
		allowSim := t.allowSim || envBool("TEESWAP_ALLOW_SIMULATION")
		rcfg.TLS = &actors.TLSConfig{Credential: cred, ClientCredentials: []string{cred},
			Verifier: enclave.NewVerifier(enclave.Policy{AllowSimulation: allowSim})}
	}
	sys := actors.NewSystem(quietRemote(logger()))
	r, _, err := actors.StartRemote(sys, rcfg)
	if err != nil {
		sys.Shutdown()
		return nil, err
	}
	return &clientConn{sys: sys, remote: r, pid: pid, t: t, cred: cred}, nil
}

func (c *clientConn) close() {
	c.remote.Shutdown(false)
	c.sys.Shutdown()
}

// ask sends msg and waits for the node's answer of type T.
func ask[T any](c *clientConn, msg any, timeout time.Duration) (T, error) {
	var zero T
	res, err := c.sys.Root.RequestFuture(c.pid, msg, timeout).Result()
	if err != nil {
		return zero, answerError(c.pid, c.sys.Address(), timeout.String(), err)
	}
	v, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("%s at %s answered %T, not %T: is that the right actor?", c.pid.Id, c.pid.Address, res, zero)
	}
	return v, nil
}

// envBool reads a boolean environment variable; unset or unparsable is
// false.
func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func parseAddress(what, s string) (common.Address, error) {
	if !common.IsHexAddress(s) {
		return common.Address{}, fmt.Errorf("%s %q is not a 0x address", what, s)
	}
	return common.HexToAddress(s), nil
}

// parseLeg reads "chain=1,from=0x..,to=0x..,amount=100[,asset=0x..]".
func parseLeg(spec string) (*messages.Leg, error) {
	leg, _, err := parseLegUnits(spec, nil)
	return leg, err
}

// tokenLookup finds a token's units (its decimals and symbol) at a node.
type tokenLookup func(chainID uint64, token common.Address) (assetUnits, error)

// parseLegUnits is parseLeg that also returns the units of the leg's
// asset, for printing its amount. A token leg without decimals=D asks
// lookup (when set) for the token's own.
func parseLegUnits(spec string, lookup tokenLookup) (*messages.Leg, assetUnits, error) {
	leg := &messages.Leg{Asset: make([]byte, common.AddressLength)}
	var (
		have          [4]bool
		amount, token string
		decimals      = -1
	)
	for _, kv := range splitList(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch strings.TrimSpace(k) {
		case "chain":
			leg.ChainId, err = strconv.ParseUint(v, 10, 64)
			have[0] = true
		case "from", "sender":
			var a common.Address
			a, err = parseAddress("from", v)
			leg.Sender, have[1] = a.Bytes(), true
		case "to", "receiver":
			var a common.Address
			a, err = parseAddress("to", v)
			leg.Receiver, have[2] = a.Bytes(), true
		case "amount":
			amount, have[3] = v, true
		case "asset", "token":
			var a common.Address
			a, err = parseAddress("asset", v)
			leg.Asset, token = a.Bytes(), v
			if a == (common.Address{}) {
				token = "" // the zero address is the native coin
			}
		case "decimals":
			decimals, err = parseDecimals(v)
		default:
			err = fmt.Errorf("unknown key %q (want chain, from, to, amount, asset, decimals)", k)
		}
		if err != nil {
			return nil, native, fmt.Errorf("leg %q: %w", spec, err)
		}
	}
	for i, name := range []string{"chain", "from", "to", "amount"} {
		if !have[i] {
			return nil, native, fmt.Errorf("leg %q: %s missing (chain=ID,from=0x..,to=0x..,amount=N)", spec, name)
		}
	}
	units := unitsFor(token, decimals)
	var lookupErr error
	if units.token && units.decimals < 0 && lookup != nil {
		units, lookupErr = lookup(leg.ChainId, common.BytesToAddress(leg.Asset))
	}
	a, err := parseAmount(units, amount, lookupErr)
	if err == nil && a.Sign() == 0 {
		err = errors.New("amount must be positive")
	}
	if err != nil {
		return nil, units, fmt.Errorf("leg %q: %w", spec, err)
	}
	leg.Amount = messages.AmountBytes(a)
	return leg, units, nil
}

// needsTokenLookup tells whether any leg names a token without
// decimals=D, so the node must be asked for the token's own.
func needsTokenLookup(specs []string) bool {
	for _, s := range specs {
		kv := "," + strings.ReplaceAll(s, " ", "")
		if (strings.Contains(kv, ",asset=") || strings.Contains(kv, ",token=")) && !strings.Contains(kv, ",decimals=") {
			return true
		}
	}
	return false
}

// swapOutput is what swap and pay print.
type swapOutput struct {
	RequestID    string       `json:"request_id"`
	InstanceID   string       `json:"instance_id,omitempty"`
	Outcome      string       `json:"outcome"` // CONFIRMED, REFUNDED or FAILED
	Confirmed    bool         `json:"confirmed"`
	Phase        string       `json:"phase,omitempty"` // the instance phase as the protocol names it
	RefundReason string       `json:"refund_reason,omitempty"`
	Error        string       `json:"error,omitempty"`
	Times        *phaseTimesO `json:"times_us,omitempty"`
	PhaseMs      *phaseMsO    `json:"phase_ms,omitempty"` // the same times in ms
	ElapsedMs    float64      `json:"elapsed_ms"`
	Legs         []legJSON    `json:"legs"`
	Route        []routeJSON  `json:"route,omitempty"` // per chain, the hops the coordinator found
}

// phaseMsO are the phase times in milliseconds since the instance started.
type phaseMsO struct {
	Prepared  float64 `json:"prepared"`
	Committed float64 `json:"committed"`
	Decided   float64 `json:"decided"`
}

type phaseTimesO struct {
	Prepared  int64 `json:"prepared"`
	Committed int64 `json:"committed"`
	Decided   int64 `json:"decided"`
}

func init() {
	rootCmd.AddCommand(swapCommand(), payCommand(), channelCommand(), routeCommand(), orderCommand())
}

type swapFlags struct {
	t         target
	legs      []string
	id        string
	timeoutMs int64
	orders    orderFlags
}

func (f *swapFlags) register(fs *pflag.FlagSet) {
	f.t.register(fs, actorCoordinator)
	f.orders.register(fs)
	fs.StringVar(&f.id, "id", "", "request id (idempotency key; default: generated)")
	fs.Int64Var(&f.timeoutMs, "timeout-ms", 0, "refund deadline of the instance in ms (0: the coordinator's default)")
}

func swapCommand() *cobra.Command {
	var f swapFlags
	cmd := &cobra.Command{
		Use:   "swap --coordinator HOST:PORT --leg chain=ID,from=0x..,to=0x..,amount=N [--leg ...]",
		Short: "Run an all-or-nothing cross-chain swap through a coordinator node",
		Long: `Submit a swap to a running coordinator node and wait for its outcome: every
leg is paid (CONFIRMED, exit 0) or none is (REFUNDED, exit 1). Each leg names
a chain, a sender and a receiver terminal's chain address and an amount:
1.5eth, 250gwei, 1000wei, or a plain integer in base units (wei).
asset=0x.. picks a token (default: the native coin); its amounts are base
units, or whole tokens as 12.5tok or 12.5SYMBOL, by the token's decimals()
and symbol(), which the coordinator's node reads from the chain (decimals=D
overrides them).
Every sender authorises the swap with an order signed by its terminal's
enclave: --payer HOST:PORT asks its terminal node now, --order FILE takes
one signed before ('teeswap order sign').

It prints the outcome, the legs, the route the coordinator found on each
chain (the parties in order and the channel of each hop) and the phase
times; --json gives "legs", "route" and "phase_ms" (amounts in base units).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.legs) == 0 {
				return usageError("no legs: give --leg chain=ID,from=0x..,to=0x..,amount=N, once per chain")
			}
			return runSwap(cmd.OutOrStdout(), &f, messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, f.legs)
		},
	}
	f.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&f.legs, "leg", nil, "one leg: chain=ID,from=0x..,to=0x..,amount=N[,asset=0x..[,decimals=D]]; repeat per chain (amount: 1.5eth, 250gwei, 1000wei, 12.5tok or 12.5SYMBOL for a token, or base units)")
	return cmd
}

func payCommand() *cobra.Command {
	var (
		f                       swapFlags
		leg                     string
		chainID                 uint64
		from, to, amount, asset string
		decimals                int
	)
	cmd := &cobra.Command{
		Use:   "pay --coordinator HOST:PORT --chain ID --from 0x.. --to 0x.. --amount N",
		Short: "Run a same-chain multi-hop payment through a coordinator node",
		Long: `Pay from one terminal to another on one chain, over the shortest route of
channels with enough balance, all-or-nothing. Exit 0 when confirmed, 1 when
refunded or refused. The payer authorises it with an order signed by its
terminal: --payer HOST:PORT (its terminal node; default TEESWAP_TERMINAL) or
--order FILE. It prints the outcome, the leg, the route found (the parties
in order and the channel of each hop) and the phase times, as swap does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			spec := leg
			if spec == "" {
				if chainID == 0 || from == "" || to == "" || amount == "" {
					return usageError("give --chain, --from, --to and --amount (or --leg chain=..,from=..,to=..,amount=..)")
				}
				spec = fmt.Sprintf("chain=%d,from=%s,to=%s,amount=%s", chainID, from, to, amount)
				if asset != "" {
					spec += ",asset=" + asset
				}
				if decimals >= 0 {
					spec += fmt.Sprintf(",decimals=%d", decimals)
				}
			}
			return runSwap(cmd.OutOrStdout(), &f, messages.InstanceKind_INSTANCE_KIND_PAYMENT, []string{spec})
		},
	}
	f.register(cmd.Flags())
	fs := cmd.Flags()
	fs.StringVar(&leg, "leg", "", "the payment as one leg: chain=ID,from=0x..,to=0x..,amount=N")
	fs.Uint64Var(&chainID, "chain", 0, "chain id")
	fs.StringVar(&from, "from", "", "payer terminal's chain address")
	fs.StringVar(&to, "to", "", "payee terminal's chain address")
	fs.StringVar(&amount, "amount", "", amountHelp)
	fs.StringVar(&asset, "asset", "", "token address (default: the native coin)")
	fs.IntVar(&decimals, "decimals", -1, "override the token's decimals() the node reads from the chain")
	return cmd
}

func runSwap(stdout io.Writer, f *swapFlags, kind messages.InstanceKind, specs []string) error {
	if f.timeoutMs < 0 {
		return usageError("--timeout-ms %d: the refund deadline cannot be negative (0: the coordinator's default)", f.timeoutMs)
	}
	req := &messages.SwapRequest{RequestId: f.id, Kind: kind, TimeoutMs: f.timeoutMs}
	var (
		c      *clientConn
		lookup tokenLookup
	)
	if needsTokenLookup(specs) { // the coordinator's node reads token decimals from its chains
		var err error
		if c, err = f.t.dial(); err != nil {
			return err
		}
		defer c.close()
		lookup = c.tokenUnits
	}
	var legUnits []assetUnits
	for _, s := range specs {
		leg, units, err := parseLegUnits(s, lookup)
		if err != nil {
			return usageError("%v", err)
		}
		req.Legs = append(req.Legs, leg)
		legUnits = append(legUnits, units)
	}
	pre, preID, err := readOrders(f.orders.files)
	if err != nil {
		return err
	}
	if req.RequestId == "" {
		req.RequestId = preID
	}
	if req.RequestId == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		req.RequestId = "cli-" + hex.EncodeToString(b[:])
	}
	if c == nil {
		if c, err = f.t.dial(); err != nil {
			return err
		}
		defer c.close()
	}
	start := time.Now()
	if err := collectOrders(c, &f.orders, req, pre); err != nil {
		return err
	}
	describeOrders(stdout, req.Orders)
	res, err := ask[*messages.SwapResult](c, &messages.SubmitSwap{Request: req, Credential: c.cred}, f.t.timeout)
	if err != nil {
		// No answer is not "did not run": the coordinator may have queued
		// or started it. Its id is an idempotency key: asking again with
		// it returns the first outcome and never runs it twice.
		return fmt.Errorf("%w\nthe request %q may still be queued or running: repeat the command with --id %s to get its outcome (it never runs twice); a queued request that cannot start before its queue expiry is answered that it did not run",
			err, req.RequestId, req.RequestId)
	}
	out := swapOutput{RequestID: req.RequestId, ElapsedMs: float64(time.Since(start).Microseconds()) / 1000, Error: res.Error,
		Route: routesJSON(res.Networks)}
	for i, l := range legsJSON(req.Legs) {
		l.units = legUnits[i]
		out.Legs = append(out.Legs, l)
	}
	if len(res.InstanceId) > 0 {
		out.InstanceID = "0x" + hex.EncodeToString(res.InstanceId)
	}
	if res.Times != nil {
		out.Times = &phaseTimesO{Prepared: res.Times.PreparedUs, Committed: res.Times.CommittedUs, Decided: res.Times.DecidedUs}
		out.PhaseMs = &phaseMsO{Prepared: float64(res.Times.PreparedUs) / 1000, Committed: float64(res.Times.CommittedUs) / 1000, Decided: float64(res.Times.DecidedUs) / 1000}
	}
	switch {
	case res.Error != "":
		out.Outcome = "FAILED"
		if res.ErrorKind != messages.SwapErrorKind_SWAP_ERROR_KIND_UNSPECIFIED {
			out.Error = "did not run: " + res.Error
		}
	case res.Outcome == messages.InstancePhase_INSTANCE_PHASE_COMMITTED:
		out.Outcome, out.Confirmed = "CONFIRMED", true
	case res.Outcome == messages.InstancePhase_INSTANCE_PHASE_REFUND_AUTHORIZED:
		out.Outcome = "REFUNDED"
		out.RefundReason = strings.TrimPrefix(res.RefundReason.String(), "REFUND_REASON_")
	default:
		out.Outcome = "FAILED"
		out.Error = "the coordinator reported no outcome (" + res.Outcome.String() + ")"
	}
	if res.Error == "" {
		out.Phase = res.Outcome.String()
	}
	what := "swap"
	if kind == messages.InstanceKind_INSTANCE_KIND_PAYMENT {
		what = "payment"
	}
	if flagJSON {
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "%s %s: %s", what, out.RequestID, out.Outcome)
		if out.RefundReason != "" {
			fmt.Fprintf(stdout, " (%s)", strings.ToLower(out.RefundReason))
		}
		if out.InstanceID != "" {
			fmt.Fprintf(stdout, ", instance %s", out.InstanceID)
		}
		fmt.Fprintln(stdout)
		printLegsAndRoute(stdout, out.Legs, out.Route)
		if out.Times != nil && out.Error == "" {
			var parts []string
			for _, p := range []struct {
				name string
				us   int64
			}{{"prepared", out.Times.Prepared}, {"committed", out.Times.Committed}, {"decided", out.Times.Decided}} {
				if p.us > 0 {
					parts = append(parts, fmt.Sprintf("%s %.1f ms", p.name, float64(p.us)/1000))
				}
			}
			fmt.Fprintf(stdout, "  %s after the instance started; %.1f ms round trip\n", strings.Join(parts, ", "), out.ElapsedMs)
		}
	}
	var err2 error
	switch out.Outcome {
	case "CONFIRMED":
		return nil
	case "REFUNDED":
		err2 = fmt.Errorf("the %s was refunded: nothing moved", what)
	default:
		err2 = fmt.Errorf("the %s was refused: %s", what, out.Error)
	}
	if flagJSON { // the JSON result above carries the outcome and error
		return &reportedError{err2}
	}
	return err2
}

func channelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "channel",
		Short: "Open, top up, close and list a terminal node's payment channels",
	}
	cmd.AddCommand(channelOpenCommand(), channelTopUpCommand(), channelCloseCommand(), channelListCommand())
	return cmd
}

func channelOpenCommand() *cobra.Command {
	var (
		t                                        target
		chainID                                  uint64
		counterparty, amount, token, coordinator string
		waitTracked                              bool
		decimals                                 int
	)
	cmd := &cobra.Command{
		Use:   "open --terminal HOST:PORT --chain ID --counterparty 0x.. --amount N",
		Short: "Open a channel on chain from a terminal, signed by its enclave",
		Long: `Ask a terminal node to open a payment channel on chain: its enclave signs the
open transaction, which deposits --amount (1.5eth, 250gwei, 1000wei or wei
as a plain integer; with --token, base units or whole tokens as 12.5tok or
12.5SYMBOL, by the token's decimals() and symbol() that the terminal's node
reads from the chain, or --decimals)
from the terminal's chain address. The command waits until the transaction
is mined and, unless --wait-tracked=false, until the terminal's enclave tracks
the channel from the chain event. A terminal that has not registered with its
coordinator yet is asked again until it has (within --wait). It prints each
transaction the terminal sent (approve for a token, then open) with its hash,
block and gas used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cp, err := parseAddress("--counterparty", counterparty)
			if err != nil {
				return usageError("%v", err)
			}
			if chainID == 0 {
				return usageError("--chain: the chain id is required")
			}
			req := &messages.ChannelOpen{ChainId: chainID, Counterparty: cp.Bytes()}
			if token != "" {
				a, err := parseAddress("--token", token)
				if err != nil {
					return usageError("%v", err)
				}
				req.Token = a.Bytes()
			}
			if coordinator != "" {
				a, err := parseAddress("--coordinator-address", coordinator)
				if err != nil {
					return usageError("%v", err)
				}
				req.Coordinator = a.Bytes()
			}
			units := unitsFor(token, decimals)
			if _, err := units.parse(amount); err != nil && !(units.token && units.decimals < 0) {
				return usageError("--amount: %v", err) // wrong before any node is asked
			}
			c, err := t.dial()
			if err != nil {
				return err
			}
			defer c.close()
			units, lookupErr := c.assetUnits(chainID, req.Token, decimals)
			amt, err := parseAmount(units, amount, lookupErr)
			if err != nil {
				return usageError("--amount: %v", err)
			}
			if amt.Sign() == 0 {
				return usageError("--amount: the deposit must be positive")
			}
			req.Amount = messages.AmountBytes(amt)
			req.Credential = c.cred
			start := time.Now()
			res, err := ask[*messages.ChannelOpened](c, req, t.timeout)
			// A terminal that has just started may not have registered
			// yet: nothing was sent, so asking again is safe.
			for err == nil && strings.Contains(res.Error, errNotRegisteredYet) && time.Since(start) < t.timeout-time.Second {
				time.Sleep(200 * time.Millisecond)
				res, err = ask[*messages.ChannelOpened](c, req, t.timeout-time.Since(start))
			}
			if err != nil {
				return err
			}
			if res.Error != "" {
				return fmt.Errorf("the terminal could not open the channel: %s", res.Error)
			}
			id := "0x" + hex.EncodeToString(res.ChannelId)
			tracked := false
			if waitTracked {
				deadline := time.Now().Add(t.timeout - time.Since(start))
				for !tracked && time.Now().Before(deadline) {
					if l, err := ask[*messages.ChannelList](c, &messages.ChannelListRequest{Credential: c.cred}, 5*time.Second); err == nil {
						for _, ch := range l.Channels {
							tracked = tracked || string(ch.ChannelId) == string(res.ChannelId)
						}
					}
					if !tracked {
						time.Sleep(100 * time.Millisecond)
					}
				}
				if !tracked {
					return fmt.Errorf("channel %s was opened on chain, but the terminal's enclave has not seen the event within %v (is the node following chain %d?)", id, t.timeout, chainID)
				}
			}
			ms := float64(time.Since(start).Microseconds()) / 1000
			if flagJSON {
				b, _ := json.Marshal(map[string]any{"channel_id": id, "chain_id": chainID, "counterparty": cp.Hex(), "amount": amt.String(), "tracked": tracked, "elapsed_ms": ms, "txs": txsJSON(res.Txs)})
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "channel %s opened on chain %d with %s, deposit %s (%.0f ms)\n", id, chainID, cp.Hex(), units.format(amt), ms)
				printTxs(cmd.OutOrStdout(), res.Txs)
			}
			return nil
		},
	}
	t.register(cmd.Flags(), actorTerminal)
	fs := cmd.Flags()
	fs.Uint64Var(&chainID, "chain", 0, "chain id")
	fs.StringVar(&counterparty, "counterparty", "", "the other party's chain address")
	fs.StringVar(&amount, "amount", "", "deposit: "+amountHelp)
	fs.StringVar(&token, "token", "", "ERC-20 token address (default: the native coin)")
	fs.IntVar(&decimals, "decimals", -1, "override the token's decimals() the node reads from the chain")
	fs.StringVar(&coordinator, "coordinator-address", "", "coordinator enclave address for the channel (default: the terminal's attested coordinator)")
	fs.BoolVar(&waitTracked, "wait-tracked", true, "wait until the terminal's enclave tracks the channel")
	return cmd
}

func channelCloseCommand() *cobra.Command {
	var (
		t       target
		channel string
		force   bool
	)
	cmd := &cobra.Command{
		Use:   "close --terminal HOST:PORT --channel ID|PREFIX [--force]",
		Short: "Close a channel cooperatively at its final off-chain balances, or unilaterally with --force",
		Long: `Ask a terminal node to close one of its channels cooperatively: its enclave
and the counterparty terminal's enclave both sign the final balances, and the
contract pays them out at once. Only a channel no instance is using can be
closed; the counterparty's node must be among the terminal's peers.

With --force the terminal closes alone, when the counterparty is gone: its
enclave submits the newest state both parties signed, the challenge period
starts, and the node finalizes and withdraws on its own after the deadline
(channel list shows it). The channel takes part in no payment from then on.

It prints the payouts (or the challenge period's end) and each transaction
the terminal sent with its hash, block and gas used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p := strings.TrimPrefix(strings.TrimSpace(channel), "0x")
			if _, err := hex.DecodeString(p + strings.Repeat("0", len(p)%2)); err != nil || p == "" || len(p) > 64 {
				return usageError("--channel: the channel id (0x + 64 hex digits) or a unique prefix of it is required")
			}
			c, err := t.dial()
			if err != nil {
				return err
			}
			defer c.close()
			ch, err := resolveChannel(c, channel)
			if err != nil {
				return err
			}
			id := ch.ChannelId
			req := &messages.ChannelClose{ChannelId: id, Force: force, Credential: c.cred}
			start := time.Now()
			res, err := ask[*messages.ChannelClosed](c, req, t.timeout)
			for err == nil && strings.Contains(res.Error, errPeerNotKnownYet) && time.Since(start) < t.timeout-time.Second {
				time.Sleep(250 * time.Millisecond)
				res, err = ask[*messages.ChannelClosed](c, req, t.timeout-time.Since(start))
			}
			if err != nil {
				return err
			}
			if res.Error != "" {
				if strings.Contains(res.Error, errPeerNotKnownYet) {
					return fmt.Errorf("the terminal could not close the channel: %s within %v; if the counterparty is gone, close with --force", res.Error, t.timeout)
				}
				return fmt.Errorf("the terminal could not close the channel: %s", res.Error)
			}
			if res.Closing {
				deadline := time.Unix(int64(res.Deadline), 0).UTC()
				if flagJSON {
					out, _ := json.Marshal(map[string]any{"channel_id": "0x" + hex.EncodeToString(id), "closing": true, "deadline": res.Deadline, "txs": txsJSON(res.Txs)})
					fmt.Fprintln(cmd.OutOrStdout(), string(out))
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "channel 0x%x closing unilaterally: the challenge period ends %s; the terminal then finalizes on its own\n", id, deadline.Format(time.RFC3339))
					printTxs(cmd.OutOrStdout(), res.Txs)
				}
				return nil
			}
			a, b := new(big.Int).SetBytes(res.PayoutA), new(big.Int).SetBytes(res.PayoutB)
			if flagJSON {
				out, _ := json.Marshal(map[string]any{"channel_id": "0x" + hex.EncodeToString(id), "payout_a": a.String(), "payout_b": b.String(), "txs": txsJSON(res.Txs)})
				fmt.Fprintln(cmd.OutOrStdout(), string(out))
			} else {
				u, _ := c.assetUnits(ch.ChainId, ch.Asset, -1)
				fmt.Fprintf(cmd.OutOrStdout(), "channel 0x%x closed: paid %s to party A %s, %s to party B %s\n", id,
					u.format(a), common.BytesToAddress(ch.PartyA).Hex(), u.format(b), common.BytesToAddress(ch.PartyB).Hex())
				printTxs(cmd.OutOrStdout(), res.Txs)
			}
			return nil
		},
	}
	t.register(cmd.Flags(), actorTerminal)
	cmd.Flags().StringVar(&channel, "channel", "", "channel id (0x + 64 hex digits) or a unique prefix of it")
	cmd.Flags().BoolVar(&force, "force", false, "close unilaterally on the newest doubly-signed state, without the counterparty")
	return cmd
}

// channelJSON is one channel in `channel list --json`.
type channelJSON struct {
	ChainID   uint64 `json:"chain_id"`
	ChannelID string `json:"channel_id"`
	PartyA    string `json:"party_a"`
	PartyB    string `json:"party_b"`
	BalanceA  string `json:"balance_a"`
	BalanceB  string `json:"balance_b"`
	Version   uint64 `json:"version"`
	Phase     string `json:"phase"`
	Closed    bool   `json:"closed"`
	Closing   bool   `json:"closing,omitempty"`
	Asset     string `json:"asset"`
	// A unilateral close on chain: the state it stands on, the challenge
	// period's end (chain time, unix seconds), and whether it is paid out.
	ClosingVersion  uint64 `json:"closing_version,omitempty"`
	ClosingDeadline uint64 `json:"closing_deadline,omitempty"`
	Settled         bool   `json:"settled,omitempty"`
}

func channelListCommand() *cobra.Command {
	var (
		t   target
		all bool
	)
	cmd := &cobra.Command{
		Use:   "list --terminal HOST:PORT",
		Short: "List a terminal's channels as its enclave holds them",
		Long: `List a terminal's channels as its enclave holds them, with full ids (any
unique prefix of one works wherever a command takes --channel). Closed
channels are hidden unless --all. Phases are the same words in text and
--json: IDLE, RESERVED, ... and CLOSED. Text shows amounts with units
(token channels in base units); --json keeps exact base-unit strings.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := t.dial()
			if err != nil {
				return err
			}
			defer c.close()
			l, err := ask[*messages.ChannelList](c, &messages.ChannelListRequest{Credential: c.cred}, t.timeout)
			if err != nil {
				return err
			}
			if l.Error != "" {
				return errors.New(l.Error)
			}
			var chans []channelJSON
			var units []assetUnits
			for _, ch := range l.Channels {
				if ch.Closed && !all {
					continue
				}
				u, _ := c.assetUnits(ch.ChainId, ch.Asset, -1) // unknown decimals: base units
				units = append(units, u)
				chans = append(chans, channelJSON{
					ChainID: ch.ChainId, ChannelID: "0x" + hex.EncodeToString(ch.ChannelId),
					PartyA: common.BytesToAddress(ch.PartyA).Hex(), PartyB: common.BytesToAddress(ch.PartyB).Hex(),
					BalanceA: new(big.Int).SetBytes(ch.BalanceA).String(), BalanceB: new(big.Int).SetBytes(ch.BalanceB).String(),
					Version: ch.Version, Phase: channelPhase(ch), Closed: ch.Closed, Closing: ch.Closing, Asset: common.BytesToAddress(ch.Asset).Hex(),
					ClosingVersion: ch.ClosingVersion, ClosingDeadline: ch.ClosingDeadline, Settled: ch.Settled,
				})
			}
			var coords []string
			for _, a := range l.Coordinators {
				coords = append(coords, common.BytesToAddress(a).Hex())
			}
			term := common.BytesToAddress(l.Terminal).Hex()
			if flagJSON {
				b, _ := json.Marshal(map[string]any{"terminal": term, "coordinators": coords, "channels": chans})
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "terminal %s, trusts coordinators %v\n", term, coords)
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CHAIN\tCHANNEL\tPARTY A\tPARTY B\tBALANCE A\tBALANCE B\tVERSION\tPHASE")
			for i, ch := range chans {
				a, _ := new(big.Int).SetString(ch.BalanceA, 10)
				b, _ := new(big.Int).SetString(ch.BalanceB, 10)
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", ch.ChainID, ch.ChannelID, ch.PartyA, ch.PartyB, units[i].format(a), units[i].format(b), ch.Version, disputePhase(ch))
			}
			return w.Flush()
		},
	}
	t.register(cmd.Flags(), actorTerminal)
	cmd.Flags().BoolVar(&all, "all", false, "include closed channels")
	return cmd
}

func routeCommand() *cobra.Command {
	var (
		t                       target
		chainID                 uint64
		from, to, amount, asset string
		decimals                int
	)
	cmd := &cobra.Command{
		Use:   "route --node HOST:PORT --chain ID --from 0x.. --to 0x.. --amount N",
		Short: "Ask a coordinator or watcher node's directory for a route",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err1 := parseAddress("--from", from)
			tt, err2 := parseAddress("--to", to)
			if err := errors.Join(err1, err2); err != nil || chainID == 0 || amount == "" {
				return usageError("give --chain, --from, --to and --amount: %v", err)
			}
			req := &messages.RouteRequest{ChainId: chainID, From: f.Bytes(), To: tt.Bytes(), Asset: make([]byte, 20)}
			if asset != "" {
				a, err := parseAddress("--asset", asset)
				if err != nil {
					return usageError("%v", err)
				}
				req.Asset = a.Bytes()
			}
			c, err := t.dial()
			if err != nil {
				return err
			}
			defer c.close()
			units, lookupErr := c.assetUnits(chainID, req.Asset, decimals)
			amt, err := parseAmount(units, amount, lookupErr)
			if err != nil {
				return usageError("--amount: %v", err)
			}
			req.Amount = messages.AmountBytes(amt)
			res, err := ask[*messages.RouteResponse](c, req, t.timeout)
			if err != nil {
				return err
			}
			if res.Error != "" {
				return fmt.Errorf("no route: %s", res.Error)
			}
			var hops []map[string]string
			for _, h := range res.Network.Hops {
				hops = append(hops, map[string]string{"channel_id": "0x" + hex.EncodeToString(h.ChannelId),
					"payer": common.BytesToAddress(h.Payer).Hex(), "payee": common.BytesToAddress(h.Payee).Hex()})
			}
			if flagJSON {
				b, _ := json.Marshal(map[string]any{"chain_id": chainID, "hops": hops})
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			for i, h := range hops {
				fmt.Fprintf(cmd.OutOrStdout(), "%d. %s -> %s over %s\n", i+1, h["payer"], h["payee"], h["channel_id"])
			}
			return nil
		},
	}
	t.register(cmd.Flags(), actorDirectory)
	fs := cmd.Flags()
	fs.Uint64Var(&chainID, "chain", 0, "chain id")
	fs.StringVar(&from, "from", "", "payer's chain address")
	fs.StringVar(&to, "to", "", "payee's chain address")
	fs.StringVar(&amount, "amount", "", amountHelp)
	fs.StringVar(&asset, "asset", "", "token address (default: the native coin)")
	fs.IntVar(&decimals, "decimals", -1, "override the token's decimals() the node reads from the chain")
	return cmd
}

// disputePhase is a channel's phase, with the version and the deadline of
// a unilateral close on chain that is not paid out yet.
func disputePhase(ch channelJSON) string {
	if ch.ClosingDeadline > 0 && !ch.Settled && !ch.Closed {
		return fmt.Sprintf("CLOSING at v%d until %s", ch.ClosingVersion, time.Unix(int64(ch.ClosingDeadline), 0).UTC().Format(time.RFC3339))
	}
	return ch.Phase
}
