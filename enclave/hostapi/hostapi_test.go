package hostapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"log/slog"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/teeswap/teeswap/contracts"
	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/enclavetest"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/enclave/sim"
	"github.com/teeswap/teeswap/enclave/terminal"
	"github.com/teeswap/teeswap/messages"
)

func backendKey(t *testing.T) enclave.Key {
	t.Helper()
	b, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := b.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var chainID = big.NewInt(77)

func deployData(period uint64) []byte {
	return append(common.FromHex(contracts.PaymentChannelsMetaData.Bin), contracts.NewPaymentChannels().PackConstructor(period)...)
}

func creation(data []byte) *types.Transaction {
	return types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Nonce: 3, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2), Gas: 3_000_000, Data: data})
}

func TestDeployerSignsPaymentChannelsCreations(t *testing.T) {
	k := backendKey(t)
	d := hostapi.NewDeployer(k)
	if d.Address() != k.Address() {
		t.Fatalf("deployer %s, key %s", d.Address(), k.Address())
	}
	for _, tx := range []*types.Transaction{
		creation(deployData(3600)),
		types.NewTx(&types.LegacyTx{Nonce: 1, GasPrice: big.NewInt(1), Gas: 3_000_000, Data: deployData(60)}),
	} {
		signed, err := d.SignTx(tx, chainID)
		if err != nil {
			t.Fatal(err)
		}
		if from, err := types.Sender(types.LatestSignerForChainID(chainID), signed); err != nil || from != k.Address() {
			t.Fatalf("signed deployment recovers to %s (%v)", from, err)
		}
	}
}

// TestRoleMaliciousHostCannotMakeTheEnclaveSignATransfer: a host holding an
// enclave key's handle wants a transfer of the key's coin, a token
// transfer, or a signature over a digest of its choosing. The handle has
// no signing method, and every entry point it can reach refuses, with a
// typed error and no signature.
func TestRoleMaliciousHostCannotMakeTheEnclaveSignATransfer(t *testing.T) {
	k := backendKey(t)
	if bad := enclavetest.SigningMethods(k); len(bad) > 0 {
		t.Fatalf("the handle can sign: %v", bad)
	}
	if _, ok := k.(messages.Signer); ok {
		t.Fatal("the handle is a messages.Signer")
	}
	thief := common.HexToAddress("0x7417ef")
	token := common.HexToAddress("0x70")
	erc20Transfer := append(common.FromHex("a9059cbb"), common.LeftPadBytes(thief.Bytes(), 32)...)
	erc20Transfer = append(erc20Transfer, common.LeftPadBytes(big.NewInt(1e18).Bytes(), 32)...)

	d := hostapi.NewDeployer(k)
	for name, tx := range map[string]*types.Transaction{
		"a coin transfer":                      types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Gas: 21000, To: &thief, Value: big.NewInt(1e18)}),
		"a token transfer":                     types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Gas: 90000, To: &token, Data: erc20Transfer}),
		"another contract's creation":          creation(common.FromHex("0x6080604052")),
		"a creation with value":                types.NewTx(&types.DynamicFeeTx{ChainID: chainID, Gas: 3_000_000, Value: big.NewInt(1), Data: deployData(60)}),
		"a constructor word that is no uint64": creation(append(common.FromHex(contracts.PaymentChannelsMetaData.Bin), common.LeftPadBytes(new(big.Int).Lsh(big.NewInt(1), 70).Bytes(), 32)...)),
		"trailing bytes after the constructor": creation(append(deployData(60), 0)),
	} {
		signed, err := d.SignTx(tx, chainID)
		if !errors.Is(err, hostapi.ErrNotDeployment) || signed != nil {
			t.Errorf("%s: signed %v, err %v", name, signed != nil, err)
		}
	}
	// A digest passed off as a TLS key is no key.
	digest := crypto.Keccak256(erc20Transfer)
	if sig, err := hostapi.SignTLSBinding(k, digest, "127.0.0.1:1"); !errors.Is(err, hostapi.ErrBadTLSKey) || sig != nil {
		t.Fatalf("a digest as TLS key: %x %v", sig, err)
	}
	// The terminal machine on the same handle builds only channel
	// transactions its state backs: the contract it is configured with,
	// channels it holds, coordinators it attested.
	contract := common.HexToAddress("0xc0")
	m := terminal.New(terminal.Config{Signer: k, Contracts: map[uint64]common.Address{chainID.Uint64(): contract},
		VerifyReport: func([]byte, common.Address) error { return nil }})
	p := terminal.TxParams{ChainID: chainID.Uint64(), Contract: contract, Gas: 300_000, GasTipCap: big.NewInt(1), GasFeeCap: big.NewInt(2)}
	toThief := p
	toThief.Contract = thief
	for name, c := range map[string]struct {
		req  terminal.TxRequest
		p    terminal.TxParams
		want error
	}{
		"open on the thief's \"contract\"":     {terminal.OpenTx{Counterparty: thief, Coordinator: thief, Deposit: big.NewInt(1e18)}, toThief, terminal.ErrWrongContract},
		"open with an unattested coordinator":  {terminal.OpenTx{Counterparty: thief, Coordinator: thief, Deposit: big.NewInt(1e18)}, p, terminal.ErrUntrustedCoordinator},
		"top-up of a channel it does not hold": {terminal.TopUpTx{ChannelID: [32]byte{1}, Amount: big.NewInt(1)}, p, terminal.ErrUnknownChannel},
	} {
		tx, err := m.BuildTx(c.req, c.p)
		if !errors.Is(err, c.want) || tx != nil {
			t.Errorf("%s: got %v (tx %v), want %v", name, err, tx != nil, c.want)
		}
	}
	// The same machine does sign through the handle what it builds.
	if err := m.AdmitCoordinator(thief, nil); err != nil {
		t.Fatal(err)
	}
	tx, err := m.BuildTx(terminal.OpenTx{Counterparty: thief, Coordinator: thief, Deposit: big.NewInt(5)}, p)
	if err != nil {
		t.Fatal(err)
	}
	if from, err := types.Sender(types.LatestSignerForChainID(chainID), tx); err != nil || from != k.Address() || *tx.To() != contract {
		t.Fatalf("the machine's open: from %s (%v) to %s", from, err, tx.To())
	}
}

