package proxy_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/textproto"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/proxy"
)

const from, to = "alice@example.net", "bob@example.org"

type rig struct {
	t    *testing.T
	sink *smtpsink.Sink
	env  *gatetest.Env
	srv  *proxy.Server
	addr string
}

// start runs a back end (release loop delivering to the sink) and a proxy
// whose upstream is the sink.
func start(t *testing.T, c *config.Config, o gatetest.Options, pc func(*config.Proxy), tlsConf *tls.Config) *rig {
	t.Helper()
	return startWith(t, smtpsink.Start(t, smtpsink.Options{RecordWire: true}), c, o, pc, tlsConf)
}

// startWith is start with a sink of the test's own (the next hop of a
// Postfix upstream, say).
func startWith(t *testing.T, sink *smtpsink.Sink, c *config.Config, o gatetest.Options, pc func(*config.Proxy), tlsConf *tls.Config) *rig {
	t.Helper()
	r := &rig{t: t, sink: sink}
	if c == nil {
		cc := gatetest.TestConfig()
		c = &cc
	}
	o.Config = c
	o.NextHop = r.sink.Addr()
	r.env = gatetest.Start(t, o)
	cfg := config.DefaultProxy()
	cfg.Upstream = r.sink.Addr()
	cfg.UpstreamStartTLS = config.StartTLSNone
	cfg.Hostname = "proxy.test"
	if pc != nil {
		pc(&cfg)
	}
	r.srv = proxy.New(cfg, r.env.Gate, tlsConf, gatetest.Logger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	go r.srv.Serve(ln)
	t.Cleanup(func() {
		r.srv.Close()
		if p := r.srv.Stats.Panics.Load(); p != 0 {
			t.Errorf("%d panics in the proxy", p)
		}
	})
	return r
}

func (r *rig) swaks(msg []byte, extra ...string) (string, error) {
	args := append([]string{"--server", r.addr, "--from", from, "--to", to, "--data", "-", "--timeout", "60"}, extra...)
	cmd := exec.Command("swaks", args...)
	cmd.Stdin = bytes.NewReader(bytes.TrimSuffix(msg, []byte("\r\n")))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *rig) waitSubject(subject string, timeout time.Duration) smtpsink.Message {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, m := range r.sink.Messages() {
			if bytes.Contains(m.Data, []byte("Subject: "+subject+"\r\n")) {
				return m
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	r.t.Fatalf("upstream never received %q", subject)
	return smtpsink.Message{}
}

func headerLine(data []byte, field string) string {
	for _, h := range gatetest.HeaderOf(data) {
		if strings.HasPrefix(strings.ToLower(h), strings.ToLower(field)+":") {
			return h
		}
	}
	return ""
}

func TestDeliverNowRelaysUpstreamReply(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, nil, nil)
	for _, s := range []struct {
		subject string
		msg     []byte
	}{
		{"p plain", gatetest.Mail(from, to, "p plain")},
		{"p images", gatetest.Mail(from, to, "p images", gatetest.Part{Name: "a.png", Type: "image/png", Data: gatetest.PNG})},
	} {
		out, err := r.swaks(s.msg)
		if err != nil || !strings.Contains(out, "250 2.0.0 OK: queued") {
			t.Fatalf("%s: want the upstream's 250, got %v:\n%s", s.subject, err, out)
		}
		m := r.waitSubject(s.subject, 10*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
			t.Errorf("verdict header %q", h)
		}
	}
}

func TestHeldDocumentReleasedUpstream(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	r := start(t, &c, gatetest.Options{}, nil, nil)
	sent := gatetest.Mail(from, to, "p document", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()})
	out, err := r.swaks(sent)
	if err != nil || !strings.Contains(out, "250 2.0.0 queued as ") {
		t.Fatalf("want 250 queued as ID, got %v:\n%s", err, out)
	}
	m := r.waitSubject("p document", 20*time.Second)
	if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(sent)) {
		t.Errorf("body changed")
	}
	got := strings.Join(gatetest.HeaderOf(m.Data), "\n")
	for _, h := range gatetest.HeaderOf(sent) {
		if !strings.Contains(got, h) {
			t.Errorf("header %q missing", h)
		}
	}
}

func TestEICARRejected(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, nil, nil)
	out, err := r.swaks(gatetest.NestedEICAR(from, to))
	if err == nil || !strings.Contains(out, "550 5.7.1") {
		t.Fatalf("want 550, got %v:\n%s", err, out)
	}
	if r.sink.Count() != 0 {
		t.Error("upstream got the message")
	}
}

func TestEICARQuarantined(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Actions.Malicious = config.ActionQuarantine
	r := start(t, &c, gatetest.Options{}, nil, nil)
	out, err := r.swaks(gatetest.NestedEICAR(from, to))
	if err != nil || !strings.Contains(out, "queued as") {
		t.Fatalf("want 250 queued, got %v:\n%s", err, out)
	}
	counts, _ := r.env.Store.Counts(t.Context())
	if counts.ByState[holdqueue.Quarantined] != 1 || r.sink.Count() != 0 {
		t.Errorf("counts %+v, upstream got %d", counts.ByState, r.sink.Count())
	}
}

func TestInternalUnscanned(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.InternalNetworks = []string{"127.0.0.0/8"}
	r := start(t, &c, gatetest.Options{}, nil, nil)
	msg := bytes.Replace(gatetest.NestedEICAR(from, to), []byte("Subject: Fwd: the files"), []byte("Subject: p internal"), 1)
	if out, err := r.swaks(msg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := r.waitSubject("p internal", 10*time.Second)
	if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "not scanned") {
		t.Errorf("verdict header %q", h)
	}
}

