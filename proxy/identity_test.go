package proxy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
)

// The tests' SMTP client connects from 127.0.0.2, the proxy from
// 127.0.0.1, so the upstream can only name 127.0.0.2 if the proxy told it.
const clientAddr = "127.0.0.2"

func (r *rig) swaksFrom(msg []byte, extra ...string) (string, error) {
	return r.swaks(msg, append([]string{"--local-interface", clientAddr, "--ehlo", "client.test"}, extra...)...)
}

// TestReceivedLineNamesClient: an upstream without XCLIENT or XFORWARD (a
// go-smtp server, as Exchange is for this purpose) learns the client from
// the proxy's Received line, on mail passed at once and on mail held and
// released; a HELO cannot shape that line.
func TestReceivedLineNamesClient(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	r := start(t, &c, gatetest.Options{}, nil, nil)
	const want = "Received: from client.test (unknown [" + clientAddr + "]) by proxy.test (Airlock) with ESMTP;"
	for _, tc := range []struct {
		subject string
		parts   []gatetest.Part
	}{
		{"p received now", nil},
		{"p received held", []gatetest.Part{{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}}},
	} {
		if out, err := r.swaksFrom(gatetest.Mail(from, to, tc.subject, tc.parts...)); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		m := r.waitSubject(tc.subject, 20*time.Second)
		if h := headerLine(m.Data, "Received"); !strings.HasPrefix(h, want) {
			t.Errorf("%s: Received line %q, want %q…", tc.subject, h, want)
		}
	}

	cl := dialRaw(t, r.addr)
	cl.cmd("EHLO x([6.6.6.6])", 250)
	cl.cmd("MAIL FROM:<"+from+">", 250)
	cl.cmd("RCPT TO:<"+to+">", 250)
	cl.cmd("DATA", 354)
	cl.c.W.WriteString("Subject: p helo\r\n\r\nhi\r\n.\r\n")
	cl.c.W.Flush()
	cl.expect(250)
	m := r.waitSubject("p helo", 10*time.Second)
	if h := headerLine(m.Data, "Received"); strings.Contains(h, "6.6.6.6]") || !strings.Contains(h, "(localhost [127.0.0.1])") {
		t.Errorf("a HELO shaped the Received line: %q", h)
	}
}

// startPostfixUpstream runs a private Postfix as the proxy's upstream,
// relaying to the rig's sink.
func startPostfixUpstream(t *testing.T, extra ...string) (*rig, *testpostfix.Postfix) {
	t.Helper()
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("postfix: %s", why)
	}
	sink := smtpsink.Start(t, smtpsink.Options{})
	pf := testpostfix.Start(t, testpostfix.Options{NextHop: sink.Addr(), Extra: extra})
	r := startWith(t, sink, nil, gatetest.Options{}, func(p *config.Proxy) {
		p.Upstream = pf.SMTPAddr
		p.UpstreamTimeout = 20 * time.Second
	}, nil)
	return r, pf
}

// TestXCLIENTToPostfix: Postfix offers XCLIENT to the proxy
// (smtpd_authorized_xclient_hosts), so its session, its checks and its
// Received line are the client's, not the proxy's.
func TestXCLIENTToPostfix(t *testing.T) {
	r, pf := startPostfixUpstream(t)
	if out, err := r.swaksFrom(gatetest.Mail(from, to, "p xclient")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := r.waitSubject("p xclient", 30*time.Second)
	hs := gatetest.HeaderOf(m.Data)
	// Postfix's line is on top, the proxy's below it.
	if len(hs) < 2 || !strings.HasPrefix(hs[0], "Received: from client.test (unknown ["+clientAddr+"]) by airlock-test.localdomain (Postfix)") {
		t.Errorf("Postfix's Received line does not name the client:\n%s", strings.Join(hs, "\n"))
	}
	if log := pf.Log(); !strings.Contains(log, "client=unknown["+clientAddr+"]") {
		t.Errorf("Postfix did not log the client:\n%s", log)
	}
}

// TestXFORWARDToPostfix: a Postfix that allows XFORWARD but not XCLIENT
// logs the client as the original one; the Received line carries it too.
func TestXFORWARDToPostfix(t *testing.T) {
	r, pf := startPostfixUpstream(t, "smtpd_authorized_xclient_hosts =", "smtpd_authorized_xforward_hosts = 127.0.0.0/8")
	if out, err := r.swaksFrom(gatetest.Mail(from, to, "p xforward")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := r.waitSubject("p xforward", 30*time.Second)
	if log := pf.Log(); !strings.Contains(log, "orig_client=unknown["+clientAddr+"]") {
		t.Errorf("Postfix did not log the forwarded client:\n%s", log)
	}
	found := false
	for _, h := range gatetest.HeaderOf(m.Data) {
		found = found || strings.HasPrefix(h, "Received: from client.test (unknown ["+clientAddr+"]) by proxy.test (Airlock)")
	}
	if !found {
		t.Errorf("no Received line naming the client:\n%s", m.Data)
	}
}

// TestUpstreamSTARTTLS: the handshake step negotiates STARTTLS before it
// hands the session to go-smtp: required and offered is TLS, opportunistic
// and not offered is plain text on the same connection, required and not
// offered is a 451.
func TestUpstreamSTARTTLS(t *testing.T) {
	tlsSink := smtpsink.Start(t, smtpsink.Options{TLS: selfSigned(t)})
	plainSink := smtpsink.Start(t, smtpsink.Options{})
	for _, tc := range []struct {
		name    string
		sink    *smtpsink.Sink
		mode    string
		wantTLS bool
		fail    bool
	}{
		{"required, offered", tlsSink, config.StartTLSRequired, true, false},
		{"opportunistic, offered", tlsSink, config.StartTLSOpportunistic, true, false},
		{"opportunistic, not offered", plainSink, config.StartTLSOpportunistic, false, false},
		{"required, not offered", plainSink, config.StartTLSRequired, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := startWith(t, tc.sink, nil, gatetest.Options{}, func(p *config.Proxy) {
				p.UpstreamStartTLS = tc.mode
				p.UpstreamTLSInsecure = true
			}, nil)
			subject := "p tls " + tc.name
			out, err := r.swaksFrom(gatetest.Mail(from, to, subject))
			if tc.fail {
				if err == nil || !strings.Contains(out, "451 4.4.1") {
					t.Fatalf("want 451 4.4.1, got %v\n%s", err, out)
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if m := r.waitSubject(subject, 10*time.Second); m.TLS != tc.wantTLS {
				t.Errorf("upstream session TLS %v, want %v", m.TLS, tc.wantTLS)
			}
		})
	}
}
