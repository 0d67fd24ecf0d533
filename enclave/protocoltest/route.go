package protocoltest

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// LegBack is Leg in the other direction: from the chain path's last
// terminal to its first, so each hop's payer is the channel's party B.
func (w *World) LegBack(chain int, amount int64) (*messages.Leg, *messages.Network) {
	ch := w.Chains[chain]
	n := &messages.Network{ChainId: ch.ID, Contract: ch.Contract.Bytes(), Asset: common.Address{}.Bytes(),
		Amount: messages.AmountBytes(big.NewInt(amount))}
	for i := len(ch.Hops) - 1; i >= 0; i-- {
		h := ch.Hops[i]
		n.Hops = append(n.Hops, &messages.Hop{ChannelId: h.Channel[:], Payer: h.Payee.Bytes(), Payee: h.Payer.Bytes()})
	}
	leg := &messages.Leg{ChainId: ch.ID, Sender: ch.Hops[len(ch.Hops)-1].Payee.Bytes(), Receiver: ch.Hops[0].Payer.Bytes(),
		Asset: n.Asset, Amount: n.Amount}
	return leg, n
}

// Flow is one leg of StartFlows: a chain, an amount and a direction.
type Flow struct {
	Chain  int
	Amount int64
	Back   bool // from the path's last terminal to its first
}

// StartFlows creates an instance with one leg per flow, each with its own
// amount and direction, and queues its PREPAREs.
func (w *World) StartFlows(flows ...Flow) ([32]byte, error) {
	req := &messages.SwapRequest{RequestId: fmt.Sprintf("req-%d", len(w.Instances))}
	var routes []*messages.Network
	for _, f := range flows {
		leg, n := w.Leg(f.Chain, f.Amount)
		if f.Back {
			leg, n = w.LegBack(f.Chain, f.Amount)
		}
		req.Legs = append(req.Legs, leg)
		routes = append(routes, n)
	}
	w.SignOrders(req)
	in, out, err := w.Alloc.Create(req, routes, w.Now)
	if err != nil {
		return [32]byte{}, err
	}
	w.Instances[in.ID()] = in
	w.queueCoord(out)
	return in.ID(), nil
}
