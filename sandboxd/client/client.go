// Package client is the Go client of sandboxd's API, used by the filter's
// gate and by `airlock submit`.
//
// It promises: calls are bounded by the caller's context and by
// Config.Timeout; idempotent calls (lookup, get, health) are retried once
// on a network error or a 5xx; errors from the server come back as *Error
// with the status and the server's message; the event stream reconnects
// by itself and resumes after the last event it delivered, and says so
// (a "gap" event) when the server no longer has everything it missed.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// Config says where sandboxd is and who we are.
type Config struct {
	// URL is the API base, e.g. https://sandbox.example.net:8025.
	URL string
	// Token is the bearer token naming the tenant.
	Token string
	// TLS overrides the TLS settings (e.g. a private CA); nil: system roots.
	TLS *tls.Config
	// Timeout bounds one call (not the event stream). Default 10s.
	Timeout time.Duration
	// MaxConnsPerHost bounds parallel connections. Default 16.
	MaxConnsPerHost int
}

// Client talks to one sandboxd. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	token   string
	timeout time.Duration
	http    *http.Client // calls
	stream  *http.Client // event stream: no overall timeout
}

// New builds a client.
func New(c Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("sandbox client: URL must be http(s)://host[:port], not %q", c.URL)
	}
	if c.Token == "" {
		return nil, errors.New("sandbox client: no token")
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxConnsPerHost <= 0 {
		c.MaxConnsPerHost = 16
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     c.TLS,
		TLSHandshakeTimeout: 5 * time.Second,
		MaxIdleConns:        c.MaxConnsPerHost,
		MaxIdleConnsPerHost: c.MaxConnsPerHost,
		MaxConnsPerHost:     c.MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   c.TLS == nil,
	}
	streamTr := tr.Clone()
	streamTr.MaxConnsPerHost = 0
	return &Client{
		base: u, token: c.Token, timeout: c.Timeout,
		http:   &http.Client{Transport: tr},
		stream: &http.Client{Transport: streamTr},
	}, nil
}

