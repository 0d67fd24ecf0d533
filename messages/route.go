package messages

import (
	"fmt"
	"math"

	"github.com/ethereum/go-ethereum/common"
)

// Terminals returns the distinct terminals of a network in path order:
// the sender, each intermediary, the receiver.
func (n *Network) Terminals() []common.Address {
	hops := n.GetHops()
	out := make([]common.Address, 0, len(hops)+1)
	seen := make(map[common.Address]bool, len(hops)+1)
	add := func(b []byte) {
		a := common.BytesToAddress(b)
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, h := range hops {
		add(h.Payer)
		add(h.Payee)
	}
	return out
}

// Validate checks that a network is well formed: a contract, a positive
// amount, and a continuous path of distinct channels with 32-byte ids.
func (n *Network) Validate() error {
	if n == nil {
		return fmt.Errorf("%w: missing network", ErrMalformed)
	}
	if _, err := Address(n.Contract); err != nil {
		return fmt.Errorf("network contract: %w", err)
	}
	if _, err := Address(n.Asset); err != nil {
		return fmt.Errorf("network asset: %w", err)
	}
	amount, err := Amount(n.Amount)
	if err != nil {
		return err
	}
	if amount.Sign() <= 0 {
		return fmt.Errorf("%w: amount must be positive", ErrMalformed)
	}
	if len(n.Hops) == 0 {
		return fmt.Errorf("%w: network has no hops", ErrMalformed)
	}
	channels := make(map[[32]byte]bool, len(n.Hops))
	for i, h := range n.Hops {
		id, err := Hash32(h.GetChannelId())
		if err != nil {
			return fmt.Errorf("hop %d channel: %w", i, err)
		}
		if channels[id] {
			return fmt.Errorf("%w: hop %d reuses a channel", ErrMalformed, i)
		}
		channels[id] = true
		payer, err := Address(h.Payer)
		if err != nil {
			return fmt.Errorf("hop %d payer: %w", i, err)
		}
		payee, err := Address(h.Payee)
		if err != nil {
			return fmt.Errorf("hop %d payee: %w", i, err)
		}
		if payer == payee {
			return fmt.Errorf("%w: hop %d pays itself", ErrMalformed, i)
		}
		if i > 0 && common.BytesToAddress(n.Hops[i-1].Payee) != payer {
			return fmt.Errorf("%w: hop %d does not continue the path", ErrMalformed, i)
		}
		if h.Version == 0 {
			return fmt.Errorf("%w: hop %d has version 0", ErrMalformed, i)
		}
		if h.Version > math.MaxUint64-(VersionsPerHop-1) {
			return fmt.Errorf("%w: hop %d version %d leaves no room for its committed and settled states", ErrMalformed, i, h.Version)
		}
	}
	return nil
}

// A channel's versions for one hop of an instance (issue 9): the prepared
// state at the hop's version, the committed state one above, the settled
// lock-free state after the outcome at SettledVersionOffset above. The
// coordinator reserves VersionsPerHop versions per hop, so the next
// instance on the channel starts above the settled state.
const (
	SettledVersionOffset = 2
	VersionsPerHop       = SettledVersionOffset + 1
)
