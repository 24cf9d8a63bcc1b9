package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
)

// TestEveryRouteNeedsSession walks every registered route without a
// session: pages redirect to the login page, the rest answer 401, and
// nothing is done.
func TestEveryRouteNeedsSession(t *testing.T) {
	e := newEnv(t, envOpts{})
	id := e.hold(1, "walk")
	c := e.client()
	routes := e.srv.Routes()
	if len(routes) < 15 {
		t.Fatalf("only %d routes registered", len(routes))
	}
	for _, r := range routes {
		if r.Public {
			continue
		}
		path := fill(r.Pattern, id)
		t.Run(r.Method+" "+r.Pattern, func(t *testing.T) {
			req, _ := http.NewRequest(r.Method, e.http.URL+path, strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusSeeOther:
				loc := resp.Header.Get("Location")
				if !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("redirect to %q, want the login page", loc)
				}
			case http.StatusUnauthorized:
			default:
				t.Errorf("status %d, want 303 to /login or 401", resp.StatusCode)
			}
		})
	}
	m, err := e.store.Get(context.Background(), id)
	if err != nil || m.State != holdqueue.Held {
		t.Errorf("after the walk: %v %v, want still held", m.State, err)
	}
	// The public routes really are public.
	for _, p := range []string{"/login", "/static/app.js", "/static/app.css"} {
		if resp, _ := e.get(c, p); resp.StatusCode != 200 {
			t.Errorf("GET %s = %d", p, resp.StatusCode)
		}
	}
}

// TestCSRF: every POST route with a session but without (or with a wrong)
// CSRF token is refused with 403 and changes nothing.
func TestCSRF(t *testing.T) {
	e := newEnv(t, envOpts{})
	id := e.hold(1, "csrf")
	c, tok := e.login(testUser, testPass)
	for _, r := range e.srv.Routes() {
		if r.Public || r.Method != http.MethodPost {
			continue
		}
		for name, form := range map[string]url.Values{
			"missing": {},
			"wrong":   {"csrf": {tok + "x"}},
		} {
			t.Run(r.Pattern+"/"+name, func(t *testing.T) {
				resp, _ := e.post(c, fill(r.Pattern, id), form)
				if resp.StatusCode != http.StatusForbidden {
					t.Errorf("status %d, want 403", resp.StatusCode)
				}
			})
		}
	}
	if m, _ := e.store.Get(context.Background(), id); m.State != holdqueue.Held {
		t.Errorf("state %s after refused posts, want held", m.State)
	}
	// The login form has its own token: a cross-site login post is refused.
	resp, _ := e.post(e.client(), "/login", url.Values{"user": {testUser}, "password": {testPass}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("login without token: %d, want 403", resp.StatusCode)
	}
	// With the token the action works and is recorded with the admin's name.
	resp, _ = e.post(c, "/messages/"+id+"/quarantine", url.Values{"csrf": {tok}, "reason": {"looks odd"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("quarantine with token: %d", resp.StatusCode)
	}
	m, _ := e.store.Get(context.Background(), id)
	last := m.History[len(m.History)-1]
	if m.State != holdqueue.Quarantined || last.Actor != testUser || last.Reason != "looks odd" {
		t.Errorf("after quarantine: %s, last event %+v", m.State, last)
	}
}

// TestXSSSubject: message-derived text is shown as text on every page.
func TestXSSSubject(t *testing.T) {
	e := newEnv(t, envOpts{})
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	id := e.hold(1, evil)
	// An encoded word that decodes to markup must be escaped after decoding.
	id2 := e.hold(2, "=?utf-8?b?"+"PHNjcmlwdD5hbGVydCgyKTwvc2NyaXB0Pg=="+"?=")
	c, tok := e.login(testUser, testPass)
	for _, p := range []string{"/held", "/messages/" + id, "/messages/" + id2, "/held?subject=" + url.QueryEscape(evil)} {
		_, body := e.get(c, p)
		if strings.Contains(body, "<script>alert") || strings.Contains(body, "<img src=x") {
			t.Errorf("%s renders markup from the message", p)
		}
	}
	_, body := e.get(c, "/messages/"+id)
	if !strings.Contains(body, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Error("subject not shown escaped on the message page")
	}
	_, body = e.get(c, "/messages/"+id2)
	if !strings.Contains(body, "&lt;script&gt;alert(2)&lt;/script&gt;") {
		t.Error("decoded subject not shown escaped")
	}
	e.post(c, "/messages/"+id+"/quarantine", url.Values{"csrf": {tok}})
	_, body = e.get(c, "/quarantine")
	if strings.Contains(body, "<script>alert") {
		t.Error("quarantine page renders markup from the message")
	}
}

func TestSecurityHeadersAndCookie(t *testing.T) {
	e := newEnv(t, envOpts{tls: true})
	c, _ := e.login(testUser, testPass)
	resp, _ := e.get(c, "/")
	h := resp.Header
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline: %q", csp)
	}
	for k, v := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"} {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	if h.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS over TLS")
	}
	// The session cookie, as set at login.
	c2 := e.client()
	_, body := e.get(c2, "/login")
	tok := csrfField.FindStringSubmatch(body)[1]
	resp, _ = e.post(c2, "/login", url.Values{"csrf": {tok}, "user": {testUser}, "password": {testPass}})
	var sc *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			sc = ck
		}
	}
	if sc == nil || !sc.HttpOnly || !sc.Secure || sc.SameSite != http.SameSiteStrictMode {
		t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict", sc)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, envOpts{cfg: func(c *config.Web) { c.LoginAttempts = 3 }})
	c := e.client()
	_, body := e.get(c, "/login")
	tok := csrfField.FindStringSubmatch(body)[1]
	for i := range 3 {
		resp, _ := e.post(c, "/login", url.Values{"csrf": {tok}, "user": {testUser}, "password": {"wrong"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, resp.StatusCode)
		}
	}
	// Now even the right password is refused from this address.
	resp, _ := e.post(c, "/login", url.Values{"csrf": {tok}, "user": {testUser}, "password": {testPass}})
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("after 3 failures: %d, want 429", resp.StatusCode)
	}
}