func TestRegistrationAndTLSBindingSignaturesRecover(t *testing.T) {
	k := backendKey(t)
	peer := &messages.Peer{Address: "127.0.0.1:9", Id: "terminal-1"}
	sig, err := hostapi.SignRegistration(k, peer, 42)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := messages.RecoverAddress(hostapi.RegistrationDigest(k.Address(), peer, 42), sig); err != nil || got != k.Address() {
		t.Fatalf("registration recovers to %s (%v)", got, err)
	}
	if _, err := hostapi.SignRegistration(k, &messages.Peer{}, 42); !errors.Is(err, hostapi.ErrBadRequest) {
		t.Fatalf("registration without a peer: %v", err)
	}
	tlsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&tlsKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sig, err = hostapi.SignTLSBinding(k, spki, "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := messages.RecoverAddress(hostapi.TLSBindingDigest(spki, "127.0.0.1:9"), sig); err != nil || got != k.Address() {
		t.Fatalf("TLS binding recovers to %s (%v)", got, err)
	}
}

func TestHandlesGivenToTheHostCannotSign(t *testing.T) {
	if bad := enclavetest.SigningMethods(hostapi.NewDeployer(backendKey(t))); len(bad) > 0 {
		t.Fatalf("the deployer signs digests: %v", bad)
	}
	// The interface itself: no method takes a digest or returns a signer.
	it := reflect.TypeFor[enclave.Key]()
	for i := range it.NumMethod() {
		m := it.Method(i)
		if m.Type.NumIn() > 0 || m.Name == "Sign" {
			t.Errorf("enclave.Key.%s takes input %v", m.Name, m.Type)
		}
	}
}

// TLSReport checks its typed inputs as SignTLSBinding does, before the
// backend is asked: a digest passed off as a TLS key and an empty address
// are refused.
func TestTLSReportRefusesMalformedRequests(t *testing.T) {
	b, err := sim.New(sim.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	k, err := b.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	tlsKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&tlsKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hostapi.TLSReport(b, k, crypto.Keccak256([]byte("a digest")), "127.0.0.1:9"); !errors.Is(err, hostapi.ErrBadTLSKey) {
		t.Fatalf("a digest as TLS key: %v", err)
	}
	if _, err := hostapi.TLSReport(b, k, spki, ""); !errors.Is(err, hostapi.ErrBadRequest) {
		t.Fatalf("no address: %v", err)
	}
	r, err := hostapi.TLSReport(b, k, spki, "127.0.0.1:9")
	if err != nil {
		t.Fatal(err)
	}
	if string(r.ReportData) != string(hostapi.TLSReportData(k.Address(), spki, "127.0.0.1:9")) {
		t.Fatalf("TLS report data %x", r.ReportData)
	}
}
