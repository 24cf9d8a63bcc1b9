package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

// TestSIGTERMUnderLoadLosesNothing runs `airlock all` through the real
// command (signal handling included), keeps eight SMTP clients sending
// plain and held mail, sends the process SIGTERM, and then checks that
// every message that got a 250 is either at the SMTP sink (delivered) or
// in the store (held mail stays there for the next start).
func TestSIGTERMUnderLoadLosesNothing(t *testing.T) {
	dir := t.TempDir()
	sink := smtpsink.Start(t, smtpsink.Options{})
	cfgPath := filepath.Join(dir, "airlock.yaml")
	if err := os.WriteFile(cfgPath, []byte(fmt.Sprintf(opsConfig, dir, "", sink.Addr(), sink.Addr())), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errb := &syncBuffer{}, &syncBuffer{}
	code := make(chan int, 1)
	go func() { code <- run([]string{"all", "--config", cfgPath}, &cmdEnv{stdout: out, stderr: errb}) }()
	proxyRe := regexp.MustCompile(`proxy:\s+(\S+) ->`)
	var addr string
	for deadline := time.Now().Add(30 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := proxyRe.FindStringSubmatch(out.String()); m != nil && strings.Contains(out.String(), "web:") {
			addr = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("airlock all did not start:\n%s\n%s", out.String(), errb.String())
		}
	}

	var (
		mu       sync.Mutex
		accepted []string // subjects answered 250
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				return
			}
			defer c.Close()
			if c.Hello("load.example.net") != nil {
				return
			}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				subject := fmt.Sprintf("load-%d-%d", w, i)
				var msg []byte
				if i%2 == 0 {
					msg = gatetest.Mail("a@example.net", "b@example.org", subject)
				} else {
					msg = gatetest.Mail("a@example.net", "b@example.org", subject,
						gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()})
				}
				if c.Reset() != nil {
					return
				}
				if err := c.SendMail("a@example.net", []string{"b@example.org"}, strings.NewReader(string(msg))); err != nil {
					// Refused or cut by the shutdown: the sender keeps it.
					return
				}
				mu.Lock()
				accepted = append(accepted, subject)
				mu.Unlock()
			}
		}()
	}
	// Let load build up, then SIGTERM the process (run's NotifyContext
	// catches it: the test binary is not killed).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(accepted)
		mu.Unlock()
		if n >= 80 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d messages accepted under load:\n%s", n, errb.String())
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("airlock all exited %d after SIGTERM:\n%s", c, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("airlock all did not stop on SIGTERM")
	}
	close(stop)
	wg.Wait()

	delivered := map[string]bool{}
	for _, m := range sink.Messages() {
		if i := strings.Index(string(m.Data), "Subject: "); i >= 0 {
			delivered[strings.TrimSpace(strings.SplitN(string(m.Data[i+9:]), "\n", 2)[0])] = true
		}
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	store, err := holdqueue.Open(context.Background(), &cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("store after shutdown: %v", err)
	}
	defer store.Close()
	stored := map[string]holdqueue.State{}
	for q := (holdqueue.Query{Limit: 1000}); ; {
		p, err := store.List(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range p.Messages {
			stored[m.Subject] = m.State
		}
		if p.Next == "" {
			break
		}
		q.Cursor = p.Next
	}
	lost := 0
	for _, s := range accepted {
		st, inStore := stored[s]
		if !delivered[s] && (!inStore || st == holdqueue.Deleted || st == holdqueue.Failed) {
			lost++
			t.Errorf("%s: accepted, but neither delivered nor kept (store state %q)", s, st)
		}
	}
	t.Logf("accepted %d, delivered %d, in the store %d, lost %d", len(accepted), len(delivered), len(stored), lost)
}
