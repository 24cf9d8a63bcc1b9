// Package web is Airlock's admin page: status, postponed mail, quarantine,
// submitted files and exclusions, rendered on the server with html/template
// (every message-derived string is escaped by the template engine), with a
// little hand-written JavaScript and every asset embedded in the binary.
//
// It promises:
//   - every route but the login page and the static assets needs a
//     session; a request without one is redirected to the login page (a
//     page) or refused with 401 (an API or event stream);
//   - every state-changing request is a POST carrying the session's CSRF
//     token, or it is refused with 403;
//   - every admin action goes into the message's history with the admin's
//     name;
//   - the status page is live: holdqueue changes reach the browser through
//     server-sent events within a second;
//   - responses carry a CSP without inline script, frame-ancestors 'none'
//     and the other usual security headers; raw messages are only ever
//     downloaded as attachments.
package web

import (
	"context"
	"crypto/tls"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Sandbox is what the pages need of sandboxd (an admin-token
// *client.Client is one).
type Sandbox interface {
	Health(ctx context.Context) (*api.Health, error)
	List(ctx context.Context, o client.ListOptions) (*api.ListResponse, error)
	Get(ctx context.Context, sha string) (*api.File, error)
	Reanalyze(ctx context.Context, sha string) error
}

// Deps are the parts the pages show and act on.
type Deps struct {
	Store holdqueue.Store
	// Sandbox may be nil (no sandbox configured: the files page says so).
	Sandbox Sandbox
	// Exclusions is the shared allow list; may be nil (no exclusions page
	// actions).
	Exclusions exclusions.Store
	// Warnings lists store durability warnings for the status page (nil:
	// none).
	Warnings func() []string
	// DataDir is where the initial admin password is written when no user
	// is configured.
	DataDir string
}

// Server is the admin page.
type Server struct {
	cfg    config.Web
	deps   Deps
	log    *slog.Logger
	tmpl   map[string]*template.Template
	auth   *auth
	status *monitor
	mux    *http.ServeMux
	routes []Route
	// tls marks cookies Secure.
	tls bool
	now func() time.Time
}

// Route is one registered path; tests walk them all unauthenticated.
type Route struct {
	Method, Pattern string
	// Public routes need no session (login page, static assets).
	Public bool
}

// New builds the server. With no users in cfg it creates the initial
// admin (see config.Web.Users).
func New(cfg config.Web, d Deps, log *slog.Logger) (*Server, error) {
	if d.Store == nil {
		return nil, errors.New("web: no hold queue store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def := config.DefaultWeb()
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = def.SessionTTL
	}
	if cfg.LoginAttempts <= 0 {
		cfg.LoginAttempts = def.LoginAttempts
	}
	if cfg.LoginWindow <= 0 {
		cfg.LoginWindow = def.LoginWindow
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = def.PageSize
	}
	if cfg.HealthInterval <= 0 {
		cfg.HealthInterval = def.HealthInterval
	}
	s := &Server{cfg: cfg, deps: d, log: log, now: time.Now, tls: cfg.TLSCert != ""}
	var err error
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	if s.auth, err = newAuth(cfg, d.DataDir, log); err != nil {
		return nil, err
	}
	s.status = newMonitor(d.Store, d.Sandbox, cfg.HealthInterval, log)
	s.routes_()
	return s, nil
}

// SetTLS marks session cookies Secure (for a server whose TLS is
// terminated elsewhere, or in tests).
func (s *Server) SetTLS(on bool) { s.tls = on }

// Run keeps the status monitor going (sandbox health, 24 h counters)
// until ctx ends.
func (s *Server) Run(ctx context.Context) error { return s.status.run(ctx) }

// Routes lists every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// Handler is the whole site.
func (s *Server) Handler() http.Handler { return securityHeaders(s.mux) }

func (s *Server) routes_() {
	s.mux = http.NewServeMux()
	add := func(method, pattern string, public bool, h http.HandlerFunc) {
		s.routes = append(s.routes, Route{Method: method, Pattern: pattern, Public: public})
		full := method + " " + pattern
		switch {
		case public:
			s.mux.Handle(full, h)
		case method == http.MethodPost:
			s.mux.Handle(full, s.requireSession(s.requireCSRF(h)))
		default:
			s.mux.Handle(full, s.requireSession(h))
		}
	}
	static, _ := fs.Sub(staticFS, "static")
	add("GET", "/static/", true, http.StripPrefix("/static/", http.FileServerFS(static)).ServeHTTP)
	add("GET", "/login", true, s.handleLoginPage)
	// The login POST has its own CSRF defence: a pre-session token in a
	// cookie that must match the form (login CSRF), checked in the handler.
	add("POST", "/login", true, s.handleLogin)
	add("POST", "/logout", false, s.handleLogout)

	add("GET", "/{$}", false, s.handleStatus)
	add("GET", "/events", false, s.handleEvents)
	add("GET", "/api/status", false, s.handleStatusJSON)
	add("GET", "/held", false, s.handleHeld)
	add("GET", "/quarantine", false, s.handleQuarantine)
	add("GET", "/messages/{id}", false, s.handleMessage)
	add("GET", "/messages/{id}/raw", false, s.handleRaw)
	add("POST", "/messages/{id}/release", false, s.handleAction(actRelease))
	add("POST", "/messages/{id}/quarantine", false, s.handleAction(actQuarantine))
	add("POST", "/messages/{id}/delete", false, s.handleAction(actDelete))
	add("GET", "/files", false, s.handleFiles)
	add("GET", "/files/{sha}", false, s.handleFile)
	add("POST", "/files/{sha}/reanalyze", false, s.handleReanalyze)
	add("POST", "/files/{sha}/exclude", false, s.handleExclude)
	add("GET", "/exclusions", false, s.handleExclusions)
	add("POST", "/exclusions/{sha}/remove", false, s.handleUnexclude)
}

// securityHeaders: no inline script anywhere (the CSP forbids it), no
// framing, no sniffing, no referrer leaking message ids.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		h.ServeHTTP(w, r)
	})
}

// Serve serves on ln until ctx ends, with TLS when cfg names a
// certificate (paths already resolved by the caller).
func (s *Server) Serve(ctx context.Context, ln net.Listener, certFile, keyFile string) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		// No WriteTimeout: the event stream stays open. Request contexts
		// end with ctx, so open streams do not hold up Shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx },
		ErrorLog:    slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("web: TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
		s.tls = true
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("web: %w", err)
}
