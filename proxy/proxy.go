// Package proxy is Airlock's SMTP front end for Exchange (or any upstream
// MTA): an SMTP server (github.com/emersion/go-smtp) that opens a session
// with the upstream during the envelope and relays each MAIL and RCPT
// reply, so the upstream's own checks (unknown recipient, quota) reach the
// sender. At the end of DATA it asks the gate:
//
//   - deliver now: the message (with Airlock's header fields) goes upstream
//     and the upstream's reply goes back to the sender;
//   - hold / quarantine: the gate has stored the message durably; the
//     upstream transaction is reset and the sender gets 250 with the queue
//     id (release sends it upstream later);
//   - reject: the sender gets the gate's 5xx;
//   - upstream down, store not writable, anything unexpected: 451.
//
// It refuses SMTP smuggling (a bare CR or LF anywhere in DATA, so no
// end-of-data variant can end a message early on another MTA; see
// smuggling.go), removes the header fields only Airlock may write (the
// gate does, after checking a release header), passes the client's
// identity on (XCLIENT or XFORWARD when the upstream offers them, and its
// own Received line in any case; identity.go, handshake.go), and bounds
// message size (advertised in SIZE), recipients, line length, command
// rate and time.
package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
)

// Decider is what the proxy needs of the gate.
type Decider interface {
	Decide(ctx context.Context, m *gate.Message) (*gate.Decision, error)
}

// Stats count what the proxy did.
type Stats struct {
	Delivered, Held, Rejected, TempFailed, Smuggling, Panics atomic.Int64
}

// Server is the proxy.
type Server struct {
	cfg   config.Proxy
	gate  Decider
	log   *slog.Logger
	srv   *smtp.Server
	ctx   context.Context
	stop  context.CancelFunc
	Stats Stats
}

// New builds the proxy. tlsConf (nil: no STARTTLS) is the certificate to
// offer.
func New(cfg config.Proxy, g Decider, tlsConf *tls.Config, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := config.DefaultProxy()
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = d.MaxMessageBytes
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = d.MaxRecipients
	}
	if cfg.MaxLineLength <= 0 {
		cfg.MaxLineLength = d.MaxLineLength
	}
	if cfg.CommandRate <= 0 {
		cfg.CommandRate = d.CommandRate
	}
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = d.ReadTimeout
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = d.UpstreamTimeout
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "localhost"
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, gate: g, log: log, ctx: ctx, stop: stop}
	srv := smtp.NewServer(smtp.BackendFunc(s.newSession))
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = int64(cfg.MaxMessageBytes)
	srv.MaxRecipients = cfg.MaxRecipients
	// go-smtp applies this inside DATA too, and a longer line is a 554
	// that closes the connection: set it to the configured cap.
	srv.MaxLineLength = cfg.MaxLineLength
	// ReadTimeout covers the whole DATA upload (and its expiry is a 554).
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = time.Minute
	srv.TLSConfig = tlsConf
	srv.ErrorLog = slogLogger{log}
	s.srv = srv
	return s
}

