package sandboxd

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
)

// hub watches the store's event stream with one blocking read per process
// and wakes every connected SSE client when something new arrives; each
// client then reads from its own position, so a slow client never holds
// up the others and a new one never misses what came in between.
type hub struct {
	store store.Store
	log   *slog.Logger

	mu   sync.Mutex
	last string
	wake chan struct{}
}

func newHub(s store.Store, log *slog.Logger) *hub {
	return &hub{store: s, log: log, wake: make(chan struct{})}
}

// changed returns a channel closed at the next new event.
func (h *hub) changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wake
}

func (h *hub) run(ctx context.Context) {
	last, err := h.store.LastEventID(ctx)
	if err != nil {
		h.log.Warn("event hub: read last event", "err", err)
		sleep(ctx, time.Second)
		return
	}
	for ctx.Err() == nil {
		// A short block: go-redis does not abort a blocking read when ctx is
		// cancelled, so this bounds how long shutdown waits.
		evs, err := h.store.Events(ctx, last, 1000, time.Second)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("event hub: read events", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if len(evs) == 0 {
			continue
		}
		last = evs[len(evs)-1].ID
		h.mu.Lock()
		h.last = last
		close(h.wake)
		h.wake = make(chan struct{})
		h.mu.Unlock()
	}
}

// heartbeat keeps proxies from closing an idle stream and lets the client
// notice a dead connection.
const heartbeat = 15 * time.Second

// handleEvents serves GET /v1/events as server-sent events (one "id:",
// "event:" and "data:" per event). It resumes after Last-Event-ID (header,
// or ?last_event_id= for clients that cannot set headers); without one it
// starts at the newest event. Tenants see only their files' events.
func (d *Daemon) handleEvents(w http.ResponseWriter, r *http.Request, p Principal) {
	ctx := r.Context()
	fl, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming not supported")
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("last_event_id")
	}
	gap := false
	if last == "" {
		id, err := d.store.LastEventID(ctx)
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
			return
		}
		last = id
	} else {
		g, err := d.store.EventGap(ctx, last)
		if err != nil {
			writeError(w, http.StatusBadRequest, "Last-Event-ID: "+err.Error())
			return
		}
		gap = g
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// The retry hint and a comment tell the client the stream is open.
	fmt.Fprintf(w, "retry: 1000\n: connected\n\n")
	if gap {
		writeSSE(w, api.Event{ID: last, Kind: api.EventGap, Time: d.now().UTC()})
	}
	fl.Flush()
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		wake := d.hub.changed()
		evs, err := d.store.Events(ctx, last, 500, 0)
		if err != nil {
			d.log.Warn("events: read", "err", err)
			return // the client reconnects with its Last-Event-ID
		}
		for _, e := range evs {
			last = e.ID
			if p.Admin() || contains(e.Tenants, p.Tenant) {
				if err := writeSSE(w, e.Event); err != nil {
					return
				}
			}
		}
		if len(evs) > 0 {
			fl.Flush()
			if len(evs) == 500 {
				continue
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil {
				return
			}
			fl.Flush()
		}
	}
}

func writeSSE(w http.ResponseWriter, e api.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %s\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, b)
	return err
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
