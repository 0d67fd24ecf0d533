package enclave

import (
	"fmt"
	"log/slog"
	"sync"

	egoenclave "github.com/edgelesssys/ego/enclave"
)

// Backend names accepted by Options.Backend.
const (
	BackendAuto       = "auto"
	BackendSGX        = "sgx"
	BackendSimulation = "simulation"
)

// Options configures Open.
type Options struct {
	// Backend is "auto" (or empty), "sgx" or "simulation".
	Backend string
	// Logger receives backend warnings; nil means slog.Default().
	Logger *slog.Logger
	// SimulationSealKey is the simulation backend's 32-byte sealing key, so
	// sealed state survives restarts (see sim.SealKeyFile). Nil means a random
	// key per process. Ignored by SGX.
	SimulationSealKey []byte
}

// Factory opens a backend of one kind.
type Factory func(Options) (Backend, error)

var (
	registryMu sync.RWMutex
	registry   = map[Kind]Factory{}
)

// Register makes a backend available to Open. Backend packages call it from
// init; registering a kind twice panics.
func Register(k Kind, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[k]; dup {
		panic(fmt.Sprintf("enclave: backend %v registered twice", k))
	}
	registry[k] = f
}

var detect = sync.OnceValue(func() Kind {
	if _, err := egoenclave.GetSelfReport(); err != nil {
		return KindSimulation
	}
	return KindSGX
})

// Detect reports KindSGX when this process runs inside an SGX enclave (EGo's
// GetSelfReport succeeds), else KindSimulation. The result is cached.
func Detect() Kind { return detect() }

// Open opens the backend named in opts. "auto" chooses SGX when Detect finds
// it and simulation otherwise; it never falls back to simulation inside SGX.
// Forcing "sgx" outside SGX fails with ErrNotInEnclave.
func Open(opts Options) (Backend, error) {
	var k Kind
	switch opts.Backend {
	case "", BackendAuto:
		k = Detect()
	case BackendSGX:
		if Detect() != KindSGX {
			return nil, fmt.Errorf("open %q backend: %w", opts.Backend, ErrNotInEnclave)
		}
		k = KindSGX
	case BackendSimulation:
		k = KindSimulation
	default:
		return nil, fmt.Errorf("%w %q (want auto, sgx or simulation)", ErrUnknownBackend, opts.Backend)
	}
	registryMu.RLock()
	f := registry[k]
	registryMu.RUnlock()
	if f == nil {
		return nil, fmt.Errorf("%w: %v (import github.com/teeswap/teeswap/enclave/%s)", ErrBackendNotLinked, k, pkgOf(k))
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return f(opts)
}

func pkgOf(k Kind) string {
	if k == KindSGX {
		return "ego"
	}
	return "sim"
}
