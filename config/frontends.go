package config

import (
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Milter is the milter server for Postfix and Sendmail.
type Milter struct {
	// Listen is "inet:host:port", "host:port" or "unix:/path". Empty: no
	// milter.
	Listen string `yaml:"listen"`
	// SocketMode is the permission of a Unix socket (octal, default
	// "0660"): the MTA's smtpd (user postfix) must be able to write to
	// it. On one host a Unix socket is the cheaper transport: Postfix
	// gives a TCP milter stream buffers of twice the MSS (on loopback
	// 2 × 64 KB each way, allocated and filled for every connection).
	SocketMode string `yaml:"socket_mode"`
	// SocketGroup, when set, becomes the group of the Unix socket (e.g.
	// "postfix"; Airlock's user must be a member).
	SocketGroup string `yaml:"socket_group"`
	// MaxMessageBytes is the largest message the milter takes in (it
	// keeps the whole message in memory to judge it); a larger one gets
	// 552. Default 64MiB; keep it at or above Postfix's
	// message_size_limit.
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
	// Timeout bounds one milter read or write; the MTA's own
	// milter_*_timeout should be longer. Default 2m.
	Timeout time.Duration `yaml:"timeout"`
}

// DefaultMilter returns the milter defaults.
func DefaultMilter() Milter {
	return Milter{Listen: "inet:127.0.0.1:7357", SocketMode: "0660", MaxMessageBytes: 64 << 20, Timeout: 2 * time.Minute}
}

// Validate checks the milter section.
func (c *Milter) Validate(path string, p *Problems) {
	if c.Listen != "" {
		if _, _, err := SplitMilterAddr(c.Listen); err != nil {
			p.Addf(path+".listen", "%v", err)
		}
	}
	if _, err := c.Mode(); err != nil {
		p.Addf(path+".socket_mode", "%v", err)
	}
	if c.MaxMessageBytes <= 0 {
		p.Addf(path+".max_message_bytes", "must be > 0")
	}
	if c.Timeout <= 0 {
		p.Addf(path+".timeout", "must be > 0")
	}
}

// Mode is SocketMode as a file mode ("" is 0660).
func (c *Milter) Mode() (os.FileMode, error) {
	if c.SocketMode == "" {
		return 0o660, nil
	}
	m, err := strconv.ParseUint(c.SocketMode, 8, 32)
	if err != nil || m > 0o777 {
		return 0, errBad("socket mode", c.SocketMode, "want octal permission bits such as 0660")
	}
	return os.FileMode(m), nil
}

// SplitMilterAddr turns a milter address in Postfix/Sendmail notation
// ("inet:127.0.0.1:7357", "inet:7357@127.0.0.1", "unix:/run/x.sock", or a
// plain "host:port") into a network and address for net.Listen.
func SplitMilterAddr(s string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(s, "unix:"), strings.HasPrefix(s, "local:"):
		a := s[strings.Index(s, ":")+1:]
		if a == "" {
			return "", "", errBad("milter address", s, "empty socket path")
		}
		return "unix", a, nil
	case strings.HasPrefix(s, "inet:"), strings.HasPrefix(s, "inet6:"):
		a := s[strings.Index(s, ":")+1:]
		if port, host, ok := strings.Cut(a, "@"); ok {
			a = net.JoinHostPort(host, port) // Sendmail's port@host
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return "", "", errBad("milter address", s, err.Error())
		}
		return "tcp", a, nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		return "", "", errBad("milter address", s, "want inet:host:port, unix:/path or host:port")
	}
	return "tcp", s, nil
}

type badValue struct{ what, value, why string }

func (e *badValue) Error() string { return "bad " + e.what + " " + `"` + e.value + `": ` + e.why }

func errBad(what, value, why string) error { return &badValue{what, value, why} }

