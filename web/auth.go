package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/time/rate"

	"github.com/airlockmail/airlock/config"
)

// InitialPasswordFile is the file under the data dir that holds the
// generated admin password when no user is configured.
const InitialPasswordFile = "initial-admin-password"

const (
	sessionCookie = "airlock_session"
	loginCookie   = "airlock_login"
)

// HashPassword makes the bcrypt hash `airlock passwd` prints.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errors.New("password: at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

type session struct {
	user    string
	csrf    string
	expires time.Time
}

// attempts is one client address's allowance of failed logins: a token
// bucket of LoginAttempts tokens refilled over LoginWindow
// (golang.org/x/time/rate); each failure takes one.
type attempts struct {
	lim  *rate.Limiter
	last time.Time
}

// auth holds users, sessions (in memory: a restart logs everyone out) and
// the failed-login counters.
type auth struct {
	cfg   config.Web
	users map[string][]byte
	// dummy is compared against for unknown users, so that a wrong name
	// costs as much time as a wrong password.
	dummy []byte
	log   *slog.Logger

	mu       sync.Mutex
	sessions map[string]*session
	failed   map[string]*attempts
}

func newAuth(cfg config.Web, dataDir string, log *slog.Logger) (*auth, error) {
	a := &auth{cfg: cfg, users: map[string][]byte{}, log: log, sessions: map[string]*session{}, failed: map[string]*attempts{}}
	for _, u := range cfg.Users {
		a.users[u.Name] = []byte(u.PasswordHash)
	}
	if len(a.users) == 0 {
		pw, err := initialPassword(dataDir, log)
		if err != nil {
			return nil, err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		a.users["admin"] = h
	}
	d, _ := bcrypt.GenerateFromPassword([]byte(randomToken()), bcrypt.DefaultCost)
	a.dummy = d
	return a, nil
}

// initialPassword reads DATA_DIR/initial-admin-password, or creates it
// (mode 0600) with a random password, as Jenkins does on first start.
func initialPassword(dataDir string, log *slog.Logger) (string, error) {
	if dataDir == "" {
		return "", errors.New("web: no users configured and no data dir for the initial admin password")
	}
	path := filepath.Join(dataDir, InitialPasswordFile)
	b, err := os.ReadFile(path)
	if err == nil {
		pw := strings.TrimSpace(string(b))
		if pw == "" {
			return "", fmt.Errorf("web: %s is empty", path)
		}
		log.Warn("web: no users configured; user admin logs in with the password in "+path, "file", path)
		return pw, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("web: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("web: %w", err)
	}
	pw := randomToken()[:24]
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("web: create %s: %w", path, err)
	}
	_, err = f.WriteString(pw + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", fmt.Errorf("web: write %s: %w", path, err)
	}
	log.Warn("web: no users configured; created user admin with a random password in "+path+
		" (add users with `airlock passwd` to web.users, then delete the file)", "file", path)
	return pw, nil
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clientIP(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// limited reports whether ip has used up its failed attempts.
func (a *auth) limited(ip string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.failed[ip]
	return f != nil && f.lim.TokensAt(now) < 1
}

func (a *auth) fail(ip string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.failed) > 10000 {
		// Addresses quiet for a whole window have a full bucket again.
		for k, f := range a.failed {
			if now.Sub(f.last) > a.cfg.LoginWindow {
				delete(a.failed, k)
			}
		}
	}
	f := a.failed[ip]
	if f == nil {
		every := a.cfg.LoginWindow / time.Duration(a.cfg.LoginAttempts)
		f = &attempts{lim: rate.NewLimiter(rate.Every(every), a.cfg.LoginAttempts)}
		a.failed[ip] = f
	}
	f.lim.AllowN(now, 1)
	f.last = now
}

// check verifies a user's password in constant time per attempt.
func (a *auth) check(user, pw string) bool {
	h, ok := a.users[user]
	if !ok {
		bcrypt.CompareHashAndPassword(a.dummy, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword(h, []byte(pw)) == nil
}

func (a *auth) newSession(user string, now time.Time) (string, *session) {
	tok := randomToken()
	s := &session{user: user, csrf: randomToken(), expires: now.Add(a.cfg.SessionTTL)}
	a.mu.Lock()
	defer a.mu.Unlock()
	for k, o := range a.sessions {
		if now.After(o.expires) {
			delete(a.sessions, k)
		}
	}
	a.sessions[tok] = s
	return tok, s
}

// session finds a live session and extends it (sliding expiry).
func (a *auth) session(tok string, now time.Time) *session {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[tok]
	if s == nil {
		return nil
	}
	if now.After(s.expires) {
		delete(a.sessions, tok)
		return nil
	}
	s.expires = now.Add(a.cfg.SessionTTL)
	return s
}

func (a *auth) drop(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, tok)
}

type ctxKey struct{}

func sessionOf(r *http.Request) *session {
	s, _ := r.Context().Value(ctxKey{}).(*session)
	return s
}

func (s *Server) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.tls, SameSite: http.SameSiteStrictMode}
}

// wantsPage: a browser navigation gets a redirect to the login page;
// scripts (event stream, API, form posts) get 401.
func wantsPage(r *http.Request) bool {
	return r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/events"
}

func (s *Server) requireSession(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var sess *session
		if c, err := r.Cookie(sessionCookie); err == nil {
			sess = s.auth.session(c.Value, s.now())
		}
		if sess == nil {
			if wantsPage(r) {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			http.Error(w, "login required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, sess)))
	})
}

func (s *Server) requireCSRF(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess := sessionOf(r)
		tok := r.Header.Get("X-CSRF-Token")
		if tok == "" {
			tok = r.PostFormValue("csrf")
		}
		if sess == nil || tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.csrf)) != 1 {
			http.Error(w, "missing or wrong CSRF token", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.HasPrefix(next, "/login") {
		return "/"
	}
	return next
}

type loginView struct {
	Token, Next, Error string
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request) {
	tok := randomToken()
	http.SetCookie(w, s.cookie(loginCookie, tok, 600))
	s.render(w, r, http.StatusOK, "login", "Log in", loginView{Token: tok, Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	now := s.now()
	ip := clientIP(r)
	c, err := r.Cookie(loginCookie)
	if err != nil || r.PostFormValue("csrf") == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		http.Error(w, "missing or wrong CSRF token (reload the login page)", http.StatusForbidden)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if s.auth.limited(ip, now) {
		s.log.Warn("web: login refused: too many failed attempts", "client", ip)
		w.Header().Set("Retry-After", fmt.Sprint(int(s.cfg.LoginWindow.Seconds())))
		s.render(w, r, http.StatusTooManyRequests, "login", "Log in", loginView{Token: c.Value, Next: next, Error: "Too many failed attempts. Try again later."})
		return
	}
	user := r.PostFormValue("user")
	if !s.auth.check(user, r.PostFormValue("password")) {
		s.auth.fail(ip, now)
		s.log.Warn("web: failed login", "client", ip, "user", user)
		s.render(w, r, http.StatusUnauthorized, "login", "Log in", loginView{Token: c.Value, Next: next, Error: "Wrong user name or password."})
		return
	}
	tok, _ := s.auth.newSession(user, now)
	http.SetCookie(w, s.cookie(sessionCookie, tok, 0))
	http.SetCookie(w, s.cookie(loginCookie, "", -1))
	s.log.Info("web: login", "client", ip, "user", user)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.auth.drop(c.Value)
	}
	http.SetCookie(w, s.cookie(sessionCookie, "", -1))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
