// Package simreport encodes and checks the simulation backend's self-signed
// attestation statement. It lives here so that the producer (enclave/sim) and
// the checker (enclave.Verifier) share one format without an import cycle.
//
// A self-signed statement only detects tampering; anyone can make one with any
// key, which is why simulated reports are accepted only when a policy allows
// simulation, and can be pinned to one sim identity via Policy.SignerID.
package simreport

import (
	"bytes"
	"crypto/ecdsa"
	"errors"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
)

const (
	magic    = "TSSIMRP1"
	domain   = "teeswap/enclave/sim-report/v1"
	dataSize = 64
	sigSize  = crypto.SignatureLength
	// Size is the length of an encoded statement.
	Size = len(magic) + dataSize + common.AddressLength + sigSize
)

// ErrMalformed reports a statement that fails to parse or verify.
var ErrMalformed = errors.New("malformed or forged simulation report")

func digest(body []byte) []byte {
	return crypto.Keccak256([]byte(domain), body)
}

// Encode signs reportData (exactly 64 bytes) with priv.
func Encode(priv *ecdsa.PrivateKey, reportData []byte) ([]byte, error) {
	if len(reportData) != dataSize {
		return nil, errors.New("simreport: report data must be 64 bytes")
	}
	signer := crypto.PubkeyToAddress(priv.PublicKey)
	body := make([]byte, 0, Size)
	body = append(body, magic...)
	body = append(body, reportData...)
	body = append(body, signer.Bytes()...)
	sig, err := crypto.Sign(digest(body), priv)
	if err != nil {
		return nil, err
	}
	return append(body, sig...), nil
}

// Decode checks the statement's signature and returns its report data and the
// address that signed it.
func Decode(raw []byte) (reportData []byte, signer common.Address, err error) {
	if len(raw) != Size || !bytes.HasPrefix(raw, []byte(magic)) {
		return nil, common.Address{}, ErrMalformed
	}
	body, sig := raw[:Size-sigSize], raw[Size-sigSize:]
	pub, err := crypto.SigToPub(digest(body), sig)
	if err != nil {
		return nil, common.Address{}, ErrMalformed
	}
	claimed := common.BytesToAddress(body[len(magic)+dataSize:])
	if crypto.PubkeyToAddress(*pub) != claimed {
		return nil, common.Address{}, ErrMalformed
	}
	data := bytes.Clone(body[len(magic) : len(magic)+dataSize])
	return data, claimed, nil
}
