package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/messages"
)

// orderFlags say where a swap's or payment's orders come from: the payers'
// terminal nodes sign them now (--payer), or they were signed before and
// are read from files (--order), as an exchange collects them.
type orderFlags struct {
	payers []string
	files  []string
	ttl    time.Duration
}

func (f *orderFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.payers, "payer", nil, "a payer's terminal node host:port, asked to sign its order (repeat per payer; env TEESWAP_TERMINAL)")
	fs.StringArrayVar(&f.files, "order", nil, "a pre-signed order file from `teeswap order sign` (repeat per payer)")
	fs.DurationVar(&f.ttl, "order-ttl", 5*time.Minute, "how long orders the payers sign now stay valid")
}

// readOrders reads pre-signed order files. It returns the orders and the
// request id they name, which must be one.
func readOrders(files []string) ([]*messages.Envelope, string, error) {
	var out []*messages.Envelope
	id := ""
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, "", usageError("--order: %v", err)
		}
		env := &messages.Envelope{}
		if err := protojson.Unmarshal(b, env); err != nil {
			return nil, "", usageError("--order %s: not an order file: %v", name, err)
		}
		o, payer, _, err := messages.OpenOrder(env)
		if err != nil {
			return nil, "", usageError("--order %s: %v", name, err)
		}
		if id != "" && o.RequestId != id {
			return nil, "", usageError("--order %s is for request %q, the others for %q", name, o.RequestId, id)
		}
		id = o.RequestId
		logger().Debug("pre-signed order", "file", name, "payer", payer, "request", o.RequestId)
		out = append(out, env)
	}
	return out, id, nil
}

// collectOrders fills req.Orders: pre-signed ones, or the payers' terminal
// nodes sign them now. It reports the payers whose orders it holds.
func collectOrders(c *clientConn, f *orderFlags, req *messages.SwapRequest, pre []*messages.Envelope) error {
	if len(pre) > 0 {
		req.Orders = append(req.Orders, pre...)
		return nil
	}
	nodes := f.payers
	if len(nodes) == 0 {
		if v := os.Getenv("TEESWAP_TERMINAL"); v != "" {
			nodes = []string{v}
		}
	}
	if len(nodes) == 0 {
		return usageError("who authorises this? every payer signs an order: give --payer HOST:PORT (its terminal node), once per payer, or --order FILE")
	}
	var pids []*actor.PID
	for _, n := range nodes {
		if _, _, err := actors.SplitHostPort(n); err != nil {
			return usageError("--payer: %v", err)
		}
		pids = append(pids, actor.NewPID(n, actorTerminal))
	}
	// Signing an order is owner-only: the payer nodes take the client's
	// credential only if it is theirs too (one owner).
	orders, err := actors.RequestOrdersFrom(c.sys.Root, pids, req, time.Now().Add(f.ttl).UnixMilli(), c.cred, c.t.timeout)
	if err != nil {
		return err
	}
	req.Orders = append(req.Orders, orders...)
	return nil
}

// describeOrders prints who signed which order (not with --json).
func describeOrders(w io.Writer, orders []*messages.Envelope) {
	if flagJSON {
		return
	}
	for _, env := range orders {
		o, payer, id, err := messages.OpenOrder(env)
		if err != nil {
			continue
		}
		fmt.Fprintf(w, "order 0x%x signed by payer %s, valid until %s\n", id[:8], payer.Hex(), time.UnixMilli(o.ExpiresMs).UTC().Format(time.RFC3339))
	}
}

func orderCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "order",
		Short: "Have a payer's terminal sign an order (its consent to a swap or payment)",
	}
	cmd.AddCommand(orderSignCommand())
	return cmd
}

func orderSignCommand() *cobra.Command {
	var (
		t    target
		legs []string
		id   string
		kind string
		ttl  time.Duration
		out  string
	)
	cmd := &cobra.Command{
		Use:   "sign --terminal HOST:PORT --id REQUEST --leg chain=ID,from=0x..,to=0x..,amount=N [--leg ...] [--out FILE]",
		Short: "Sign a payer's order for a swap or payment with its terminal's enclave key",
		Long: `Ask a payer's terminal node to sign an order: its consent to exactly these legs
(every leg of the swap, what it pays and what it gets back) under request id
--id, until --ttl from now. The terminal refuses when it sends none of the
legs. The order is written to --out (default: stdout) as JSON; pass it to
'teeswap swap|pay --order FILE' with the same legs and --id.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if id == "" {
				return usageError("--id: the request id the order is for is required")
			}
			if len(legs) == 0 {
				return usageError("no legs: give --leg chain=ID,from=0x..,to=0x..,amount=N, once per leg of the swap")
			}
			req := &messages.SwapRequest{RequestId: id}
			switch strings.ToLower(kind) {
			case "":
			case "swap":
				req.Kind = messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP
			case "payment", "pay":
				req.Kind = messages.InstanceKind_INSTANCE_KIND_PAYMENT
			default:
				return usageError("--kind %q: want swap or payment", kind)
			}
			var (
				c      *clientConn
				lookup tokenLookup
			)
			if needsTokenLookup(legs) { // the terminal's node reads token decimals from its chains
				var err error
				if c, err = t.dial(); err != nil {
					return err
				}
				defer c.close()
				lookup = c.tokenUnits
			}
			for _, s := range legs {
				leg, _, err := parseLegUnits(s, lookup)
				if err != nil {
					return usageError("%v", err)
				}
				req.Legs = append(req.Legs, leg)
			}
			if c == nil {
				var err error
				if c, err = t.dial(); err != nil {
					return err
				}
				defer c.close()
			}
			orders, err := actors.RequestOrdersFrom(c.sys.Root, []*actor.PID{c.pid}, req, time.Now().Add(ttl).UnixMilli(), c.cred, t.timeout)
			if err != nil {
				return err
			}
			b, err := protojson.Marshal(orders[0])
			if err != nil {
				return err
			}
			if out == "" {
				_, err = fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return err
			}
			if err := os.WriteFile(out, append(b, '\n'), 0o600); err != nil {
				return err
			}
			if !flagJSON {
				describeOrders(cmd.OutOrStdout(), orders)
			}
			return nil
		},
	}
	t.register(cmd.Flags(), actorTerminal)
	fs := cmd.Flags()
	fs.StringArrayVar(&legs, "leg", nil, "one leg of the swap: chain=ID,from=0x..,to=0x..,amount=N[,asset=0x..]; every leg, in order")
	fs.StringVar(&id, "id", "", "request id the order is for")
	fs.StringVar(&kind, "kind", "", "swap or payment (default: payment for one leg, swap for more)")
	fs.DurationVar(&ttl, "ttl", 5*time.Minute, "how long the order stays valid")
	fs.StringVar(&out, "out", "", "write the order to this file (default: stdout)")
	return cmd
}
