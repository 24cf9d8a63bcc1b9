package proxy

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
)

// Identity modes: how the client's identity reached the upstream.
const (
	viaXCLIENT  = "xclient"
	viaXFORWARD = "xforward"
	viaReceived = "received" // only in the proxy's Received line
)

// handshake opens the SMTP session with the upstream up to the point where
// go-smtp's client takes over: greeting, EHLO, STARTTLS (tc set), then the
// client's identity by XCLIENT (Postfix's smtpd_authorized_xclient_hosts:
// the upstream then treats the session as the client's own) or else
// XFORWARD (smtpd_authorized_xforward_hosts: the upstream logs the
// client), whichever the upstream's EHLO offers. go-smtp has neither
// command and cannot send a raw one, so this step is done here and the
// connection handed over primed (see primedConn).
//
// It returns the connection for go-smtp and the mode used. A refused
// XCLIENT or XFORWARD is not an error: the Received line still carries the
// identity.
func handshake(conn net.Conn, helo string, tc *tls.Config, required bool, id *identity) (net.Conn, string, error) {
	t := textproto.NewConn(conn)
	_, greeting, err := t.ReadResponse(220)
	if err != nil {
		return nil, "", fmt.Errorf("greeting: %w", err)
	}
	ext, ehloReply, err := ehlo(t, helo)
	if err != nil {
		var pe *textproto.Error
		if errors.As(err, &pe) && (pe.Code == 500 || pe.Code == 502) && tc == nil {
			// No ESMTP: let go-smtp fall back to HELO itself.
			return &primedConn{Conn: conn, replay: reply(220, greeting)}, viaReceived, nil
		}
		return nil, "", fmt.Errorf("EHLO: %w", err)
	}
	if tc != nil {
		if _, ok := ext["STARTTLS"]; ok {
			if _, _, err := cmd(t, 220, "STARTTLS"); err != nil {
				return nil, "", fmt.Errorf("STARTTLS: %w", err)
			}
			tlsConn := tls.Client(conn, tc)
			if err := tlsConn.Handshake(); err != nil {
				return nil, "", fmt.Errorf("STARTTLS: %w", err)
			}
			conn = tlsConn
			t = textproto.NewConn(conn)
			// RFC 3207 §4.2: the session starts over; greet again.
			if ext, ehloReply, err = ehlo(t, helo); err != nil {
				return nil, "", fmt.Errorf("EHLO after STARTTLS: %w", err)
			}
		} else if required {
			return nil, "", errNoStartTLS
		}
	}
	mode := viaReceived
	if offered, ok := ext["XCLIENT"]; ok && id != nil {
		if a := id.attrs(offered, true); len(a) > 0 {
			// Success is a new greeting (220): the session starts over
			// as the client's, so greet again.
			if _, g, err := cmd(t, 220, "XCLIENT %s", strings.Join(a, " ")); err == nil {
				greeting = g
				// Greet with the client's HELO name, as the client did
				// (XCLIENT_README): a later EHLO replaces the HELO
				// attribute. The proxy's own name if the upstream
				// refuses that one.
				name := id.helo
				if name == "" {
					name = helo
				}
				ext, ehloReply, err = ehlo(t, name)
				if err != nil && isReply(err) && name != helo {
					ext, ehloReply, err = ehlo(t, helo)
				}
				if err != nil {
					return nil, "", fmt.Errorf("EHLO after XCLIENT: %w", err)
				}
				mode = viaXCLIENT
			} else if !isReply(err) {
				return nil, "", fmt.Errorf("XCLIENT: %w", err)
			}
		}
	}
	if offered, ok := ext["XFORWARD"]; ok && id != nil && mode == viaReceived {
		if a := id.attrs(offered, false); len(a) > 0 {
			// Sent after the last EHLO: Postfix forgets XFORWARD at EHLO
			// and after each transaction (smtpd.c mail_reset), and the
			// proxy opens a session per transaction.
			ok := true
			for _, line := range joinAttrs(a, 500) {
				if _, _, err := cmd(t, 250, "XFORWARD %s", line); err != nil {
					if !isReply(err) {
						return nil, "", fmt.Errorf("XFORWARD: %w", err)
					}
					ok = false
					break
				}
			}
			if ok {
				mode = viaXFORWARD
			}
		}
	}
	replay := append(reply(220, greeting), ehloReply...)
	// Whatever the upstream sent beyond (nothing, in lock step) follows.
	if n := t.R.Buffered(); n > 0 {
		b, _ := t.R.Peek(n)
		replay = append(replay, b...)
	}
	return &primedConn{Conn: conn, replay: replay, swallowEHLO: true}, mode, nil
}

// isReply reports whether err is the server's refusal (the session goes
// on), not a broken connection.
func isReply(err error) bool {
	var pe *textproto.Error
	return errors.As(err, &pe)
}

func cmd(t *textproto.Conn, code int, format string, args ...any) (int, string, error) {
	id, err := t.Cmd(format, args...)
	if err != nil {
		return 0, "", err
	}
	t.StartResponse(id)
	defer t.EndResponse(id)
	return t.ReadResponse(code)
}

// ehlo greets and returns the extensions (keyword → parameters) and the
// reply as it came, to replay to go-smtp.
func ehlo(t *textproto.Conn, helo string) (map[string]string, []byte, error) {
	_, msg, err := cmd(t, 250, "EHLO %s", helo)
	if err != nil {
		return nil, nil, err
	}
	ext := map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		ext[strings.ToUpper(k)] = v
	}
	return ext, reply(250, msg), nil
}

// reply renders a reply as textproto.ReadResponse gave it (lines joined
// by "\n") back into its wire form.
func reply(code int, msg string) []byte {
	var b bytes.Buffer
	lines := strings.Split(msg, "\n")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		fmt.Fprintf(&b, "%d%s%s\r\n", code, sep, l)
	}
	return b.Bytes()
}

// joinAttrs packs attributes into lines of at most max bytes (Postfix
// accepts several XFORWARD commands and adds them up).
func joinAttrs(a []string, max int) []string {
	var out []string
	cur := ""
	for _, s := range a {
		if cur != "" && len(cur)+1+len(s) > max {
			out = append(out, cur)
			cur = ""
		}
		if cur != "" {
			cur += " "
		}
		cur += s
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// primedConn hands go-smtp's client a session that handshake already
// opened: its reads get the greeting and EHLO reply that handshake
// received, and the EHLO it writes is not sent again (a second EHLO would
// make the upstream forget XFORWARD). Everything after goes through.
type primedConn struct {
	net.Conn
	replay      []byte
	swallowEHLO bool
	pending     []byte
}

func (c *primedConn) Read(p []byte) (int, error) {
	if len(c.replay) > 0 {
		n := copy(p, c.replay)
		c.replay = c.replay[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *primedConn) Write(p []byte) (int, error) {
	if !c.swallowEHLO {
		return c.Conn.Write(p)
	}
	c.pending = append(c.pending, p...)
	i := bytes.Index(c.pending, []byte("\r\n"))
	if i < 0 {
		return len(p), nil
	}
	line, rest := c.pending[:i], c.pending[i+2:]
	c.swallowEHLO, c.pending = false, nil
	if !bytes.HasPrefix(bytes.ToUpper(line), []byte("EHLO ")) {
		return 0, fmt.Errorf("proxy: upstream client sent %q where EHLO was expected", line)
	}
	if len(rest) > 0 {
		if _, err := c.Conn.Write(rest); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}
