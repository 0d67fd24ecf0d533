package main

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func TestAmountsParse(t *testing.T) {
	e18 := new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)
	for _, c := range []struct {
		in    string
		units assetUnits
		want  string // base units
	}{
		{"1000", native, "1000"},
		{"0x3e8", native, "1000"},
		{"1000wei", native, "1000"},
		{"250gwei", native, "250000000000"},
		{"1.5eth", native, "1500000000000000000"},
		{"1.5 ETH", native, "1500000000000000000"},
		{"0.25ether", native, "250000000000000000"},
		{".5eth", native, "500000000000000000"},
		{"2.eth", native, "2000000000000000000"},
		{"1_000wei", native, "1000"},
		{"0.000000000000000001eth", native, "1"},
		{"1.10000eth", native, "1100000000000000000"},
		{"12.5tok", tokenUnits(6), "12500000"},
		{"7", tokenUnits(6), "7"},
		{"7", tokenUnits(-1), "7"},
		{"3tok", tokenUnits(0), "3"},
		{"0", native, "0"},
		{new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1)).String(), native, maxUint256.String()},
	} {
		got, err := c.units.parse(c.in)
		if err != nil || got.String() != c.want {
			t.Errorf("parse(%q) = %v, %v; want %s", c.in, got, err, c.want)
		}
	}
	_ = e18
}

func TestAmountsRefused(t *testing.T) {
	for _, c := range []struct {
		in    string
		units assetUnits
		want  error
	}{
		{"", native, ErrAmountSyntax},
		{"abc", native, ErrAmountSyntax},
		{"1.5", native, ErrAmountPrecision}, // wei has no fraction
		{"1.0000000001gwei", native, ErrAmountPrecision},
		{"0.0000000000000000001eth", native, ErrAmountPrecision},
		{"-1", native, ErrAmountNegative},
		{"-1.5eth", native, ErrAmountNegative},
		{"1.5btc", native, ErrAmountSyntax},
		{"1..5eth", native, ErrAmountSyntax},
		{"1.2.3eth", native, ErrAmountSyntax},
		{".eth", native, ErrAmountSyntax},
		{"eth", native, ErrAmountSyntax},
		{"0xzz", native, ErrAmountSyntax},
		{"0x+1", native, ErrAmountSyntax},
		{"1e18", native, ErrAmountSyntax},
		{"1eth2", native, ErrAmountSyntax},
		{"1tok", native, ErrAmountUnit},
		{"1eth", tokenUnits(18), ErrAmountUnit},
		{"1tok", tokenUnits(-1), ErrAmountUnit},
		{"1.0000001tok", tokenUnits(6), ErrAmountPrecision},
		{new(big.Int).Lsh(big.NewInt(1), 256).String(), native, ErrAmountRange},
		{"1" + strings.Repeat("0", 200), native, ErrAmountRange},
	} {
		if v, err := c.units.parse(c.in); !errors.Is(err, c.want) {
			t.Errorf("parse(%q) = %v, %v; want %v", c.in, v, err, c.want)
		}
	}
}

func TestAmountsFormat(t *testing.T) {
	for _, c := range []struct {
		v     string
		units assetUnits
		want  string
	}{
		{"0", native, "0wei"},
		{"999999", native, "999999wei"},
		{"1000000", native, "0.001gwei"},
		{"250000000000", native, "250gwei"},
		{"1000000000000000", native, "0.001eth"},
		{"1500000000000000000", native, "1.5eth"},
		{"1000000000000000001", native, "1.000000000000000001eth"},
		{"12500000", tokenUnits(6), "12.5tok"},
		{"12500000", tokenUnits(-1), "12500000"},
		{"5", tokenUnits(0), "5tok"},
	} {
		v, _ := new(big.Int).SetString(c.v, 10)
		if got := c.units.format(v); got != c.want {
			t.Errorf("format(%s) = %q, want %q", c.v, got, c.want)
		}
	}
}

// Every amount formatted for people parses back to itself exactly.
func TestAmountsRoundTripSeeded(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 1))
	for range 5000 {
		b := make([]byte, r.IntN(33))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		roundTrip(t, new(big.Int).SetBytes(b), r.IntN(40)-1)
	}
}

func FuzzAmountsRoundTrip(f *testing.F) {
	f.Add([]byte{0x14, 0xd1, 0x12, 0x0d, 0x7b, 0x16, 0x00, 0x00}, 18)
	f.Add([]byte{1}, -1)
	f.Fuzz(func(t *testing.T, b []byte, d int) {
		if len(b) > 32 {
			b = b[:32]
		}
		roundTrip(t, new(big.Int).SetBytes(b), d%78)
	})
}

