package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// Options every backend gets in the suite: short claim timeout and a tiny
// event history so that redelivery and trimming are reachable.
const (
	testClaimTimeout = 400 * time.Millisecond
	testEventsKept   = 5
)

func openBolt(t *testing.T) Store {
	t.Helper()
	s, err := OpenBolt(BoltOptions{Dir: t.TempDir(), ClaimTimeout: testClaimTimeout, EventsKept: testEventsKept})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func openRedis(t *testing.T) Store {
	t.Helper()
	srv := testredis.Start(t, testredis.Options{AOF: true})
	c := NewRedisClient(redisOptions(srv.Addr()))
	t.Cleanup(func() { c.Close() })
	s, err := OpenRedis(context.Background(), RedisOptions{Client: c, Prefix: "{t}:sbx:",
		ClaimTimeout: testClaimTimeout, EventsKept: testEventsKept})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformanceBolt(t *testing.T)  { runConformance(t, openBolt) }
func TestConformanceRedis(t *testing.T) { runConformance(t, openRedis) }

func hash(i int) string { return fmt.Sprintf("%064x", i+1) }

func newRecord(i int, tenant string) Record {
	return Record{
		File: api.File{SHA256: hash(i), Size: int64(100 + i), Category: verdict.Executable,
			Type: "application/x-test", State: api.StateQueued, FirstSeen: time.Now().UTC().Add(time.Duration(i) * time.Millisecond),
			Retention: api.Retain30d, ExpiresAt: time.Now().Add(time.Hour)},
		Tenants: []string{tenant},
	}
}

func submit(t *testing.T, s Store, i int, tenant string) Record {
	t.Helper()
	r, created, err := s.Submit(context.Background(), newRecord(i, tenant), []byte(fmt.Sprintf("sealed-%d", i)),
		Job{SHA256: hash(i), Reason: "upload"}, func(r *Record) bool {
			if r.HasTenant(tenant) {
				return false
			}
			r.Tenants = append(r.Tenants, tenant)
			return true
		})
	if err != nil {
		t.Fatal(err)
	}
	_ = created
	return r
}

func claim(t *testing.T, s Store, wait time.Duration) *Job {
	t.Helper()
	j, err := s.Claim(context.Background(), "c1", wait)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func runConformance(t *testing.T, open func(*testing.T) Store) {
	ctx := context.Background()

	t.Run("submit, get, sample, merge", func(t *testing.T) {
		s := open(t)
		r := submit(t, s, 0, "a")
		if !r.Retained || r.State != api.StateQueued {
			t.Fatalf("new record: %+v", r)
		}
		got, err := s.Get(ctx, hash(0))
		if err != nil || got.Size != 100 || got.Category != verdict.Executable || !got.HasTenant("a") {
			t.Fatalf("Get = %+v, %v", got, err)
		}
		b, err := s.Sample(ctx, hash(0))
		if err != nil || string(b) != "sealed-0" {
			t.Fatalf("Sample = %q, %v", b, err)
		}
		_, created, err := s.Submit(ctx, newRecord(0, "b"), []byte("other"), Job{SHA256: hash(0)}, func(r *Record) bool {
			r.Tenants = append(r.Tenants, "b")
			return true
		})
		if err != nil || created {
			t.Fatalf("second submit: created=%v err=%v", created, err)
		}
		got, _ = s.Get(ctx, hash(0))
		if !got.HasTenant("a") || !got.HasTenant("b") {
			t.Errorf("tenants after merge: %v", got.Tenants)
		}
		if b, _ := s.Sample(ctx, hash(0)); string(b) != "sealed-0" {
			t.Errorf("second submit replaced the sample: %q", b)
		}
		if n, _ := s.QueueDepth(ctx); n != 1 {
			t.Errorf("queue depth %d after one new and one known file, want 1", n)
		}
		if _, err := s.Get(ctx, hash(9)); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown Get: %v", err)
		}
		if _, err := s.Sample(ctx, hash(9)); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown Sample: %v", err)
		}
		many, err := s.GetMany(ctx, []string{hash(9), hash(0)})
		if err != nil || many[0] != nil || many[1] == nil || many[1].SHA256 != hash(0) {
			t.Errorf("GetMany = %v, %v", many, err)
		}
	})

	t.Run("concurrent submits create once", func(t *testing.T) {
		s := open(t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		creates := 0
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				_, created, err := s.Submit(ctx, newRecord(1, "a"), []byte("x"), Job{SHA256: hash(1)}, func(*Record) bool { return false })
				if err != nil {
					t.Error(err)
				}
				if created {
					mu.Lock()
					creates++
					mu.Unlock()
				}
			}(g)
		}
		wg.Wait()
		if n, _ := s.QueueDepth(ctx); creates != 1 || n != 1 {
			t.Errorf("%d creates, queue depth %d; want 1 and 1", creates, n)
		}
	})

	t.Run("update publishes atomically, skip writes nothing", func(t *testing.T) {
		s := open(t)
		submit(t, s, 0, "a")
		if m, _ := s.GetMany(ctx, []string{hash(0)}); m[0] == nil || m[0].Verdict != verdict.Unknown {
			t.Fatalf("GetMany before update: %+v", m[0])
		}
		r, ev, err := s.Update(ctx, hash(0), func(r *Record) (*Event, error) {
			r.State, r.Verdict = api.StateDone, verdict.Malicious
			r.Findings = []verdict.Finding{{Analyzer: "eicar", Rule: "x", Severity: verdict.Critical}}
			return &Event{Event: api.Event{Kind: api.EventVerdict, SHA256: r.SHA256, Verdict: r.Verdict}, Tenants: r.Tenants}, nil
		})
		if err != nil || ev == nil || ev.ID == "" || r.Verdict != verdict.Malicious {
			t.Fatalf("Update = %+v, %+v, %v", r, ev, err)
		}
		// GetMany (which may cache decoded records) sees the update.
		if m, _ := s.GetMany(ctx, []string{hash(0)}); m[0] == nil || m[0].Verdict != verdict.Malicious {
			t.Errorf("GetMany after update: %+v", m[0])
		}
		evs, err := s.Events(ctx, "", 10, 0)
		if err != nil || len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Tenants[0] != "a" || evs[0].Verdict != verdict.Malicious {
			t.Fatalf("Events = %+v, %v", evs, err)
		}
		if last, _ := s.LastEventID(ctx); last != ev.ID {
			t.Errorf("LastEventID = %q, want %q", last, ev.ID)
		}
		r, _, err = s.Update(ctx, hash(0), func(r *Record) (*Event, error) {
			r.Verdict = verdict.Clean
			return nil, ErrSkip
		})
		if err != nil || r.Verdict != verdict.Malicious {
			t.Errorf("ErrSkip changed the record: %+v, %v", r.Verdict, err)
		}
		if _, _, err := s.Update(ctx, hash(5), func(*Record) (*Event, error) { return nil, nil }); !errors.Is(err, ErrNotFound) {
			t.Errorf("Update of unknown: %v", err)
		}
	})

	t.Run("queue order, delay, ack", func(t *testing.T) {
		s := open(t)
		must(t, s.Enqueue(ctx, Job{SHA256: hash(1), Priority: PriorityLow, Reason: "reanalyze"}))
		must(t, s.Enqueue(ctx, Job{SHA256: hash(2), Priority: PriorityNormal, Reason: "retry", NotBefore: time.Now().Add(300 * time.Millisecond)}))
		must(t, s.Enqueue(ctx, Job{SHA256: hash(3), Priority: PriorityNormal, Reason: "upload"}))
		if n, _ := s.QueueDepth(ctx); n != 3 {
			t.Errorf("depth %d, want 3", n)
		}
		var order []string
		for i := 0; i < 3; i++ {
			j := claim(t, s, 3*time.Second)
			if j == nil {
				t.Fatalf("claim %d: nothing", i)
			}
			order = append(order, j.SHA256[60:]+"/"+j.Reason)
			must(t, s.Ack(ctx, j))
		}
		// Normal before low; the delayed job only once it is due, which is
		// after the low one was free to go.
		want := []string{"0004/upload", "0002/reanalyze", "0003/retry"}
		if fmt.Sprint(order) != fmt.Sprint(want) {
			t.Errorf("order %v, want %v", order, want)
		}
		if j := claim(t, s, 0); j != nil {
			t.Errorf("claimed %+v from an empty queue", j)
		}
		if n, _ := s.QueueDepth(ctx); n != 0 {
			t.Errorf("depth %d after acks, want 0", n)
		}
	})

	t.Run("claim waits for enqueue", func(t *testing.T) {
		s := open(t)
		go func() {
			time.Sleep(50 * time.Millisecond)
			s.Enqueue(ctx, Job{SHA256: hash(7)})
		}()
		j := claim(t, s, 10*time.Second)
		if j == nil || j.SHA256 != hash(7) {
			t.Fatalf("claim = %+v", j)
		}
	})

	t.Run("unrenewed job is redelivered, renewed one is not", func(t *testing.T) {
		s := open(t)
		must(t, s.Enqueue(ctx, Job{SHA256: hash(1)}))
		must(t, s.Enqueue(ctx, Job{SHA256: hash(2)}))
		a := claim(t, s, time.Second)
		b := claim(t, s, time.Second)
		if a == nil || b == nil || a.Redelivered {
			t.Fatalf("claims: %+v %+v", a, b)
		}
		// Keep b alive; let a lapse (its worker "died").
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-time.After(testClaimTimeout / 4):
					s.Renew(ctx, "c1", b)
				}
			}
		}()
		var again *Job
		for deadline := time.Now().Add(5 * time.Second); again == nil && time.Now().Before(deadline); {
			j, err := s.Claim(ctx, "c2", 100*time.Millisecond)
			must(t, err)
			again = j
		}
		close(stop)
		if again == nil || again.SHA256 != a.SHA256 || !again.Redelivered {
			t.Fatalf("redelivered %+v, want %s", again, a.SHA256)
		}
		must(t, s.Ack(ctx, again))
		must(t, s.Ack(ctx, b))
	})

	t.Run("samples, expiry, delete", func(t *testing.T) {
		s := open(t)
		submit(t, s, 0, "a")
		submit(t, s, 1, "a")
		r2 := newRecord(2, "a")
		r2.ExpiresAt = time.Time{} // never
		s.Submit(ctx, r2, []byte("s2"), Job{SHA256: hash(2)}, nil)
		exp, err := s.Expired(ctx, time.Now().Add(2*time.Hour), 10)
		if err != nil || len(exp) != 2 {
			t.Fatalf("Expired = %v, %v; want the two 30d samples", exp, err)
		}
		if exp, _ := s.Expired(ctx, time.Now(), 10); len(exp) != 0 {
			t.Errorf("expired too early: %v", exp)
		}
		// Findings quote the file; the verdict and rule names do not.
		_, _, err = s.Update(ctx, hash(0), func(r *Record) (*Event, error) {
			r.State, r.Verdict, r.Reason = api.StateDone, verdict.Unscannable, "members could not be read whole: invoice.pdf.exe"
			r.Findings = []verdict.Finding{
				{Analyzer: "archive", Rule: "executable-inside", Severity: verdict.High, Description: "holds a Windows program", Evidence: "invoice.pdf.exe"},
				{Analyzer: "script", Rule: "url", Severity: verdict.Info, Description: "contains a URL", Evidence: "http://evil.example/x"},
			}
			return nil, nil
		})
		must(t, err)
		must(t, s.DeleteSample(ctx, hash(0)))
		if r, _ := s.Get(ctx, hash(0)); !r.ContentPurged || r.Verdict != verdict.Unscannable || len(r.Findings) != 2 ||
			r.Findings[0].Rule != "executable-inside" || r.Findings[0].Description == "" || r.Findings[1].Analyzer != "script" ||
			r.Findings[0].Evidence != "" || r.Findings[1].Evidence != "" || r.Reason != ReasonPurged {
			t.Errorf("record after DeleteSample keeps content or lost the verdict: %+v", r)
		}
		for _, r := range mustGetMany(t, s, hash(0)) {
			if b, _ := json.Marshal(r); bytes.Contains(b, []byte("invoice.pdf.exe")) || bytes.Contains(b, []byte("evil.example")) {
				t.Errorf("GetMany after DeleteSample still quotes the file: %s", b)
			}
		}
		if _, err := s.Sample(ctx, hash(0)); !errors.Is(err, ErrNotFound) {
			t.Errorf("sample after DeleteSample: %v", err)
		}
		if r, _ := s.Get(ctx, hash(0)); r.Retained || r.SHA256 == "" {
			t.Errorf("record after DeleteSample: %+v", r)
		}
		if exp, _ := s.Expired(ctx, time.Now().Add(2*time.Hour), 10); len(exp) != 1 || exp[0] != hash(1) {
			t.Errorf("Expired after DeleteSample = %v", exp)
		}
		must(t, s.Delete(ctx, hash(1)))
		if _, err := s.Get(ctx, hash(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: %v", err)
		}
		if _, err := s.Sample(ctx, hash(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("Sample after Delete: %v", err)
		}
		if exp, _ := s.Expired(ctx, time.Now().Add(2*time.Hour), 10); len(exp) != 0 {
			t.Errorf("Expired after Delete = %v", exp)
		}
		if err := s.Delete(ctx, hash(1)); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete: %v", err)
		}
	})

	t.Run("list filters and pages", func(t *testing.T) {
		s := open(t)
		for i := 0; i < 7; i++ {
			submit(t, s, i, "a")
			if i%2 == 0 {
				s.Update(ctx, hash(i), func(r *Record) (*Event, error) { r.State, r.Verdict = api.StateDone, verdict.Clean; return nil, nil })
			}
		}
		var all []string
		cursor := ""
		for pages := 0; ; pages++ {
			recs, next, err := s.List(ctx, Filter{}, cursor, 3)
			must(t, err)
			for _, r := range recs {
				all = append(all, r.SHA256)
			}
			if next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			cursor = next
		}
		if len(all) != 7 || all[0] != hash(0) || all[6] != hash(6) {
			t.Errorf("paged list: %d records %v", len(all), all)
		}
		clean, _, err := s.List(ctx, Filter{Verdict: verdict.Clean}, "", 100)
		if err != nil || len(clean) != 4 {
			t.Errorf("clean: %d, %v", len(clean), err)
		}
		queued, _, _ := s.List(ctx, Filter{State: api.StateQueued, Tenant: "a"}, "", 100)
		if len(queued) != 3 {
			t.Errorf("queued: %d", len(queued))
		}
		if none, _, _ := s.List(ctx, Filter{Tenant: "b"}, "", 100); len(none) != 0 {
			t.Errorf("tenant b sees %d", len(none))
		}
		r3, _ := s.Get(ctx, hash(3))
		since, _, _ := s.List(ctx, Filter{Since: r3.FirstSeen}, "", 100)
		if len(since) != 4 {
			t.Errorf("since: %d, want 4", len(since))
		}
	})

	t.Run("events block, resume and gap", func(t *testing.T) {
		s := open(t)
		go func() {
			time.Sleep(50 * time.Millisecond)
			s.Publish(ctx, Event{Event: api.Event{Kind: api.EventDeleted, SHA256: hash(1)}})
		}()
		evs, err := s.Events(ctx, "", 10, 10*time.Second)
		if err != nil || len(evs) != 1 || evs[0].SHA256 != hash(1) {
			t.Fatalf("blocking Events = %+v, %v", evs, err)
		}
		first := evs[0].ID
		if gap, err := s.EventGap(ctx, first); err != nil || gap {
			t.Errorf("gap before trimming: %v %v", gap, err)
		}
		var last string
		for i := 0; i < 2*testEventsKept; i++ {
			e, err := s.Publish(ctx, Event{Event: api.Event{Kind: api.EventDeleted, SHA256: hash(i)}})
			must(t, err)
			last = e.ID
		}
		if gap, _ := s.EventGap(ctx, first); !gap {
			t.Error("no gap reported after the history was trimmed past the id")
		}
		if gap, _ := s.EventGap(ctx, last); gap {
			t.Error("gap reported for the newest id")
		}
		evs, _ = s.Events(ctx, first, 100, 0)
		if len(evs) != testEventsKept || evs[len(evs)-1].ID != last {
			t.Errorf("kept %d events, want %d ending at %s", len(evs), testEventsKept, last)
		}
		if evs, _ := s.Events(ctx, last, 10, 0); len(evs) != 0 {
			t.Errorf("events after the last: %v", evs)
		}
	})

	t.Run("meta swap", func(t *testing.T) {
		s := open(t)
		old, err := s.SwapMeta(ctx, "engine", "v1")
		if err != nil || old != "" {
			t.Fatalf("first swap: %q %v", old, err)
		}
		old, _ = s.SwapMeta(ctx, "engine", "v2")
		v, _ := s.Meta(ctx, "engine")
		if old != "v1" || v != "v2" {
			t.Errorf("swap: old %q now %q", old, v)
		}
		if v, _ := s.Meta(ctx, "nothing"); v != "" {
			t.Errorf("unset meta = %q", v)
		}
		must(t, s.Ping(ctx))
	})
}

func mustGetMany(t *testing.T, s Store, shas ...string) []*Record {
	t.Helper()
	rs, err := s.GetMany(context.Background(), shas)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = bytes.Equal
