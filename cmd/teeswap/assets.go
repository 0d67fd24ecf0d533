package main

import (
	"fmt"
	"math/big"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/messages"
)

// assetLookupWait bounds one AssetInfoRequest: a first lookup is two
// eth_calls at the node.
const assetLookupWait = 15 * time.Second

// tokenUnits asks the node this client talks to (its status actor, on
// every node) for a token's decimals and symbol, once per token per
// command.
func (c *clientConn) tokenUnits(chainID uint64, token common.Address) (assetUnits, error) {
	key := fmt.Sprintf("%d/%s", chainID, token.Hex())
	if u, ok := c.units[key]; ok {
		return u, nil
	}
	wait := min(c.t.timeout, assetLookupWait)
	res, err := c.sys.Root.RequestFuture(actor.NewPID(c.pid.Address, actorStatus), &messages.AssetInfoRequest{ChainId: chainID, Asset: token.Bytes()}, wait).Result()
	if err != nil {
		return tokenUnits(-1), answerError(c.pid, c.sys.Address(), wait.String(), err)
	}
	info, ok := res.(*messages.AssetInfo)
	switch {
	case !ok:
		return tokenUnits(-1), fmt.Errorf("the node at %s answered %T to an asset lookup", c.pid.Address, res)
	case info.Error != "":
		return tokenUnits(-1), fmt.Errorf("the node could not read token %s on chain %d: %s", token.Hex(), chainID, info.Error)
	}
	u := tokenUnits(int(info.Decimals)).withSymbol(info.Symbol)
	if c.units == nil {
		c.units = map[string]assetUnits{}
	}
	c.units[key] = u
	return u, nil
}

// assetUnits are the units of asset (20 zero bytes or none: the native
// coin) on chainID: decimals >= 0 overrides the token's own; else the node
// is asked. A failed lookup leaves the decimals unknown (base units only)
// and returns why, for the message of an amount that needed them.
func (c *clientConn) assetUnits(chainID uint64, asset []byte, decimals int) (assetUnits, error) {
	token := common.BytesToAddress(asset)
	switch {
	case token == (common.Address{}):
		return native, nil
	case decimals >= 0:
		return tokenUnits(decimals), nil
	}
	return c.tokenUnits(chainID, token)
}

// parseAmount reads an amount in units u; when u lacks the decimals an
// amount needs, lookupErr (why they are missing) is added to the error.
func parseAmount(u assetUnits, amount string, lookupErr error) (*big.Int, error) {
	v, err := u.parse(amount)
	if err != nil && lookupErr != nil && u.token && u.decimals < 0 {
		return nil, fmt.Errorf("%w (%v)", err, lookupErr)
	}
	return v, err
}