// TestInitialAdmin: with no users configured the first start writes a
// random password to DATA_DIR/initial-admin-password (0600), logs where,
// and the next start reuses it.
func TestInitialAdmin(t *testing.T) {
	e := newEnv(t, envOpts{noUsers: true})
	path := filepath.Join(e.dir, "data", InitialPasswordFile)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	if !strings.Contains(e.log.String(), path) {
		t.Errorf("log does not say where the password is:\n%s", e.log.String())
	}
	b, _ := os.ReadFile(path)
	pw := strings.TrimSpace(string(b))
	if len(pw) < 20 {
		t.Errorf("password %d characters", len(pw))
	}
	e.login("admin", pw)
	// A second server on the same data dir keeps the same password.
	s2, err := New(config.DefaultWeb(), Deps{Store: e.store, DataDir: filepath.Join(e.dir, "data")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.auth.check("admin", pw) {
		t.Error("restart changed the initial password")
	}
}

func TestRawIsAttachment(t *testing.T) {
	e := newEnv(t, envOpts{})
	id := e.hold(1, "raw")
	c, _ := e.login(testUser, testPass)
	resp, body := e.get(c, "/messages/"+id+"/raw")
	if resp.StatusCode != 200 {
		t.Fatalf("raw: %d", resp.StatusCode)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, id+".eml") {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(body, "X-Test: yes") {
		t.Error("raw body is not the message")
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t, envOpts{})
	c, tok := e.login(testUser, testPass)
	resp, _ := e.post(c, "/logout", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if resp, _ := e.get(c, "/held"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout /held = %d, want redirect", resp.StatusCode)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/held": "/held", "": "/", "//evil.example/": "/", "https://evil.example/": "/",
		"/\\evil.example": "/", "/login?next=/x": "/", "/messages/1?x=y": "/messages/1?x=y",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// The failed-login allowance is a token bucket: LoginAttempts failures in
// a row are allowed, the next is refused, and one attempt comes back every
// LoginWindow/LoginAttempts.
func TestLoginBucketRefills(t *testing.T) {
	cfg := config.DefaultWeb()
	cfg.LoginAttempts, cfg.LoginWindow = 3, 3*time.Minute
	a := &auth{cfg: cfg, failed: map[string]*attempts{}}
	now := time.Now()
	for i := 0; i < 3; i++ {
		if a.limited("192.0.2.1", now) {
			t.Fatalf("limited after %d failures", i)
		}
		a.fail("192.0.2.1", now)
	}
	if !a.limited("192.0.2.1", now) {
		t.Fatal("not limited after 3 failures")
	}
	if a.limited("192.0.2.2", now) {
		t.Fatal("another address limited")
	}
	if a.limited("192.0.2.1", now.Add(61*time.Second)) == true {
		t.Error("no attempt back after a minute (window/attempts)")
	}
}
