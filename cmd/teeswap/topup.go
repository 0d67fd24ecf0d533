package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/messages"
)

func channelTopUpCommand() *cobra.Command {
	var (
		t               target
		channel, amount string
		decimals        int
	)
	cmd := &cobra.Command{
		Use:   "topup --terminal HOST:PORT --channel ID|PREFIX --amount N",
		Short: "Add to this terminal's own deposit in one of its open channels",
		Long: `Ask a terminal node to top up one of its open channels from its chain
address: its enclave key signs the transaction, which adds --amount to the
terminal's side (A or B). A channel opened by the other party starts with
nothing on this side; a top-up lets value flow both ways.

--channel takes the full id or any unique prefix of it, as 'channel list'
prints them. --amount is 1.5eth, 250gwei, 1000wei or a plain integer in base
units; a token channel takes base units, or whole tokens as 12.5tok or
12.5SYMBOL by the token's decimals() and symbol(), which the node reads
from the chain (--decimals overrides). It
prints both deposits after the top-up and each transaction the terminal sent
(approve for a token, then topup) with its hash, block and gas used.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if amount == "" {
				return usageError("--amount is required")
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
			units, lookupErr := c.assetUnits(ch.ChainId, ch.Asset, decimals)
			amt, err := parseAmount(units, amount, lookupErr)
			if err != nil {
				return usageError("--amount: %v", err)
			}
			if amt.Sign() == 0 {
				return usageError("--amount: a top-up must be positive")
			}
			start := time.Now()
			res, err := ask[*messages.ChannelToppedUp](c, &messages.ChannelTopUp{ChannelId: ch.ChannelId, Amount: messages.AmountBytes(amt), Credential: c.cred}, t.timeout)
			if err != nil {
				return err
			}
			if res.Error != "" {
				return fmt.Errorf("the terminal could not top up the channel: %s", res.Error)
			}
			id := "0x" + hex.EncodeToString(ch.ChannelId)
			a, b := new(big.Int).SetBytes(res.DepositA), new(big.Int).SetBytes(res.DepositB)
			ms := float64(time.Since(start).Microseconds()) / 1000
			if flagJSON {
				out, _ := json.Marshal(map[string]any{"channel_id": id, "chain_id": res.ChainId, "asset": common.BytesToAddress(res.Asset).Hex(),
					"amount": amt.String(), "deposit_a": a.String(), "deposit_b": b.String(), "elapsed_ms": ms, "txs": txsJSON(res.Txs)})
				fmt.Fprintln(cmd.OutOrStdout(), string(out))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "channel %s on chain %d topped up by %s: deposits now %s (A) and %s (B) (%.0f ms)\n",
				id, res.ChainId, units.format(amt), units.format(a), units.format(b), ms)
			printTxs(cmd.OutOrStdout(), res.Txs)
			return nil
		},
	}
	t.register(cmd.Flags(), actorTerminal)
	fs := cmd.Flags()
	fs.StringVar(&channel, "channel", "", "channel id or a unique prefix of it")
	fs.StringVar(&amount, "amount", "", amountHelp)
	fs.IntVar(&decimals, "decimals", -1, "override the token's decimals() the node reads from the chain")
	return cmd
}

// resolveChannel finds the one channel of the terminal whose id starts
// with prefix (hex, 0x optional): a full id or any unique prefix.
func resolveChannel(c *clientConn, prefix string) (*messages.ChannelInfo, error) {
	p := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(prefix), "0x"))
	if p == "" {
		return nil, usageError("--channel: give the channel id or a unique prefix of it (see channel list)")
	}
	if _, err := hex.DecodeString(p + strings.Repeat("0", len(p)%2)); err != nil || len(p) > 64 {
		return nil, usageError("--channel %q: not a hex channel id", prefix)
	}
	l, err := ask[*messages.ChannelList](c, &messages.ChannelListRequest{Credential: c.cred}, c.t.timeout)
	if err != nil {
		return nil, err
	}
	if l.Error != "" {
		return nil, fmt.Errorf("the terminal could not list its channels: %s", l.Error)
	}
	return matchChannel(l.Channels, prefix, p)
}

// matchChannel picks the one channel whose hex id starts with p.
func matchChannel(chans []*messages.ChannelInfo, prefix, p string) (*messages.ChannelInfo, error) {
	var found []*messages.ChannelInfo
	for _, ch := range chans {
		if strings.HasPrefix(hex.EncodeToString(ch.ChannelId), p) {
			found = append(found, ch)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("the terminal has no channel %s", prefix)
	case 1:
		return found[0], nil
	}
	var ids []string
	for _, ch := range found {
		ids = append(ids, "0x"+hex.EncodeToString(ch.ChannelId))
	}
	return nil, usageError("--channel %s matches %d channels (%s): give more digits", prefix, len(found), strings.Join(ids, ", "))
}

// channelPhase is a channel's phase as both text and --json show it.
func channelPhase(ch *messages.ChannelInfo) string {
	if ch.Closed {
		return "CLOSED"
	}
	if ch.Closing {
		return "CLOSING"
	}
	return strings.TrimPrefix(ch.Phase.String(), "CHANNEL_PHASE_")
}
