package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/chain/evm"
)

// fundOutput is one transfer fund made.
type fundOutput struct {
	ChainID uint64 `json:"chain_id"`
	To      string `json:"to"`
	Amount  string `json:"amount"` // wei
	Tx      string `json:"tx"`
	Block   uint64 `json:"block"`
	From    string `json:"from"`
}

// fund exists so a walk-through on development chains needs no wallet
// and no side script: the node's unlocked developer account pays.
func init() {
	var (
		rpcURL, amount string
		to             []string
		devUnlocked    bool
		wait           time.Duration
	)
	cmd := &cobra.Command{
		Use:   "fund --rpc URL --dev-unlocked --to 0x.. [--to 0x..] --amount N",
		Short: "DEV ONLY: send coin from a development node's unlocked account",
		Long: `Send --amount of the native coin to each --to address from the first
unlocked account of a development node (geth --dev, hardhat node), with
eth_sendTransaction, and wait until each transfer is mined. Use it to fund
the chain addresses nodes print (teeswap status shows them too) on local dev
chains. On real networks send coin with your own wallet.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !devUnlocked {
				return usageError("fund sends from a development node's unlocked account only: give --dev-unlocked (on real networks, use your wallet)")
			}
			if rpcURL == "" {
				return usageError("--rpc: the chain node's URL is required")
			}
			if len(to) == 0 {
				return usageError("--to: give the address to fund (repeat for several)")
			}
			var addrs []common.Address
			for _, s := range to {
				a, err := parseAddress("--to", s)
				if err != nil {
					return usageError("%v", err)
				}
				addrs = append(addrs, a)
			}
			wei, err := native.parse(amount)
			if err != nil {
				return usageError("--amount: %v", err)
			}
			if wei.Sign() == 0 {
				return usageError("--amount: give a positive amount")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			c, err := evm.Dial(ctx, rpcURL, evm.Config{Logger: logger()})
			if err != nil {
				return fmt.Errorf("cannot reach the chain node: %w", err)
			}
			defer c.Close()
			rc, err := rpc.DialContext(ctx, rpcURL)
			if err != nil {
				return fmt.Errorf("cannot reach the chain node: %w", err)
			}
			defer rc.Close()
			var accounts []common.Address
			if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
				return fmt.Errorf("eth_accounts: %w", err)
			}
			if len(accounts) == 0 {
				return fmt.Errorf("the node at %s has no unlocked account; fund works with geth --dev or hardhat node only", rpcURL)
			}
			for _, a := range addrs {
				var hash common.Hash
				if err := rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{"from": accounts[0], "to": a, "value": (*hexutil.Big)(wei)}); err != nil {
					return fmt.Errorf("fund %s: eth_sendTransaction: %w", a.Hex(), err)
				}
				rcpt, err := c.WaitReceipt(ctx, hash, 0)
				if err != nil {
					return fmt.Errorf("fund %s: tx %s: %w", a.Hex(), hash.Hex(), err)
				}
				if rcpt.Status != types.ReceiptStatusSuccessful {
					return fmt.Errorf("fund %s: tx %s failed on chain", a.Hex(), hash.Hex())
				}
				out := fundOutput{ChainID: c.ChainID(), To: a.Hex(), Amount: wei.String(), Tx: hash.Hex(), Block: rcpt.BlockNumber.Uint64(), From: accounts[0].Hex()}
				if flagJSON {
					b, _ := json.Marshal(out)
					fmt.Fprintln(cmd.OutOrStdout(), string(b))
					continue
				}
				fmt.Fprintf(cmd.OutOrStdout(), "sent %s to %s on chain %d (tx %s, block %d)\n", native.format(wei), out.To, out.ChainID, out.Tx, out.Block)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&rpcURL, "rpc", "", "development chain node URL (ws://, http:// or IPC path)")
	fs.StringArrayVar(&to, "to", nil, "address to fund (repeat)")
	fs.StringVar(&amount, "amount", "", "native coin to send to each: "+amountHelp)
	fs.BoolVar(&devUnlocked, "dev-unlocked", false, "DEV ONLY: send from the node's unlocked account (geth --dev, hardhat node)")
	fs.DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for each transfer to be mined")
	rootCmd.AddCommand(cmd)
}
