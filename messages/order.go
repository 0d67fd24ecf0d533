package messages

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"google.golang.org/protobuf/proto"
)

// MaxOrderLegs bounds an order's legs: a swap names a few chains, and a
// terminal must not be made to hash an unbounded list per PREPARE.
const MaxOrderLegs = 16

// ResolveKind is the instance kind a request of legs legs gets: the one
// it names, or a payment for one leg and a cross-chain swap for more.
// Orders carry the resolved kind, so both sides compare the same value.
func ResolveKind(k InstanceKind, legs int) InstanceKind {
	if k != InstanceKind_INSTANCE_KIND_UNSPECIFIED {
		return k
	}
	if legs == 1 {
		return InstanceKind_INSTANCE_KIND_PAYMENT
	}
	return InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP
}

// Validate checks an order's shape: a kind, 1..MaxOrderLegs well-formed
// legs with positive amounts, a payer address. Whether the payer sends a
// leg is the reader's check (a stranger's order is unauthorised, not
// malformed).
func (o *Order) Validate() error {
	if o == nil {
		return fmt.Errorf("%w: missing order", ErrMalformed)
	}
	switch o.Kind {
	case InstanceKind_INSTANCE_KIND_PAYMENT:
		if len(o.Legs) != 1 {
			return fmt.Errorf("%w: a payment order has one leg, got %d", ErrMalformed, len(o.Legs))
		}
	case InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP:
	default:
		return fmt.Errorf("%w: order kind %v", ErrMalformed, o.Kind)
	}
	if len(o.Legs) == 0 || len(o.Legs) > MaxOrderLegs {
		return fmt.Errorf("%w: order has %d legs", ErrMalformed, len(o.Legs))
	}
	if _, err := Address(o.Payer); err != nil {
		return fmt.Errorf("order payer: %w", err)
	}
	for i, l := range o.Legs {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("order leg %d: %w", i, err)
		}
	}
	return nil
}

// Validate checks a leg's addresses and that its amount is positive.
func (l *Leg) Validate() error {
	if l == nil {
		return fmt.Errorf("%w: missing leg", ErrMalformed)
	}
	for _, b := range [][]byte{l.Sender, l.Receiver, l.Asset} {
		if _, err := Address(b); err != nil {
			return err
		}
	}
	v, err := Amount(l.Amount)
	if err != nil {
		return err
	}
	if v.Sign() <= 0 {
		return fmt.Errorf("%w: leg amount must be positive", ErrMalformed)
	}
	return nil
}

// Pays reports whether addr is the sender of one of the order's legs.
func (o *Order) Pays(addr common.Address) bool {
	for _, l := range o.GetLegs() {
		if common.BytesToAddress(l.GetSender()) == addr && len(l.GetSender()) == common.AddressLength {
			return true
		}
	}
	return false
}

// SealOrder validates o and seals it as a KIND_ORDER envelope signed by s,
// which must be o's payer and send one of its legs.
func SealOrder(s Signer, o *Order) (*Envelope, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if common.BytesToAddress(o.Payer) != s.Address() || !o.Pays(s.Address()) {
		return nil, fmt.Errorf("%w: order payer %x is not the signer %s or sends no leg", ErrMalformed, o.Payer, s.Address())
	}
	return Seal(s, Kind_KIND_ORDER, o)
}

// OpenOrder verifies a KIND_ORDER envelope, decodes and validates the
// order and checks that its payer is its signer; callers check that the
// payer is who they expect and sends a leg. It returns the order,
// the payer and the order's id, the envelope's signing digest.
// Signature errors wrap ErrBadSignature or ErrSignerMismatch, the rest
// ErrMalformed or ErrWrongKind.
func OpenOrder(env *Envelope) (*Order, common.Address, [32]byte, error) {
	var o Order
	signer, id, err := env.OpenDigest(Kind_KIND_ORDER, &o)
	if err != nil {
		return nil, common.Address{}, id, err
	}
	if err := o.Validate(); err != nil {
		return nil, common.Address{}, id, err
	}
	if common.BytesToAddress(o.Payer) != signer {
		return nil, common.Address{}, id, fmt.Errorf("%w: order names payer %x but is signed by %s", ErrSignerMismatch, o.Payer, signer)
	}
	return &o, signer, id, nil
}

// LegsEqual reports whether two leg lists are the same legs in the same
// order, field by field.
func LegsEqual(a, b []*Leg) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// LegServes reports whether network n carries leg l: same chain, asset
// and amount, from the leg's sender (first hop's payer) to its receiver
// (last hop's payee).
func LegServes(l *Leg, n *Network) bool {
	hops := n.GetHops()
	if l == nil || len(hops) == 0 {
		return false
	}
	return l.ChainId == n.ChainId && string(l.Asset) == string(n.Asset) && string(l.Amount) == string(n.Amount) &&
		string(l.Sender) == string(hops[0].Payer) && string(l.Receiver) == string(hops[len(hops)-1].Payee)
}
