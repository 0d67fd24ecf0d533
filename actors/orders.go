package actors

import (
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// RequestOrders asks the terminal of every distinct sender of req's legs
// to sign its order for req, valid until expiresMs (Unix ms), and appends
// the orders to req.Orders: what a client does before it submits. peer
// finds a payer's terminal actor; credential is the owner's control
// credential the terminal checks (empty where none is configured).
func RequestOrders(root *actor.RootContext, peer func(common.Address) *actor.PID, req *messages.SwapRequest,
	expiresMs int64, credential string, timeout time.Duration) error {
	seen := map[common.Address]bool{}
	var pids []*actor.PID
	for _, l := range req.Legs {
		a := common.BytesToAddress(l.Sender)
		if seen[a] {
			continue
		}
		seen[a] = true
		pid := peer(a)
		if pid == nil {
			return fmt.Errorf("order: no terminal known for payer %s", a)
		}
		pids = append(pids, pid)
	}
	orders, err := RequestOrdersFrom(root, pids, req, expiresMs, credential, timeout)
	if err != nil {
		return err
	}
	req.Orders = append(req.Orders, orders...)
	return nil
}

// RequestOrdersFrom asks each terminal actor in pids to sign its order for
// req and returns the orders in pids' order. A terminal that pays no leg
// of req refuses, and so does this call. The requests go out together, so
// a swap waits one round trip, not one per payer.
func RequestOrdersFrom(root *actor.RootContext, pids []*actor.PID, req *messages.SwapRequest,
	expiresMs int64, credential string, timeout time.Duration) ([]*messages.Envelope, error) {
	ask := &messages.SignOrder{Credential: credential, RequestId: req.RequestId, Kind: req.Kind, Legs: req.Legs, ExpiresMs: expiresMs}
	futures := make([]*actor.Future, len(pids))
	for i, pid := range pids {
		futures[i] = root.RequestFuture(pid, ask, timeout)
	}
	out := make([]*messages.Envelope, 0, len(pids))
	for i, f := range futures {
		who := pids[i].Address + "/" + pids[i].Id
		res, err := f.Result()
		if err != nil {
			return nil, fmt.Errorf("order: terminal %s: %w", who, err)
		}
		signed, ok := res.(*messages.OrderSigned)
		switch {
		case !ok:
			return nil, fmt.Errorf("order: terminal %s answered %T", who, res)
		case signed.Error != "":
			return nil, fmt.Errorf("order: terminal %s refused: %s", who, signed.Error)
		case signed.Order == nil:
			return nil, fmt.Errorf("order: terminal %s sent no order", who)
		}
		out = append(out, signed.Order)
	}
	return out, nil
}
