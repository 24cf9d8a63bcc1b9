package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

// fillHeld holds n messages from many goroutines at once (the embedded
// store batches concurrent holds into one fsynced commit).
func fillHeld(b *testing.B, e *env, n int) {
	b.Helper()
	start := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Value
	// Enough writers that bbolt batches up to its MaxBatchSize per commit.
	for range 1024 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				_, err := e.store.Hold(context.Background(), &holdqueue.NewMessage{
					Node: "bench", Mode: holdqueue.ModeMilter,
					Envelope: holdqueue.Envelope{ClientAddr: "192.0.2.7", MailFrom: fmt.Sprintf("sender%d@sender%d.example", i, i%100),
						RcptTo: []string{fmt.Sprintf("user%d@corp.example", i%5000)}},
					Subject:  fmt.Sprintf("=?utf-8?q?Invoice_n=C2=B0_%d?=", i),
					Files:    []holdqueue.File{{Path: fmt.Sprintf("invoice%d.zip/invoice.exe", i), SHA256: hashOf(fmt.Sprintf("f%d", i)), Category: verdict.Executable, Size: 4321}},
					Deadline: time.Now().Add(time.Hour),
					Data:     []byte("Subject: x\r\n\r\nbody\r\n"),
				})
				if err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.Logf("held %d messages in %v", n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkHeldFirstPage: the postponed-mail page's first page (50 rows)
// with 100,000 held messages in the embedded store, measured as server
// time through the whole handler (session check, List, Counts, template),
// and beside it the store's List alone as the baseline.
func BenchmarkHeldFirstPage(b *testing.B) {
	e := newEnv(b, envOpts{})
	e.srv.cfg.PageSize = 50
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("AIRLOCK_BENCH_HELD")); err == nil && v > 0 {
		n = v // quicker runs while profiling
	}
	fillHeld(b, e, n)
	c, _ := e.login(testUser, testPass)
	cookies := c.Jar.Cookies(mustURL(e.http.URL))
	h := e.srv.Handler()
	b.Run("handler", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/held", nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("handler-search-sender", func(b *testing.B) {
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, "/held?sender=sender42.example", nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatalf("status %d", w.Code)
			}
		}
	})
	b.Run("baseline-store-list", func(b *testing.B) {
		for b.Loop() {
			if _, err := e.store.List(context.Background(), holdqueue.Query{State: holdqueue.Held, Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
