package testpostfix

import (
	"bytes"
	"io"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// sink is a minimal real SMTP server (go-smtp on a loopback port) that keeps
// every message it receives.
type sink struct {
	mu   sync.Mutex
	msgs []sunk
	got  chan struct{}
}

type sunk struct {
	from string
	to   []string
	data []byte
}

type sinkSession struct {
	s   *sink
	cur sunk
}

func (s *sinkSession) Reset()        { s.cur = sunk{} }
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = b
	s.s.mu.Lock()
	s.s.msgs = append(s.s.msgs, s.cur)
	s.s.mu.Unlock()
	s.s.got <- struct{}{}
	return nil
}

func startSink(t *testing.T) (*sink, string) {
	t.Helper()
	k := &sink{got: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: k}, nil
	}))
	srv.Domain = "sink.test"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return k, l.Addr().String()
}

func swaks(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("swaks", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("swaks %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestRelayToSink proves the private instance: swaks → Postfix (main and
// re-injection ports, and XCLIENT) → sink.
func TestRelayToSink(t *testing.T) {
	k, addr := startSink(t)
	pf := Start(t, Options{NextHop: addr, Reinject: true})

	tests := []struct {
		name string
		args []string
	}{
		{"main", []string{"--server", pf.SMTPAddr}},
		{"reinject", []string{"--server", pf.ReinjectAddr}},
		{"xclient", []string{"--server", pf.SMTPAddr, "--xclient-addr", "192.0.2.7", "--xclient-name", "[UNAVAILABLE]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--from", "a@example.net", "--to", "b@example.org",
				"--header", "Subject: " + tc.name, "--body", "hello " + tc.name}, tc.args...)
			swaks(t, args...)
			select {
			case <-k.got:
			case <-time.After(20 * time.Second):
				t.Fatalf("sink got nothing; postfix queue %d\n%s", pf.QueueSize(), pf.Log())
			}
			k.mu.Lock()
			m := k.msgs[len(k.msgs)-1]
			k.mu.Unlock()
			if m.from != "a@example.net" || len(m.to) != 1 || m.to[0] != "b@example.org" {
				t.Errorf("envelope %q %q", m.from, m.to)
			}
			if !bytes.Contains(m.data, []byte("hello "+tc.name)) {
				t.Errorf("body missing:\n%s", m.data)
			}
			if tc.name == "xclient" && !strings.Contains(string(m.data), "192.0.2.7") {
				t.Errorf("XCLIENT address not in Received:\n%s", m.data)
			}
		})
	}
	pf.WaitQueueEmpty(t, 10*time.Second)
	pf.Stop()
	if alive(pf.readMasterPID()) {
		t.Error("master still alive after Stop")
	}
}
