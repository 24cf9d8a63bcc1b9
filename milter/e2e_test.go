package milter_test

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/milter"
)

// switchGate lets one milter (and one Postfix) serve every scenario, each
// with its own back end.
type switchGate struct{ cur atomic.Pointer[gate.Gate] }

func (s *switchGate) Decide(ctx context.Context, m *gate.Message) (*gate.Decision, error) {
	return s.cur.Load().Decide(ctx, m)
}

type rig struct {
	t    *testing.T
	sink *smtpsink.Sink
	pf   *testpostfix.Postfix
	sw   *switchGate
	srv  *milter.Server
}

// startRig runs the milter as docs/postfix.md recommends on one host: a
// Unix socket of group postfix, mode 0660 (Postfix's smtpd runs as the
// postfix user, the milter here as root).
func startRig(t *testing.T) *rig {
	t.Helper()
	mc := config.DefaultMilter()
	mc.Listen = "unix:" + filepath.Join(testpostfix.SharedDir(t, "airlock-milter-"), "milter.sock")
	mc.SocketGroup = "postfix"
	return startRigOn(t, mc)
}

func startRigOn(t *testing.T, mc config.Milter) *rig {
	t.Helper()
	r := &rig{t: t, sink: smtpsink.Start(t, smtpsink.Options{}), sw: &switchGate{}}
	ln, err := milter.Listen(mc)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = milter.New(mc, r.sw, gatetest.Logger())
	go r.srv.Serve(ln)
	t.Cleanup(func() {
		r.srv.Close()
		if p := r.srv.Stats.Panics.Load(); p != 0 {
			t.Errorf("%d panics in the milter", p)
		}
	})
	r.pf = testpostfix.Start(t, testpostfix.Options{NextHop: r.sink.Addr(), Milter: mc.Listen, Reinject: true})
	return r
}

// backend starts a fresh back end whose release loop re-injects into
// Postfix's milter port: the release header must let it pass once.
func (r *rig) backend(t *testing.T, c *config.Config, o gatetest.Options) *gatetest.Env {
	t.Helper()
	if c == nil {
		cc := gatetest.TestConfig()
		c = &cc
	}
	o.Config = c
	if o.NextHop == "" {
		o.NextHop = r.pf.SMTPAddr
	}
	e := gatetest.Start(t, o)
	r.sw.cur.Store(e.Gate)
	return e
}

// send submits msg with swaks and returns its transcript and exit status.
func (r *rig) send(msg []byte, extra ...string) (string, error) {
	args := append([]string{"--server", r.pf.SMTPAddr, "--from", "alice@example.net", "--to", "bob@example.org",
		"--data", "-", "--timeout", "60"}, extra...)
	cmd := exec.Command("swaks", args...)
	// swaks ends the data with CRLF "." CRLF itself: drop the final CRLF
	// so that what goes over SMTP is exactly msg.
	cmd.Stdin = bytes.NewReader(bytes.TrimSuffix(msg, []byte("\r\n")))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func (r *rig) mustSend(msg []byte, extra ...string) string {
	r.t.Helper()
	out, err := r.send(msg, extra...)
	if err != nil {
		r.t.Fatalf("swaks: %v\n%s", err, out)
	}
	return out
}

// waitSubject waits for the sink to receive the message with this subject.
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
	r.t.Fatalf("sink never received %q; postfix log:\n%s", subject, r.pf.Log())
	return smtpsink.Message{}
}

func (r *rig) noSubject(subject string) {
	r.t.Helper()
	for _, m := range r.sink.Messages() {
		if bytes.Contains(m.Data, []byte("Subject: "+subject+"\r\n")) {
			r.t.Fatalf("sink received %q:\n%s", subject, m.Data)
		}
	}
}

func count(data []byte, field string) int {
	n := 0
	for _, h := range gatetest.HeaderOf(data) {
		if strings.HasPrefix(strings.ToLower(h), strings.ToLower(field)+":") {
			n++
		}
	}
	return n
}

func headerLine(data []byte, field string) string {
	for _, h := range gatetest.HeaderOf(data) {
		if strings.HasPrefix(strings.ToLower(h), strings.ToLower(field)+":") {
			return h
		}
	}
	return ""
}

const from, to = "alice@example.net", "bob@example.org"

// TestPostfixMilterTCP: the same milter on loopback TCP (the default
// listen address) passes a plain message with its headers added.
func TestPostfixMilterTCP(t *testing.T) {
	mc := config.DefaultMilter()
	mc.Listen = fmt.Sprintf("inet:127.0.0.1:%d", testpostfix.FreePort(t))
	r := startRigOn(t, mc)
	r.backend(t, nil, gatetest.Options{})
	r.mustSend(gatetest.Mail(from, to, "e2e tcp"))
	m := r.waitSubject("e2e tcp", 20*time.Second)
	if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
		t.Errorf("verdict header %q", h)
	}
}

