package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/presign-dev/presign/sigv4"
)

// redactingHandler is a slog.Handler that passes every record's message,
// string attributes and errors through sigv4.RedactURL before the wrapped
// handler writes them: whatever reaches presign serve's logs (the access
// log, the audit log, the API's and net/http's messages), no signature,
// credential or session token of a presigned URL does.
type redactingHandler struct {
	h slog.Handler
}

// redactLogs wraps h in a redactingHandler.
func redactLogs(h slog.Handler) slog.Handler { return &redactingHandler{h: h} }

func (r *redactingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return r.h.Enabled(ctx, l)
}

func (r *redactingHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, sigv4.RedactURL(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return &redactingHandler{h: r.h.WithAttrs(red)}
}

func (r *redactingHandler) WithGroup(name string) slog.Handler {
	return &redactingHandler{h: r.h.WithGroup(name)}
}

// redactAttr redacts a string, an error or a fmt.Stringer (which it turns
// into a string), in groups too; other values (numbers, times, durations)
// are left as they are.
func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, sigv4.RedactURL(v.String()))
	case slog.KindGroup:
		group := v.Group()
		red := make([]any, len(group))
		for i, g := range group {
			red[i] = redactAttr(g)
		}
		return slog.Group(a.Key, red...)
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, sigv4.RedactURL(x.Error()))
		case fmt.Stringer: // such as a *url.URL
			return slog.String(a.Key, sigv4.RedactURL(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
