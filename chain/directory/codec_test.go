package directory

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

func sample() Channel {
	return Channel{ChainID: 1337, Contract: common.HexToAddress("0xC0"), ID: ChannelID{1, 2, 3},
		A: common.HexToAddress("0xA"), B: common.HexToAddress("0xB"), Asset: common.HexToAddress("0x70"),
		BalanceA: new(big.Int).Set(maxBalance), BalanceB: big.NewInt(0), Version: 9, Status: StatusClosing,
		Coordinator: common.HexToAddress("0xC00D"), OpenedAtBlock: 5, UpdatedAtBlock: 6}
}

func TestChannelCodec(t *testing.T) {
	c := sample()
	enc := encodeChannel(&c)
	if len(enc) != channelLen {
		t.Fatalf("encoded %d bytes, want %d", len(enc), channelLen)
	}
	// Deterministic: equal values encode equally whatever the big.Int internals.
	c2 := c.Clone()
	c2.BalanceB = new(big.Int).Sub(big.NewInt(5), big.NewInt(5))
	if !bytes.Equal(enc, encodeChannel(&c2)) {
		t.Fatal("equal channels encode differently")
	}
	dec, err := decodeChannel(enc)
	if err != nil || !dec.Equal(c) {
		t.Fatalf("round trip: %+v, %v", dec, err)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"short":       enc[:len(enc)-1],
		"long":        append(bytes.Clone(enc), 0),
		"version":     append([]byte{2}, enc[1:]...),
		"zero status": func() []byte { b := bytes.Clone(enc); b[1+8+20+32+60+64+8] = 0; return b }(),
	} {
		if _, err := decodeChannel(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: want ErrCorrupt, got %v", name, err)
		}
	}
}

func TestCursorCodecAndOrder(t *testing.T) {
	c := Cursor{BlockNumber: 1 << 40, BlockHash: common.HexToHash("0xfeed"), LogIndex: 77}
	got, err := decodeCursor(encodeCursor(c))
	if err != nil || got != c {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if _, err := decodeCursor(encodeCursor(c)[1:]); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("short cursor: %v", err)
	}
	for _, tt := range []struct {
		a, b  Cursor
		after bool
	}{
		{Cursor{BlockNumber: 2}, Cursor{BlockNumber: 1, LogIndex: 99}, true},
		{Cursor{BlockNumber: 2, LogIndex: 1}, Cursor{BlockNumber: 2}, true},
		{Cursor{BlockNumber: 2}, Cursor{BlockNumber: 2}, false},
		{Cursor{BlockNumber: 2, BlockHash: common.Hash{1}}, Cursor{BlockNumber: 2}, false},
		{Cursor{BlockNumber: 1, LogIndex: 5}, Cursor{BlockNumber: 2}, false},
	} {
		if tt.a.After(tt.b) != tt.after {
			t.Errorf("%+v.After(%+v) = %v", tt.a, tt.b, !tt.after)
		}
	}
}