type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Printf(format string, v ...any) { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Println(v ...any)               { l.l.Warn(fmt.Sprint(v...)) }

// Serve answers SMTP clients on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(ln)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops accepting and closes every connection.
func (s *Server) Close() error {
	s.stop()
	return s.srv.Close()
}

func (s *Server) newSession(c *smtp.Conn) (smtp.Session, error) {
	x := &session{s: s, conn: c, rate: newBucket(s.cfg.CommandRate, 2*s.cfg.CommandRate)}
	if ta, ok := c.Conn().RemoteAddr().(*net.TCPAddr); ok {
		if a, ok := netip.AddrFromSlice(ta.IP); ok {
			x.client, x.port = a.Unmap(), ta.Port
		}
	}
	return x, nil
}

// session is one SMTP connection.
type session struct {
	s      *Server
	conn   *smtp.Conn
	client netip.Addr
	port   int
	rate   *bucket

	// mu serialises the commands with Logout, which Server.Close calls
	// from its own goroutine while a command (DATA) may still run.
	mu   sync.Mutex
	id   *identity
	up   *upstream
	via  string // how the upstream learnt the client (handshake.go)
	from string
	opts *smtp.MailOptions
	rcpt []string
}

// nameLookupTimeout bounds the client's reverse DNS lookup, made once per
// connection.
const nameLookupTimeout = 3 * time.Second

// identity returns the client's identity, looking its name up on first
// use; HELO and TLS are read each time (a client may STARTTLS and greet
// again).
func (x *session) identity() *identity {
	if x.id == nil {
		x.id = &identity{addr: x.client, port: x.port}
		if la, ok := x.conn.Conn().LocalAddr().(*net.TCPAddr); ok {
			x.id.dest = la.AddrPort()
		}
		ctx, cancel := context.WithTimeout(x.s.ctx, min(nameLookupTimeout, x.s.cfg.UpstreamTimeout))
		x.id.name, x.id.ptr, x.id.nameTemp = lookupName(ctx, net.DefaultResolver, x.client)
		cancel()
	}
	x.id.helo = x.conn.Hostname()
	x.id.tls = nil
	if st, ok := x.conn.TLSConnectionState(); ok {
		x.id.tls = &st
	}
	return x.id
}

var errRate = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 7, 0}, Message: "too many commands, slow down"}

func (x *session) guard(err *error) {
	if r := recover(); r != nil {
		x.s.Stats.Panics.Add(1)
		x.s.log.Error("panic in proxy session", "panic", r, "stack", string(debug.Stack()))
		*err = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "internal error, try again later"}
	}
}

func (x *session) Mail(from string, opts *smtp.MailOptions) (err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	defer x.guard(&err)
	if !x.rate.take() {
		return errRate
	}
	x.resetUpstream()
	up, via, err := dialUpstream(x.s.cfg, x.s.cfg.Hostname, x.identity())
	if err != nil {
		x.s.log.Warn("upstream down", "upstream", x.s.cfg.Upstream, "err", err)
		return relayErr(err)
	}
	up.deadline()
	if err := up.c.Mail(from, upstreamMailOpts(opts)); err != nil {
		up.close()
		return relayErr(err)
	}
	x.up, x.via, x.from, x.opts = up, via, from, opts
	return nil
}

// upstreamMailOpts passes on what the upstream must know (size, body
// type); authentication stays at the proxy.
func upstreamMailOpts(o *smtp.MailOptions) *smtp.MailOptions {
	if o == nil {
		return nil
	}
	return &smtp.MailOptions{Body: o.Body, Size: o.Size, UTF8: o.UTF8, RequireTLS: o.RequireTLS, Return: o.Return, EnvelopeID: o.EnvelopeID}
}

func (x *session) Rcpt(to string, opts *smtp.RcptOptions) (err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	defer x.guard(&err)
	// Not rate-counted: max_recipients bounds RCPT per message.
	if x.up == nil {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL first"}
	}
	x.up.deadline()
	if err := x.up.c.Rcpt(to, nil); err != nil {
		// The upstream's answer for this recipient is the sender's.
		return relayErr(err)
	}
	x.rcpt = append(x.rcpt, to)
	return nil
}

