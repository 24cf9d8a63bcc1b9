package sandboxd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// The client's event stream survives a sandboxd restart: it reconnects by
// itself and resumes after the last event it delivered, including what
// was published while it was away.
func TestClientStreamReconnectsAndResumes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, reopen func() store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e := startEnv(t, st, envOptions{})
		addr := strings.TrimPrefix(e.url, "http://")
		stream := e.admin.Events(ctx, "")
		waitConnected(t, stream)
		first := []byte("before the restart")
		e.upload(e.admin, first, verdict.Other, "", api.Retain30d)
		if ev := nextEvent(t, stream); ev.SHA256 != sha(first) {
			t.Fatalf("first event: %+v", ev)
		}
		e.stop()
		for deadline := time.Now().Add(10 * time.Second); stream.Connected(); {
			if time.Now().After(deadline) {
				t.Fatal("stream still connected after the server stopped")
			}
			time.Sleep(10 * time.Millisecond)
		}
		// While the stream is down, a verdict changes.
		st2 := reopen()
		if _, _, err := st2.Update(ctx, sha(first), func(r *store.Record) (*store.Event, error) {
			prev := r.Verdict
			r.Verdict = verdict.Malicious
			return &store.Event{Event: api.Event{Kind: api.EventReclassified, SHA256: r.SHA256, Verdict: r.Verdict, Previous: prev}, Tenants: r.Tenants}, nil
		}); err != nil {
			t.Fatal(err)
		}
		e2 := startEnv(t, st2, envOptions{addr: addr})
		second := []byte("after the restart")
		e2.upload(e2.admin, second, verdict.Other, "", api.Retain30d)
		ev := nextEvent(t, stream)
		if ev.Kind != api.EventReclassified || ev.SHA256 != sha(first) || ev.Verdict != verdict.Malicious {
			t.Errorf("missed event not replayed first: %+v", ev)
		}
		if ev := nextEvent(t, stream); ev.SHA256 != sha(second) {
			t.Errorf("live event after reconnect: %+v", ev)
		}
		if !stream.Connected() || stream.LastID() == "" {
			t.Errorf("stream state: connected=%v last=%q", stream.Connected(), stream.LastID())
		}
	})
}
