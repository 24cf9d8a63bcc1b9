package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
)

// syncBuffer is a bytes.Buffer safe for the command's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAllWithPostfix runs `airlock all` on the example config (only the
// quick-start flags changed) behind a private Postfix: plain mail passes
// at once, a document is held, judged by the in-process sandboxd and
// re-injected into Postfix's port with no milter.
func TestAllWithPostfix(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	milterAddr := fmt.Sprintf("127.0.0.1:%d", testpostfix.FreePort(t))
	pf := testpostfix.Start(t, testpostfix.Options{NextHop: sink.Addr(), Milter: "inet:" + milterAddr, Reinject: true})

	// A free ops port: the default one may be another test's.
	t.Setenv("AIRLOCK_OPS_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	out, errb := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runMailPath(ctx, &cmdEnv{stdout: out, stderr: errb}, "all", []string{
			"--config", "../../configs/airlock.yaml",
			"--data-dir", t.TempDir(),
			"--milter-listen", "inet:" + milterAddr,
			"--next-hop", pf.ReinjectAddr,
			"--sandbox-listen", "127.0.0.1:0",
			"--web-listen", "off",
			"--internal-networks", "10.99.0.0/16",
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("airlock all: %v\n%s", err, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Error("airlock all did not stop")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(out.String(), "milter:") {
		if time.Now().After(deadline) {
			t.Fatalf("airlock all did not start:\n%s\n%s", out.String(), errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	send := func(msg []byte) {
		t.Helper()
		cmd := exec.Command("swaks", "--server", pf.SMTPAddr, "--from", "a@example.net", "--to", "b@example.org", "--data", "-")
		cmd.Stdin = bytes.NewReader(bytes.TrimSuffix(msg, []byte("\r\n")))
		if o, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("swaks: %v\n%s", err, o)
		}
	}
	send(gatetest.Mail("a@example.net", "b@example.org", "all plain"))
	send(gatetest.Mail("a@example.net", "b@example.org", "all doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	msgs, err := sink.Wait(wctx, 2)
	if err != nil {
		t.Fatalf("%v\npostfix:\n%s\nairlock:\n%s", err, pf.Log(), errb.String())
	}
	for _, m := range msgs {
		if !bytes.Contains(m.Data, []byte("X-Airlock-Verdict: clean")) {
			t.Errorf("no clean verdict:\n%s", m.Data)
		}
	}
}
