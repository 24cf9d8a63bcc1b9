package adminapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/verdict"
)

// testAPI serves the API on real bbolt stores over a loopback socket.
func testAPI(t *testing.T) (*Client, holdqueue.Store, string) {
	t.Helper()
	dir := t.TempDir()
	keys, err := holdqueue.LoadKeys(filepath.Join(dir, "holdqueue.key"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := holdqueue.OpenBolt(filepath.Join(dir, "holdqueue.db"), keys, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	ex, err := exclusions.OpenBolt(filepath.Join(dir, "exclusions.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	token, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(NewHandler(q, ex, token, Info{PID: 42, Node: "n1"}, log))
	t.Cleanup(srv.Close)
	return NewClient(Endpoint{URL: srv.URL, Token: token, PID: 42}), q, srv.URL
}

func holdOne(t *testing.T, q holdqueue.Store, subject string) string {
	t.Helper()
	id, err := q.Hold(context.Background(), &holdqueue.NewMessage{
		Envelope: holdqueue.Envelope{MailFrom: "alice@sender.example", RcptTo: []string{"bob@corp.example"}},
		Subject:  subject,
		Files:    []holdqueue.File{{Path: "a.exe", SHA256: strings.Repeat("ab", 32), Category: verdict.Executable}},
		Deadline: time.Now().Add(time.Hour),
		Data:     []byte("Subject: " + subject + "\r\n\r\nhi\r\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestQueueThroughAPI(t *testing.T) {
	c, q, _ := testAPI(t)
	ctx := context.Background()
	id := holdOne(t, q, "Quarterly invoice")
	holdOne(t, q, "Other")

	p, err := c.List(ctx, holdqueue.Query{Sender: "sender.example", Subject: "quarterly", Limit: 10})
	if err != nil || len(p.Messages) != 1 || p.Messages[0].ID != id {
		t.Fatalf("List: %v %+v", err, p)
	}
	if _, err := c.List(ctx, holdqueue.Query{State: "bogus"}); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Errorf("List with a bad state: %v", err)
	}
	if err := c.Quarantine(ctx, id, "admin:carol", "looks odd"); err != nil {
		t.Fatalf("Quarantine: %v", err)
	}
	m, err := c.Get(ctx, id)
	if err != nil || m.State != holdqueue.Quarantined || m.Subject != "Quarterly invoice" {
		t.Fatalf("Get: %v %+v", err, m)
	}
	if last := m.History[len(m.History)-1]; last.Actor != "admin:carol" || last.Reason != "looks odd" {
		t.Errorf("history: %+v", last)
	}
	// The store's errors come back as the same sentinels.
	if err := c.Quarantine(ctx, id, "admin:carol", ""); !errors.Is(err, holdqueue.ErrState) {
		t.Errorf("quarantining twice: %v, want ErrState", err)
	}
	if _, err := c.Get(ctx, "01NOSUCHMESSAGE0000000000"); !errors.Is(err, holdqueue.ErrNotFound) {
		t.Errorf("Get of a missing id: %v, want ErrNotFound", err)
	}
	if err := c.Release(ctx, "01NOSUCHMESSAGE0000000000", "admin:carol", ""); !errors.Is(err, holdqueue.ErrNotFound) {
		t.Errorf("Release of a missing id: %v, want ErrNotFound", err)
	}
	// Only admin actors: the history must say who acted.
	if err := c.Release(ctx, id, "verdict", ""); err == nil {
		t.Error("a non-admin actor was accepted")
	}
	if err := c.Release(ctx, id, "admin:carol", "checked"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := c.Delete(ctx, holdOne(t, q, "third"), "admin:carol", "spam"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
}

func TestExclusionsThroughAPI(t *testing.T) {
	c, _, _ := testAPI(t)
	ex := c.ExclusionsClient()
	ctx := context.Background()
	sha := strings.Repeat("cd", 32)
	if err := ex.Add(ctx, exclusions.Exclusion{SHA256: sha, Actor: "admin:carol", Reason: "vendor tool"}); err != nil {
		t.Fatalf("Add: %v", err)
	}
	list, err := ex.List(ctx)
	if err != nil || len(list) != 1 || list[0].SHA256 != sha || list[0].Reason != "vendor tool" || list[0].Added.IsZero() {
		t.Fatalf("List: %v %+v", err, list)
	}
	for _, bad := range []exclusions.Exclusion{
		{SHA256: "nothex", Actor: "admin:carol"},
		{SHA256: sha, Actor: "system"},
	} {
		if err := ex.Add(ctx, bad); err == nil {
			t.Errorf("Add(%+v) accepted", bad)
		}
	}
	if err := ex.Remove(ctx, sha); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := ex.Remove(ctx, sha); !errors.Is(err, exclusions.ErrNotFound) {
		t.Errorf("Remove twice: %v, want ErrNotFound", err)
	}
	if list, err := ex.List(ctx); err != nil || len(list) != 0 {
		t.Errorf("List after Remove: %v %+v", err, list)
	}
}

// TestToken: without the published token nothing is served, not even
// the process's identity; the token is compared whole.
func TestToken(t *testing.T) {
	c, _, url := testAPI(t)
	for name, auth := range map[string]string{
		"none":   "",
		"wrong":  "Bearer " + strings.Repeat("0", 64),
		"prefix": "Bearer " + c.ep.Token[:32],
		"basic":  "Basic " + c.ep.Token,
	} {
		for _, path := range []string{"/v1/info", "/v1/queue", "/v1/exclusions"} {
			req, _ := http.NewRequest(http.MethodGet, url+path, nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s: %d, want 401", name, path, resp.StatusCode)
			}
		}
	}
	in, err := c.Info(context.Background())
	if err != nil || in.PID != 42 || in.Node != "n1" {
		t.Errorf("Info with the token: %v %+v", err, in)
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: a process that crashed
	_, err = NewClient(Endpoint{URL: "http://" + addr, Token: "x", PID: 7}).Info(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("Info on a closed port: %v, want ErrUnreachable", err)
	}
}

func TestPublish(t *testing.T) {
	dir := t.TempDir()
	if _, err := ReadEndpoint(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadEndpoint with no file: %v, want ErrNotExist", err)
	}
	ep := Endpoint{URL: "http://127.0.0.1:1", Token: "t1", PID: 1}
	remove, err := Publish(dir, ep)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, EndpointFile)
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("endpoint file: %v mode %v, want 0600", err, st.Mode())
	}
	got, err := ReadEndpoint(dir)
	if err != nil || *got != ep {
		t.Fatalf("ReadEndpoint: %v %+v", err, got)
	}
	// A second process on the same dir replaced the file: the first one's
	// shutdown leaves the second one's file alone.
	ep2 := Endpoint{URL: "http://127.0.0.1:2", Token: "t2", PID: 2}
	remove2, err := Publish(dir, ep2)
	if err != nil {
		t.Fatal(err)
	}
	remove()
	if got, err := ReadEndpoint(dir); err != nil || *got != ep2 {
		t.Fatalf("after the first process stopped: %v %+v", err, got)
	}
	remove2()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file left after shutdown: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("temporary files left: %v", entries)
	}
	os.WriteFile(path, []byte(`{"url":""}`), 0o600)
	if _, err := ReadEndpoint(dir); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Errorf("a broken file: %v, want an error that is not ErrNotExist", err)
	}
}
