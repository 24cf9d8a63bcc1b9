package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
)

// fakeSandboxd is a stand-in server for the client's own behaviour
// (batching, retries, stream parsing); the real daemon is exercised by
// the sandboxd package's tests through this client.
func fakeSandboxd(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{URL: srv.URL, Token: "tok", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLookupBatchesAndRetries(t *testing.T) {
	var calls, fails atomic.Int64
	c := fakeSandboxd(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		calls.Add(1)
		if fails.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // first call fails once
			fmt.Fprint(w, `{"error":"store down"}`)
			return
		}
		var req api.LookupRequest
		json.NewDecoder(r.Body).Decode(&req)
		if len(req.Hashes) > api.MaxLookup {
			w.WriteHeader(413)
			return
		}
		resp := api.LookupResponse{Files: map[string]*api.File{}}
		for _, h := range req.Hashes {
			resp.Files[h] = &api.File{SHA256: h, Verdict: "clean"}
		}
		json.NewEncoder(w).Encode(resp)
	})
	hashes := make([]string, 2500)
	for i := range hashes {
		hashes[i] = fmt.Sprintf("%064x", i)
	}
	res, err := c.Lookup(context.Background(), hashes)
	if err != nil || len(res) != 2500 {
		t.Fatalf("lookup: %d results, %v", len(res), err)
	}
	if calls.Load() != 4 { // 3 batches + 1 retried
		t.Errorf("%d calls, want 4 (3 batches, one retried after a 503)", calls.Load())
	}
}

func TestErrorsAreTyped(t *testing.T) {
	var calls atomic.Int64
	c := fakeSandboxd(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":"the bytes do not hash to the name in the path","expected":"aa","actual":"bb"}`)
	})
	_, err := c.Get(context.Background(), "aa")
	e, ok := err.(*Error)
	if !ok || e.Status != 400 || e.Expected != "aa" || e.Actual != "bb" || e.Temporary() {
		t.Fatalf("error: %#v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("a 400 was retried (%d calls)", calls.Load())
	}
}

func TestEventsParseAndResume(t *testing.T) {
	var conns atomic.Int64
	lastIDs := make(chan string, 4)
	c := fakeSandboxd(t, func(w http.ResponseWriter, r *http.Request) {
		n := conns.Add(1)
		lastIDs <- r.Header.Get("Last-Event-ID")
		w.Header().Set("Content-Type", "text/event-stream")
		if n == 1 {
			// One event, split over two data lines, then the stream breaks.
			fmt.Fprint(w, ": connected\n\nid: 7\nevent: verdict\ndata: {\"kind\":\"verdict\",\ndata: \"sha256\":\"aa\",\"verdict\":\"clean\"}\n\n")
			return
		}
		fmt.Fprint(w, "id: 8\nevent: reclassified\ndata: {\"kind\":\"reclassified\",\"sha256\":\"aa\",\"verdict\":\"malicious\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := c.Events(ctx, "5")
	for i, want := range []struct{ id, verdict string }{{"7", "clean"}, {"8", "malicious"}} {
		select {
		case e := <-s.C:
			if e.ID != want.id || string(e.Verdict) != want.verdict || e.SHA256 != "aa" {
				t.Errorf("event %d: %+v", i, e)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("event %d did not arrive", i)
		}
	}
	if a, b := <-lastIDs, <-lastIDs; a != "5" || b != "7" {
		t.Errorf("Last-Event-ID sent: %q then %q, want 5 then 7", a, b)
	}
	cancel()
	for range s.C {
	}
}

func TestReadTokenFile(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		content string
		ok      bool
	}{"good": {"abc123\n", true}, "empty": {"\n", false}, "two": {"a b\n", false}} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(tc.content), 0o600)
		if _, err := ReadTokenFile(p); (err == nil) != tc.ok {
			t.Errorf("%s: %v", name, err)
		}
	}
}
