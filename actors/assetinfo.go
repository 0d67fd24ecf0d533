package actors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"unicode"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/chain"
	"github.com/teeswap/teeswap/messages"
)

// TokenInfo is what amounts of a token need: its decimals() and, when
// it has a readable one, its symbol().
type TokenInfo struct {
	Decimals uint8
	Symbol   string
}

// ErrNotAToken is a token address whose decimals() cannot be read.
var ErrNotAToken = errors.New("no ERC-20 decimals() at this address")

// ERC-20 selectors: decimals() and symbol().
var (
	selDecimals = []byte{0x31, 0x3c, 0xe5, 0x67}
	selSymbol   = []byte{0x95, 0xd8, 0x9b, 0x41}
)

// TokenInfoCache reads a token's decimals() and symbol() from its chain
// once and keeps them: both are fixed for a well-behaved token, and every
// amount typed or shown for its channels needs them.
type TokenInfoCache struct {
	chains map[uint64]chain.Chain
	mu     sync.Mutex
	known  map[tokenKey]TokenInfo
}

// maxCachedTokens bounds the cache: a peer asking about endless token
// addresses costs chain reads, not memory.
const maxCachedTokens = 4096

type tokenKey struct {
	chainID uint64
	token   common.Address
}

// NewTokenInfoCache serves the tokens of these chains.
func NewTokenInfoCache(chains []chain.Chain) *TokenInfoCache {
	c := &TokenInfoCache{chains: map[uint64]chain.Chain{}, known: map[tokenKey]TokenInfo{}}
	for _, ch := range chains {
		c.chains[ch.ChainID()] = ch
	}
	return c
}

// Lookup returns the token's info, from the chain on first use.
func (c *TokenInfoCache) Lookup(ctx context.Context, chainID uint64, token common.Address) (TokenInfo, error) {
	key := tokenKey{chainID, token}
	c.mu.Lock()
	info, ok := c.known[key]
	c.mu.Unlock()
	if ok {
		return info, nil
	}
	ch, ok := c.chains[chainID]
	if !ok {
		return TokenInfo{}, fmt.Errorf("this node does not follow chain %d", chainID)
	}
	if token == (common.Address{}) {
		return TokenInfo{}, fmt.Errorf("%w: the zero address is the native coin", ErrNotAToken)
	}
	out, err := ch.Call(ctx, ethereum.CallMsg{To: &token, Data: selDecimals}, nil)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("token %s on chain %d: decimals(): %w", token.Hex(), chainID, err)
	}
	d, err := decodeDecimals(out)
	if err != nil {
		return TokenInfo{}, fmt.Errorf("token %s on chain %d: %w", token.Hex(), chainID, err)
	}
	info = TokenInfo{Decimals: d}
	if out, err := ch.Call(ctx, ethereum.CallMsg{To: &token, Data: selSymbol}, nil); err == nil {
		info.Symbol = decodeSymbol(out) // optional: a token without one is shown in "tok"
	}
	c.mu.Lock()
	if len(c.known) < maxCachedTokens {
		c.known[key] = info
	}
	c.mu.Unlock()
	return info, nil
}

// decodeDecimals reads a uint8 return value (one 32-byte word; 10^77 is
// the most a uint256 amount can scale by).
func decodeDecimals(out []byte) (uint8, error) {
	if len(out) != 32 {
		return 0, fmt.Errorf("%w (%d bytes returned)", ErrNotAToken, len(out))
	}
	v := new(big.Int).SetBytes(out)
	if !v.IsUint64() || v.Uint64() > 77 {
		return 0, fmt.Errorf("%w: decimals() returned %s", ErrNotAToken, v)
	}
	return uint8(v.Uint64()), nil
}

// decodeSymbol reads symbol() as an ABI string, or as the bytes32 some
// early tokens return; anything else, or a symbol that is not short
// letters and digits, is "" (not shown, not typed).
func decodeSymbol(out []byte) string {
	var s string
	switch {
	case len(out) == 32:
		s = string(bytes.TrimRight(out, "\x00"))
	case len(out) >= 64:
		off, n := new(big.Int).SetBytes(out[:32]), new(big.Int).SetBytes(out[32:64])
		if !off.IsUint64() || off.Uint64() != 32 || !n.IsUint64() || n.Uint64() > uint64(len(out)-64) {
			return ""
		}
		s = string(out[64 : 64+n.Uint64()])
	}
	if s == "" || len(s) > 11 {
		return ""
	}
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return ""
		}
	}
	return s
}

// assetInfo answers an AssetInfoRequest from the cache.
func (c *TokenInfoCache) assetInfo(ctx context.Context, req *messages.AssetInfoRequest) *messages.AssetInfo {
	res := &messages.AssetInfo{ChainId: req.ChainId, Asset: req.Asset}
	token, err := messages.Address(req.Asset)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	info, err := c.Lookup(ctx, req.ChainId, token)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Decimals, res.Symbol = uint32(info.Decimals), info.Symbol
	return res
}
