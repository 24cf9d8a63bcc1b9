package sandboxd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/seal"
	"github.com/airlockmail/airlock/verdict"
)

func forEachBackend(t *testing.T, f func(t *testing.T, st store.Store, reopen func() store.Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st, reopen := b.open(t)
			f(t, st, reopen)
		})
	}
}

// rawPut sends a PUT with full control over headers and body.
func rawPut(t *testing.T, e *env, token, path string, body []byte, hdr map[string]string) (int, api.Error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, e.url+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ae api.Error
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &ae)
	return resp.StatusCode, ae
}

func TestUploadRejections(t *testing.T) {
	st, _ := backends[0].open(t)
	e := startEnv(t, st, envOptions{})
	good := []byte("hello, harmless file")
	pdf := []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
	other := []byte("other bytes")
	big := bytes.Repeat([]byte("x"), int(testConfig().MaxFileBytes)+1)
	tests := []struct {
		name    string
		token   string
		path    string
		body    []byte
		hdr     map[string]string
		status  int
		message string
	}{
		{"no token", "", "/v1/files/" + sha(good), good, nil, 401, "bearer token"},
		{"wrong token", "not-a-token-xxxxxxxxxxxxxxx", "/v1/files/" + sha(good), good, nil, 401, "bearer token"},
		{"hash mismatch", adminToken, "/v1/files/" + sha(other), good, nil, 400, "do not hash"},
		{"not a hash", adminToken, "/v1/files/abc", good, nil, 400, "SHA-256"},
		{"oversize", adminToken, "/v1/files/" + sha(big), big, nil, 413, "at most"},
		{"never for a declared document", adminToken, "/v1/files/" + sha(pdf), pdf,
			map[string]string{api.HeaderCategory: "document", api.HeaderRetention: "never"}, 400, "not allowed for documents"},
		{"never for a document by content", adminToken, "/v1/files/" + sha(pdf), pdf,
			map[string]string{api.HeaderCategory: "other", api.HeaderRetention: "never"}, 400, "not allowed for documents"},
		{"bad retention", adminToken, "/v1/files/" + sha(good), good, map[string]string{api.HeaderRetention: "1y"}, 400, "retention must be"},
		{"a name instead of an extension", adminToken, "/v1/files/" + sha(good), good, map[string]string{api.HeaderExt: "invoice.pdf"}, 400, "never a file name"},
		{"bad category", adminToken, "/v1/files/" + sha(good), good, map[string]string{api.HeaderCategory: "binary"}, 400, "must be one of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, ae := rawPut(t, e, tt.token, tt.path, tt.body, tt.hdr)
			if status != tt.status || !strings.Contains(ae.Error, tt.message) {
				t.Errorf("got %d %q, want %d containing %q", status, ae.Error, tt.status, tt.message)
			}
			if tt.name == "hash mismatch" && (ae.Expected != sha(other) || ae.Actual != sha(good)) {
				t.Errorf("mismatch answer lacks the two hashes: %+v", ae)
			}
		})
	}
	// None of them stored anything.
	if n, _ := st.QueueDepth(context.Background()); n != 0 {
		t.Errorf("rejected uploads queued %d jobs", n)
	}
	// The client maps the answers to *client.Error.
	_, err := e.admin.Upload(context.Background(), sha(other), "", "", "", bytes.NewReader(good))
	var ce *client.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Expected != sha(other) || ce.Actual != sha(good) {
		t.Errorf("client error: %#v", err)
	}
	bad := e.client("not-a-token-xxxxxxxxxxxxxxx")
	if _, err := bad.Lookup(context.Background(), []string{sha(good)}); !client.IsStatus(err, 401) {
		t.Errorf("lookup with a wrong token: %v", err)
	}
	if _, err := e.b.List(context.Background(), client.ListOptions{}); !client.IsStatus(err, 403) {
		t.Errorf("admin list with a tenant token: %v", err)
	}
}

func TestVerdictFlow(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{tls: true})
		ctx := context.Background()
		evil := []byte(eicar.Signature)
		fine := []byte("just a harmless note")
		stream := e.admin.Events(ctx, "")
		waitConnected(t, stream)

		up := e.upload(e.admin, evil, verdict.Other, ".com", api.Retain30d)
		if !up.Created || up.File.State != api.StateQueued {
			t.Fatalf("first upload: %+v", up)
		}
		e.upload(e.admin, fine, "", ".txt", api.Retain30d)
		got := map[string]verdict.Verdict{}
		for len(got) < 2 {
			ev := nextEvent(t, stream)
			if ev.Kind != api.EventVerdict || ev.File == nil {
				t.Fatalf("unexpected event %+v", ev)
			}
			got[ev.SHA256] = ev.Verdict
		}
		if got[sha(evil)] != verdict.Malicious || got[sha(fine)] != verdict.Clean {
			t.Fatalf("verdicts by event: %v", got)
		}
		f := e.waitDone(e.admin, sha(evil))
		if len(f.Findings) == 0 || f.Findings[0].Analyzer != "eicar" || f.Engine != e.d.Engine() || f.AnalyzedAt.IsZero() || f.FirstSeen.IsZero() {
			t.Errorf("file: %+v", f)
		}

		// Lookup: known, unknown, and tenant b sees nothing of tenant a.
		unknown := sha([]byte("never seen"))
		res, err := e.admin.Lookup(ctx, []string{sha(evil), strings.ToUpper(sha(fine)), unknown})
		if err != nil || res[sha(evil)].Verdict != verdict.Malicious || res[sha(fine)].Verdict != verdict.Clean || res[unknown] != nil {
			t.Fatalf("lookup: %v %v", res, err)
		}
		if res, _ := e.b.Lookup(ctx, []string{sha(evil)}); len(res) != 0 {
			t.Errorf("tenant b sees tenant a's file: %v", res)
		}
		if _, err := e.b.Get(ctx, sha(evil)); !client.IsStatus(err, 404) {
			t.Errorf("tenant b Get: %v", err)
		}
		// Idempotent: the same upload again changes nothing, analyzes nothing.
		before := e.d.Stats().Finished
		again := e.upload(e.admin, evil, verdict.Other, ".com", api.Retain30d)
		if again.Created || again.File.Verdict != verdict.Malicious {
			t.Errorf("second upload: %+v", again)
		}
		// Tenant b proves it has the bytes and from then on sees the verdict,
		// without a second analysis.
		bup := e.upload(e.b, evil, verdict.Other, ".com", api.RetainNone)
		if bup.Created || bup.File.Verdict != verdict.Malicious {
			t.Errorf("tenant b upload: %+v", bup)
		}
		if res, _ := e.b.Lookup(ctx, []string{sha(evil)}); res[sha(evil)] == nil {
			t.Error("tenant b does not see the file it uploaded")
		}
		if e.d.Stats().Finished != before {
			t.Error("a known file was analyzed again")
		}
		h, err := e.admin.Health(ctx)
		if err != nil || h.Status != "ok" || len(h.Analyzers) != 2 || h.Engine != e.d.Engine() {
			t.Errorf("health: %+v %v", h, err)
		}
	})
}

