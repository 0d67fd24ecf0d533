package sim

import (
	"context"
	"errors"
	"log/slog"
)

func newMultiProcessWorld(ctx context.Context, cfg Config, log *slog.Logger) (*world, error) {
	return nil, errors.New("sim: multiproc mode is not available yet")
}
