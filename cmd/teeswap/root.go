package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	// Both enclave backends register themselves; enclave.Open picks SGX
	// when the hardware is there and says loudly when it simulates.
	_ "github.com/teeswap/teeswap/enclave/ego"
	_ "github.com/teeswap/teeswap/enclave/sim"
)

// rootCmd is the teeswap command; each subcommand's file adds itself in
// its init function.
var rootCmd = &cobra.Command{
	Use:   "teeswap",
	Short: "All-or-nothing cross-chain swaps and multi-hop payments over payment channels, coordinated by enclaves",
	Long: `teeswap moves value between people across several blockchains, and along
multi-hop routes on one chain, off chain and all-or-nothing: everyone ends with
the payment done or with nothing changed.

Start with 'teeswap demo', which runs everything in one process on embedded
chains with simulation enclaves.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

var (
	flagLogLevel string
	flagJSON     bool
)

func init() {
	rootCmd.PersistentFlags().StringVar(&flagLogLevel, "log-level", "warn", "log level: debug, info, warn or error")
	rootCmd.PersistentFlags().BoolVar(&flagJSON, "json", false, "print one machine-readable JSON object instead of text")
}

// logger returns the process logger at the chosen level, on stderr.
func logger() *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(flagLogLevel)); err != nil {
		lv = slog.LevelWarn
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
}
