package provision_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"log/slog"
	"testing"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/internal/keys"
	"github.com/teeswap/teeswap/enclave/internal/reportdata"
	"github.com/teeswap/teeswap/enclave/protocoltest"
	"github.com/teeswap/teeswap/enclave/provision"
	"github.com/teeswap/teeswap/enclave/sim"
)

var quiet = slog.New(slog.DiscardHandler)

func member(t *testing.T, seal byte) *sim.Backend {
	t.Helper()
	b, err := sim.New(sim.Options{SealKey: bytes.Repeat([]byte{seal}, sim.SealKeySize), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var simPolicy = enclave.NewVerifier(enclave.Policy{AllowSimulation: true})

func holderKey(t *testing.T, b enclave.Backend) enclave.Key {
	t.Helper()
	k, err := b.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func joiner(t *testing.T, b enclave.Backend) *provision.Joiner {
	t.Helper()
	j, err := provision.NewJoiner(b, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// TestMembersWithDifferentSealingKeysShareTheKey: the joiner ends with the
// holder's key in its own backend: same address, signs the same, sealed
// under its own sealing key (which the holder's backend cannot open).
func TestMembersWithDifferentSealingKeysShareTheKey(t *testing.T) {
	holderB, joinerB := member(t, 1), member(t, 2)
	k := holderKey(t, holderB)
	j := joiner(t, joinerB)
	a, err := provision.Provide(holderB, k, j.Offer(), simPolicy, quiet)
	if err != nil {
		t.Fatal(err)
	}
	got, err := j.Accept(a, simPolicy)
	if err != nil {
		t.Fatal(err)
	}
	if got.Address() != k.Address() {
		t.Fatalf("joiner holds %s, want %s", got.Address(), k.Address())
	}
	d := [32]byte{7}
	s1, _ := keys.Signer(k).Sign(d)
	s2, err := keys.Signer(got).Sign(d)
	if err != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("the provisioned key signs differently: %v", err)
	}
	sealed, err := got.Sealed()
	if err != nil {
		t.Fatal(err)
	}
	if again, err := joinerB.LoadKey(sealed); err != nil || again.Address() != k.Address() {
		t.Fatalf("the joiner's sealed copy: %v", err)
	}
	if _, err := holderB.LoadKey(sealed); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("the holder's backend opened the joiner's sealed copy: %v", err)
	}
	scalar := keys.Scalar(k.(*keys.Key))
	for _, field := range [][]byte{a.Sealed, a.Report, a.Public} {
		if bytes.Contains(field, scalar) {
			t.Fatal("the answer carries the key in the clear")
		}
	}
}

// TestOfferRefusedByPolicy: a joiner whose report fails the holder's
// policy, or does not bind the key it offers, gets nothing.
func TestOfferRefusedByPolicy(t *testing.T) {
	holderB := member(t, 1)
	k := holderKey(t, holderB)
	other := member(t, 3)
	pinned := enclave.NewVerifier(enclave.Policy{AllowSimulation: true, SignerID: other.AttestationAddress().Bytes()})
	noSim := enclave.NewVerifier(enclave.Policy{})
	cases := map[string]struct {
		offer  func() provision.Offer
		policy *enclave.Verifier
		want   error
	}{
		"wrong measurement":      {func() provision.Offer { return joiner(t, member(t, 2)).Offer() }, pinned, enclave.ErrMeasurementMismatch},
		"simulation not allowed": {func() provision.Offer { return joiner(t, member(t, 2)).Offer() }, noSim, enclave.ErrSimulationNotAllowed},
		"tampered report": {func() provision.Offer {
			o := joiner(t, member(t, 2)).Offer()
			o.Report = bytes.Clone(o.Report)
			o.Report[len(o.Report)/2] ^= 1
			return o
		}, simPolicy, enclave.ErrInvalidReport},
		"report not binding the offered key": {func() provision.Offer {
			o := joiner(t, member(t, 2)).Offer()
			o.Public = joiner(t, member(t, 2)).Offer().Public // another key, same kind of report
			return o
		}, simPolicy, enclave.ErrReportDataMismatch},
		"no key": {func() provision.Offer {
			o := joiner(t, member(t, 2)).Offer()
			o.Public = nil
			return o
		}, simPolicy, provision.ErrMalformed},
	}
	for name, c := range cases {
		a, err := provision.Provide(holderB, k, c.offer(), c.policy, quiet)
		if !errors.Is(err, provision.ErrOfferRefused) || !errors.Is(err, c.want) || a.Sealed != nil {
			t.Errorf("%s: %v (sealed %d bytes), want %v", name, err, len(a.Sealed), c.want)
		}
	}
	// A key no backend holds (a test key) is not handed out either.
	if _, err := provision.Provide(holderB, protocoltest.NewKey(1, "c"), joiner(t, member(t, 2)).Offer(), simPolicy, quiet); !errors.Is(err, provision.ErrNotProvisionable) {
		t.Fatalf("a test key: %v", err)
	}
}

// TestAnswerReplayedOrTamperedIsRefused: the joiner takes only an answer
// to its own offer, from an enclave its policy accepts, unchanged.
func TestAnswerReplayedOrTamperedIsRefused(t *testing.T) {
	holderB := member(t, 1)
	k := holderKey(t, holderB)
	first := joiner(t, member(t, 2))
	old, err := provision.Provide(holderB, k, first.Offer(), simPolicy, quiet)
	if err != nil {
		t.Fatal(err)
	}
	j := joiner(t, member(t, 2))
	fresh, err := provision.Provide(holderB, k, j.Offer(), simPolicy, quiet)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := holderKey(t, holderB)
	cases := map[string]struct {
		answer func() provision.Answer
		policy *enclave.Verifier
		want   error
	}{
		"replayed (another offer's answer)": {func() provision.Answer { return old }, simPolicy, enclave.ErrReportDataMismatch},
		"tampered sealed key": {func() provision.Answer {
			a := fresh
			a.Sealed = bytes.Clone(a.Sealed)
			a.Sealed[len(a.Sealed)-1] ^= 1
			return a
		}, simPolicy, provision.ErrAnswerRefused},
		"another address named": {func() provision.Answer {
			a := fresh
			a.Address = otherKey.Address()
			return a
		}, simPolicy, enclave.ErrReportDataMismatch},
		"tampered report": {func() provision.Answer {
			a := fresh
			a.Report = bytes.Clone(a.Report)
			a.Report[3] ^= 1
			return a
		}, simPolicy, enclave.ErrInvalidReport},
		"holder outside the joiner's policy": {func() provision.Answer { return fresh },
			enclave.NewVerifier(enclave.Policy{AllowSimulation: true, SignerID: member(t, 9).AttestationAddress().Bytes()}), enclave.ErrMeasurementMismatch},
		"simulated holder, simulation not allowed": {func() provision.Answer { return fresh }, enclave.NewVerifier(enclave.Policy{}), enclave.ErrSimulationNotAllowed},
	}
	for name, c := range cases {
		got, err := j.Accept(c.answer(), c.policy)
		if !errors.Is(err, provision.ErrAnswerRefused) || !errors.Is(err, c.want) || got != nil {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	// The untouched answer still works: the refusals changed nothing.
	if got, err := j.Accept(fresh, simPolicy); err != nil || got.Address() != k.Address() {
		t.Fatalf("the genuine answer: %v", err)
	}
}

// TestRecordSealerIsSharedByKeyHolders: members holding the provisioned key
// read each other's records; a member with another key does not.
func TestRecordSealerIsSharedByKeyHolders(t *testing.T) {
	holderB, joinerB := member(t, 1), member(t, 2)
	k := holderKey(t, holderB)
	j := joiner(t, joinerB)
	a, err := provision.Provide(holderB, k, j.Offer(), simPolicy, quiet)
	if err != nil {
		t.Fatal(err)
	}
	got, err := j.Accept(a, simPolicy)
	if err != nil {
		t.Fatal(err)
	}
	s1, err := provision.NewRecordSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := provision.NewRecordSealer(got)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := provision.NewRecordSealer(holderKey(t, holderB))
	if err != nil {
		t.Fatal(err)
	}
	blob, err := s1.Seal([]byte("record"), []byte("key"))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := s2.Unseal(blob, []byte("key")); err != nil || string(pt) != "record" {
		t.Fatalf("the other member's sealer: %q %v", pt, err)
	}
	if _, err := s2.Unseal(blob, []byte("other key")); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("other additional data: %v", err)
	}
	if _, err := stranger.Unseal(blob, []byte("key")); !errors.Is(err, enclave.ErrUnseal) {
		t.Fatalf("a sealer of another key: %v", err)
	}
	if _, err := provision.NewRecordSealer(protocoltest.NewKey(1, "c")); !errors.Is(err, provision.ErrNotProvisionable) {
		t.Fatalf("a test key: %v", err)
	}
}

// TestRoleHostCannotObtainTheKeyWithItsOwnOffer: a member's host makes an
// X25519 key of its own and wants its enclave to vouch for it, so a holder
// would seal the coordinator key to it. The backend refuses reserved report
// data, a zero token opens nothing, and an offer over a report of any other
// data is refused by the holder: the key reaches only a Joiner's enclave.
func TestRoleHostCannotObtainTheKeyWithItsOwnOffer(t *testing.T) {
	holderB, hostB := member(t, 1), member(t, 2)
	k := holderKey(t, holderB)
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.PublicKey().Bytes()
	h := sha256.New()
	h.Write([]byte("teeswap/provision/offer/v1"))
	h.Write([]byte{0})
	h.Write(pub)
	digest := [32]byte(h.Sum(nil))
	if _, err := hostB.Report(reportdata.Reserved(digest)); !errors.Is(err, enclave.ErrReservedReportData) {
		t.Fatalf("Backend.Report made reserved report data: %v", err)
	}
	if _, err := hostB.ReservedReport(reportdata.Token{}); !errors.Is(err, enclave.ErrReservedReportData) {
		t.Fatalf("a zero token made a reserved report: %v", err)
	}
	// The nearest a host gets: a report over the digest without the mark.
	r, err := hostB.Report(digest[:])
	if err != nil {
		t.Fatal(err)
	}
	a, err := provision.Provide(holderB, k, provision.Offer{Public: pub, Kind: r.Kind, Report: r.Raw}, simPolicy, quiet)
	if !errors.Is(err, provision.ErrOfferRefused) || !errors.Is(err, enclave.ErrReportDataMismatch) || a.Sealed != nil {
		t.Fatalf("the host's own offer: %v", err)
	}
}
