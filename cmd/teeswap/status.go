package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/spf13/cobra"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/messages"
)

// actorStatus answers `teeswap status` on every node.
const actorStatus = "status"

// startStatus spawns the node's status actor.
func (n *node) startStatus() error {
	cfg := actors.StatusConfig{Role: n.cfg.Role, Enclave: n.info.Enclave, Credential: n.cred}
	if n.info.ChainAddress != "" {
		cfg.Address = common.HexToAddress(n.info.ChainAddress)
	}
	if n.cfg.Role == roleTerminal {
		cfg.CoordinatorNode = n.cfg.Coordinator
	}
	for _, d := range n.chains {
		cfg.Chains = append(cfg.Chains, chain.Chain(d.Chain))
	}
	if n.info.Actor == actorTerminal || n.info.Actor == actorCoordinator {
		cfg.Main = actor.NewPID(n.sys.Address(), n.info.Actor)
	}
	_, err := n.spawn(actors.NewStatus(cfg), actorStatus)
	return err
}

// statusJSON is what `teeswap status --json` prints.
type statusJSON struct {
	Node              string            `json:"node"`
	Role              string            `json:"role"`
	ChainAddress      string            `json:"chain_address,omitempty"`
	Enclave           string            `json:"enclave,omitempty"`
	CoordinatorNode   string            `json:"coordinator_node,omitempty"`
	Registered        bool              `json:"registered"`
	Coordinators      []string          `json:"coordinators,omitempty"`
	Chains            []chainStatusJSON `json:"chains"`
	ChannelsByPhase   map[string]uint32 `json:"channels_by_phase,omitempty"`
	InstancesInFlight uint32            `json:"instances_in_flight"`
	Error             string            `json:"error,omitempty"`
}

type chainStatusJSON struct {
	ChainID uint64             `json:"chain_id"`
	Head    uint64             `json:"head"`
	Balance string             `json:"balance,omitempty"` // wei
	Tokens  []tokenBalanceJSON `json:"tokens,omitempty"`  // of the tokens of a terminal's channels
	Error   string             `json:"error,omitempty"`
}

// tokenBalanceJSON is the node address's balance of one token.
type tokenBalanceJSON struct {
	Token    string `json:"token"`
	Balance  string `json:"balance,omitempty"` // base units
	Decimals *int   `json:"decimals,omitempty"`
	Symbol   string `json:"symbol,omitempty"`
	Error    string `json:"error,omitempty"`
}

// units are the token's units as the node read them.
func (t tokenBalanceJSON) units() assetUnits {
	if t.Decimals == nil {
		return tokenUnits(-1)
	}
	return tokenUnits(*t.Decimals).withSymbol(t.Symbol)
}

func init() {
	var t target
	cmd := &cobra.Command{
		Use:   "status --node HOST:PORT",
		Short: "Show what a node is: role, chain address, enclave, coordinator, balances, channels, instances",
		Long: `Ask a running node (any role) what it is and holds: its role, its enclave's
chain address and kind, for a terminal the coordinator it registers with and
whether that coordinator's attestation was accepted, per chain the head and
the balance of the node's chain address (fund this address for gas and
deposits) and, for a terminal, its balance of each token its channels use
(by the token's decimals and symbol), its channels by phase and the
instances in flight.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := t.dial()
			if err != nil {
				return err
			}
			defer c.close()
			st, err := ask[*messages.NodeStatus](c, &messages.NodeStatusRequest{Credential: c.cred}, t.timeout)
			if err != nil {
				return err
			}
			out := statusJSON{Node: t.node, Role: st.Role, Enclave: st.Enclave, CoordinatorNode: st.CoordinatorNode,
				Registered: st.Registered, ChannelsByPhase: st.ChannelsByPhase, InstancesInFlight: st.InstancesInFlight, Error: st.Error}
			if len(st.Address) > 0 {
				out.ChainAddress = common.BytesToAddress(st.Address).Hex()
			}
			for _, a := range st.Coordinators {
				out.Coordinators = append(out.Coordinators, common.BytesToAddress(a).Hex())
			}
			for _, ch := range st.Chains {
				cs := chainStatusJSON{ChainID: ch.ChainId, Head: ch.Head, Error: ch.Error}
				if len(out.ChainAddress) > 0 {
					cs.Balance = new(big.Int).SetBytes(ch.Balance).String()
				}
				for _, tb := range ch.Tokens {
					j := tokenBalanceJSON{Token: common.BytesToAddress(tb.Token).Hex(), Symbol: tb.Symbol, Error: tb.Error}
					if len(tb.Balance) > 0 || tb.Error == "" {
						j.Balance = new(big.Int).SetBytes(tb.Balance).String()
					}
					if tb.DecimalsKnown {
						d := int(tb.Decimals)
						j.Decimals = &d
					}
					cs.Tokens = append(cs.Tokens, j)
				}
				out.Chains = append(out.Chains, cs)
			}
			w := cmd.OutOrStdout()
			if flagJSON {
				b, _ := json.Marshal(out)
				fmt.Fprintln(w, string(b))
				return nil
			}
			printStatus(w, out)
			return nil
		},
	}
	t.register(cmd.Flags(), actorStatus)
	rootCmd.AddCommand(cmd)
}

func printStatus(w interface{ Write([]byte) (int, error) }, s statusJSON) {
	fmt.Fprintf(w, "%s node at %s\n", s.Role, s.Node)
	if s.ChainAddress != "" {
		fmt.Fprintf(w, "  chain address  %s (%s enclave)\n", s.ChainAddress, s.Enclave)
	}
	if s.CoordinatorNode != "" {
		reg := "not yet registered"
		if s.Registered {
			reg = "registered, trusts " + strings.Join(s.Coordinators, ", ")
		}
		fmt.Fprintf(w, "  coordinator    %s (%s)\n", s.CoordinatorNode, reg)
	}
	for _, c := range s.Chains {
		fmt.Fprintf(w, "  chain %d       head %d", c.ChainID, c.Head)
		if c.Balance != "" {
			v, _ := new(big.Int).SetString(c.Balance, 10)
			fmt.Fprintf(w, ", balance %s", native.format(v))
		}
		for _, tb := range c.Tokens {
			if v, ok := new(big.Int).SetString(tb.Balance, 10); ok {
				fmt.Fprintf(w, ", %s", tb.units().format(v))
				if tb.units().decimals < 0 {
					fmt.Fprintf(w, " of token %s", tb.Token)
				}
			} else {
				fmt.Fprintf(w, ", token %s: %s", tb.Token, tb.Error)
			}
		}
		if c.Error != "" {
			fmt.Fprintf(w, " (error: %s)", c.Error)
		}
		fmt.Fprintln(w)
	}
	if s.Role == roleTerminal {
		var phases []string
		for p, n := range s.ChannelsByPhase {
			phases = append(phases, fmt.Sprintf("%d %s", n, p))
		}
		sort.Strings(phases)
		if len(phases) == 0 {
			phases = []string{"none"}
		}
		fmt.Fprintf(w, "  channels       %s\n", strings.Join(phases, ", "))
	}
	if s.Role != roleWatcher {
		fmt.Fprintf(w, "  in flight      %d instances\n", s.InstancesInFlight)
	}
	if s.Error != "" {
		fmt.Fprintf(w, "  error          %s\n", s.Error)
	}
}