func TestRetentionImmediately(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{})
		ctx := context.Background()
		clean := []byte("a clean file to forget")
		bad := []byte("this one is BAD and stays")
		e.upload(e.admin, clean, verdict.Document, ".txt", api.RetainNone)
		e.upload(e.admin, bad, verdict.Document, ".txt", api.RetainNone)
		if f := e.waitDone(e.admin, sha(clean)); f.Verdict != verdict.Clean || f.Retained {
			t.Fatalf("clean file: %+v", f)
		}
		if f := e.waitDone(e.admin, sha(bad)); f.Verdict != verdict.Suspicious || !f.Retained {
			t.Fatalf("suspicious file: %+v", f)
		}
		// The store no longer has the bytes...
		if _, err := st.Sample(ctx, sha(clean)); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("clean sample still in the store: %v", err)
		}
		if _, err := st.Sample(ctx, sha(bad)); err != nil {
			t.Errorf("suspicious sample gone: %v", err)
		}
		// ...nor the disk (embedded store: sample files).
		if b, ok := st.(*store.Bolt); ok {
			_ = b
			matches, _ := filepath.Glob(filepath.Join(boltDir(t, st), "samples", "*", sha(clean)))
			if len(matches) != 0 {
				t.Errorf("sample file still on disk: %v", matches)
			}
		}
		// ...while lookup still answers.
		res, err := e.admin.Lookup(ctx, []string{sha(clean)})
		if err != nil || res[sha(clean)] == nil || res[sha(clean)].Verdict != verdict.Clean {
			t.Errorf("lookup after deletion: %v %v", res, err)
		}
	})
}

func TestRetentionPurge(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{})
		ctx := context.Background()
		keep30 := []byte("kept for thirty days")
		forever := []byte("kept for ever")
		bad := []byte("BAD and kept regardless")
		e.upload(e.admin, keep30, verdict.Other, "", api.Retain30d)
		e.upload(e.admin, forever, verdict.Other, "", api.RetainNever)
		e.upload(e.admin, bad, verdict.Other, "", api.Retain30d)
		for _, d := range [][]byte{keep30, forever, bad} {
			e.waitDone(e.admin, sha(d))
		}
		if n, err := e.d.Purge(ctx); err != nil || n != 0 {
			t.Fatalf("purge before expiry: %d %v", n, err)
		}
		e.clock.advance(31 * 24 * time.Hour)
		if n, err := e.d.Purge(ctx); err != nil || n != 1 {
			t.Fatalf("purge after 31 days: %d %v, want 1", n, err)
		}
		for _, c := range []struct {
			data []byte
			kept bool
		}{{keep30, false}, {forever, true}, {bad, true}} {
			_, err := st.Sample(ctx, sha(c.data))
			if kept := err == nil; kept != c.kept {
				t.Errorf("%q kept=%v, want %v", c.data, kept, c.kept)
			}
		}
	})
}

func boltDir(t *testing.T, st store.Store) string {
	t.Helper()
	return st.(*store.Bolt).Dir()
}

func TestWrongKeyIsAStartupError(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		ctx := context.Background()
		if _, err := New(ctx, Options{Config: testConfig(), Store: st, Key: testKey, Tokens: testTokens()}); err != nil {
			t.Fatal(err)
		}
		other, _ := seal.NewKey(bytes.Repeat([]byte{9}, 32))
		_, err := New(ctx, Options{Config: testConfig(), Store: st, Key: other, Tokens: testTokens()})
		if !errors.Is(err, seal.ErrWrongKey) {
			t.Fatalf("wrong key: %v", err)
		}
	})
}

func TestSamplesAreSealed(t *testing.T) {
	st, _ := backends[0].open(t)
	e := startEnv(t, st, envOptions{})
	secret := []byte("PLAINTEXT-MARKER-7f3a a sample that must not be readable on disk")
	e.upload(e.admin, secret, verdict.Other, ".txt", api.RetainNever)
	e.waitDone(e.admin, sha(secret))
	filepath.Walk(boltDir(t, st), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte("PLAINTEXT-MARKER-7f3a")) || bytes.Contains(b, []byte(".txt")) {
			t.Errorf("%s holds the plaintext or the extension", p)
		}
		return nil
	})
}
