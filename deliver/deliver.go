// Package deliver is the SMTP client to the next hop: it sends a released
// message with its original envelope and exact bytes, adding only Airlock's
// header fields (verdict, queue id, time held, and the release header that
// lets the milter pass the re-injected message once). Two changes are made
// on the way, both for safety: every X-Airlock-* field the message came
// with is dropped (headers.go: the recipient sees only Airlock's), and a
// bare CR or LF becomes CRLF (lineends.go: the next hop is given nothing it
// could end DATA at early).
//
// It keeps a small pool of open connections (reused after RSET) for
// throughput, sets deadlines on every command and on the whole DATA upload
// (go-smtp's client sets none there), uses STARTTLS as configured, and
// sorts failures into temporary (4xx, network: retry) and permanent (5xx:
// the reply is kept for the admin).
package deliver

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/seal"
)

// LoadReleaseKey reads the release header secret (64 hex digits), creating
// the file with a fresh secret when missing.
func LoadReleaseKey(path string) ([]byte, error) {
	if _, _, err := seal.LoadOrCreateKeyFile(path); err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("release key: %w", err)
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("release key %s: %w", path, err)
	}
	return k, nil
}

// Envelope is the SMTP envelope to send with.
type Envelope struct {
	From string
	To   []string
}

// Error is a delivery failure.
type Error struct {
	// Temporary: retry later (4xx, network, timeout, TLS required but not
	// offered). Otherwise the next hop refused for good (5xx).
	Temporary bool
	// Reply is the next hop's answer ("550 5.1.1 no such user"), or the
	// local error when there was no answer.
	Reply string
	Err   error
}

func (e *Error) Error() string { return "deliver: " + e.Reply }
func (e *Error) Unwrap() error { return e.Err }

// Result is a delivery that reached the next hop.
type Result struct {
	// Reply is the answer to the end of DATA.
	Reply string
	// Refused lists recipients the next hop refused for good, with its
	// answer; the others got the message.
	Refused map[string]string
}

// Deliverer sends to one next hop. Safe for concurrent use.
type Deliverer struct {
	cfg config.Deliver
	key []byte
	log *slog.Logger
	tls *tls.Config

	sem chan struct{} // MaxConns tokens
	mu  sync.Mutex
	// idle connections, most recently used last.
	idle []*conn
	// noTLSUntil remembers that the next hop offers no STARTTLS
	// (opportunistic mode), so we do not probe on every dial.
	noTLSUntil time.Time
	now        func() time.Time
}

type conn struct {
	c    *smtp.Client
	nc   net.Conn
	used time.Time
}

// New returns a Deliverer for cfg with the release header key.
func New(cfg config.Deliver, releaseKey []byte, log *slog.Logger) *Deliverer {
	host, _, _ := net.SplitHostPort(cfg.NextHop)
	name := cfg.TLSServerName
	if name == "" {
		name = host
	}
	return &Deliverer{
		cfg: cfg,
		key: releaseKey,
		log: log,
		tls: &tls.Config{ServerName: name, InsecureSkipVerify: cfg.TLSInsecure, MinVersion: tls.VersionTLS12},
		sem: make(chan struct{}, cfg.MaxConns),
		now: time.Now,
	}
}

// Close closes idle connections.
func (d *Deliverer) Close() error {
	d.mu.Lock()
	idle := d.idle
	d.idle = nil
	d.mu.Unlock()
	for _, c := range idle {
		c.c.Quit()
		c.c.Close()
	}
	return nil
}

// Send delivers data to env with the stamp's header fields added, any
// X-Airlock-* field that came with the message removed, and every line
// ending made CRLF (the next hop never sees a bare CR or LF).
func (d *Deliverer) Send(ctx context.Context, env Envelope, data []byte, s Stamp) (*Result, error) {
	msg := d.addHeaders(data, s, d.now())
	select {
	case d.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Temporary: true, Reply: "no free connection: " + ctx.Err().Error(), Err: ctx.Err()}
	}
	defer func() { <-d.sem }()
	// A pooled connection may have been closed by the next hop; one
	// retry on a fresh connection covers that without a lost attempt.
	c, reused, err := d.get(ctx)
	if err != nil {
		return nil, err
	}
	res, err := d.send(ctx, c, env, msg)
	if err != nil && reused && isNetErr(err) {
		c.c.Close()
		c, _, err = d.dial(ctx)
		if err != nil {
			return nil, err
		}
		res, err = d.send(ctx, c, env, msg)
	}
	if err != nil {
		c.c.Close()
		return nil, err
	}
	d.put(c)
	return res, nil
}

func isNetErr(err error) bool {
	var se *smtp.SMTPError
	var de *Error
	if errors.As(err, &de) {
		err = de.Err
	}
	return err != nil && !errors.As(err, &se)
}

// get returns an idle connection that still answers RSET, or a new one.
func (d *Deliverer) get(ctx context.Context) (*conn, bool, error) {
	for {
		d.mu.Lock()
		n := len(d.idle)
		if n == 0 {
			d.mu.Unlock()
			c, _, err := d.dial(ctx)
			return c, false, err
		}
		c := d.idle[n-1]
		d.idle = d.idle[:n-1]
		d.mu.Unlock()
		if d.now().Sub(c.used) > d.cfg.IdleTimeout {
			c.c.Close()
			continue
		}
		if err := c.c.Reset(); err != nil {
			c.c.Close()
			continue
		}
		return c, true, nil
	}
}

func (d *Deliverer) put(c *conn) {
	c.used = d.now()
	c.nc.SetDeadline(time.Time{})
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.idle) >= d.cfg.MaxConns {
		c.c.Close()
		return
	}
	d.idle = append(d.idle, c)
}

