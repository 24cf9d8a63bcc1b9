package corpus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

// e2e is a real sandboxd (embedded store in a temp dir, every registered
// analyzer) on a 127.0.0.1 port, with a client subscribed to its events.
type e2e struct {
	c      *client.Client
	events *client.Stream
	stop   func()
}

func startSandboxd(t testing.TB) *e2e {
	t.Helper()
	c := config.Default()
	c.DataDir = t.TempDir()
	c.Node = "corpus-e2e"
	as, err := all.Analyzers(all.Env{Config: c})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d, setup, closeStore, err := sandboxd.Open(ctx, c, as, log)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Serve(ctx, ln)
	}()
	tok, err := client.ReadTokenFile(setup.ClientTokenFile)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Config{URL: "http://" + ln.Addr().String(), Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	stream := cl.Events(ctx, "")
	for i := 0; !stream.Connected(); i++ {
		if i > 5000 {
			t.Fatal("event stream did not connect")
		}
		time.Sleep(time.Millisecond)
	}
	return &e2e{c: cl, events: stream, stop: func() {
		cancel()
		<-done
		closeStore()
	}}
}

// submit uploads data and waits for its first verdict event; it returns
// the verdict and the time from the start of the upload to the event.
func (e *e2e) submit(t testing.TB, name string, data []byte) (verdict.Verdict, time.Duration) {
	t.Helper()
	sum := sha256.Sum256(data)
	h := hex.EncodeToString(sum[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	t0 := time.Now()
	f := inproc.File(name, data)
	if _, err := e.c.Upload(ctx, h, f.Category, f.Ext, api.RetainNone, bytes.NewReader(data)); err != nil {
		t.Fatalf("%s: upload: %v", name, err)
	}
	for {
		select {
		case ev, ok := <-e.events.C:
			if !ok {
				t.Fatalf("%s: event stream closed: %v", name, e.events.Err())
			}
			if ev.SHA256 == h && ev.Kind == api.EventVerdict {
				return ev.Verdict, time.Since(t0)
			}
		case <-ctx.Done():
			t.Fatalf("%s: no verdict event", name)
		}
	}
}

func corpusFiles(t testing.TB) []Sample {
	t.Helper()
	var out []Sample
	for _, s := range Samples() {
		data, err := os.ReadFile(filepath.Join(corpusDir, s.Name))
		if err != nil {
			t.Fatal(err)
		}
		s.Data = data
		out = append(out, s)
	}
	return out
}

// TestEndToEnd uploads every corpus sample to a real sandboxd and checks
// that the verdict arriving on /v1/events is the expected one; it logs the
// latency from upload to event (p50, p95, max).
func TestEndToEnd(t *testing.T) {
	e := startSandboxd(t)
	defer e.stop()
	var lat []time.Duration
	for _, s := range corpusFiles(t) {
		v, d := e.submit(t, s.Name, s.Data)
		lat = append(lat, d)
		if v != s.Want {
			t.Errorf("%s: verdict event %s, want %s", s.Name, v, s.Want)
		}
	}
	p50, p95, mx := quantiles(lat)
	t.Logf("upload → verdict event over %d files: p50 %v, p95 %v, max %v", len(lat), p50, p95, mx)
}

// BenchmarkEndToEnd: new files (the corpus, made unique per iteration) from
// upload to their verdict on /v1/events. Reports p50/p95/max in ms.
func BenchmarkEndToEnd(b *testing.B) {
	e := startSandboxd(b)
	defer e.stop()
	files := corpusFiles(b)
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := files[i%len(files)]
		data := s.Data
		if i >= len(files) {
			// A new hash each round: append bytes most formats ignore.
			data = append(append([]byte(nil), s.Data...), []byte("\n\x00"+time.Now().String())...)
		}
		_, d := e.submit(b, s.Name, data)
		lat = append(lat, d)
	}
	b.StopTimer()
	p50, p95, mx := quantiles(lat)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
	b.ReportMetric(float64(mx.Microseconds())/1000, "max-ms")
}

func quantiles(lat []time.Duration) (p50, p95, mx time.Duration) {
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1))] }
	return q(0.5), q(0.95), s[len(s)-1]
}
