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

// A page of 50, newest first, in a queue of 100,000: the web page's list
// must stay fast however long the queue is.
func BenchmarkListNewest100k(b *testing.B) {
	for _, backend := range []string{"embedded", "redis"} {
		b.Run(backend, func(b *testing.B) {
			var s Store
			if backend == "redis" {
				srv := testredis.Start(b, testredis.Options{AOF: true})
				s = openTestRedis(b, srv.Addr(), "list", testKeys(b))
			} else {
				s = openTestBolt(b, filepath.Join(b.TempDir(), "hq.db"), testKeys(b))
			}
			fillQueue(b, s, 100000)
			b.ResetTimer()
			for b.Loop() {
				p, err := s.List(context.Background(), Query{Limit: 50, Cursor: ""})
				if err != nil || len(p.Messages) != 50 {
					b.Fatalf("list: %v", err)
				}
				if _, err := s.Counts(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func fillQueue(b *testing.B, s Store, n int) {
	b.Helper()
	m := testMessage(1, sha("a"))
	m.Data = bytes.Repeat([]byte("x"), 512)
	sem := make(chan struct{}, 32)
	errs := make(chan error, 1)
	for i := range n {
		sem <- struct{}{}
		go func() {
			defer func() { <-sem }()
			c := fresh(m)
			c.Subject = fmt.Sprint("subject ", i)
			if _, err := s.Hold(context.Background(), c); err != nil {
				select {
				case errs <- err:
				default:
				}
			}
		}()
	}
	for range cap(sem) {
		sem <- struct{}{}
	}
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// benchParallel × GOMAXPROCS holders at once: an MTA with that many
// connections delivering. Group commit (Redis fsyncs once per event-loop
// turn; bbolt Batch) is what turns concurrency into throughput when each
// fsync costs milliseconds.
const benchParallel = 32