func temp(reply string, err error) *Error { return &Error{Temporary: true, Reply: reply, Err: err} }

// dial connects, greets and starts TLS as configured.
func (d *Deliverer) dial(ctx context.Context) (*conn, bool, error) {
	dl := net.Dialer{Timeout: d.cfg.Timeout}
	open := func() (net.Conn, error) {
		nc, err := dl.DialContext(ctx, "tcp", d.cfg.NextHop)
		if err != nil {
			return nil, temp("connect "+d.cfg.NextHop+": "+err.Error(), err)
		}
		nc.SetDeadline(d.now().Add(d.cfg.Timeout))
		return nc, nil
	}
	name := d.cfg.HeloName
	if name == "" {
		name, _ = os.Hostname()
	}
	plain := func() (*conn, bool, error) {
		nc, err := open()
		if err != nil {
			return nil, false, err
		}
		c := d.client(nc)
		if err := c.Hello(name); err != nil {
			c.Close()
			return nil, false, classify("EHLO", err)
		}
		return &conn{c: c, nc: nc}, false, nil
	}
	mode := d.cfg.StartTLS
	if mode == config.StartTLSNone {
		return plain()
	}
	d.mu.Lock()
	skip := mode == config.StartTLSOpportunistic && d.now().Before(d.noTLSUntil)
	d.mu.Unlock()
	if skip {
		return plain()
	}
	nc, err := open()
	if err != nil {
		return nil, false, err
	}
	c := d.client(nc)
	if err := c.Hello(name); err != nil {
		c.Close()
		return nil, false, classify("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		if mode == config.StartTLSRequired {
			c.Close()
			return nil, false, temp("next hop "+d.cfg.NextHop+" does not offer STARTTLS (deliver.starttls: required)", nil)
		}
		d.mu.Lock()
		d.noTLSUntil = d.now().Add(10 * time.Minute)
		d.mu.Unlock()
		return &conn{c: c, nc: nc}, false, nil
	}
	c.Close()
	// go-smtp starts TLS only from a fresh client; the probe told us it
	// is offered, so dial again and let it.
	nc, err = open()
	if err != nil {
		return nil, false, err
	}
	c, err = smtp.NewClientStartTLS(nc, d.tls)
	if err != nil {
		return nil, false, temp("STARTTLS with "+d.cfg.NextHop+": "+err.Error(), err)
	}
	c.CommandTimeout, c.SubmissionTimeout = d.cfg.Timeout, d.cfg.Timeout
	// STARTTLS forgets the first EHLO (RFC 3207 §4.2): greet again, by name.
	if err := c.Hello(name); err != nil {
		c.Close()
		return nil, false, classify("EHLO", err)
	}
	return &conn{c: c, nc: nc}, true, nil
}

func (d *Deliverer) client(nc net.Conn) *smtp.Client {
	c := smtp.NewClient(nc)
	// go-smtp sets these per command and for the final DATA reply; the
	// upload itself gets DataTimeout in send.
	c.CommandTimeout, c.SubmissionTimeout = d.cfg.Timeout, d.cfg.Timeout
	return c
}

// classify turns a go-smtp error into an *Error: 5xx permanent, anything
// else (4xx, network, timeout) temporary.
func classify(stage string, err error) *Error {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		reply := fmt.Sprintf("%d %d.%d.%d %s", se.Code, se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2], se.Message)
		if se.EnhancedCode == smtp.NoEnhancedCode || se.EnhancedCode[0] == 0 {
			reply = fmt.Sprintf("%d %s", se.Code, se.Message)
		}
		return &Error{Temporary: se.Code < 500, Reply: stage + ": " + reply, Err: err}
	}
	return temp(stage+": "+err.Error(), err)
}

// send runs one transaction on c.
func (d *Deliverer) send(ctx context.Context, c *conn, env Envelope, msg []byte) (*Result, error) {
	// A cancelled ctx (shutdown, lost lease) unblocks a stuck transfer.
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := c.c.Mail(env.From, nil); err != nil {
		return nil, classify("MAIL FROM", err)
	}
	res := &Result{}
	accepted := 0
	var tempErr *Error
	for _, rc := range env.To {
		if err := c.c.Rcpt(rc, nil); err != nil {
			e := classify("RCPT TO <"+rc+">", err)
			if !isNetErr(err) && !e.Temporary {
				if res.Refused == nil {
					res.Refused = map[string]string{}
				}
				res.Refused[rc] = e.Reply
				continue
			}
			if isNetErr(err) {
				return nil, e
			}
			// One recipient deferred: defer the whole message rather
			// than split it (the retry sends to all, none twice).
			tempErr = e
			break
		}
		accepted++
	}
	if tempErr != nil || accepted == 0 {
		if err := c.c.Reset(); err != nil {
			return nil, classify("RSET", err)
		}
		if tempErr != nil {
			return nil, tempErr
		}
		var replies []string
		for _, r := range res.Refused {
			replies = append(replies, r)
		}
		return nil, &Error{Temporary: false, Reply: strings.Join(replies, "; ")}
	}
	if err := ctx.Err(); err != nil {
		// Lost lease or shutdown: do not start a transfer now.
		c.c.Reset()
		return nil, temp("cancelled before DATA: "+err.Error(), err)
	}
	w, err := c.c.Data()
	if err != nil {
		return nil, classify("DATA", err)
	}
	// One deadline for the whole upload and the final reply: go-smtp's
	// client sets no write deadline of its own.
	c.nc.SetDeadline(d.now().Add(d.cfg.DataTimeout))
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return nil, classify("DATA", err)
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		return nil, classify("end of DATA", err)
	}
	res.Reply = "250 " + resp.StatusText
	return res, nil
}