// TestPostfixEndToEnd drives a private Postfix with swaks through the
// milter, the gate, the hold queue, sandboxd and the release loop.
func TestPostfixEndToEnd(t *testing.T) {
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("postfix: %s", why)
	}
	r := startRig(t)

	t.Run("plain and images delivered with headers, no hold", func(t *testing.T) {
		r.t = t
		e := r.backend(t, nil, gatetest.Options{})
		r.mustSend(gatetest.Mail(from, to, "e2e plain"))
		r.mustSend(gatetest.Mail(from, to, "e2e images", gatetest.Part{Name: "a.png", Type: "image/png", Data: gatetest.PNG}))
		for _, s := range []string{"e2e plain", "e2e images"} {
			m := r.waitSubject(s, 20*time.Second)
			if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
				t.Errorf("%s: verdict header %q", s, h)
			}
		}
		if c, _ := e.Store.Counts(context.Background()); c.ByState[holdqueue.Held]+c.ByState[holdqueue.Delivered] != 0 {
			t.Errorf("something was held: %+v", c.ByState)
		}
	})

	t.Run("unknown document held, judged, released through the milter port", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Hold.InlineWait = 0
		r.backend(t, &c, gatetest.Options{})
		sent := gatetest.Mail(from, to, "e2e document", gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: gatetest.PDF()})
		out := r.mustSend(sent)
		if !strings.Contains(out, "250 ") {
			t.Fatalf("sender did not get 250:\n%s", out)
		}
		m := r.waitSubject("e2e document", 30*time.Second)
		if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(sent)) {
			t.Errorf("delivered body differs from the sent one:\n%s\n---\n%s", gatetest.BodyOf(m.Data), gatetest.BodyOf(sent))
		}
		got := strings.Join(gatetest.HeaderOf(m.Data), "\n")
		for _, h := range gatetest.HeaderOf(sent) {
			if !strings.Contains(got, h) {
				t.Errorf("sent header %q missing from the delivered message", h)
			}
		}
		// Released once through the milter port: the release header
		// passed it, so the gate added no second verdict.
		if n := count(m.Data, "X-Airlock-Verdict"); n != 1 {
			t.Errorf("%d X-Airlock-Verdict fields:\n%s", n, got)
		}
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
			t.Errorf("verdict header %q", h)
		}
	})

	t.Run("EICAR three levels down rejected", func(t *testing.T) {
		r.t = t
		r.backend(t, nil, gatetest.Options{})
		out, err := r.send(gatetest.NestedEICAR(from, to))
		if err == nil || !strings.Contains(out, "550 5.7.1") {
			t.Fatalf("want 550 5.7.1, got %v:\n%s", err, out)
		}
		time.Sleep(300 * time.Millisecond)
		r.noSubject("Fwd: the files")
	})

	t.Run("EICAR three levels down quarantined by policy", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Actions.Malicious = config.ActionQuarantine
		e := r.backend(t, &c, gatetest.Options{})
		msg := bytes.Replace(gatetest.NestedEICAR(from, to), []byte("Subject: Fwd: the files"), []byte("Subject: e2e eicar q"), 1)
		r.mustSend(msg)
		p, err := e.Store.List(context.Background(), holdqueue.Query{State: holdqueue.Quarantined})
		if err != nil || len(p.Messages) != 1 {
			t.Fatalf("quarantine: %v %+v", err, p)
		}
		if len(p.Messages[0].History) == 0 || p.Messages[0].Subject != "e2e eicar q" {
			t.Errorf("quarantined message %+v", p.Messages[0])
		}
		time.Sleep(300 * time.Millisecond)
		r.noSubject("e2e eicar q")
	})

	t.Run("internal network delivered unscanned", func(t *testing.T) {
		r.t = t
		r.backend(t, nil, gatetest.Options{})
		msg := bytes.Replace(gatetest.NestedEICAR(from, to), []byte("Subject: Fwd: the files"), []byte("Subject: e2e internal"), 1)
		r.mustSend(msg, "--xclient-addr", "10.99.1.2", "--xclient-name", "[UNAVAILABLE]")
		m := r.waitSubject("e2e internal", 20*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "not scanned") {
			t.Errorf("verdict header %q", h)
		}
	})

	t.Run("sandboxd down: timeout action at the deadline", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Hold.Timeout = 3 * time.Second
		c.Policy.Hold.InlineWait = 500 * time.Millisecond
		r.backend(t, &c, gatetest.Options{NoSandbox: true})
		r.mustSend(gatetest.Mail(from, to, "e2e timeout", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
		m := r.waitSubject("e2e timeout", 30*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "timeout") {
			t.Errorf("verdict header %q", h)
		}
	})

	t.Run("sandboxd back: pending files get verdicts", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Hold.InlineWait = 500 * time.Millisecond
		e := r.backend(t, &c, gatetest.Options{NoSandbox: true})
		r.mustSend(gatetest.Mail(from, to, "e2e sandbox back", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
		time.Sleep(time.Second)
		r.noSubject("e2e sandbox back")
		e.StartSandbox()
		m := r.waitSubject("e2e sandbox back", 30*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
			t.Errorf("verdict header %q", h)
		}
	})

	t.Run("store unwritable: sender gets 4xx", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Hold.InlineWait = 0
		e := r.backend(t, &c, gatetest.Options{})
		e.BreakStore()
		out, err := r.send(gatetest.Mail(from, to, "e2e broken store", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
		if err == nil || !strings.Contains(out, "451 4.3.0") {
			t.Fatalf("want 451 4.3.0, got %v:\n%s", err, out)
		}
		time.Sleep(300 * time.Millisecond)
		r.noSubject("e2e broken store")
	})
	r.t = t
}
