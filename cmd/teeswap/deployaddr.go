package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/spf13/cobra"
)

// allowSimulationFromEnv lets TEESWAP_ALLOW_SIMULATION allow the
// simulation enclave when the flag is not given, as it does for node.
func allowSimulationFromEnv(cmd *cobra.Command, allow *bool) error {
	v, ok := os.LookupEnv("TEESWAP_ALLOW_SIMULATION")
	if !ok || cmd.Flags().Changed("allow-simulation") {
		return nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return usageError("TEESWAP_ALLOW_SIMULATION=%q: want true or false", v)
	}
	*allow = b
	return nil
}

// printDeployerAddress prints the chain address of the deployer key, the
// address to fund before the first deploy.
func printDeployerAddress(cmd *cobra.Command, keyFile, dataDir, backend string, allowSim bool) error {
	if (keyFile == "") == (dataDir == "") {
		return usageError("--print-address: give --data-dir DIR (creates DIR/key.sealed) or --key-file FILE")
	}
	create := dataDir != ""
	if create {
		keyFile = filepath.Join(dataDir, fileSealedKey)
	}
	key, err := deployerKey(keyFile, backend, allowSim, create)
	if err != nil {
		return err
	}
	if flagJSON {
		b, _ := json.Marshal(map[string]string{"address": key.Address().Hex(), "key_file": keyFile})
		fmt.Fprintln(cmd.OutOrStdout(), string(b))
		return nil
	}
	fmt.Fprintln(cmd.OutOrStdout(), key.Address().Hex())
	return nil
}
