// Package smtpsink is a real SMTP server for tests: go-smtp on a free
// 127.0.0.1 port that records every accepted message (envelope and exact
// bytes) and can be told to refuse: a 4xx/5xx for given recipients, or for
// the next N messages at the end of DATA.
//
//	sink := smtpsink.Start(t, smtpsink.Options{})
//	sink.RejectRcpt("nobody@example.com", 550, "no such user")
//	sink.FailNext(2, 451, "try later")
//	... deliver to sink.Addr() ...
//	msgs := sink.Wait(ctx, 3)
package smtpsink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Options shape the server.
type Options struct {
	// TLS, when set, offers STARTTLS with this config.
	TLS *tls.Config
	// Domain is the server's name in its greeting. Default sink.test.
	Domain string
	// Addr to listen on. Default 127.0.0.1:0 (a free port); a fixed one
	// for a test that follows documented commands.
	Addr string
	// RecordWire keeps every byte the clients sent, as sent (before
	// go-smtp's parsing; plain-text sessions only), for Wire.
	RecordWire bool
}

// Message is one accepted message.
type Message struct {
	From string
	To   []string
	Data []byte
	At   time.Time
	// TLS says whether the session had switched to TLS.
	TLS bool
}

type refusal struct {
	code int
	msg  string
}

// Sink is the running server.
type Sink struct {
	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	msgs     []Message
	rcpt     map[string]refusal
	next     []refusal
	all      refusal
	changed  chan struct{}
	sessions int
	wire     []*wireConn
}

// Start runs a sink for the test and stops it at cleanup.
func Start(t testing.TB, opts Options) *Sink {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("smtpsink: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// New runs a sink on opts.Addr (default 127.0.0.1:0); Close stops it.
func New(opts Options) (*Sink, error) {
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Sink{ln: ln, rcpt: map[string]refusal{}, changed: make(chan struct{})}
	srv := smtp.NewServer(&backend{s: s})
	srv.Domain = opts.Domain
	if srv.Domain == "" {
		srv.Domain = "sink.test"
	}
	srv.TLSConfig = opts.TLS
	srv.MaxLineLength = 1 << 20
	srv.MaxMessageBytes = 256 << 20
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.AllowInsecureAuth = true
	// Clients that hang up (a killed release loop) are expected here.
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv = srv
	if opts.RecordWire {
		ln = &wireListener{Listener: ln, s: s}
	}
	go srv.Serve(ln)
	return s, nil
}

// Wire returns what each connection's client sent so far, as it crossed
// the wire (Options.RecordWire), one entry per connection.
func (s *Sink) Wire() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.wire))
	for i, w := range s.wire {
		w.mu.Lock()
		out[i] = append([]byte(nil), w.buf...)
		w.mu.Unlock()
	}
	return out
}

type wireListener struct {
	net.Listener
	s *Sink
}

func (l *wireListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	w := &wireConn{Conn: c}
	l.s.mu.Lock()
	l.s.wire = append(l.s.wire, w)
	l.s.mu.Unlock()
	return w, nil
}

// wireConn records what is read from the client.
type wireConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.buf = append(c.buf, p[:n]...)
	c.mu.Unlock()
	return n, err
}

// Addr is host:port of the sink.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Close stops the server.
func (s *Sink) Close() error { return s.srv.Close() }

// RejectRcpt makes RCPT TO for addr (case-insensitive) answer code (4xx or
// 5xx) with msg, until Reset.
func (s *Sink) RejectRcpt(addr string, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpt[strings.ToLower(addr)] = refusal{code, msg}
}

// FailNext makes the next n messages fail at the end of DATA with code.
func (s *Sink) FailNext(n, code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.next = append(s.next, refusal{code, msg})
	}
}

// RefuseAll makes every message fail at the end of DATA with code (a
// next hop that is down for a while) until RefuseAll(0, "").
func (s *Sink) RefuseAll(code int, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = refusal{code, msg}
}

// Reset forgets refusals and recorded messages.
func (s *Sink) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcpt = map[string]refusal{}
	s.next = nil
	s.msgs = nil
}

// Messages returns a copy of what was accepted so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Count is how many messages were accepted.
func (s *Sink) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// Sessions is how many SMTP sessions (EHLOs) the sink has seen; a client
// that reuses connections keeps it low.
func (s *Sink) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

// Wait returns once at least n messages were accepted, or ctx ends.
func (s *Sink) Wait(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.msgs) >= n {
			out := append([]Message(nil), s.msgs...)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return s.Messages(), fmt.Errorf("smtpsink: %d of %d messages: %w", s.Count(), n, ctx.Err())
		}
	}
}

type backend struct{ s *Sink }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	b.s.mu.Lock()
	b.s.sessions++
	b.s.mu.Unlock()
	return &session{s: b.s, c: c}, nil
}

type session struct {
	s    *Sink
	c    *smtp.Conn
	from string
	to   []string
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	x.from, x.to = from, nil
	return nil
}

func smtpErr(r refusal) *smtp.SMTPError {
	enh := smtp.EnhancedCode{4, 0, 0}
	if r.code >= 500 {
		enh = smtp.EnhancedCode{5, 0, 0}
	}
	return &smtp.SMTPError{Code: r.code, EnhancedCode: enh, Message: r.msg}
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	r, ok := x.s.rcpt[strings.ToLower(to)]
	x.s.mu.Unlock()
	if ok {
		return smtpErr(r)
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(x.to) == 0 {
		return errors.New("no recipients")
	}
	s := x.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all.code != 0 {
		return smtpErr(s.all)
	}
	if len(s.next) > 0 {
		f := s.next[0]
		s.next = s.next[1:]
		return smtpErr(f)
	}
	_, isTLS := x.c.TLSConnectionState()
	s.msgs = append(s.msgs, Message{From: x.from, To: append([]string(nil), x.to...), Data: b, At: time.Now(), TLS: isTLS})
	close(s.changed)
	s.changed = make(chan struct{})
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