func (x *session) Data(r io.Reader) (err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	defer x.guard(&err)
	if !x.rate.take() {
		io.Copy(io.Discard, r)
		return errRate
	}
	data, err := io.ReadAll(r)
	if err != nil {
		// go-smtp's own limits (size, line length) come back as
		// *SMTPError; anything else is the connection.
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 6},
				Message: fmt.Sprintf("line longer than %d bytes", x.s.cfg.MaxLineLength)}
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "error reading message"}
	}
	if i, what := bareLineEnd(data); i >= 0 {
		x.s.Stats.Smuggling.Add(1)
		x.s.log.Warn("bare "+what+" in DATA refused (SMTP smuggling)", "client", x.client, "offset", i)
		x.resetUpstream()
		return smugglingReply(what)
	}
	if x.up == nil || len(x.rcpt) == 0 {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "RCPT first"}
	}
	// The Received line goes first, in what is held too: a released
	// message still names its client.
	id := x.identity()
	msg := &gate.Message{
		Envelope: policy.Envelope{ClientAddr: x.client, Helo: id.helo, MailFrom: x.from, RcptTo: append([]string(nil), x.rcpt...)},
		Data:     data,
		Trace:    []byte(id.received(x.s.cfg.Hostname, time.Now())),
		Mode:     holdqueue.ModeProxy,
	}
	ctx, cancel := context.WithTimeout(x.s.ctx, x.s.cfg.UpstreamTimeout+time.Minute)
	defer cancel()
	d, derr := x.s.gate.Decide(ctx, msg)
	if derr != nil {
		x.s.Stats.TempFailed.Add(1)
		x.resetUpstream()
		x.s.log.Warn("tempfail", "err", derr)
		var ge *gate.Error
		if errors.As(derr, &ge) {
			return toSMTP(ge)
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	switch d.Action {
	case gate.Deliver:
		// msg.Data, not data: the gate has taken out the fields only
		// Airlock may write.
		return x.sendUpstream(d, msg.Trace, msg.Data)
	case gate.Hold, gate.Quarantine:
		x.s.Stats.Held.Add(1)
		x.resetUpstream()
		x.s.log.Info("held", "queue_id", d.QueueID, "action", d.Action, "reason", d.Reason)
		return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "queued as " + d.QueueID}
	case gate.Reject:
		x.s.Stats.Rejected.Add(1)
		x.resetUpstream()
		x.s.log.Info("reject", "reason", d.Reason)
		return toSMTP(d.Reply)
	}
	x.resetUpstream()
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
}

// sendUpstream sends the message with the gate's header fields and
// returns the upstream's reply to the sender.
func (x *session) sendUpstream(d *gate.Decision, trace, data []byte) error {
	up := x.up
	up.deadline()
	w, err := up.c.Data()
	if err != nil {
		x.resetUpstream()
		return relayErr(err)
	}
	var hdr bytes.Buffer
	for _, h := range d.Headers {
		fmt.Fprintf(&hdr, "%s: %s\r\n", h.Name, h.Value)
	}
	hdr.Write(trace)
	up.conn.SetDeadline(time.Now().Add(x.s.cfg.ReadTimeout))
	// Fields the gate found forged (Authentication-Results claiming this
	// site's verifiers) do not travel on.
	data = gate.RemoveFields(data, d.Remove)
	if _, err := w.Write(hdr.Bytes()); err == nil {
		_, err = w.Write(data)
	}
	if err != nil {
		x.resetUpstream()
		return relayErr(err)
	}
	resp, err := w.CloseWithResponse()
	x.rcpt = nil
	if err != nil {
		x.resetUpstream()
		x.s.Stats.TempFailed.Add(1)
		return relayErr(err)
	}
	x.s.Stats.Delivered.Add(1)
	x.s.log.Info("delivered upstream", "reply", resp.StatusText, "client_identity_via", x.via)
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: stripEnhanced(oneLine(resp.StatusText))}
}

func toSMTP(e *gate.Error) *smtp.SMTPError {
	return &smtp.SMTPError{Code: e.Code, EnhancedCode: smtp.EnhancedCode(e.Enhanced), Message: e.Message}
}

func (x *session) resetUpstream() {
	if x.up != nil {
		x.up.close()
		x.up = nil
	}
	x.from, x.opts, x.rcpt = "", nil, nil
}

func (x *session) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	// Not rate-counted: go-smtp also calls Reset after every DATA.
	x.resetUpstream()
}

func (x *session) Logout() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.resetUpstream()
	return nil
}

// stripEnhanced drops a leading enhanced status code ("2.0.0 ") from a
// reply text: the proxy writes its own.
func stripEnhanced(s string) string {
	code, rest, ok := strings.Cut(s, " ")
	if ok && len(code) >= 5 && strings.Count(code, ".") == 2 && strings.Trim(code, "0123456789.") == "" {
		return rest
	}
	return s
}

// bucket is a token bucket: rate tokens a second, up to burst.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64) *bucket {
	return &bucket{rate: rate, burst: burst, tokens: burst, last: time.Now()}
}

func (b *bucket) take() bool {
	now := time.Now()
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
