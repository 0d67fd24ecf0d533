package actors

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/messages"
)

// StatusConfig is what a node tells about itself.
type StatusConfig struct {
	Role, Enclave, CoordinatorNode string
	Address                        common.Address // the enclave's chain address; zero for a watcher
	Chains                         []chain.Chain
	// Main is the node's terminal or coordinator actor, asked for its
	// channels and instances; nil for a watcher.
	Main *actor.PID
	// Credential is the node's control credential: status is for its
	// owner (balances, channels). Empty: anyone may ask.
	Credential string
}

// StatusActor answers NodeStatusRequest: what the node is, its chain
// address's balance per chain, and its main actor's channels and
// instances. It reads only; anyone who reaches the node may ask. It also
// answers AssetInfoRequest (a token's decimals and symbol, public), from
// a cache each token fills once.
type StatusActor struct {
	cfg    StatusConfig
	tokens *TokenInfoCache
}

// NewStatus returns the status actor's props.
func NewStatus(cfg StatusConfig) *actor.Props {
	tokens := NewTokenInfoCache(cfg.Chains)
	return actor.PropsFromProducer(func() actor.Actor { return &StatusActor{cfg: cfg, tokens: tokens} })
}

// Receive handles one message.
func (s *StatusActor) Receive(ctx actor.Context) {
	client, system := ctx.Sender(), ctx.ActorSystem()
	if m, ok := ctx.Message().(*messages.AssetInfoRequest); ok && client != nil {
		go func() { // a first lookup reads the chain, off the mailbox
			rctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			system.Root.Send(client, s.tokens.assetInfo(rctx, m))
		}()
		return
	}
	req, ok := ctx.Message().(*messages.NodeStatusRequest)
	if !ok {
		return
	}
	if client == nil {
		return
	}
	if err := CheckCredential(s.cfg.Credential, req); err != nil {
		ctx.Respond(&messages.NodeStatus{Error: err.Error()})
		return
	}
	go func() { // chain reads stay off the mailbox
		system.Root.Send(client, s.status(system, req))
	}()
}

func (s *StatusActor) status(system *actor.ActorSystem, req *messages.NodeStatusRequest) *messages.NodeStatus {
	st := &messages.NodeStatus{Role: s.cfg.Role, Enclave: s.cfg.Enclave, CoordinatorNode: s.cfg.CoordinatorNode}
	if s.cfg.Address != (common.Address{}) {
		st.Address = s.cfg.Address.Bytes()
	}
	var tokens []*messages.ChainToken
	if s.cfg.Main != nil {
		res, err := system.Root.RequestFuture(s.cfg.Main, &messages.NodeStatusRequest{Credential: req.GetCredential()}, 5*time.Second).Result()
		if m, ok := res.(*messages.NodeStatus); ok && err == nil {
			st.Coordinators, st.Registered = m.Coordinators, m.Registered
			st.ChannelsByPhase, st.InstancesInFlight = m.ChannelsByPhase, m.InstancesInFlight
			tokens = m.ChannelTokens
		} else {
			st.Error = "the " + s.cfg.Role + " actor did not answer"
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range s.cfg.Chains {
		cs := &messages.ChainStatus{ChainId: c.ChainID()}
		var errs []string
		if h, err := c.HeaderByNumber(ctx, nil); err == nil {
			cs.Head = h.Number.Uint64()
		} else {
			errs = append(errs, err.Error())
		}
		if len(st.Address) > 0 {
			if b, err := c.BalanceAt(ctx, s.cfg.Address, nil); err == nil {
				cs.Balance = messages.AmountBytes(b)
			} else {
				errs = append(errs, err.Error())
			}
		}
		if len(st.Address) > 0 {
			for _, t := range tokens {
				if t.ChainId == c.ChainID() {
					cs.Tokens = append(cs.Tokens, s.tokenBalance(ctx, c, common.BytesToAddress(t.Token)))
				}
			}
		}
		cs.Error = strings.Join(errs, "; ")
		st.Chains = append(st.Chains, cs)
	}
	return st
}

// selBalanceOf is ERC-20 balanceOf(address).
var selBalanceOf = []byte{0x70, 0xa0, 0x82, 0x31}

// tokenBalance reads the node address's balance of token, with the
// token's decimals and symbol from the cache.
func (s *StatusActor) tokenBalance(ctx context.Context, c chain.Chain, token common.Address) *messages.TokenBalance {
	tb := &messages.TokenBalance{Token: token.Bytes()}
	var errs []string
	if info, err := s.tokens.Lookup(ctx, c.ChainID(), token); err == nil {
		tb.DecimalsKnown, tb.Decimals, tb.Symbol = true, uint32(info.Decimals), info.Symbol
	} else {
		errs = append(errs, err.Error())
	}
	out, err := c.Call(ctx, ethereum.CallMsg{To: &token, Data: append(append([]byte{}, selBalanceOf...), common.LeftPadBytes(s.cfg.Address.Bytes(), 32)...)}, nil)
	switch {
	case err != nil:
		errs = append(errs, "balanceOf: "+err.Error())
	case len(out) != 32:
		errs = append(errs, "balanceOf returned no amount")
	default:
		tb.Balance = messages.AmountBytes(new(big.Int).SetBytes(out))
	}
	tb.Error = strings.Join(errs, "; ")
	return tb
}

// nodeStatus is a terminal's part of its node's status.
func (a *TerminalActor) nodeStatus() *messages.NodeStatus {
	st := &messages.NodeStatus{Registered: a.registered, ChannelsByPhase: map[string]uint32{},
		InstancesInFlight: uint32(len(a.active))}
	for _, c := range a.m.Coordinators() {
		st.Coordinators = append(st.Coordinators, c.Bytes())
	}
	seen := map[string]bool{}
	for _, c := range a.m.Channels() {
		phase := strings.TrimPrefix(c.Phase.String(), "CHANNEL_PHASE_")
		if c.Closed {
			phase = "CLOSED"
		}
		st.ChannelsByPhase[phase]++
		key := fmt.Sprintf("%d/%x", c.ChainId, c.Asset)
		if token := common.BytesToAddress(c.Asset); token != (common.Address{}) && !seen[key] {
			seen[key] = true
			st.ChannelTokens = append(st.ChannelTokens, &messages.ChainToken{ChainId: c.ChainId, Token: token.Bytes()})
		}
	}
	return st
}

// nodeStatus is a coordinator's part of its node's status.
func (a *CoordinatorActor) nodeStatus() *messages.NodeStatus {
	return &messages.NodeStatus{InstancesInFlight: uint32(len(a.clients))}
}

// withDefaultTimeout gives a request without a refund deadline the
// coordinator's configured default, on a copy.
func (a *CoordinatorActor) withDefaultTimeout(req *messages.SwapRequest) *messages.SwapRequest {
	if req.GetTimeoutMs() != 0 || a.cfg.DefaultTimeout <= 0 {
		return req
	}
	c := proto.Clone(req).(*messages.SwapRequest)
	c.TimeoutMs = a.cfg.DefaultTimeout.Milliseconds()
	return c
}
