package protocoltest_test

import (
	"errors"
	"math/big"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/teeswap/teeswap/enclave/coordinator"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

// Orders, as roles: the payer s1 of a fig-1 swap, a stranger (mallory),
// a counterparty (i1), an exchange replaying an order. The terminal-side
// tests take the genuine PREPARE for s1, change only its order (and legs
// where said) and have the trusted coordinator sign it again, so every
// check before the order check passes and the error is the order's.

// withOrder is the PREPARE of m with order and, when legs is not nil,
// legs, signed by the world's coordinator.
func withOrder(t *testing.T, w *protocoltest.World, m protocoltest.Message, order *messages.Envelope, legs []*messages.Leg) *messages.Envelope {
	t.Helper()
	p := decode(t, m.Env, &messages.Prepare{})
	p.Order = order
	if legs != nil {
		p.Legs = legs
	}
	return reseal(t, w.Coord, messages.Kind_KIND_PREPARE, p)
}

// legsOf returns a copy of the legs a PREPARE carries.
func legsOf(t *testing.T, m protocoltest.Message) []*messages.Leg {
	t.Helper()
	p := decode(t, m.Env, &messages.Prepare{})
	var out []*messages.Leg
	for _, l := range p.Legs {
		out = append(out, proto.Clone(l).(*messages.Leg))
	}
	return out
}

// sealRaw signs any order with any key, bypassing SealOrder's checks: what
// a stranger can do.
func sealRaw(t *testing.T, k messages.Signer, o *messages.Order) *messages.Envelope {
	t.Helper()
	return reseal(t, k, messages.Kind_KIND_ORDER, o)
}

func TestOrderValidOneConfirmsAndIsRecorded(t *testing.T) {
	w := fig1(40)
	id, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	w.DeliverAll()
	if !w.ConfirmSigned[id] || w.RefundSigned[id] {
		t.Fatal("swap with valid orders did not confirm")
	}
	assertClean(t, w)
	for net, name := range []string{"s1", "s2"} {
		r := w.Terminal(name).Instance(id, uint32(net))
		if len(r.GetOrderId()) != 32 || r.OrderExpiresMs != w.Now+protocoltest.OrderTTL {
			t.Fatalf("%s's ended record keeps order %x expiring %d", name, r.GetOrderId(), r.GetOrderExpiresMs())
		}
	}
	// Intermediaries and receivers take part without an order.
	for net, names := range [][]string{{"i1", "r1"}, {"i2", "r2"}} {
		for _, name := range names {
			if r := w.Terminal(name).Instance(id, uint32(net)); len(r.GetOrderId()) != 0 {
				t.Fatalf("%s recorded an order", name)
			}
		}
	}
}

func TestOrderMissingIsUnauthorised(t *testing.T) {
	w := fig1(41)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	rejects(t, s1, terminal.ErrUnauthorised, func() (terminal.Output, error) {
		return s1.HandlePrepare(withOrder(t, w, m, nil, nil), w.Now)
	})
	// The genuine PREPARE still goes through.
	if _, err := s1.HandlePrepare(m.Env, w.Now); err != nil {
		t.Fatal(err)
	}
}

// TestOrderStrangersRequestIsUnauthorised: a stranger's order for s1's
// legs, a counterparty's own order, an order naming s1 but signed by the
// stranger, and a tampered one: none lets s1's funds move.
func TestOrderStrangersRequestIsUnauthorised(t *testing.T) {
	w := fig1(42)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	mallory := protocoltest.NewKey(42, "mallory")
	genuine := decode(t, m.Env, &messages.Prepare{}).Order
	o := decode(t, genuine, &messages.Order{})
	cases := map[string]*messages.Envelope{}
	stranger := proto.Clone(o).(*messages.Order)
	stranger.Payer = mallory.Address().Bytes()
	cases["stranger's own order"] = sealRaw(t, mallory, stranger)
	cases["order naming s1 signed by the stranger"] = sealRaw(t, mallory, o)
	counterparty := proto.Clone(o).(*messages.Order)
	counterparty.Payer = w.Addr("i1").Bytes()
	cases["counterparty's order"] = sealRaw(t, w.Keys["i1"], counterparty)
	tampered := proto.Clone(genuine).(*messages.Envelope)
	tampered.Signature[5] ^= 1
	cases["tampered signature"] = tampered
	cases["another kind"] = m.Env
	for name, order := range cases {
		t.Run(name, func(t *testing.T) {
			rejects(t, s1, terminal.ErrUnauthorised, func() (terminal.Output, error) {
				return s1.HandlePrepare(withOrder(t, w, m, order, nil), w.Now)
			})
		})
	}
}

func TestOrderExpired(t *testing.T) {
	w := fig1(43)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	legs := legsOf(t, m)
	for _, exp := range []int64{w.Now, w.Now - 1} {
		old, err := s1.SignOrder("req-0", messages.InstanceKind_INSTANCE_KIND_UNSPECIFIED, legs, exp)
		if err != nil {
			t.Fatal(err)
		}
		rejects(t, s1, terminal.ErrOrderExpired, func() (terminal.Output, error) {
			return s1.HandlePrepare(withOrder(t, w, m, old, nil), w.Now)
		})
	}
	// Expiry is against the machine's input time: an order valid until
	// Now+5 is refused at Now+5 and taken at Now+4.
	soon, err := s1.SignOrder("req-0", messages.InstanceKind_INSTANCE_KIND_UNSPECIFIED, legs, w.Now+5)
	if err != nil {
		t.Fatal(err)
	}
	rejects(t, s1, terminal.ErrOrderExpired, func() (terminal.Output, error) {
		return s1.HandlePrepare(withOrder(t, w, m, soon, nil), w.Now+5)
	})
	if _, err := s1.HandlePrepare(withOrder(t, w, m, soon, nil), w.Now+4); err != nil {
		t.Fatalf("order before its expiry: %v", err)
	}
}

// TestOrderForOtherLegs: s1's own, unexpired order for another amount,
// receiver, chain or kind is refused; so is a PREPARE whose legs match the
// order but whose network does not carry s1's leg.
func TestOrderForOtherLegs(t *testing.T) {
	w := fig1(44)
	_, m := takePrepare(t, w, "s1")
	s1 := w.Terminal("s1")
	mutations := map[string]func(legs []*messages.Leg){
		"other amount":    func(l []*messages.Leg) { l[0].Amount = messages.AmountBytes(big.NewInt(101)) },
		"other receiver":  func(l []*messages.Leg) { l[0].Receiver = w.Addr("i1").Bytes() },
		"other chain":     func(l []*messages.Leg) { l[0].ChainId = 9 },
		"other return":    func(l []*messages.Leg) { l[1].Amount = messages.AmountBytes(big.NewInt(1)) },
		"first leg twice": func(l []*messages.Leg) { l[1] = proto.Clone(l[0]).(*messages.Leg) },
	}
	ownLeg := map[string]bool{"other amount": true, "other receiver": true, "other chain": true}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			legs := legsOf(t, m)
			mutate(legs)
			other, err := s1.SignOrder("req-0", messages.InstanceKind_INSTANCE_KIND_CROSS_CHAIN_SWAP, legs, w.Now+1000)
			if err != nil {
				t.Fatal(err)
			}
			// The order differs from the instance's legs.
			rejects(t, s1, terminal.ErrOrderMismatch, func() (terminal.Output, error) {
				return s1.HandlePrepare(withOrder(t, w, m, other, nil), w.Now)
			})
			if !ownLeg[name] {
				return
			}
			// The instance's legs agree with the order, but not with the
			// network s1 is asked to pay on.
			rejects(t, s1, terminal.ErrOrderMismatch, func() (terminal.Output, error) {
				return s1.HandlePrepare(withOrder(t, w, m, other, legs), w.Now)
			})
		})
	}
}

