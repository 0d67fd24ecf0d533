package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/evm"
	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/sim"
)

// deployOutput is what deploy prints.
type deployOutput struct {
	ChainID         uint64 `json:"chain_id"`
	Contract        string `json:"contract"`
	Block           uint64 `json:"block"`
	Tx              string `json:"tx"`
	Deployer        string `json:"deployer"`
	GasUsed         uint64 `json:"gas_used"`
	ChallengePeriod uint64 `json:"challenge_period_s"`
}

func init() {
	var (
		rpcURL, keyFile, dataDir, backend string
		devUnlocked, allowSim, printAddr  bool
		period, wait                      time.Duration
		chainID                           uint64
	)
	cmd := &cobra.Command{
		Use:   "deploy --rpc URL (--key-file FILE | --data-dir DIR | --dev-unlocked)",
		Short: "Deploy the PaymentChannels contract to a real chain node",
		Long: `Deploy PaymentChannels to the chain at --rpc and print its address and
deployment block, which node configs need as "contract" and "start_block".

The deployer signs with an enclave-sealed key: --key-file names it (as a
node's data directory keeps it, key.sealed), or --data-dir DIR uses
DIR/key.sealed and creates it on first use. --print-address prints that
key's chain address without touching a chain: fund it, then deploy. A
node started on the same --data-dir signs with the same key and address. Without SGX the simulation
enclave's sealing key is read from sim-seal.key next to the key file. The
key's address must hold enough coin for gas.

--dev-unlocked is for development nodes only (geth --dev, hardhat node): it
sends the deployment from the node's first unlocked account with
eth_sendTransaction, and no key is involved on this side.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := allowSimulationFromEnv(cmd, &allowSim); err != nil {
				return err
			}
			if printAddr {
				return printDeployerAddress(cmd, keyFile, dataDir, backend, allowSim)
			}
			if rpcURL == "" {
				return usageError("--rpc: the chain node's URL is required")
			}
			signers := 0
			for _, set := range []bool{keyFile != "", dataDir != "", devUnlocked} {
				if set {
					signers++
				}
			}
			if signers != 1 {
				return usageError("choose exactly one deployer: --key-file FILE, --data-dir DIR or --dev-unlocked")
			}
			if dataDir != "" {
				keyFile = filepath.Join(dataDir, fileSealedKey)
			}
			if period < time.Second {
				return usageError("--challenge-period must be at least 1s")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), wait)
			defer cancel()
			c, err := evm.Dial(ctx, rpcURL, evm.Config{Logger: logger()})
			if err != nil {
				return fmt.Errorf("cannot reach the chain node: %w", err)
			}
			defer c.Close()
			if chainID != 0 && c.ChainID() != chainID {
				return fmt.Errorf("the node at %s serves chain %d, not %d", rpcURL, c.ChainID(), chainID)
			}
			secs := uint64(period / time.Second)
			var (
				addr     common.Address
				rcpt     *types.Receipt
				deployer common.Address
			)
			if devUnlocked {
				addr, rcpt, deployer, err = deployUnlocked(ctx, rpcURL, c, secs)
			} else {
				var key enclave.Key
				key, err = deployerKey(keyFile, backend, allowSim, dataDir != "")
				if err != nil {
					return err
				}
				deployer = key.Address()
				addr, rcpt, err = actors.DeployPaymentChannels(ctx, c, hostapi.NewDeployer(key), secs)
				if err != nil {
					err = fmt.Errorf("%w (the deployer %s needs coin for gas)", err, deployer.Hex())
				}
			}
			if err != nil {
				return err
			}
			out := deployOutput{ChainID: c.ChainID(), Contract: addr.Hex(), Block: rcpt.BlockNumber.Uint64(), Tx: rcpt.TxHash.Hex(),
				Deployer: deployer.Hex(), GasUsed: rcpt.GasUsed, ChallengePeriod: secs}
			if flagJSON {
				b, _ := json.Marshal(out)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "PaymentChannels deployed on chain %d at %s (block %d, tx %s, deployer %s)\n",
				out.ChainID, out.Contract, out.Block, out.Tx, out.Deployer)
			fmt.Fprintf(cmd.OutOrStdout(), "node config: {\"rpc\": %q, \"contract\": %q, \"start_block\": %d}\n", rpcURL, out.Contract, out.Block)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&rpcURL, "rpc", "", "chain node URL (ws://, http:// or IPC path)")
	fs.Uint64Var(&chainID, "chain", 0, "expected chain id (checked if set)")
	fs.StringVar(&keyFile, "key-file", "", "enclave-sealed deployer key (a node's key.sealed)")
	fs.StringVar(&dataDir, "data-dir", "", "use (or create) DIR/key.sealed as the deployer key")
	fs.StringVar(&backend, "enclave", enclave.BackendAuto, "enclave backend for the key: auto, sgx or simulation")
	fs.BoolVar(&allowSim, "allow-simulation", false, "accept the simulation enclave (no SGX here) (env TEESWAP_ALLOW_SIMULATION)")
	fs.BoolVar(&printAddr, "print-address", false, "print the deployer key's chain address (creating the key with --data-dir) and exit: fund it before deploying")
	fs.BoolVar(&devUnlocked, "dev-unlocked", false, "DEV ONLY: deploy from the node's unlocked account (geth --dev, hardhat node)")
	fs.DurationVar(&period, "challenge-period", time.Hour, "the contract's challenge period for unilateral closes")
	fs.DurationVar(&wait, "wait", 2*time.Minute, "how long to wait for the deployment to be mined")
	rootCmd.AddCommand(cmd)
}

// deployerKey opens the sealed deployer key (creating it when create).
func deployerKey(path, backend string, allowSim, create bool) (enclave.Key, error) {
	if create {
		if err := os.MkdirAll(filepath.Dir(path), dataDirFileMode); err != nil {
			return nil, err
		}
	} else {
		if _, err := os.Stat(path); err != nil {
			return nil, usageError("no sealed key at %s (--data-dir DIR creates DIR/key.sealed): %v", path, err)
		}
	}
	kind := enclave.KindSimulation
	switch backend {
	case enclave.BackendSGX:
		kind = enclave.KindSGX
	case enclave.BackendAuto:
		kind = enclave.Detect()
	}
	opts := enclave.Options{Backend: backend, Logger: logger()}
	if kind == enclave.KindSimulation {
		if !allowSim {
			return nil, usageError("no SGX here: the deployer key would live in a SIMULATION enclave; allow it with --allow-simulation")
		}
		sk, err := sim.SealKeyFile(filepath.Join(filepath.Dir(path), fileSimSealKey))
		if err != nil {
			return nil, err
		}
		opts.SimulationSealKey = sk
	}
	b, err := enclave.Open(opts)
	if err != nil {
		return nil, err
	}
	key, _, err := loadOrCreateKey(b, path)
	return key, err
}

// deployUnlocked deploys from the node's first unlocked account.
func deployUnlocked(ctx context.Context, url string, c *evm.Client, challengePeriod uint64) (common.Address, *types.Receipt, common.Address, error) {
	rc, err := rpc.DialContext(ctx, url)
	if err != nil {
		return common.Address{}, nil, common.Address{}, err
	}
	defer rc.Close()
	var accounts []common.Address
	if err := rc.CallContext(ctx, &accounts, "eth_accounts"); err != nil {
		return common.Address{}, nil, common.Address{}, fmt.Errorf("eth_accounts: %w", err)
	}
	if len(accounts) == 0 {
		return common.Address{}, nil, common.Address{}, fmt.Errorf("the node has no unlocked account; --dev-unlocked works with geth --dev or hardhat node only")
	}
	pc := contracts.NewPaymentChannels()
	data := append(common.FromHex(contracts.PaymentChannelsMetaData.Bin), pc.PackConstructor(challengePeriod)...)
	var hash common.Hash
	if err := rc.CallContext(ctx, &hash, "eth_sendTransaction", map[string]any{"from": accounts[0], "data": hexutil.Bytes(data)}); err != nil {
		return common.Address{}, nil, accounts[0], fmt.Errorf("eth_sendTransaction: %w", err)
	}
	rcpt, err := c.WaitReceipt(ctx, hash, 1)
	if err != nil {
		return common.Address{}, nil, accounts[0], err
	}
	if rcpt.Status != types.ReceiptStatusSuccessful || rcpt.ContractAddress == (common.Address{}) {
		return common.Address{}, rcpt, accounts[0], fmt.Errorf("deployment %s failed on chain", hash.Hex())
	}
	return rcpt.ContractAddress, rcpt, accounts[0], nil
}
