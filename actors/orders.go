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
// credential the terminal checks (empty where none is configured). The
// requests go out together, so a swap waits one round trip, not one per
// payer.
func RequestOrders(root *actor.RootContext, peer func(common.Address) *actor.PID, req *messages.SwapRequest,
	expiresMs int64, credential string, timeout time.Duration) error {
	ask := &messages.SignOrder{Credential: credential, RequestId: req.RequestId, Kind: req.Kind, Legs: req.Legs, ExpiresMs: expiresMs}
	seen := map[common.Address]bool{}
	var payers []common.Address
	var futures []*actor.Future
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
		payers = append(payers, a)
		futures = append(futures, root.RequestFuture(pid, ask, timeout))
	}
	for i, f := range futures {
		res, err := f.Result()
		if err != nil {
			return fmt.Errorf("order: payer %s: %w", payers[i], err)
		}
		signed, ok := res.(*messages.OrderSigned)
		switch {
		case !ok:
			return fmt.Errorf("order: payer %s answered %T", payers[i], res)
		case signed.Error != "":
			return fmt.Errorf("order: payer %s refused: %s", payers[i], signed.Error)
		case signed.Order == nil:
			return fmt.Errorf("order: payer %s sent no order", payers[i])
		}
		req.Orders = append(req.Orders, signed.Order)
	}
	return nil
}
