package actors

import (
	"errors"
	"math/big"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain/directory"
	"github.com/teeswap/teeswap/messages"
)

// DirectoryRoutes finds routes in the channel directory (patent 300/260).
type DirectoryRoutes struct {
	Router *directory.Router
}

// Route returns the shortest route with capacity, as a protocol Network.
func (d DirectoryRoutes) Route(chainID uint64, asset, from, to common.Address, amount *big.Int, exclude map[[32]byte]bool) (*messages.Network, error) {
	var opts []directory.RouteOption
	if len(exclude) > 0 {
		opts = append(opts, directory.WithExcludeFunc(func(id directory.ChannelID) bool { return exclude[id] }))
	}
	hops, err := d.Router.FindRoute(chainID, asset, from, to, amount, opts...)
	if err != nil {
		if errors.Is(err, directory.ErrNoRoute) || errors.Is(err, directory.ErrUnknownAddress) {
			return nil, noRouteError{err}
		}
		return nil, err
	}
	first, err := d.Router.Get(chainID, hops[0].Channel)
	if err != nil {
		return nil, err
	}
	n := &messages.Network{ChainId: chainID, Contract: first.Contract.Bytes(), Asset: asset.Bytes(), Amount: messages.AmountBytes(amount)}
	for _, h := range hops {
		n.Hops = append(n.Hops, &messages.Hop{ChannelId: append([]byte{}, h.Channel[:]...), Payer: h.Payer.Bytes(), Payee: h.Payee.Bytes()})
	}
	return n, nil
}

// noRouteError wraps the directory's reason under ErrNoRoute. Its text is
// built only when asked: the coordinator retries routes for waiting
// requests after every finished instance and mostly only tests the error.
type noRouteError struct{ reason error }

func (e noRouteError) Error() string   { return ErrNoRoute.Error() + ": " + e.reason.Error() }
func (e noRouteError) Unwrap() []error { return []error{ErrNoRoute, e.reason} }

// Transferred moves a confirmed amount across a route's channels in the
// directory, so later routes see capacities as they are off chain.
func (d DirectoryRoutes) Transferred(n *messages.Network) {
	amount := new(big.Int).SetBytes(n.Amount)
	for _, h := range n.Hops {
		payer := common.BytesToAddress(h.Payer)
		_ = d.Router.Update(n.ChainId, directory.ChannelID(h.ChannelId), func(c *directory.Channel) error {
			if c.A == payer {
				c.BalanceA, c.BalanceB = new(big.Int).Sub(c.BalanceA, amount), new(big.Int).Add(c.BalanceB, amount)
			} else {
				c.BalanceB, c.BalanceA = new(big.Int).Sub(c.BalanceB, amount), new(big.Int).Add(c.BalanceA, amount)
			}
			return nil
		})
	}
}

// DirectoryActor answers RouteRequests for remote clients.
type DirectoryActor struct{ Routes Routes }

// Receive handles one message.
func (d *DirectoryActor) Receive(ctx actor.Context) {
	req, ok := ctx.Message().(*messages.RouteRequest)
	if !ok {
		return
	}
	amount, err := messages.Amount(req.Amount)
	if err != nil {
		ctx.Respond(&messages.RouteResponse{Error: err.Error()})
		return
	}
	exclude := map[[32]byte]bool{}
	for _, id := range req.Exclude {
		if len(id) == 32 {
			exclude[[32]byte(id)] = true
		}
	}
	n, err := d.Routes.Route(req.ChainId, common.BytesToAddress(req.Asset), common.BytesToAddress(req.From), common.BytesToAddress(req.To), amount, exclude)
	if err != nil {
		ctx.Respond(&messages.RouteResponse{Error: err.Error(), NoRoute: errors.Is(err, ErrNoRoute)})
		return
	}
	ctx.Respond(&messages.RouteResponse{Network: n})
}
