package milter_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	gomilter "github.com/d--j/go-milter"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/milter"
)

// panicky is a Decider that panics: the milter must survive it.
type panicky struct{}

func (panicky) Decide(context.Context, *gate.Message) (*gate.Decision, error) { panic("boom") }

// recorder is a Decider that remembers what it was given and delivers.
type recorder struct{ got *gate.Message }

func (r *recorder) Decide(_ context.Context, m *gate.Message) (*gate.Decision, error) {
	r.got = m
	return &gate.Decision{Action: gate.Deliver, Headers: []gate.Header{{Name: "X-Airlock-Verdict", Value: "clean; test"}}}, nil
}

func serve(t *testing.T, cfg config.Milter, d milter.Decider) (*milter.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := milter.New(cfg, d, gatetest.Logger())
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return s, ln.Addr().String()
}

// send plays one message as an MTA would, with go-milter's client over a
// real socket, and returns the end-of-message action and modifications.
func send(t testing.TB, addr string, msg []byte) (*gomilter.Action, []gomilter.ModifyAction) {
	t.Helper()
	c := gomilter.NewClient("tcp", addr, gomilter.WithActions(gomilter.OptAddHeader|gomilter.OptChangeHeader|gomilter.OptSetMacros))
	macros := gomilter.NewMacroBag()
	s, err := c.Session(macros)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	step := func(a *gomilter.Action, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if a.StopProcessing() {
			t.Fatalf("stopped early: %v", a)
		}
	}
	step(s.Conn("mx.example.net", gomilter.FamilyInet, 25, "192.0.2.9"))
	step(s.Helo("mx.example.net"))
	macros.Set(gomilter.MacroAuthAuthen, "carol")
	step(s.Mail("<alice@example.net>", ""))
	step(s.Rcpt("<bob@example.org>", ""))
	step(s.DataStart())
	hdr, body, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
	for _, l := range strings.Split(string(hdr), "\r\n") {
		k, v, _ := strings.Cut(l, ":")
		step(s.HeaderField(k, v, nil))
	}
	step(s.HeaderEnd())
	macros.Set(gomilter.MacroQueueId, "ABC123")
	mods, act, err := s.BodyReadFrom(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return act, mods
}

func TestPanicBecomesTempfail(t *testing.T) {
	s, addr := serve(t, config.DefaultMilter(), panicky{})
	act, _ := send(t, addr, gatetest.Mail("alice@example.net", "bob@example.org", "x"))
	if act.Type != gomilter.ActionTempFail {
		t.Fatalf("want tempfail, got %v", act)
	}
	if s.Stats.Panics.Load() != 1 {
		t.Errorf("panics %d", s.Stats.Panics.Load())
	}
	// The server still serves.
	act, _ = send(t, addr, gatetest.Mail("alice@example.net", "bob@example.org", "y"))
	if act.Type != gomilter.ActionTempFail {
		t.Fatalf("second message: %v", act)
	}
}

func TestEnvelopeMacrosAndBytes(t *testing.T) {
	r := &recorder{}
	_, addr := serve(t, config.DefaultMilter(), r)
	msg := gatetest.Mail("alice@example.net", "bob@example.org", "exact bytes")
	act, mods := send(t, addr, msg)
	if act.Type != gomilter.ActionAccept {
		t.Fatalf("want accept, got %v", act)
	}
	if len(mods) != 1 || mods[0].HeaderName != "X-Airlock-Verdict" || !strings.Contains(mods[0].HeaderValue, "clean; test") {
		t.Errorf("modifications %+v", mods)
	}
	m := r.got
	if m == nil {
		t.Fatal("gate not asked")
	}
	if m.Envelope.ClientAddr.String() != "192.0.2.9" || m.Envelope.MailFrom != "alice@example.net" ||
		len(m.Envelope.RcptTo) != 1 || m.Envelope.RcptTo[0] != "bob@example.org" || m.Envelope.AuthUser != "carol" || m.MTAQueueID != "ABC123" {
		t.Errorf("envelope %+v queue id %q", m.Envelope, m.MTAQueueID)
	}
	if !bytes.Equal(m.Data, msg) {
		t.Errorf("message bytes differ:\n%q\n%q", m.Data, msg)
	}
}

func TestSizeLimit(t *testing.T) {
	cfg := config.DefaultMilter()
	cfg.MaxMessageBytes = 1024
	_, addr := serve(t, cfg, &recorder{})
	big := gatetest.Mail("alice@example.net", "bob@example.org", "big", gatetest.Part{Name: "a.bin", Type: "application/octet-stream", Data: bytes.Repeat([]byte("x"), 4096)})
	act, _ := send(t, addr, big)
	if act.Type != gomilter.ActionRejectWithCode || act.SMTPCode != 552 {
		t.Fatalf("want 552, got %v", act)
	}
}

// BenchmarkMilterMessage is the milter's own cost per message (protocol,
// collection, gate) over a real socket, with go-milter's client as MTA: a
// 20 KB attachment-free message through the real gate.
func BenchmarkMilterMessage(b *testing.B) {
	e := gatetest.Start(b, gatetest.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := milter.New(config.DefaultMilter(), e.Gate, gatetest.Logger())
	go s.Serve(ln)
	defer s.Close()
	msg := gatetest.Mail("alice@example.net", "bob@example.org", "bench")
	msg = append(msg, bytes.Repeat([]byte("twenty kilobytes of text, line after line, and more.\r\n"), 380)...)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		act, _ := send(b, ln.Addr().String(), msg)
		if act == nil || act.Type != gomilter.ActionAccept {
			b.Fatalf("%v", act)
		}
	}
}
