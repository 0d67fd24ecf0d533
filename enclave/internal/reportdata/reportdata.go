// Package reportdata reserves a class of attestation report data for
// enclave code: data whose second half is Mark. A backend's exported
// Report refuses it (enclave.ErrReservedReportData), so code outside the
// enclave tree cannot get a report that vouches for a key it made itself.
// Enclave code gets such reports through two backend methods, each opened
// only by a token this package makes:
//   - ReservedReport(Token): the reserved data over the token's digest
//     (enclave/provision's exchange);
//   - KeyReport(KeyToken, key): the reserved data over the token's digest
//     of the address of a key the backend holds (enclave.ReportFor's
//     address binding, hostapi's TLS binding).
//
// A token carries what it authorises, not a bare permission: a host that
// hands enclave code a backend of its own and catches the token (Go can
// infer the token's type from a real backend's method value, so host code
// can declare such a method) can only replay it for the same report data,
// or for the address of a key the real backend holds.
package reportdata

import (
	"crypto/sha256"

	"github.com/ethereum/go-ethereum/common"
)

// Mark fills the second half of reserved report data.
var Mark = sha256.Sum256([]byte("teeswap/enclave/reserved-report-data/v1"))

// Size is the size of report data (enclave.ReportDataSize).
const Size = 64

// Reserved is the reserved report data carrying digest.
func Reserved(digest [32]byte) []byte {
	out := make([]byte, Size)
	copy(out, digest[:])
	copy(out[32:], Mark[:])
	return out
}

// IsReserved reports whether data (zero-padded to Size) is reserved.
func IsReserved(data []byte) bool {
	if len(data) < Size {
		return false // padding makes the second half zero or a prefix of it
	}
	return string(data[32:Size]) == string(Mark[:])
}

// Token authorises one reserved report: Reserved(digest) for the digest it
// was granted for. Its zero value (all that code outside the enclave tree
// can make, even by reflection) is invalid.
type Token struct {
	valid  bool
	digest [32]byte
}

// Grant returns a Token for the reserved report data over digest.
func Grant(digest [32]byte) Token { return Token{valid: true, digest: digest} }

// Data returns the report data t authorises, or false for an invalid token.
func (t Token) Data() ([]byte, bool) {
	if !t.valid {
		return nil, false
	}
	return Reserved(t.digest), true
}

// KeyToken authorises reports binding the address of a key the backend
// holds: Reserved(bind(address)). Its zero value is invalid.
type KeyToken struct {
	bind func(common.Address) [32]byte
}

// GrantKey returns a KeyToken whose report data is Reserved(bind(address)).
func GrantKey(bind func(common.Address) [32]byte) KeyToken { return KeyToken{bind: bind} }

// Data returns the report data t authorises for a held key's address, or
// false for an invalid token.
func (t KeyToken) Data(held common.Address) ([]byte, bool) {
	if t.bind == nil {
		return nil, false
	}
	return Reserved(t.bind(held)), true
}
