package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// txJSON is one transaction a node sent for a channel command.
type txJSON struct {
	Action   string `json:"action"`
	ChainID  uint64 `json:"chain_id"`
	Tx       string `json:"tx"`
	Block    uint64 `json:"block"`
	GasUsed  uint64 `json:"gas_used"`
	Reverted bool   `json:"reverted,omitempty"`
}

func txsJSON(txs []*messages.TxReceipt) []txJSON {
	out := make([]txJSON, 0, len(txs))
	for _, r := range txs {
		out = append(out, txJSON{Action: r.Action, ChainID: r.ChainId, Tx: common.BytesToHash(r.TxHash).Hex(),
			Block: r.Block, GasUsed: r.GasUsed, Reverted: r.Reverted})
	}
	return out
}

// printTxs writes one line per transaction: what, hash, block, gas.
func printTxs(w io.Writer, txs []*messages.TxReceipt) {
	for _, r := range txsJSON(txs) {
		status := ""
		if r.Reverted {
			status = ", REVERTED"
		}
		fmt.Fprintf(w, "  %s tx %s in block %d, gas used %d%s\n", r.Action, r.Tx, r.Block, r.GasUsed, status)
	}
}

// legJSON is one leg of a swap or payment as swap and pay print it.
type legJSON struct {
	ChainID uint64 `json:"chain_id"`
	Asset   string `json:"asset"`
	From    string `json:"from"`
	To      string `json:"to"`
	Amount  string `json:"amount"` // base units
	units   assetUnits
	amount  *big.Int
}

func legsJSON(legs []*messages.Leg) []legJSON {
	out := make([]legJSON, 0, len(legs))
	for _, l := range legs {
		a := new(big.Int).SetBytes(l.Amount)
		out = append(out, legJSON{ChainID: l.ChainId, Asset: common.BytesToAddress(l.Asset).Hex(),
			From: common.BytesToAddress(l.Sender).Hex(), To: common.BytesToAddress(l.Receiver).Hex(),
			Amount: a.String(), units: native, amount: a})
	}
	return out
}

// routeJSON is the route the coordinator found on one chain.
type routeJSON struct {
	ChainID uint64    `json:"chain_id"`
	Asset   string    `json:"asset"`
	Amount  string    `json:"amount"` // base units
	Hops    []hopJSON `json:"hops"`
}

type hopJSON struct {
	ChannelID string `json:"channel_id"`
	Payer     string `json:"payer"`
	Payee     string `json:"payee"`
}

func routesJSON(nets []*messages.Network) []routeJSON {
	out := make([]routeJSON, 0, len(nets))
	for _, n := range nets {
		r := routeJSON{ChainID: n.ChainId, Asset: common.BytesToAddress(n.Asset).Hex(), Amount: new(big.Int).SetBytes(n.Amount).String()}
		for _, h := range n.Hops {
			r.Hops = append(r.Hops, hopJSON{ChannelID: "0x" + hex.EncodeToString(h.ChannelId),
				Payer: common.BytesToAddress(h.Payer).Hex(), Payee: common.BytesToAddress(h.Payee).Hex()})
		}
		out = append(out, r)
	}
	return out
}

// printLegsAndRoute writes the legs, then per chain the parties in route
// order with the channel of each hop.
func printLegsAndRoute(w io.Writer, legs []legJSON, routes []routeJSON) {
	for _, l := range legs {
		fmt.Fprintf(w, "  leg   chain %d: %s -> %s, %s", l.ChainID, l.From, l.To, l.units.format(l.amount))
		if l.Asset != (common.Address{}).Hex() {
			fmt.Fprintf(w, " of token %s", l.Asset)
		}
		fmt.Fprintln(w)
	}
	for _, r := range routes {
		if len(r.Hops) == 0 {
			continue
		}
		// The hops are in route order: payer of the first to payee of the last.
		parts := []string{r.Hops[0].Payer}
		for _, h := range r.Hops {
			parts = append(parts, fmt.Sprintf("[%s]", shortID(h.ChannelID)), h.Payee)
		}
		fmt.Fprintf(w, "  route chain %d, %d hop(s): %s\n", r.ChainID, len(r.Hops), strings.Join(parts, " -> "))
	}
}

// shortID is a channel id's first 10 hex digits, enough for any
// --channel prefix in practice; JSON carries the full id.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}
