package release

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/verdict"
)

// Verdict-to-delivery latency: from ApplyVerdict returning to the local
// SMTP sink having the message, with a release loop running. Reports p50
// and p99 over the iterations (the loop wakes on the change feed; Poll is
// set to 10s, so a result under it shows the feed, not polling, did it).
func BenchmarkVerdictToDelivery(b *testing.B) {
	for _, backend := range []string{"embedded", "redis"} {
		b.Run(backend, func(b *testing.B) {
			keys, err := holdqueue.LoadKeys(filepath.Join(b.TempDir(), "k"))
			if err != nil {
				b.Fatal(err)
			}
			var store holdqueue.Store
			if backend == "redis" {
				srv := testredis.Start(b, testredis.Options{AOF: true})
				rc := config.DefaultHoldQueue().Redis
				rc.Addrs = []string{srv.Addr()}
				rdb, _ := holdqueue.NewRedisClient(rc)
				defer rdb.Close()
				store, err = holdqueue.OpenRedis(context.Background(), rdb, rc, keys, quiet())
			} else {
				store, err = holdqueue.OpenBolt(filepath.Join(b.TempDir(), "hq.db"), keys, quiet())
			}
			if err != nil {
				b.Fatal(err)
			}
			defer store.Close()
			sink := smtpsink.Start(b, smtpsink.Options{})
			rel := testRelease()
			rel.Poll = 10 * time.Second
			loop := New(store, testDeliverer(b, sink.Addr()), config.DefaultPolicy(), rel, "bench", quiet())
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { loop.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			time.Sleep(100 * time.Millisecond) // let the feed reader pin its position

			var lat []time.Duration
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				h := sha(fmt.Sprint(backend, i, time.Now().UnixNano()))
				if _, err := store.Hold(ctx, message(i, time.Now().Add(time.Hour), h)); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				t0 := time.Now()
				if _, err := store.ApplyVerdict(ctx, h, verdict.Clean, ""); err != nil {
					b.Fatal(err)
				}
				wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
				msgs, err := sink.Wait(wctx, i+1)
				wcancel()
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, msgs[i].At.Sub(t0))
			}
			slices.Sort(lat)
			q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
			b.ReportMetric(q(0.5), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
		})
	}
}
