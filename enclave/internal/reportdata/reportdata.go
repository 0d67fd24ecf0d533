// Package reportdata reserves a class of attestation report data for
// enclave code: data whose second half is Mark. A backend's exported
// Report refuses it (enclave.ErrReservedReportData), so code outside the
// enclave tree cannot get a report that vouches for a key it made itself;
// enclave/provision gets such reports through a backend's ReservedReport,
// which needs a Token only this package makes.
package reportdata

import "crypto/sha256"

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

// Token authorises a reserved report. Its zero value (all that code
// outside the enclave tree can make, even by reflection) is invalid.
type Token struct{ valid bool }

// Grant returns a valid Token.
func Grant() Token { return Token{valid: true} }

// Valid reports whether t came from Grant.
func (t Token) Valid() bool { return t.valid }
