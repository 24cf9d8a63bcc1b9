package sandboxd

import (
	"context"
	"fmt"
	"sort"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// seed puts n analyzed files for tenant a straight into the store.
func seed(b *testing.B, st store.Store, n int) []string {
	b.Helper()
	ctx := context.Background()
	hashes := make([]string, n)
	for i := range hashes {
		hashes[i] = sha([]byte(fmt.Sprintf("bench file %d", i)))
		rec := store.Record{File: api.File{SHA256: hashes[i], Size: 100, Category: verdict.Document, Type: "application/pdf",
			State: api.StateDone, Verdict: verdict.Clean, FirstSeen: time.Now().UTC(), AnalyzedAt: time.Now().UTC(), Engine: "bench",
			Retention: api.RetainNone}, Tenants: []string{"a"}}
		if _, _, err := st.Submit(ctx, rec, nil, store.Job{SHA256: hashes[i]}, nil); err != nil {
			b.Fatal(err)
		}
	}
	// The seeding queued jobs; drop them so workers stay idle.
	for {
		j, err := st.Claim(ctx, "seed", 0)
		if err != nil || j == nil {
			break
		}
		st.Ack(ctx, j)
	}
	return hashes
}

// BenchmarkLookup: POST /v1/lookup with batches of 10 hashes over
// keep-alive connections, on the embedded store, with the record decode
// cache (the default) and without it (the baseline). Reports hashes/s by
// the wall clock and per CPU-second of the whole process (client and
// server together), which stays meaningful on a loaded machine.
func BenchmarkLookup(b *testing.B) {
	for _, bc := range []struct {
		name  string
		cache int
	}{{"nocache", -1}, {"cache", 0}} {
		b.Run(bc.name, func(b *testing.B) {
			st, err := store.OpenBolt(store.BoltOptions{Dir: b.TempDir(), DecodeCache: bc.cache})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			hashes := seed(b, st, 1000)
			e := startEnv(b, st, envOptions{})
			var next atomic.Int64
			b.SetParallelism(4) // 4 × GOMAXPROCS client goroutines
			cpu0 := cpuTime()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					i := int(next.Add(10)) % (len(hashes) - 10)
					res, err := e.admin.Lookup(ctx, hashes[i:i+10])
					if err != nil || len(res) != 10 {
						b.Errorf("lookup: %d results, %v", len(res), err)
						return
					}
				}
			})
			el := time.Since(start)
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(b.N*10)/el.Seconds(), "hashes/s")
			b.ReportMetric(float64(b.N*10)/cpu.Seconds(), "hashes/cpu-s")
			e.stop()
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEventLatency: from storing a verdict (the same store.Update
// with its event that a worker does; the time includes the commit and its
// fsync) to its arrival at a subscribed SSE client through the real HTTP
// stream and client. Reports p50, p99 and max, and the p99 from the end
// of the commit.
func BenchmarkEventLatency(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st, _ := be.open(b)
			hashes := seed(b, st, 100)
			e := startEnv(b, st, envOptions{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			stream := e.admin.Events(ctx, "")
			for !stream.Connected() {
				time.Sleep(time.Millisecond)
			}
			lat := make([]time.Duration, 0, b.N)     // before the commit → client
			deliver := make([]time.Duration, 0, b.N) // commit done → client
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h := hashes[i%len(hashes)]
				v := verdict.Suspicious
				if i%2 == 1 {
					v = verdict.Clean
				}
				t0 := time.Now()
				_, _, err := st.Update(ctx, h, func(r *store.Record) (*store.Event, error) {
					prev := r.Verdict
					r.Verdict = v
					f := r.File
					return &store.Event{Event: api.Event{Kind: api.EventReclassified, SHA256: h, Verdict: v, Previous: prev, File: &f}, Tenants: r.Tenants}, nil
				})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				for {
					ev := <-stream.C
					if ev.SHA256 == h && ev.Verdict == v {
						break
					}
				}
				lat = append(lat, time.Since(t0))
				deliver = append(deliver, time.Since(t1))
			}
			b.StopTimer()
			q := func(l []time.Duration, p float64) float64 {
				sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
				return float64(l[int(p*float64(len(l)-1))].Microseconds()) / 1000
			}
			b.ReportMetric(q(lat, 0.50), "p50-ms")
			b.ReportMetric(q(lat, 0.99), "p99-ms")
			b.ReportMetric(q(lat, 1), "max-ms")
			b.ReportMetric(q(deliver, 0.99), "p99-after-commit-ms")
		})
	}
}
