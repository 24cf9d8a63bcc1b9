package metrics

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkRecord is the cost a part pays per event: the nil Set (no
// metrics, the baseline) against a real one.
func BenchmarkRecord(b *testing.B) {
	for _, bc := range []struct {
		name string
		s    *Set
	}{{"nil-baseline", nil}, {"set", New(prometheus.NewRegistry())}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.s.Decision("hold")
					bc.s.Lookup("known", 3)
					bc.s.Delivery(ResultOK, "127.0.0.1:10026")
					bc.s.ReleaseLatency(40 * time.Millisecond)
				}
			})
		})
	}
}

// BenchmarkScrape is one /metrics request with every Airlock series, the
// Go and process collectors and the queue read.
func BenchmarkScrape(b *testing.B) {
	reg := prometheus.NewRegistry()
	s := New(reg)
	s.WatchQueue(func(context.Context) (int64, time.Time, error) { return 10, time.Now().Add(-time.Minute), nil }, nil)
	for i := 0; i < 100; i++ {
		s.Decision("deliver")
		s.VerdictLatency(time.Duration(i) * time.Second)
	}
	h := Handler(reg)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		io.Copy(io.Discard, rec.Body)
	}
}
