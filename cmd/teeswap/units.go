package main

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Amounts on the command line: a number with an optional unit, kept exact
// in big integers all the way (never a float).
//
//	1000, 0x3e8          base units (wei, or a token's smallest unit)
//	1000wei, 250gwei     the native coin in wei or gwei
//	1.5eth, 0.25ether    the native coin in ether (18 decimals)
//	12.5tok, 12.5USDC    a token in whole tokens, by its decimals()
//
// A token amount takes "tok" or the token's symbol() (or base units); the
// native coin's unit names are refused for a token, so a typo cannot move
// 10^18 times too much. A token's decimals and symbol come from the node,
// which reads them from the chain once (AssetInfoRequest); --decimals
// overrides them.

// Typed amount errors, for errors.Is.
var (
	ErrAmountSyntax    = errors.New("not an amount")
	ErrAmountNegative  = errors.New("amount is negative")
	ErrAmountPrecision = errors.New("amount has more decimals than its unit allows")
	ErrAmountUnit      = errors.New("unit does not fit this asset")
	ErrAmountRange     = errors.New("amount exceeds uint256")
)

// nativeUnits are the native coin's unit suffixes and their decimals.
var nativeUnits = map[string]int{"wei": 0, "gwei": 9, "eth": 18, "ether": 18}

// unitTok is the suffix for whole tokens.
const unitTok = "tok"

// maxUint256 bounds every amount: it is what the contract can hold.
var maxUint256 = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// assetUnits says how amounts of one asset are written: the native coin
// (token false) or a token with decimals (-1: unknown, "tok" refused) and
// maybe a symbol, which then names its unit like "tok".
type assetUnits struct {
	token    bool
	decimals int
	symbol   string
}

var native = assetUnits{decimals: 18}

// tokenUnits is a token whose decimals() is d (d < 0: unknown).
func tokenUnits(d int) assetUnits { return assetUnits{token: true, decimals: d} }

// withSymbol names the token's unit by its symbol, when the symbol can
// serve as one: letters and digits starting with a letter, not a native
// unit's name or "tok", and read back by parse exactly.
func (u assetUnits) withSymbol(symbol string) assetUnits {
	sym := strings.ToLower(symbol)
	if !u.token || u.decimals < 0 || sym == "" || sym == unitTok || sym[0] < 'a' || sym[0] > 'z' || strings.HasPrefix(sym, "x") {
		return u
	}
	if _, native := nativeUnits[sym]; native {
		return u
	}
	for _, r := range sym {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return u
		}
	}
	u.symbol = symbol
	return u
}

// parse reads an amount of this asset in base units.
func (u assetUnits) parse(s string) (*big.Int, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return nil, fmt.Errorf("%w: empty", ErrAmountSyntax)
	}
	if strings.HasPrefix(in, "-") {
		return nil, fmt.Errorf("%w: %q", ErrAmountNegative, s)
	}
	num, unit := splitUnit(strings.ToLower(in))
	decimals := 0
	switch {
	case unit == "":
	case unit == unitTok || u.symbol != "" && unit == strings.ToLower(u.symbol):
		if !u.token {
			return nil, fmt.Errorf("%w: %q: \"tok\" is for tokens; the native coin takes wei, gwei or eth", ErrAmountUnit, s)
		}
		if u.decimals < 0 {
			return nil, fmt.Errorf("%w: %q: the token's decimals are not known (the node could not read them); give --decimals or base units", ErrAmountUnit, s)
		}
		decimals = u.decimals
	default:
		d, ok := nativeUnits[unit]
		if !ok {
			if u.token {
				return nil, fmt.Errorf("%w: %q: unknown unit %q (a token takes tok%s or base units)", ErrAmountSyntax, s, unit, u.symbolHint())
			}
			return nil, fmt.Errorf("%w: %q: unknown unit %q (want wei, gwei, eth or tok)", ErrAmountSyntax, s, unit)
		}
		if u.token {
			return nil, fmt.Errorf("%w: %q: %s is the native coin's unit; a token amount is in tok%s or base units", ErrAmountUnit, s, unit, u.symbolHint())
		}
		decimals = d
	}
	var v *big.Int
	if unit == "" && (strings.HasPrefix(num, "0x") || strings.HasPrefix(num, "0X")) {
		var ok bool
		if v, ok = new(big.Int).SetString(num[2:], 16); !ok || strings.HasPrefix(num[2:], "+") {
			return nil, fmt.Errorf("%w: %q", ErrAmountSyntax, s)
		}
	} else {
		var err error
		if v, err = scaleDecimal(num, decimals); err != nil {
			return nil, fmt.Errorf("%w: %q", err, s)
		}
	}
	if v.Cmp(maxUint256) > 0 {
		return nil, fmt.Errorf("%w: %q", ErrAmountRange, s)
	}
	return v, nil
}