// Proxy is the SMTP proxy in front of Exchange (or any upstream MTA).
type Proxy struct {
	// Listen is host:port. Empty: no proxy.
	Listen string `yaml:"listen"`
	// Upstream is host:port of the MTA mail goes to (Exchange's receive
	// connector). Required with listen.
	Upstream string `yaml:"upstream"`
	// Hostname is the name in the greeting and EHLO (default: node name).
	Hostname string `yaml:"hostname"`
	// TLS offers STARTTLS with this certificate when both files are set.
	TLS TLSFiles `yaml:"tls"`
	// UpstreamStartTLS is required, opportunistic or none for the
	// connection to the upstream. Default opportunistic.
	UpstreamStartTLS string `yaml:"upstream_starttls"`
	// UpstreamTLSInsecure skips certificate checks on the upstream (a
	// self-signed Exchange).
	UpstreamTLSInsecure bool `yaml:"upstream_tls_insecure"`
	// MaxMessageBytes is advertised in SIZE and enforced. Default 50MiB.
	MaxMessageBytes ByteSize `yaml:"max_message_bytes"`
	// MaxRecipients per message. Default 100.
	MaxRecipients int `yaml:"max_recipients"`
	// MaxLineLength bounds a command or message line, CRLF included. RFC
	// 5321 says 1000, real mail has longer lines. Default 8000.
	MaxLineLength int `yaml:"max_line_length"`
	// CommandRate bounds the transactions (MAIL and DATA commands) per
	// second of one connection; a burst of twice as many is allowed.
	// RCPT is bounded by max_recipients. Default 20.
	CommandRate float64 `yaml:"command_rate"`
	// ReadTimeout bounds each command and the whole DATA upload. Default
	// 10m.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// UpstreamTimeout bounds each command to the upstream. Default 2m.
	UpstreamTimeout time.Duration `yaml:"upstream_timeout"`
}

// DefaultProxy returns the proxy defaults.
func DefaultProxy() Proxy {
	return Proxy{
		UpstreamStartTLS: StartTLSOpportunistic,
		MaxMessageBytes:  50 << 20,
		MaxRecipients:    100,
		MaxLineLength:    8000,
		CommandRate:      20,
		ReadTimeout:      10 * time.Minute,
		UpstreamTimeout:  2 * time.Minute,
	}
}

// Validate checks the proxy section.
func (c *Proxy) Validate(path string, p *Problems) {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			p.Addf(path+".listen", "want host:port: %v", err)
		}
		if c.Upstream == "" {
			p.Addf(path+".upstream", "must be set when proxy.listen is")
		}
	}
	if c.Upstream != "" {
		if _, _, err := net.SplitHostPort(c.Upstream); err != nil {
			p.Addf(path+".upstream", "want host:port: %v", err)
		}
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		p.Addf(path+".tls", "cert_file and key_file go together")
	}
	switch c.UpstreamStartTLS {
	case StartTLSRequired, StartTLSOpportunistic, StartTLSNone:
	default:
		p.Addf(path+".upstream_starttls", "must be required, opportunistic or none, not %q", c.UpstreamStartTLS)
	}
	if c.MaxMessageBytes <= 0 {
		p.Addf(path+".max_message_bytes", "must be > 0")
	}
	if c.MaxRecipients < 1 {
		p.Addf(path+".max_recipients", "must be >= 1")
	}
	if c.MaxLineLength < 1000 {
		p.Addf(path+".max_line_length", "must be >= 1000 (RFC 5321)")
	}
	if c.CommandRate <= 0 {
		p.Addf(path+".command_rate", "must be > 0")
	}
	if c.ReadTimeout <= 0 {
		p.Addf(path+".read_timeout", "must be > 0")
	}
	if c.UpstreamTimeout <= 0 {
		p.Addf(path+".upstream_timeout", "must be > 0")
	}
}

