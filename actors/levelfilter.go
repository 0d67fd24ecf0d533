package actors

import (
	"context"
	"log/slog"
)

// levelFilter passes records at or above min to the inner handler.
type levelFilter struct {
	inner slog.Handler
	min   slog.Level
}

func (l levelFilter) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.inner.Enabled(ctx, lv)
}
func (l levelFilter) Handle(ctx context.Context, r slog.Record) error { return l.inner.Handle(ctx, r) }
func (l levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{l.inner.WithAttrs(a), l.min}
}
func (l levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{l.inner.WithGroup(n), l.min}
}
