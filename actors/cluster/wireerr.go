package cluster

import (
	"errors"
	"fmt"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/teeswap/teeswap/actors"
	"github.com/teeswap/teeswap/enclave/coordinator"
)

// errorKey is the grain error metadata key naming a typed error.
const errorKey = "teeswap-error"

// wireErrors are the typed errors a grain's caller can still match with
// errors.Is after the error crossed the cluster: protoactor carries only a
// reason and a text, so the grain names the sentinel in the metadata.
var wireErrors = []error{
	ErrFenced, ErrStale, ErrOwned, ErrExists, ErrUnknownInstance, actors.ErrCorruptStore,
	coordinator.ErrMalformed, coordinator.ErrBadSignature, coordinator.ErrInvalidRoute,
	coordinator.ErrUnknownInstance, coordinator.ErrNotParticipant, coordinator.ErrForeignAck,
	coordinator.ErrBadChannelState, coordinator.ErrConflictingAck, coordinator.ErrWrongPhase,
}

// toWire turns a grain method's error into a grain error response that
// names its sentinel.
func toWire(err error) error {
	if err == nil {
		return nil
	}
	for _, s := range wireErrors {
		if errors.Is(err, s) {
			return cluster.NewGrainErrorResponse(cluster.ErrorReason_FAILED_PRECONDITION, err.Error()).
				WithMetadata(map[string]string{errorKey: s.Error()})
		}
	}
	return err
}

// fromWire restores the sentinel named by a grain error response.
func fromWire(err error) error {
	var g *cluster.GrainErrorResponse
	if !errors.As(err, &g) || g == nil {
		return err
	}
	if code := g.Metadata[errorKey]; code != "" {
		for _, s := range wireErrors {
			if s.Error() == code {
				return fmt.Errorf("%w (from the grain: %s)", s, g.Message)
			}
		}
	}
	return err
}
