package web

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

// TestSandboxErrorNamedOnce: with sandboxd unreachable the files page says
// why, naming sandboxd once ("sandboxd: sandboxd GET …" before).
func TestSandboxErrorNamedOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cl, err := client.New(client.Config{URL: "http://" + addr, Token: "t", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOpts{deps: func(d *Deps) { d.Sandbox = cl }})
	c, _ := e.login(testUser, testPass)
	_, body := e.get(c, "/files")
	if !strings.Contains(body, "sandboxd GET /v1/admin/files") {
		t.Fatalf("files page does not say sandboxd failed:\n%s", body)
	}
	if strings.Contains(body, "sandboxd: sandboxd") {
		t.Error("error names sandboxd twice")
	}
}

// TestEmptySearchPage: a search page with no match says whether older
// messages remain to be searched, instead of "Nothing matches on this
// page" while later pages may match.
func TestEmptySearchPage(t *testing.T) {
	e := newEnv(t, envOpts{})
	for i := 0; i < 3; i++ {
		e.hold(i, "quarterly report")
	}
	c, _ := e.login(testUser, testPass)
	_, body := e.get(c, "/held?subject=no+such+subject")
	if !strings.Contains(body, "Nothing matches this search.") || strings.Contains(body, "on this page") {
		t.Errorf("search with no match anywhere:\n%s", body)
	}
	_, body = e.get(c, "/held")
	if strings.Contains(body, "Nothing") {
		t.Errorf("unfiltered page with messages says nothing is there")
	}

	// A page cut by the scan budget (thousands of older messages) before
	// any match: rendered from the view the store's page gives.
	for _, c := range []struct {
		view listView
		want string
	}{
		{listView{State: holdqueue.Held, Path: "/held", Query: holdqueue.Query{Subject: "x", Limit: 20}, Next: "cursor", Sparse: true, Scanned: 2400, Searched: true},
			"No match among the 2400 messages searched so far; older ones may still match"},
		{listView{State: holdqueue.Held, Path: "/held", Query: holdqueue.Query{Limit: 20}}, "Nothing here."},
	} {
		rec := httptest.NewRecorder()
		e.srv.render(rec, httptest.NewRequest("GET", "/held", nil), 200, "list", "Postponed mail", &c.view)
		body := rec.Body.String()
		if !strings.Contains(body, c.want) {
			t.Errorf("want %q in:\n%s", c.want, body)
		}
		if c.view.Next != "" && !strings.Contains(body, "Search further") {
			t.Errorf("no link to search further:\n%s", body)
		}
	}
}

// TestFileTypeWithoutParameters: the file page shows a bare media type,
// also for records typed "text/plain; charset=utf-8" by an older sandboxd.
func TestFileTypeWithoutParameters(t *testing.T) {
	e := newEnv(t, envOpts{})
	f := &api.File{SHA256: strings.Repeat("a", 64), Category: verdict.Other, Type: "text/plain; charset=utf-8",
		State: api.StateDone, Verdict: verdict.Clean}
	rec := httptest.NewRecorder()
	e.srv.render(rec, httptest.NewRequest("GET", "/files/"+f.SHA256, nil), 200, "file", "File", fileDetailView{F: f})
	body := rec.Body.String()
	if !strings.Contains(body, "other (text/plain)") || strings.Contains(body, "text/plain;") {
		t.Errorf("file page type:\n%s", body)
	}
}
