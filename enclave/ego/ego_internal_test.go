package ego

import (
	"errors"
	"testing"

	"github.com/edgelesssys/ego/attestation"
)

type fakePlatform struct {
	selfErr error
	keyID   []byte
	calls   int
}

func (f *fakePlatform) SelfReport() (attestation.Report, error) {
	f.calls++
	return attestation.Report{UniqueID: []byte{1}}, f.selfErr
}
func (f *fakePlatform) SealKeyID() ([]byte, error) { return f.keyID, nil }

// A platform whose self report passes but whose seal key is the all-zero
// fallback must still be refused: that is EGo's simulation mode.
func TestZeroSealKeyIsRefused(t *testing.T) {
	for name, id := range map[string][]byte{"zero": make([]byte, 16), "empty": nil} {
		b := &Backend{platform: &fakePlatform{keyID: id}}
		if _, err := b.Seal([]byte("x"), nil); !errors.Is(err, ErrNotInEnclave) {
			t.Errorf("%s key id: Seal err = %v, want ErrNotInEnclave", name, err)
		}
		if _, err := b.NewKey(); !errors.Is(err, ErrNotInEnclave) {
			t.Errorf("%s key id: NewKey err = %v, want ErrNotInEnclave", name, err)
		}
	}
}

func TestFailedSelfReportIsRefused(t *testing.T) {
	f := &fakePlatform{selfErr: errors.New("OE_UNSUPPORTED"), keyID: []byte{1}}
	b := &Backend{platform: f}
	for range 3 {
		if _, err := b.Unseal(make([]byte, minSealed), nil); !errors.Is(err, ErrNotInEnclave) {
			t.Fatalf("Unseal err = %v, want ErrNotInEnclave", err)
		}
	}
	if f.calls != 1 {
		t.Fatalf("platform checked %d times, want once", f.calls)
	}
}

func TestGenuinePlatformPassesCheck(t *testing.T) {
	b := &Backend{platform: &fakePlatform{keyID: []byte{0, 0, 7}}}
	if err := b.check(); err != nil {
		t.Fatalf("check: %v", err)
	}
	if string(b.self.UniqueID) != "\x01" {
		t.Fatal("self report not kept")
	}
}