// TestOrderReplayed: an order used for one instance does not authorise a
// second one, not even after a restart from the persisted records.
func TestOrderReplayed(t *testing.T) {
	w := fig1(45)
	first, err := w.Start(100, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	used := w.Queue[0]
	for _, q := range w.Queue {
		if q.To == w.Addr("s1") {
			used = q
		}
	}
	w.DeliverAll()
	if !w.ConfirmSigned[first] {
		t.Fatal("first swap did not confirm")
	}
	order := decode(t, used.Env, &messages.Prepare{}).Order
	_, m := takePrepare(t, w, "s1")
	replay := withOrder(t, w, m, order, nil)
	s1 := w.Terminal("s1")
	rejects(t, s1, terminal.ErrOrderReplayed, func() (terminal.Output, error) { return s1.HandlePrepare(replay, w.Now) })
	w.Crash("s1")
	s1 = w.Terminal("s1")
	rejects(t, s1, terminal.ErrOrderReplayed, func() (terminal.Output, error) { return s1.HandlePrepare(replay, w.Now) })
	if _, err := s1.HandlePrepare(m.Env, w.Now); err != nil {
		t.Fatalf("the second instance's own order: %v", err)
	}
}

func TestSignOrderRefusesNonPayer(t *testing.T) {
	w := fig1(46)
	leg, _ := w.Leg(0, 100)
	if _, err := w.Terminal("i1").SignOrder("x", 0, []*messages.Leg{leg}, w.Now+1); !errors.Is(err, terminal.ErrNotPayer) {
		t.Fatalf("intermediary signed an order for s1's leg: %v", err)
	}
	env, err := w.Terminal("s1").SignOrder("x", 0, []*messages.Leg{leg}, w.Now+1)
	if err != nil {
		t.Fatal(err)
	}
	o, payer, _, err := messages.OpenOrder(env)
	if err != nil || payer != w.Addr("s1") || o.Kind != messages.InstanceKind_INSTANCE_KIND_PAYMENT {
		t.Fatalf("s1's order: %v from %s (%v)", o, payer, err)
	}
}

// TestCoordinatorRejectsUnauthorisedRequests: the coordinator creates no
// instance (and uses no nonce) for a request any sender did not order.
func TestCoordinatorRejectsUnauthorisedRequests(t *testing.T) {
	w := fig1(47)
	mallory := protocoltest.NewKey(47, "mallory")
	leg0, n0 := w.Leg(0, 100)
	leg1, n1 := w.Leg(1, 100)
	routes := []*messages.Network{n0, n1}
	base := func() *messages.SwapRequest {
		req := &messages.SwapRequest{RequestId: "swap", Legs: []*messages.Leg{leg0, leg1}}
		w.SignOrders(req)
		return req
	}
	orderOf := func(req *messages.SwapRequest, i int) *messages.Order {
		return decode(t, req.Orders[i], &messages.Order{})
	}
	cases := []struct {
		name   string
		mutate func(req *messages.SwapRequest)
		want   error
	}{
		{"no orders", func(r *messages.SwapRequest) { r.Orders = nil }, coordinator.ErrUnauthorised},
		{"one payer's order missing", func(r *messages.SwapRequest) { r.Orders = r.Orders[:1] }, coordinator.ErrUnauthorised},
		{"stranger's order instead", func(r *messages.SwapRequest) {
			o := orderOf(r, 0)
			o.Payer = mallory.Address().Bytes()
			r.Orders[0] = sealRaw(t, mallory, o)
		}, coordinator.ErrUnauthorised},
		{"order naming s1 signed by a stranger", func(r *messages.SwapRequest) {
			r.Orders[0] = sealRaw(t, mallory, orderOf(r, 0))
		}, coordinator.ErrUnauthorised},
		{"receiver's order instead", func(r *messages.SwapRequest) {
			o := orderOf(r, 0)
			o.Payer = w.Addr("r1").Bytes()
			r.Orders[0] = sealRaw(t, w.Keys["r1"], o)
		}, coordinator.ErrUnauthorised},
		{"tampered signature", func(r *messages.SwapRequest) { r.Orders[0].Signature[3] ^= 1 }, coordinator.ErrUnauthorised},
		{"other request id", func(r *messages.SwapRequest) { r.RequestId = "other" }, coordinator.ErrBadOrder},
		{"other kind", func(r *messages.SwapRequest) {
			o := orderOf(r, 0)
			o.Kind = messages.InstanceKind_INSTANCE_KIND_PAYMENT
			o.Legs = o.Legs[:1]
			r.Orders[0] = sealRaw(t, w.Keys["s1"], o)
		}, coordinator.ErrBadOrder},
		{"order for other legs", func(r *messages.SwapRequest) {
			o := orderOf(r, 1)
			o.Legs[0].Amount = messages.AmountBytes(big.NewInt(99))
			r.Orders[1] = sealRaw(t, w.Keys["s2"], o)
		}, coordinator.ErrBadOrder},
		{"two orders from one payer", func(r *messages.SwapRequest) { r.Orders[1] = r.Orders[0] }, coordinator.ErrBadOrder},
		{"not an order", func(r *messages.SwapRequest) {
			r.Orders[0] = reseal(t, w.Keys["s1"], messages.Kind_KIND_REFUND_REQUEST, orderOf(r, 0))
		}, coordinator.ErrBadOrder},
		{"expired", func(r *messages.SwapRequest) {
			o := orderOf(r, 0)
			o.ExpiresMs = w.Now
			r.Orders[0] = sealRaw(t, w.Keys["s1"], o)
		}, coordinator.ErrOrderExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := base()
			c.mutate(req)
			before := proto.Clone(w.Alloc.Meta())
			in, out, err := w.Alloc.Create(req, routes, w.Now)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if in != nil || len(out.Send) != 0 || !proto.Equal(before, w.Alloc.Meta()) {
				t.Fatal("a refused request created an instance or used a nonce")
			}
		})
	}
	if _, _, err := w.Alloc.Create(base(), routes, w.Now); err != nil {
		t.Fatalf("the authorised request: %v", err)
	}
}