func TestSandboxDownTimeout(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.Timeout = 2 * time.Second
	c.Policy.Hold.InlineWait = 300 * time.Millisecond
	r := start(t, &c, gatetest.Options{NoSandbox: true}, nil, nil)
	out, err := r.swaks(gatetest.Mail(from, to, "p timeout", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	if err != nil || !strings.Contains(out, "queued as") {
		t.Fatalf("%v\n%s", err, out)
	}
	m := r.waitSubject("p timeout", 20*time.Second)
	if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "timeout") {
		t.Errorf("verdict header %q", h)
	}
}

func TestStoreUnwritable(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	r := start(t, &c, gatetest.Options{}, nil, nil)
	r.env.BreakStore()
	out, err := r.swaks(gatetest.Mail(from, to, "p broken", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	if err == nil || !strings.Contains(out, "451 4.3.0") {
		t.Fatalf("want 451, got %v:\n%s", err, out)
	}
}

func TestUpstreamRejectsRecipient(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, nil, nil)
	r.sink.RejectRcpt("nobody@example.org", 550, "no such user here")
	out, err := r.swaks(gatetest.Mail(from, "nobody@example.org", "p nobody"), "--to", "nobody@example.org")
	if err == nil || !strings.Contains(out, "550") || !strings.Contains(out, "no such user here") {
		t.Fatalf("want the upstream's 550, got %v:\n%s", err, out)
	}
}

func TestUpstreamDown(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	r := start(t, nil, gatetest.Options{}, func(p *config.Proxy) { p.Upstream = dead; p.UpstreamTimeout = 2 * time.Second }, nil)
	out, err := r.swaks(gatetest.Mail(from, to, "p down"))
	if err == nil || !strings.Contains(out, "451 4.4.1") {
		t.Fatalf("want 451 4.4.1, got %v:\n%s", err, out)
	}
}

// conn is a raw SMTP client for what swaks cannot send.
type conn struct {
	t *testing.T
	c *textproto.Conn
}

func dialRaw(t *testing.T, addr string) *conn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	c := &conn{t: t, c: textproto.NewConn(nc)}
	t.Cleanup(func() { c.c.Close() })
	c.expect(220)
	return c
}

func (c *conn) cmd(line string, code int) string {
	c.t.Helper()
	if err := c.c.PrintfLine("%s", line); err != nil {
		c.t.Fatal(err)
	}
	return c.expect(code)
}

func (c *conn) expect(code int) string {
	c.t.Helper()
	got, msg, err := c.c.ReadResponse(0)
	if got != code {
		c.t.Fatalf("want %d, got %d %s (%v)", code, got, msg, err)
	}
	return msg
}

func TestLimits(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, func(p *config.Proxy) {
		p.MaxMessageBytes = 4096
		p.MaxRecipients = 2
		p.MaxLineLength = 1000
		p.CommandRate = 5
	}, nil)
	t.Run("size advertised and enforced", func(t *testing.T) {
		c := dialRaw(t, r.addr)
		if msg := c.cmd("EHLO client.test", 250); !strings.Contains(msg, "SIZE 4096") {
			t.Errorf("EHLO %q", msg)
		}
		c.cmd("MAIL FROM:<"+from+"> SIZE=100000", 552)
	})
	t.Run("recipients", func(t *testing.T) {
		c := dialRaw(t, r.addr)
		c.cmd("EHLO client.test", 250)
		c.cmd("MAIL FROM:<"+from+">", 250)
		c.cmd("RCPT TO:<a@example.org>", 250)
		c.cmd("RCPT TO:<b@example.org>", 250)
		c.cmd("RCPT TO:<c@example.org>", 452)
	})
	t.Run("line length", func(t *testing.T) {
		c := dialRaw(t, r.addr)
		c.cmd("EHLO client.test", 250)
		c.cmd("MAIL FROM:<"+from+">", 250)
		c.cmd("RCPT TO:<a@example.org>", 250)
		c.cmd("DATA", 354)
		c.c.W.WriteString("Subject: long\r\n\r\n" + strings.Repeat("x", 1500) + "\r\n.\r\n")
		c.c.W.Flush()
		code, _, _ := c.c.ReadResponse(0)
		if code < 500 {
			t.Errorf("long line: %d", code)
		}
	})
	t.Run("command rate", func(t *testing.T) {
		c := dialRaw(t, r.addr)
		c.cmd("EHLO client.test", 250)
		got421 := false
		for i := 0; i < 30 && !got421; i++ {
			c.c.PrintfLine("MAIL FROM:<%s>", from)
			code, _, _ := c.c.ReadResponse(0)
			got421 = code == 421
			c.cmd("RSET", 250)
		}
		if !got421 {
			t.Error("30 commands at once were never slowed down")
		}
	})
	if r.sink.Count() != 0 {
		t.Errorf("upstream got %d", r.sink.Count())
	}
}

func TestSTARTTLS(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, nil, selfSigned(t))
	out, err := r.swaks(gatetest.Mail(from, to, "p tls"), "--tls")
	if err != nil || !strings.Contains(out, "TLS started") {
		t.Fatalf("%v\n%s", err, out)
	}
	r.waitSubject("p tls", 10*time.Second)
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "proxy.test"},
		DNSNames: []string{"proxy.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
