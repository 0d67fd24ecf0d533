package actors

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func word(v int64) []byte { return common.LeftPadBytes(big.NewInt(v).Bytes(), 32) }

func abiString(s string) []byte {
	out := append(word(32), word(int64(len(s)))...)
	return append(out, common.RightPadBytes([]byte(s), (len(s)+31)/32*32)...)
}

// Symbols come as ABI strings or, from early tokens, as bytes32; only
// short letters-and-digits symbols are used as units. Decimals are one
// word no larger than 77.
func TestTokenInfoDecoding(t *testing.T) {
	for _, c := range []struct {
		out  []byte
		want string
	}{
		{abiString("USDC"), "USDC"},
		{common.RightPadBytes([]byte("MKR"), 32), "MKR"},
		{abiString("DROP TABLE"), ""},       // a blank is no unit
		{abiString("A_VERY_LONG_NAME"), ""}, // too long and not alphanumeric
		{abiString("ÄÖ"), ""},
		{append(word(64), word(3)...), ""}, // a bad offset
		{append(word(32), word(1000)...), ""},
		{nil, ""},
	} {
		if got := decodeSymbol(c.out); got != c.want {
			t.Errorf("symbol %x: %q, want %q", c.out, got, c.want)
		}
	}
	if d, err := decodeDecimals(word(6)); err != nil || d != 6 {
		t.Fatalf("decimals 6: %d %v", d, err)
	}
	for _, bad := range [][]byte{nil, word(78), append(word(6), 0), new(big.Int).Lsh(big.NewInt(1), 255).FillBytes(make([]byte, 32))} {
		if _, err := decodeDecimals(bad); !errors.Is(err, ErrNotAToken) {
			t.Errorf("decimals %x: %v", bad, err)
		}
	}
}
