package proxy

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/config"
)

// upstream is one SMTP session with the upstream MTA, opened during the
// envelope so that its recipient checks reach the sender.
type upstream struct {
	c    *smtp.Client
	conn net.Conn
	cfg  config.Proxy
}

// dialUpstream connects, greets, negotiates STARTTLS as configured and
// passes the client's identity on (handshake). A failure is a 451: the
// sender tries again later.
func dialUpstream(cfg config.Proxy, helo string, id *identity) (*upstream, string, error) {
	conn, err := net.DialTimeout("tcp", cfg.Upstream, cfg.UpstreamTimeout)
	if err != nil {
		return nil, "", upstreamDown(err)
	}
	conn.SetDeadline(time.Now().Add(cfg.UpstreamTimeout))
	var tc *tls.Config
	if cfg.UpstreamStartTLS != config.StartTLSNone {
		host, _, _ := net.SplitHostPort(cfg.Upstream)
		tc = &tls.Config{ServerName: host, InsecureSkipVerify: cfg.UpstreamTLSInsecure, MinVersion: tls.VersionTLS12}
	}
	pc, mode, err := handshake(conn, helo, tc, cfg.UpstreamStartTLS == config.StartTLSRequired, id)
	if err != nil {
		conn.Close()
		return nil, "", upstreamDown(err)
	}
	c := smtp.NewClient(pc)
	c.CommandTimeout = cfg.UpstreamTimeout
	c.SubmissionTimeout = cfg.UpstreamTimeout
	if err := c.Hello(helo); err != nil {
		c.Close()
		return nil, "", upstreamDown(err)
	}
	pc.SetDeadline(time.Time{})
	return &upstream{c: c, conn: pc, cfg: cfg}, mode, nil
}

var errNoStartTLS = errors.New("upstream does not offer STARTTLS")

// upstreamErr is a 451 that still wraps its cause (errors.Is works).
type upstreamErr struct {
	*smtp.SMTPError
	cause error
}

func (e *upstreamErr) Unwrap() error { return e.cause }

func upstreamDown(err error) error {
	return &upstreamErr{cause: err, SMTPError: &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 1},
		Message: "upstream not reachable, try again later (" + oneLine(err.Error()) + ")"}}
}

// relayErr turns an upstream failure into the reply the sender gets: the
// upstream's own reply when it gave one (normalised to one line), else a
// temporary failure.
func relayErr(err error) error {
	if err == nil {
		return nil
	}
	// go-smtp's server checks the reply type with a type assertion, so
	// the sender must get a bare *smtp.SMTPError.
	var ue *upstreamErr
	if errors.As(err, &ue) {
		return ue.SMTPError
	}
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		return &smtp.SMTPError{Code: se.Code, EnhancedCode: se.EnhancedCode, Message: oneLine(se.Message)}
	}
	return upstreamDown(err)
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 400 {
		s = s[:400]
	}
	return s
}

func (u *upstream) deadline() { u.conn.SetDeadline(time.Now().Add(u.cfg.UpstreamTimeout)) }

func (u *upstream) close() {
	u.deadline()
	if err := u.c.Quit(); err != nil {
		u.c.Close()
	}
}
