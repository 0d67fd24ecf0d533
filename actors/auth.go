package actors

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/teeswap/teeswap/enclave"
	"github.com/teeswap/teeswap/enclave/hostapi"
	"github.com/teeswap/teeswap/messages"
)

// Who may ask a node for what. Errors travel as reply text; their
// sentences start with these, so a client can match them.
var (
	// ErrUnauthenticated: an owner-only request without the node's control
	// credential, or with a wrong one.
	ErrUnauthenticated = errors.New("actors: not authenticated: this request needs the node's control credential")
	// ErrSenderNotAllowed: a message from a sender this actor does not
	// take it from (a stranger's chain event, registration answer,
	// protocol envelope or close co-signature request).
	ErrSenderNotAllowed = errors.New("actors: sender not allowed to send this")
	// ErrRegistrationRefused: a RegisterTerminal without a valid, fresh
	// proof that the sender holds the terminal's key.
	ErrRegistrationRefused = errors.New("actors: registration refused")
)

// CheckCredential checks an owner-only request against want in constant
// time. An empty want (an in-process deployment with no control port)
// takes everything.
func CheckCredential(want string, req any) error {
	if want == "" {
		return nil
	}
	c, ok := req.(interface{ GetCredential() string })
	if !ok {
		return ErrUnauthenticated
	}
	// Hash both so that neither length nor content leaks through timing.
	got, exp := sha256.Sum256([]byte(c.GetCredential())), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(got[:], exp[:]) != 1 {
		return ErrUnauthenticated
	}
	return nil
}

// CredentialBytes is the size of a control credential (hex-encoded in
// its file).
const CredentialBytes = 32

// LoadOrCreateCredential reads the control credential at path, or makes
// a random one there (mode 0600) on first start, as bitcoind's .cookie.
// created reports which.
func LoadOrCreateCredential(path string) (cred string, created bool, err error) {
	cred, err = ReadCredential(path)
	if err == nil {
		return cred, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	b := make([]byte, CredentialBytes)
	if _, err := rand.Read(b); err != nil {
		return "", false, err
	}
	cred = hex.EncodeToString(b)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, fmt.Errorf("control credential: %w", err)
	}
	if _, err := f.WriteString(cred + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("control credential: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("control credential: %w", err)
	}
	return cred, true, nil
}

// ReadCredential reads a credential file. A file others can read is
// refused: the credential moves funds.
func ReadCredential(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("control credential %s is readable by others (mode %v); chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	cred := strings.TrimSpace(string(b))
	if cred == "" {
		return "", fmt.Errorf("control credential %s is empty", path)
	}
	return cred, nil
}

// SignedRegistration builds a terminal's RegisterTerminal for self; the
// enclave signs it over hostapi.RegistrationDigest.
func SignedRegistration(key enclave.Key, self *actor.PID, report []byte, nowMs int64) (*messages.RegisterTerminal, error) {
	peer := peerOf(self)
	sig, err := hostapi.SignRegistration(key, peer, nowMs)
	if err != nil {
		return nil, err
	}
	return &messages.RegisterTerminal{Address: key.Address().Bytes(), Peer: peer, TimestampMs: nowMs, Signature: sig, Report: report}, nil
}

// inProcess reports whether a message came from this actor system: no
// sender (the remoting guard gives every remote message one), or one on
// this node.
func inProcess(ctx actor.Context) bool {
	s := ctx.Sender()
	return s == nil || s.Address == ctx.Self().Address
}

// fromNode reports whether a message came from this process or from the
// node at address (host:port).
func fromNode(ctx actor.Context, address string) bool {
	return inProcess(ctx) || ctx.Sender().Address == address
}
