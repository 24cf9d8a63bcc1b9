package metrics

import (
	"context"
	"log/slog"
	"strings"
)

// PanicHandler wraps a log handler so that every record carrying a "panic"
// attribute (what each part logs when it recovers one: milter callback,
// proxy session, release worker, sandboxd worker and analyzer) counts in
// airlock_panics_recovered_total. Counting at the log line keeps the one
// place a recovery is reported also the place it is counted, with no
// metrics code in the parts. The component is the first of milter, proxy,
// release, gate, analyzer/sandboxd named in the message, else "other".
func PanicHandler(next slog.Handler, s *Set) slog.Handler {
	if s == nil {
		return next
	}
	return &panicHandler{next: next, s: s}
}

type panicHandler struct {
	next    slog.Handler
	s       *Set
	withPan bool // a "panic" attribute was attached with With
}

func (h *panicHandler) Enabled(ctx context.Context, l slog.Level) bool {
	// A panic is counted even when the level filters the line out.
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *panicHandler) Handle(ctx context.Context, r slog.Record) error {
	found := h.withPan
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" {
			found = true
			return false
		}
		return true
	})
	if found {
		h.s.Panic(panicComponent(r.Message))
	}
	if !h.next.Enabled(ctx, r.Level) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

func (h *panicHandler) WithAttrs(as []slog.Attr) slog.Handler {
	withPan := h.withPan
	for _, a := range as {
		if a.Key == "panic" {
			withPan = true
		}
	}
	return &panicHandler{next: h.next.WithAttrs(as), s: h.s, withPan: withPan}
}

func (h *panicHandler) WithGroup(name string) slog.Handler {
	return &panicHandler{next: h.next.WithGroup(name), s: h.s, withPan: h.withPan}
}

func panicComponent(msg string) string {
	m := strings.ToLower(msg)
	for _, c := range []struct{ word, component string }{
		{"milter", "milter"}, {"proxy", "proxy"}, {"release", "release"}, {"gate", "gate"},
		{"analyzer", "sandboxd"}, {"sandbox", "sandboxd"},
	} {
		if strings.Contains(m, c.word) {
			return c.component
		}
	}
	return "other"
}