// FromConfig builds a client from the filter's sandbox section; path
// resolves relative file names (config.Config.Path).
func FromConfig(s config.Sandbox, path func(string) string) (*Client, error) {
	tok, err := ReadTokenFile(path(s.TokenFile))
	if err != nil {
		return nil, err
	}
	var tc *tls.Config
	if s.CAFile != "" {
		pem, err := os.ReadFile(path(s.CAFile))
		if err != nil {
			return nil, fmt.Errorf("sandbox CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("sandbox CA file %s: no certificates", s.CAFile)
		}
		tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return New(Config{URL: s.URL, Token: tok, TLS: tc, Timeout: s.Timeout})
}

// ReadTokenFile reads a file holding one token (surrounding space ignored).
func ReadTokenFile(path string) (string, error) {
	if path == "" {
		return "", errors.New("sandbox client: no token file")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("sandbox token: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" || strings.ContainsAny(tok, " \n\t") {
		return "", fmt.Errorf("sandbox token file %s must hold exactly one token", path)
	}
	return tok, nil
}

// Error is a non-2xx answer.
type Error struct {
	Status int
	// Message is the server's explanation.
	Message string
	// Expected and Actual are the two hashes of a mismatch (400).
	Expected, Actual string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("sandboxd: %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
	if e.Expected != "" {
		s += fmt.Sprintf(" (expected %s, got %s)", e.Expected, e.Actual)
	}
	return s
}

// Temporary reports whether retrying later may succeed.
func (e *Error) Temporary() bool { return e.Status >= 500 || e.Status == http.StatusTooManyRequests }

// IsStatus reports whether err is an *Error with that status.
func IsStatus(err error, status int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == status
}

func (c *Client) url(path string) string { return c.base.String() + path }

// do sends one request and decodes a JSON answer into out (nil: discard).
// body is re-read on retry, so it must be a *bytes.Reader or nil.
func (c *Client) do(ctx context.Context, method, path string, body *bytes.Reader, hdr http.Header, out any, retry bool) error {
	attempts := 1
	if retry {
		attempts = 2
	}
	var err error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(100 * time.Millisecond):
			}
			if body != nil {
				body.Seek(0, io.SeekStart)
			}
		}
		var rb io.Reader // a nil *bytes.Reader must stay a nil io.Reader
		if body != nil {
			rb = body
		}
		err = c.once(ctx, method, path, rb, hdr, out)
		var ae *Error
		if err == nil || ctx.Err() != nil || (errors.As(err, &ae) && !ae.Temporary()) {
			return err
		}
	}
	return err
}

func (c *Client) once(ctx context.Context, method, path string, body io.Reader, hdr http.Header, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.url(path), body)
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("sandboxd %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var ae api.Error
		if json.Unmarshal(b, &ae) != nil || ae.Error == "" {
			ae.Error = strings.TrimSpace(string(b))
		}
		return &Error{Status: resp.StatusCode, Message: ae.Error, Expected: ae.Expected, Actual: ae.Actual}
	}
	if out == nil {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("sandboxd %s %s: bad answer: %w", method, path, err)
	}
	// Drain so the connection goes back to the pool (keep-alive).
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	return nil
}

// Lookup asks for the verdicts of hashes, in batches of api.MaxLookup.
// Unknown hashes are absent from the map.
func (c *Client) Lookup(ctx context.Context, hashes []string) (map[string]*api.File, error) {
	out := make(map[string]*api.File, len(hashes))
	for len(hashes) > 0 {
		n := min(len(hashes), api.MaxLookup)
		b, _ := json.Marshal(api.LookupRequest{Hashes: hashes[:n]})
		var resp api.LookupResponse
		if err := c.do(ctx, http.MethodPost, "/v1/lookup", bytes.NewReader(b), nil, &resp, true); err != nil {
			return nil, err
		}
		for h, f := range resp.Files {
			out[h] = f
		}
		hashes = hashes[n:]
	}
	return out, nil
}

// Upload sends a file's bytes. Only the extension of its name is sent
// (ext, e.g. ".pdf", may be empty); category may be "" to let sandboxd
// sniff it. A known file is not analyzed again (Created false).
func (c *Client) Upload(ctx context.Context, sha string, category verdict.Category, ext string, retention api.Retention, r io.Reader) (*api.UploadResponse, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read file: %w", err)
	}
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/octet-stream")
	if category != "" {
		hdr.Set(api.HeaderCategory, string(category))
	}
	if ext != "" {
		hdr.Set(api.HeaderExt, ext)
	}
	if retention != "" {
		hdr.Set(api.HeaderRetention, string(retention))
	}
	var out api.UploadResponse
	// PUT of the same bytes is idempotent: safe to retry.
	if err := c.do(ctx, http.MethodPut, "/v1/files/"+strings.ToLower(sha), bytes.NewReader(data), hdr, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// Get returns what sandboxd knows of one file (an *Error with status 404
// when it is unknown to this tenant).
func (c *Client) Get(ctx context.Context, sha string) (*api.File, error) {
	var f api.File
	if err := c.do(ctx, http.MethodGet, "/v1/files/"+strings.ToLower(sha), nil, nil, &f, true); err != nil {
		return nil, err
	}
	return &f, nil
}

// Health returns the daemon's health; a degraded daemon answers 503 with
// the health body, returned together with the error.
func (c *Client) Health(ctx context.Context) (*api.Health, error) {
	var h api.Health
	err := c.do(ctx, http.MethodGet, "/v1/health", nil, nil, &h, true)
	if err != nil {
		return nil, err
	}
	return &h, nil
}

// ListOptions filter an admin listing.
type ListOptions struct {
	Verdict      verdict.Verdict
	State        api.State
	Category     verdict.Category
	Tenant       string
	Since, Until time.Time
	Cursor       string
	Limit        int
}

// List pages through files (web token: its tenant's; admin token: all,
// or one tenant with ListOptions).
func (c *Client) List(ctx context.Context, o ListOptions) (*api.ListResponse, error) {
	q := url.Values{}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("verdict", string(o.Verdict))
	set("state", string(o.State))
	set("category", string(o.Category))
	set("tenant", o.Tenant)
	set("cursor", o.Cursor)
	if !o.Since.IsZero() {
		set("since", o.Since.Format(time.RFC3339))
	}
	if !o.Until.IsZero() {
		set("until", o.Until.Format(time.RFC3339))
	}
	if o.Limit > 0 {
		set("limit", fmt.Sprint(o.Limit))
	}
	var out api.ListResponse
	if err := c.do(ctx, http.MethodGet, "/v1/admin/files?"+q.Encode(), nil, nil, &out, true); err != nil {
		return nil, err
	}
	return &out, nil
}

// Reanalyze queues one file for analysis again (web or admin token).
func (c *Client) Reanalyze(ctx context.Context, sha string) error {
	return c.do(ctx, http.MethodPost, "/v1/admin/files/"+strings.ToLower(sha)+"/reanalyze", nil, nil, nil, false)
}

// Delete removes a file's sample and metadata (admin token).
func (c *Client) Delete(ctx context.Context, sha string) error {
	return c.do(ctx, http.MethodDelete, "/v1/admin/files/"+strings.ToLower(sha), nil, nil, nil, false)
}

// PinnedTLS is the TLS configuration for reaching a sandboxd whose
// certificate this process has (its own, `airlock all` or a local health
// check): the server must present exactly that certificate, whatever the
// name or address it is reached by.
func PinnedTLS(certFile string) (*tls.Config, error) {
	pemBytes, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("sandboxd certificate: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	for block != nil && block.Type != "CERTIFICATE" {
		block, pemBytes = pem.Decode(pemBytes)
	}
	if block == nil {
		return nil, fmt.Errorf("sandboxd certificate %s: no CERTIFICATE block", certFile)
	}
	want := block.Bytes
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Name checks are replaced by the byte-for-byte comparison below.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], want) {
				return errors.New("sandboxd presented a certificate other than its configured one")
			}
			return nil
		},
	}, nil
}
