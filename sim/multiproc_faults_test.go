package sim

import (
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/chain/directory"
)

// A restarted child keeps its address (sealed key) and refuses to start on
// a lost store, as a node does.
func TestChildDataDirRestartsAndRefusesLostStore(t *testing.T) {
	dir := t.TempDir()
	open := func() (common.Address, error) {
		b, err := childBackend(dir)
		if err != nil {
			t.Fatal(err)
		}
		k, st, err := childKeyAndStore(b, filepath.Join(dir, "t0"))
		if err != nil {
			return common.Address{}, err
		}
		st.Close()
		return k.Address(), nil
	}
	first, err := open()
	if err != nil {
		t.Fatal(err)
	}
	again, err := open()
	if err != nil || again != first {
		t.Fatalf("restart: %s %v, want %s", again, err, first)
	}
	if err := os.Remove(filepath.Join(dir, "t0", simStateFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := open(); !errors.Is(err, actors.ErrStoreMissing) {
		t.Fatalf("restart on a lost store: %v, want ErrStoreMissing", err)
	}
}

// The coordinator process routes over the channels the sim wrote for it.
func TestChannelsFileRoundTrip(t *testing.T) {
	coord := common.HexToAddress("0xc0")
	a, b := common.HexToAddress("0xa1"), common.HexToAddress("0xb2")
	id := [32]byte{7}
	w := &world{contract: map[uint64]common.Address{FirstChainID: common.HexToAddress("0xcc")},
		channels: map[[32]byte]*channel{id: {chain: FirstChainID, id: id, a: a, b: b, balA: big.NewInt(5), balB: big.NewInt(9)}}}
	path := filepath.Join(t.TempDir(), simChannelsFile)
	if err := writeChannels(path, w); err != nil {
		t.Fatal(err)
	}
	router, err := directory.NewRouter(directory.NewMemStore())
	if err != nil {
		t.Fatal(err)
	}
	if err := loadChannels(router, path, coord); err != nil {
		t.Fatal(err)
	}
	ch, err := router.Get(FirstChainID, directory.ChannelID(id))
	if err != nil {
		t.Fatal(err)
	}
	if ch.A != a || ch.B != b || ch.BalanceA.Int64() != 5 || ch.BalanceB.Int64() != 9 || ch.Coordinator != coord || ch.Status != directory.StatusOpen {
		t.Fatalf("loaded %+v", ch)
	}
	if err := os.WriteFile(path, []byte(`[{"id":"zz"}]`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := loadChannels(router, path, coord); err == nil {
		t.Fatal("a bad channel id was loaded")
	}
}
