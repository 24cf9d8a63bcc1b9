package holdqueue

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	bolt "go.etcd.io/bbolt"

	"github.com/airlockmail/airlock/internal/testredis"
)

// 50 KB messages, held from many goroutines at once, as an MTA under load
// would. Each Benchmark*Hold has a raw baseline beside it: the same bytes
// written with one plain command / one fsynced bbolt put, no sealing, no
// indexes.

func benchMessage(b *testing.B) *NewMessage {
	data := make([]byte, 50*1024)
	rand.Read(data)
	m := testMessage(1, sha("a"), sha("b"))
	m.Data = data
	return m
}

var benchSeq atomic.Int64

func fresh(m *NewMessage) *NewMessage {
	c := *m
	c.ID = ""
	c.Envelope.RcptTo = []string{fmt.Sprintf("user%d@corp.example", benchSeq.Add(1))}
	return &c
}

func BenchmarkHoldRedis(b *testing.B) {
	srv := testredis.Start(b, testredis.Options{AOF: true})
	s := openTestRedis(b, srv.Addr(), "bench", testKeys(b))
	m := benchMessage(b)
	b.SetBytes(int64(len(m.Data)))
	b.SetParallelism(benchParallel)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Hold(context.Background(), fresh(m)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
}

// The same without fsync (appendonly no): the ceiling of the code and the
// CPU here, to tell it apart from the disk. Never run like this in
// production (OpenRedis refuses it unless accept_no_fsync).
func BenchmarkHoldRedisNoFsync(b *testing.B) {
	srv := testredis.Start(b, testredis.Options{})
	c := redisConfig(srv.Addr(), "bench")
	c.AcceptNoFsync = true
	rdb, _ := NewRedisClient(c)
	defer rdb.Close()
	s, err := OpenRedis(context.Background(), rdb, c, testKeys(b), quietLog())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := benchMessage(b)
	b.SetBytes(int64(len(m.Data)))
	b.SetParallelism(benchParallel)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Hold(context.Background(), fresh(m)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
}

func BenchmarkHoldRedisBaselineRawSet(b *testing.B) {
	srv := testredis.Start(b, testredis.Options{AOF: true})
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	m := benchMessage(b)
	b.SetBytes(int64(len(m.Data)))
	b.SetParallelism(benchParallel)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := rdb.Set(context.Background(), fmt.Sprint("raw:", benchSeq.Add(1)), m.Data, 0).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
}

func BenchmarkHoldEmbedded(b *testing.B) {
	s := openTestBolt(b, filepath.Join(b.TempDir(), "hq.db"), testKeys(b))
	m := benchMessage(b)
	b.SetBytes(int64(len(m.Data)))
	b.SetParallelism(benchParallel)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Hold(context.Background(), fresh(m)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
}

func BenchmarkHoldEmbeddedBaselineRawPut(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err })
	m := benchMessage(b)
	b.SetBytes(int64(len(m.Data)))
	b.SetParallelism(benchParallel)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			err := db.Batch(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("b")).Put([]byte(newID(time.Now())), m.Data)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "holds/s")
}

// The web page's queries in a queue of 100,000: the first page newest
// first, a page deep in the queue (by cursor), counts, an exact search
// (sender address) and a sparse subject search (bounded scan). Filled in
// bulk (one transaction / pipelines) since the fill is not what is measured.
func BenchmarkList100k(b *testing.B) {
	const n = 100000
	for _, backend := range []string{"embedded", "redis"} {
		var s Store
		switch backend {
		case "redis":
			srv := testredis.Start(b, testredis.Options{AOF: true})
			r := openTestRedis(b, srv.Addr(), "list", testKeys(b))
			fillRedis(b, r, n)
			s = r
		default:
			bs := openTestBolt(b, filepath.Join(b.TempDir(), "hq.db"), testKeys(b))
			fillBolt(b, bs, n)
			s = bs
		}
		ctx := context.Background()
		first, err := s.List(ctx, Query{Limit: 50})
		if err != nil || len(first.Messages) != 50 {
			b.Fatalf("list: %v", err)
		}
		mid := idBound(time.Now().Add(-30 * time.Minute)) // fill spreads ids over the last hour
		cases := []struct {
			name string
			q    Query
			min  int
		}{
			{"first-page", Query{Limit: 50}, 50},
			{"deep-page", Query{Limit: 50, Cursor: mid}, 50},
			{"state-held", Query{Limit: 50, State: Held}, 50},
			{"sender-address", Query{Limit: 50, Sender: "alice1@sender.example"}, 50},
			{"subject-sparse", Query{Limit: 50, Subject: "subject 4242"}, 0},
		}
		for _, tc := range cases {
			b.Run(backend+"/"+tc.name, func(b *testing.B) {
				for b.Loop() {
					p, err := s.List(ctx, tc.q)
					if err != nil || len(p.Messages) < tc.min {
						b.Fatalf("list: %d, %v", len(p.Messages), err)
					}
				}
			})
		}
		b.Run(backend+"/counts", func(b *testing.B) {
			for b.Loop() {
				c, err := s.Counts(ctx)
				if err != nil || c.ByState[Held] != n {
					b.Fatalf("counts: %v %v", c, err)
				}
			}
		})
	}
}

// fillMessages makes n small messages held over the last hour.
func fillMessages(n int, each func(m *NewMessage, at time.Time)) {
	base := testMessage(1, sha("a"))
	base.Data = bytes.Repeat([]byte("x"), 512)
	start := time.Now().Add(-time.Hour)
	for i := range n {
		m := *base
		m.Envelope.MailFrom = fmt.Sprintf("alice%d@sender.example", i%3)
		m.Envelope.RcptTo = []string{fmt.Sprintf("user%d@corp.example", i)}
		m.Subject = fmt.Sprint("subject ", i)
		at := start.Add(time.Duration(i) * time.Hour / time.Duration(n))
		m.ID = newID(at)
		each(&m, at)
	}
}

func fillBolt(b *testing.B, s *Bolt, n int) {
	b.Helper()
	var holds []*boltHold
	fillMessages(n, func(m *NewMessage, at time.Time) {
		h, err := s.prepareHold(m, at)
		if err != nil {
			b.Fatal(err)
		}
		holds = append(holds, h)
	})
	for i := 0; i < len(holds); i += 10000 {
		err := s.db.Update(func(tx *bolt.Tx) error {
			for _, h := range holds[i:min(i+10000, len(holds))] {
				if err := h.write(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func fillRedis(b *testing.B, s *Redis, n int) {
	b.Helper()
	ctx := context.Background()
	if err := scriptHold.Load(ctx, s.rdb).Err(); err != nil {
		b.Fatal(err)
	}
	var batch [][]any
	flush := func() {
		_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, args := range batch {
				scriptHold.EvalSha(ctx, p, []string{s.mk(args[1].(string))}, args...)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	fillMessages(n, func(m *NewMessage, at time.Time) {
		args, err := s.holdArgs(m, at)
		if err != nil {
			b.Fatal(err)
		}
		batch = append(batch, args)
		if len(batch) == 1000 {
			flush()
		}
	})
	flush()
}

// benchParallel × GOMAXPROCS holders at once: an MTA with that many
// connections delivering. Group commit (Redis fsyncs once per event-loop
// turn; bbolt Batch) is what turns concurrency into throughput when each
// fsync costs milliseconds.
const benchParallel = 32
