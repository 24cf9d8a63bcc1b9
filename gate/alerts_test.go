package gate_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/verdict"
)

// TestAlertsSurviveRestart: raised alerts are stored (sealed) and listed
// again after the log is reopened; only the newest Keep are kept.
func TestAlertsSurviveRestart(t *testing.T) {
	cfg := gate.AlertsConfig{Path: filepath.Join(t.TempDir(), "delivered.db"), Key: make([]byte, 32), Keep: 3}
	a, err := gate.OpenAlerts(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("ab", 32)
	for i := 0; i < 5; i++ {
		a.Record(gate.Delivered{ID: "m" + string(rune('0'+i)), At: time.Now(), MailFrom: "a@example.net",
			RcptTo: []string{"bob@example.org"}, Files: []gate.DeliveredFile{{Path: "x.doc", SHA256: sha, Verdict: verdict.Clean}}})
	}
	als, err := a.Reclassified(sha, verdict.Malicious, verdict.Clean, time.Now(), time.Now())
	if err != nil || len(als) != 5 {
		t.Fatalf("reclassified: %d alerts, %v", len(als), err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(cfg.Path)
	if strings.Contains(string(raw), "bob@example.org") {
		t.Error("a recipient is stored in clear")
	}
	a, err = gate.OpenAlerts(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	got := a.List()
	if len(got) != 3 {
		t.Fatalf("%d alerts after reopening, want the newest 3", len(got))
	}
	if got[2].Message.ID != als[4].Message.ID || got[0].Message.RcptTo[0] != "bob@example.org" || got[0].Verdict != verdict.Malicious {
		t.Errorf("alerts after reopening: %+v", got)
	}
}

// TestRetroAlertInHistory: a message held, judged clean and delivered by
// the release loop, whose document is later reclassified, gets the alert
// in its hold queue history.
func TestRetroAlertInHistory(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	e := gatetest.Start(t, gatetest.Options{Config: &c, NextHop: sink.Addr()})
	d := mustDecide(t, e, external(), gatetest.Mail("a@example.net", "bob@example.org", "held report",
		gatetest.Part{Name: "q.pdf", Type: "application/pdf", Data: append(gatetest.PDF(), "% history\n"...)}))
	if d.Action != gate.Hold {
		t.Fatalf("got %s (%s)", d.Action, d.Reason)
	}
	m := e.WaitState(d.QueueID, holdqueue.Delivered, 30*time.Second)
	sha := m.Files[0].SHA256
	// The release is recorded from the change feed: wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if ds, _ := e.Alerts.ByHash(sha); len(ds) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the released message never reached the delivered log")
		}
	}
	e.Reclassify(sha)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		m, err := e.Store.Get(context.Background(), d.QueueID)
		if err != nil {
			t.Fatal(err)
		}
		last := m.History[len(m.History)-1]
		if strings.Contains(last.Reason, "retro alert") {
			if last.State != holdqueue.Delivered || last.Actor != "verdict" || !strings.Contains(last.Reason, sha) {
				t.Errorf("history entry %+v", last)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no retro alert in the history: %+v", m.History)
		}
	}
}

// TestWebhookRetriesStopAtClose: a webhook that keeps failing is retried
// with backoff, but Close ends the retries instead of waiting them out
// (the alert itself is stored).
func TestWebhookRetriesStopAtClose(t *testing.T) {
	var tries atomic.Int32
	first := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		select {
		case first <- struct{}{}:
		default:
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	cfg := gate.AlertsConfig{Path: filepath.Join(t.TempDir(), "delivered.db"), Key: make([]byte, 32), Webhook: srv.URL}
	a, err := gate.OpenAlerts(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("cd", 32)
	a.Record(gate.Delivered{ID: "m1", At: time.Now(), MailFrom: "a@example.net", RcptTo: []string{"bob@example.org"},
		Files: []gate.DeliveredFile{{Path: "x.doc", SHA256: sha, Verdict: verdict.Clean}}})
	if als, err := a.Reclassified(sha, verdict.Malicious, verdict.Clean, time.Now(), time.Now()); err != nil || len(als) != 1 {
		t.Fatalf("reclassified: %d, %v", len(als), err)
	}
	<-first
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	after := tries.Load()
	if after >= 4 {
		t.Errorf("%d tries before Close returned: the retries were waited out", after)
	}
	time.Sleep(1200 * time.Millisecond) // longer than the first backoff
	if n := tries.Load(); n != after {
		t.Errorf("%d more tries after Close", n-after)
	}
}

// TestAlertsPurge: the delivered-mail log forgets messages older than
// web.alert_retention on its own (a loop runs at open and every
// PurgeEvery), all of them — not every other one — and keeps the rest.
func TestAlertsPurge(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	sha := strings.Repeat("cd", 32)
	for _, c := range []struct {
		name      string
		retention time.Duration
		wantLeft  int
	}{
		{"alert_retention 24h purges the 2-day-old", 24 * time.Hour, 3},
		{"alert_retention 720h keeps them", 720 * time.Hour, 13},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := gate.AlertsConfig{Path: filepath.Join(t.TempDir(), "delivered.db"), Key: make([]byte, 32),
				Retention: c.retention, PurgeEvery: 10 * time.Millisecond, Now: func() time.Time { return now }}
			// Written before the loop runs: a first log without a purge.
			a, err := gate.OpenAlerts(gate.AlertsConfig{Path: cfg.Path, Key: cfg.Key, Retention: 10000 * time.Hour, Now: cfg.Now}, nil)
			if err != nil {
				t.Fatal(err)
			}
			rec := func(id string, at time.Time) {
				a.Record(gate.Delivered{ID: id, At: at, MailFrom: "a@example.net", RcptTo: []string{"bob@example.org"},
					Files: []gate.DeliveredFile{{Path: "x.doc", SHA256: sha, Verdict: verdict.Clean}}})
			}
			// Ten consecutive old records: a cursor that deletes while it
			// walks leaves every other one behind.
			for i := 0; i < 10; i++ {
				rec(fmt.Sprintf("old%d", i), now.Add(-48*time.Hour+time.Duration(i)*time.Minute))
			}
			for i := 0; i < 3; i++ {
				rec(fmt.Sprintf("new%d", i), now.Add(-time.Duration(i+1)*time.Hour))
			}
			if got, _ := a.ByHash(sha); len(got) != 13 {
				t.Fatalf("%d records before the purge, want 13", len(got))
			}
			a.Close()

			a, err = gate.OpenAlerts(cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			var got []gate.Delivered
			for i := 0; i < 500; i++ {
				if got, err = a.ByHash(sha); err != nil {
					t.Fatal(err)
				}
				if len(got) == c.wantLeft {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if len(got) != c.wantLeft {
				t.Fatalf("%d records left, want %d", len(got), c.wantLeft)
			}
			for _, d := range got {
				if c.wantLeft == 3 && !strings.HasPrefix(d.ID, "new") {
					t.Errorf("%s survived the purge", d.ID)
				}
			}
			// Direct call: nothing more to purge, and the index is clean.
			if n, err := a.Purge(now); err != nil || n != 0 {
				t.Errorf("second purge: %d, %v", n, err)
			}
		})
	}
}
