package instrument

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/metrics"
	"github.com/airlockmail/airlock/sandboxd/client"
)

// TestSandboxDown: a sandboxd that does not answer (a closed port, through
// the real client) shows as down and its lookups and uploads as errors.
func TestSandboxDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cl, err := client.New(client.Config{URL: "http://" + addr, Token: "t", Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	tr := NewTrack(metrics.New(reg))
	sbx := tr.Sandbox(cl)
	tr.m.SandboxUp(true)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := sbx.Lookup(ctx, []string{strings.Repeat("a", 64), strings.Repeat("b", 64)}); err == nil {
		t.Fatal("lookup at a closed port succeeded")
	}
	if _, err := sbx.Upload(ctx, strings.Repeat("a", 64), "document", ".pdf", "30d", strings.NewReader("x")); err == nil {
		t.Fatal("upload at a closed port succeeded")
	}
	want := `
# HELP airlock_sandbox_up 1 when sandboxd answered the last health check or request, 0 when it did not.
# TYPE airlock_sandbox_up gauge
airlock_sandbox_up 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "airlock_sandbox_up"); err != nil {
		t.Error(err)
	}
	for series, v := range map[string]float64{"error": 2, "known": 0, "unknown": 0} {
		if got := value(t, reg, "airlock_sandbox_lookups_total", "result", series); got != v {
			t.Errorf("lookups{result=%s} = %v, want %v", series, got, v)
		}
	}
	if got := value(t, reg, "airlock_sandbox_uploads_total", "result", "error"); got != 1 {
		t.Errorf("uploads{result=error} = %v, want 1", got)
	}
}

// TestSenderResults: deliveries against a real SMTP sink, answering 250,
// 451 and 550, count as ok, temporary and permanent with the next hop.
func TestSenderResults(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	key, err := deliver.LoadReleaseKey(filepath.Join(t.TempDir(), "release.key"))
	if err != nil {
		t.Fatal(err)
	}
	dc := config.DefaultDeliver()
	dc.NextHop = sink.Addr()
	d := deliver.New(dc, key, slog.New(slog.DiscardHandler))
	defer d.Close()
	reg := prometheus.NewRegistry()
	tr := NewTrack(metrics.New(reg))
	s := tr.Sender(d, sink.Addr(), nil, nil)
	msg := []byte("From: <a@example.net>\r\nTo: <b@example.org>\r\nSubject: x\r\n\r\nhi\r\n")
	env := deliver.Envelope{From: "a@example.net", To: []string{"b@example.org"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	held := time.Now().Add(-time.Minute)
	for _, tc := range []struct {
		name string
		fail int
		ok   bool
	}{{"accepted", 0, true}, {"tempfail", 451, false}, {"refused", 550, false}} {
		if tc.fail != 0 {
			sink.FailNext(1, tc.fail, "no")
		}
		_, err := s.Send(ctx, env, msg, deliver.Stamp{QueueID: "Q" + tc.name, HeldAt: held})
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
	for result, want := range map[string]float64{metrics.ResultOK: 1, metrics.ResultTemporary: 1, metrics.ResultPermanent: 1} {
		if got := value(t, reg, "airlock_deliveries_total", "result", result); got != want {
			t.Errorf("deliveries{result=%s} = %v, want %v", result, got, want)
		}
	}
	// Hold duration: the delivered and the permanently refused message
	// left the queue; the temporary one will be retried.
	if n := histogramCount(t, reg, "airlock_hold_duration_seconds"); n != 2 {
		t.Errorf("hold duration observations = %d, want 2", n)
	}
}

// value reads one counter series (label=value; "" for none) from reg;
// -1 when absent.
func value(t *testing.T, reg *prometheus.Registry, name, label, val string) float64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == val {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return -1
}

// histogramCount is the number of observations of an unlabelled histogram.
func histogramCount(t *testing.T, reg *prometheus.Registry, name string) uint64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return f.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	t.Fatalf("no histogram %s", name)
	return 0
}