// Arbitrary text never panics the parser, and what it accepts formats and
// parses back to the same value.
func FuzzAmountsParse(f *testing.F) {
	for _, s := range []string{"1.5eth", "250gwei", "0x10", "12.5tok", "-1", "1..2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, u := range []assetUnits{native, tokenUnits(6), tokenUnits(-1)} {
			v, err := u.parse(s)
			if err != nil {
				continue
			}
			if v.Sign() < 0 || v.Cmp(maxUint256) > 0 {
				t.Fatalf("parse(%q) = %v: out of range", s, v)
			}
			roundTrip(t, v, u.decimals)
		}
	})
}

func roundTrip(t *testing.T, v *big.Int, d int) {
	t.Helper()
	for _, u := range []assetUnits{native, tokenUnits(d)} {
		s := u.format(v)
		back, err := u.parse(s)
		if err != nil || back.Cmp(v) != 0 {
			t.Fatalf("%v: format %q parses to %v, %v", v, s, back, err)
		}
	}
}

// A token's symbol names its unit when it can serve as one, both ways:
// "12.5USDC" parses by the token's decimals and 12.5 * 10^6 prints so.
func TestTokenSymbolUnits(t *testing.T) {
	usdc := tokenUnits(6).withSymbol("USDC")
	for _, in := range []string{"12.5USDC", "12.5usdc", "12.5 USDC", "12.5tok"} {
		if v, err := usdc.parse(in); err != nil || v.Int64() != 12_500_000 {
			t.Errorf("parse(%q) = %v, %v", in, v, err)
		}
	}
	if s := usdc.format(big.NewInt(12_500_000)); s != "12.5USDC" {
		t.Errorf("format: %q", s)
	}
	for _, in := range []string{"12.5eth", "12.5DAI"} {
		if _, err := usdc.parse(in); err == nil || !strings.Contains(err.Error(), "USDC") {
			t.Errorf("parse(%q): %v, want a refusal naming USDC", in, err)
		}
	}
	// Symbols that cannot be a unit are not used: the native coin's
	// names, tok, a leading digit or x (hex), other characters; nor
	// without known decimals.
	for _, sym := range []string{"ETH", "wei", "TOK", "1INCH", "XAU", "A-B", "", "ÄÖ"} {
		if u := tokenUnits(6).withSymbol(sym); u.symbol != "" {
			t.Errorf("symbol %q used as a unit", sym)
		}
	}
	if u := tokenUnits(-1).withSymbol("USDC"); u.symbol != "" {
		t.Error("a symbol without decimals")
	}
	if u := native.withSymbol("USDC"); u != native {
		t.Error("the native coin took a symbol")
	}
}

// A leg that names a token without decimals=D asks the node; the others
// do not.
func TestLegTokenLookup(t *testing.T) {
	a, b := "0x0000000000000000000000000000000000000001", "0x0000000000000000000000000000000000000002"
	tok := "0x00000000000000000000000000000000000000aa"
	if needsTokenLookup([]string{"chain=1,from=" + a + ",to=" + b + ",amount=1eth"}) ||
		needsTokenLookup([]string{"chain=1,from=" + a + ",to=" + b + ",amount=1tok,asset=" + tok + ",decimals=6"}) ||
		!needsTokenLookup([]string{"chain=1,from=" + a + ",to=" + b + ",amount=1", "chain=2,asset=" + tok + ",from=" + a + ",to=" + b + ",amount=1tok"}) {
		t.Fatal("needsTokenLookup")
	}
	asked := 0
	lookup := func(chainID uint64, token common.Address) (assetUnits, error) {
		asked++
		if chainID != 2 || token != common.HexToAddress(tok) {
			t.Fatalf("asked for %d/%s", chainID, token)
		}
		return tokenUnits(6).withSymbol("USDC"), nil
	}
	leg, u, err := parseLegUnits("chain=2,from="+a+",to="+b+",amount=2.5USDC,asset="+tok, lookup)
	if err != nil || new(big.Int).SetBytes(leg.Amount).Int64() != 2_500_000 || u.symbol != "USDC" || asked != 1 {
		t.Fatalf("leg: %v %v %v (asked %d)", leg, u, err, asked)
	}
	failing := func(uint64, common.Address) (assetUnits, error) { return tokenUnits(-1), errors.New("node says no") }
	if _, _, err := parseLegUnits("chain=2,from="+a+",to="+b+",amount=2.5tok,asset="+tok, failing); err == nil || !strings.Contains(err.Error(), "node says no") {
		t.Fatalf("a failed lookup: %v", err)
	}
	if leg, _, err := parseLegUnits("chain=2,from="+a+",to="+b+",amount=25,asset="+tok, failing); err != nil || new(big.Int).SetBytes(leg.Amount).Int64() != 25 {
		t.Fatalf("base units without a lookup: %v %v", leg, err)
	}
}
