package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/syncbuf"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/verdict"
)

const (
	testUser = "alice"
	testPass = "correct horse battery"
)

type syncBuffer = syncbuf.Buffer

type env struct {
	t     testing.TB
	store *holdqueue.Bolt
	ex    *exclusions.Bolt
	srv   *Server
	http  *httptest.Server
	log   *syncBuffer
	dir   string
}

type envOpts struct {
	noUsers bool
	cfg     func(*config.Web)
	deps    func(*Deps)
	tls     bool
}

func openStore(t testing.TB, dir string) *holdqueue.Bolt {
	t.Helper()
	keys, err := holdqueue.LoadKeys(filepath.Join(dir, "hq.key"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := holdqueue.OpenBolt(filepath.Join(dir, "hq.db"), keys, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func userHash(t testing.TB, pw string) string {
	t.Helper()
	// The lowest cost keeps the tests quick; production hashes use the
	// default cost (HashPassword).
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// newEnv runs the web server on a real loopback socket over a real
// embedded hold queue and exclusions store.
func newEnv(t testing.TB, o envOpts) *env {
	t.Helper()
	dir := t.TempDir()
	e := &env{t: t, dir: dir, log: &syncBuffer{}}
	e.store = openStore(t, dir)
	ex, err := exclusions.OpenBolt(filepath.Join(dir, "exclusions.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	e.ex = ex
	cfg := config.DefaultWeb()
	cfg.PageSize = 20
	if !o.noUsers {
		cfg.Users = []config.WebUser{{Name: testUser, PasswordHash: userHash(t, testPass)}}
	}
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	d := Deps{Store: e.store, Exclusions: ex, DataDir: filepath.Join(dir, "data")}
	if o.deps != nil {
		o.deps(&d)
	}
	log := slog.New(slog.NewTextHandler(e.log, nil))
	e.srv, err = New(cfg, d, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.Run(ctx); close(done) }()
	if o.tls {
		e.srv.SetTLS(true)
		e.http = httptest.NewTLSServer(e.srv.Handler())
	} else {
		e.http = httptest.NewServer(e.srv.Handler())
	}
	t.Cleanup(func() {
		e.http.CloseClientConnections()
		e.http.Close()
		cancel()
		<-done
	})
	return e
}

// client returns an HTTP client that does not follow redirects (tests
// look at them) and keeps cookies.
func (e *env) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	c := e.http.Client()
	return &http.Client{Transport: c.Transport, Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (e *env) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Get(e.http.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) post(c *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.PostForm(e.http.URL+path, form)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// login logs in and returns the client and the session's CSRF token.
func (e *env) login(user, pass string) (*http.Client, string) {
	e.t.Helper()
	c := e.client()
	resp, body := e.get(c, "/login")
	if resp.StatusCode != 200 {
		e.t.Fatalf("GET /login: %d", resp.StatusCode)
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatal("login page has no CSRF field")
	}
	resp, _ = e.post(c, "/login", url.Values{"csrf": {m[1]}, "user": {user}, "password": {pass}, "next": {"/held"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/held" {
		e.t.Fatalf("login: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, body = e.get(c, "/")
	m = csrfField.FindStringSubmatch(body)
	if m == nil {
		e.t.Fatal("status page has no CSRF field")
	}
	return c, m[1]
}

func hashOf(s string) string {
	return fmt.Sprintf("%064x", []byte(s)[:min(len(s), 32)])
}

// hold puts a message in the queue the way the gate does.
func (e *env) hold(i int, subject string, files ...holdqueue.File) string {
	e.t.Helper()
	if len(files) == 0 {
		files = []holdqueue.File{{Path: fmt.Sprintf("invoice%d.zip/invoice.exe", i), SHA256: hashOf(fmt.Sprintf("file-%d", i)), Category: verdict.Executable, Size: 1234}}
	}
	id, err := e.store.Hold(context.Background(), &holdqueue.NewMessage{
		Node: "test", Mode: holdqueue.ModeMilter,
		Envelope: holdqueue.Envelope{ClientAddr: "192.0.2.7", Helo: "mx.sender.example",
			MailFrom: fmt.Sprintf("sender%d@sender.example", i%7), RcptTo: []string{fmt.Sprintf("user%d@corp.example", i)}},
		Subject:  subject,
		Files:    files,
		Deadline: time.Now().Add(30 * time.Minute),
		Data:     []byte("From: <sender@sender.example>\r\nSubject: " + subject + "\r\nX-Test: yes\r\n\r\nbody\r\n"),
		Reason:   "pending sandbox verdict",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// fill replaces route parameters with real-looking values.
func fill(pattern, id string) string {
	p := strings.ReplaceAll(pattern, "{id}", id)
	p = strings.ReplaceAll(p, "{sha}", hashOf("x"))
	return strings.ReplaceAll(p, "{$}", "")
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