// splitUnit separates "1.5eth" into "1.5" and "eth".
func splitUnit(s string) (num, unit string) {
	if strings.HasPrefix(s, "0x") {
		return s, ""
	}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '_' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// scaleDecimal reads "12.5" as 12.5 * 10^decimals, exactly. Underscores
// group digits ("1_000").
func scaleDecimal(num string, decimals int) (*big.Int, error) {
	num = strings.ReplaceAll(num, "_", "")
	whole, frac, hasDot := strings.Cut(num, ".")
	if whole == "" && frac == "" || strings.Contains(frac, ".") || hasDot && frac == "" && whole == "" {
		return nil, ErrAmountSyntax
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return nil, ErrAmountSyntax
			}
		}
	}
	frac = strings.TrimRight(frac, "0")
	if len(frac) > decimals {
		return nil, ErrAmountPrecision
	}
	digits := whole + frac + strings.Repeat("0", decimals-len(frac))
	if len(digits) > 100 { // far above uint256's 78 digits; spares big-int work on junk
		return nil, ErrAmountRange
	}
	v, ok := new(big.Int).SetString("0"+digits, 10)
	if !ok {
		return nil, ErrAmountSyntax
	}
	return v, nil
}

// format writes v (base units) so people can read it and parse reads it
// back exactly: the native coin in eth, gwei or wei by size, a token in
// tok when its decimals are known, else in base units.
func (u assetUnits) format(v *big.Int) string {
	if v == nil {
		v = new(big.Int)
	}
	if u.token {
		if u.decimals < 0 {
			return v.String()
		}
		if u.symbol != "" {
			return fixed(v, u.decimals) + u.symbol
		}
		return fixed(v, u.decimals) + unitTok
	}
	abs := new(big.Int).Abs(v)
	switch {
	case abs.Cmp(big.NewInt(1_000_000_000_000_000)) >= 0: // 0.001 eth
		return fixed(v, 18) + "eth"
	case abs.Cmp(big.NewInt(1_000_000)) >= 0: // 0.001 gwei
		return fixed(v, 9) + "gwei"
	}
	return v.String() + "wei"
}

// symbolHint names the symbol unit in messages, if there is one.
func (u assetUnits) symbolHint() string {
	if u.symbol == "" {
		return ""
	}
	return ", " + u.symbol
}

// fixed writes v / 10^decimals with no trailing zeros.
func fixed(v *big.Int, decimals int) string {
	s := new(big.Int).Abs(v).String()
	sign := ""
	if v.Sign() < 0 {
		sign = "-"
	}
	if decimals == 0 {
		return sign + s
	}
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	whole, frac := s[:len(s)-decimals], strings.TrimRight(s[len(s)-decimals:], "0")
	if frac == "" {
		return sign + whole
	}
	return sign + whole + "." + frac
}

// unitsFor picks the units of an asset: the native coin when token is
// empty, else a token with the given decimals (-1: unknown).
func unitsFor(token string, decimals int) assetUnits {
	if token == "" {
		return native
	}
	return tokenUnits(decimals)
}

// parseDecimals reads a token's decimals (0..77: 10^77 still fits uint256).
func parseDecimals(s string) (int, error) {
	var d int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &d); err != nil || d < 0 || d > 77 || fmt.Sprint(d) != strings.TrimSpace(s) {
		return -1, fmt.Errorf("decimals %q: want an integer 0..77", s)
	}
	return d, nil
}

// amountHelp is the flag help of every amount.
const amountHelp = "amount: 1.5eth, 250gwei, 1000wei, a plain integer in base units, or for a token 12.5tok or 12.5SYMBOL (by its decimals(), read from the chain; --decimals overrides)"