// Web is the admin page.
type Web struct {
	// Listen is host:port. Empty: no web page.
	Listen string `yaml:"listen"`
	// SandboxTokenFile is the token the page presents to a remote
	// sandboxd (sandbox.url): a web token (list, re-analyze; copy
	// sandboxd's web_token_file). Empty: sandbox.token_file, which must
	// then be a web or admin token (a filter token cannot list). `airlock
	// all` with its own sandboxd uses the web token it generated.
	SandboxTokenFile string `yaml:"sandbox_token_file"`
	// AlertWebhook receives each retro alert (a delivered message whose
	// file is later judged suspicious or worse) as a JSON POST. Empty:
	// alerts are logged (level warn) and written to the message's hold
	// queue history when it was held first; there is no alert page yet.
	AlertWebhook string `yaml:"alert_webhook"`
	// AlertRetention is how long delivered mail's file hashes are kept
	// for retro alerts. Default 720h (30 days).
	AlertRetention time.Duration `yaml:"alert_retention"`
	// TLSCert and TLSKey are PEM files (relative to data_dir); both set:
	// serve HTTPS and mark the session cookie Secure. Both empty: plain
	// HTTP, meant for 127.0.0.1 behind a TLS-terminating proxy.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// Users may log in. Each hash is bcrypt ($2a$/$2b$/$2y$) as printed
	// by `airlock passwd`. None: the first start creates "admin" with a
	// random password written to data_dir/initial-admin-password.
	Users []WebUser `yaml:"users"`
	// SessionTTL is how long a login lasts without activity. Default 8h.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// LoginAttempts is how many failed logins one client address may make
	// per LoginWindow before it is refused (429). Default 10 per 5m.
	LoginAttempts int           `yaml:"login_attempts"`
	LoginWindow   time.Duration `yaml:"login_window"`
	// PageSize is how many messages the postponed-mail and quarantine
	// pages show at once. Default 50.
	PageSize int `yaml:"page_size"`
	// HealthInterval is how often the sandbox's health is checked for the
	// status page. Default 2s.
	HealthInterval time.Duration `yaml:"health_interval"`
}

// WebUser is one admin account.
type WebUser struct {
	// Name is shown in message histories as the actor.
	Name string `yaml:"name"`
	// PasswordHash is a bcrypt hash (`airlock passwd`).
	PasswordHash string `yaml:"password_hash"`
}

// DefaultWeb returns the web defaults.
func DefaultWeb() Web {
	return Web{
		Listen:         "127.0.0.1:8080",
		AlertRetention: 720 * time.Hour,
		SessionTTL:     8 * time.Hour,
		LoginAttempts:  10,
		LoginWindow:    5 * time.Minute,
		PageSize:       50,
		HealthInterval: 2 * time.Second,
	}
}

// Validate checks the web section.
func (c *Web) Validate(path string, p *Problems) {
	if c.AlertWebhook != "" {
		u, err := url.Parse(c.AlertWebhook)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Addf(path+".alert_webhook", "must be an http or https URL, not %q", c.AlertWebhook)
		}
	}
	if c.AlertRetention <= 0 {
		p.Addf(path+".alert_retention", "must be > 0")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		p.Addf(path+".tls_cert", "tls_cert and tls_key must be set together")
	}
	seen := map[string]bool{}
	for i, u := range c.Users {
		up := path + ".users[" + itoa(i) + "]"
		switch {
		case u.Name == "":
			p.Addf(up+".name", "must be set")
		case strings.ContainsAny(u.Name, " \t\r\n<>\"'&"):
			p.Addf(up+".name", "must not contain spaces or markup characters")
		case seen[u.Name]:
			p.Addf(up+".name", "duplicate user %q", u.Name)
		}
		seen[u.Name] = true
		if !strings.HasPrefix(u.PasswordHash, "$2a$") && !strings.HasPrefix(u.PasswordHash, "$2b$") && !strings.HasPrefix(u.PasswordHash, "$2y$") {
			p.Addf(up+".password_hash", "must be a bcrypt hash (run `airlock passwd`)")
		}
	}
	if c.SessionTTL <= 0 {
		p.Addf(path+".session_ttl", "must be > 0")
	}
	if c.LoginAttempts <= 0 {
		p.Addf(path+".login_attempts", "must be > 0")
	}
	if c.LoginWindow <= 0 {
		p.Addf(path+".login_window", "must be > 0")
	}
	if c.PageSize <= 0 || c.PageSize > 1000 {
		p.Addf(path+".page_size", "must be between 1 and 1000")
	}
	if c.HealthInterval <= 0 {
		p.Addf(path+".health_interval", "must be > 0")
	}
}
