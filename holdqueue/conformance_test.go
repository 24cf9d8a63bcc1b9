package holdqueue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// clock is a settable time for the suite: both backends take "now" from
// the store (Redis scripts get it as an argument), so leases and deadlines
// are tested without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type clocked interface{ setClock(func() time.Time) }

// factory opens a fresh, empty store for one subtest.
type factory func(t *testing.T) Store

func sha(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

func testMessage(i int, hashes ...string) *NewMessage {
	m := &NewMessage{
		Node: "node-a",
		Mode: ModeMilter,
		Envelope: Envelope{
			ClientAddr: "192.0.2.7",
			Helo:       "mx.sender.example",
			MailFrom:   fmt.Sprintf("alice%d@Sender.Example", i%3),
			RcptTo:     []string{fmt.Sprintf("bob%d@corp.example", i), "audit@corp.example"},
		},
		Subject:  fmt.Sprintf("Invoice number %d secret-subject", i),
		Deadline: time.Now().Add(time.Hour),
		Data:     []byte(fmt.Sprintf("Subject: Invoice number %d secret-subject\r\n\r\nbody %d TOPSECRETBODY\r\n", i, i)),
	}
	for j, h := range hashes {
		m.Files = append(m.Files, File{Path: fmt.Sprintf("invoice%d.zip/file%d.exe", i, j), SHA256: h, Category: verdict.Executable, Size: 100})
	}
	return m
}

// runConformance is THE suite: a backend is done when it passes.
func runConformance(t *testing.T, open factory) {
	ctx := context.Background()
	setup := func(t *testing.T) (Store, *clock) {
		t.Helper()
		s := open(t)
		c := &clock{t: time.Now().Truncate(time.Millisecond)}
		s.(clocked).setClock(c.now)
		return s, c
	}
	hold := func(t *testing.T, s Store, m *NewMessage) string {
		t.Helper()
		id, err := s.Hold(ctx, m)
		if err != nil {
			t.Fatalf("hold: %v", err)
		}
		return id
	}
	claimNone := func(t *testing.T, s Store) {
		t.Helper()
		if c, err := s.Claim(ctx, "n", time.Minute); !errors.Is(err, ErrNothingReady) {
			t.Fatalf("claim: want nothing ready, got %v %v", c, err)
		}
	}
	claim := func(t *testing.T, s Store, node string) *Claimed {
		t.Helper()
		c, err := s.Claim(ctx, node, time.Minute)
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		return c
	}
	state := func(t *testing.T, s Store, id string, want State) *Message {
		t.Helper()
		m, err := s.Get(ctx, id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if m.State != want {
			t.Fatalf("state of %s = %s, want %s; history %+v", id, m.State, want, m.History)
		}
		return m
	}

	t.Run("HoldGetBody", func(t *testing.T) {
		s, _ := setup(t)
		in := testMessage(1, sha("a"), sha("b"))
		id := hold(t, s, in)
		m := state(t, s, id, Held)
		if m.Envelope.MailFrom != in.Envelope.MailFrom || len(m.Envelope.RcptTo) != 2 || m.Subject != in.Subject {
			t.Fatalf("envelope/subject not kept: %+v", m)
		}
		if len(m.Files) != 2 || m.Files[1].Path != in.Files[1].Path || m.Files[0].Verdict != verdict.Unknown || !m.Pending() {
			t.Fatalf("files: %+v", m.Files)
		}
		if len(m.History) != 1 || m.History[0].State != Held {
			t.Fatalf("history: %+v", m.History)
		}
		b, err := s.Body(ctx, id)
		if err != nil || !bytes.Equal(b, in.Data) {
			t.Fatalf("body = %q, %v", b, err)
		}
		if _, err := s.Get(ctx, "01JUNKJUNKJUNKJUNKJUNKJUNK"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
	})

	t.Run("NameVerdictSurvivesSandboxVerdict", func(t *testing.T) {
		s, _ := setup(t)
		in := testMessage(1, sha("named"))
		in.Files[0].NameVerdict = verdict.HighlySuspicious
		in.Files[0].NameSummary = "name/double-extension: invoice.pdf.exe"
		id := hold(t, s, in)
		if _, err := s.ApplyVerdict(ctx, sha("named"), verdict.Clean, ""); err != nil {
			t.Fatal(err)
		}
		m := state(t, s, id, Held)
		f := m.Files[0]
		if f.Verdict != verdict.Clean || f.NameVerdict != verdict.HighlySuspicious || f.NameSummary != in.Files[0].NameSummary {
			t.Fatalf("file after the sandbox verdict: %+v", f)
		}
		if m.Pending() || m.Worst() != verdict.HighlySuspicious {
			t.Fatalf("pending %v, worst %s: the name verdict must count", m.Pending(), m.Worst())
		}
	})

	t.Run("NotesAndOnceMarkers", func(t *testing.T) {
		s, _ := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		if ok, err := s.Note(ctx, id, "node-1", "released copy passed the gate", "release-pass"); err != nil || !ok {
			t.Fatalf("first note: %v %v", ok, err)
		}
		// Another node presenting the same release header again.
		if ok, err := s.Note(ctx, id, "node-2", "released copy passed the gate", "release-pass"); err != nil || ok {
			t.Fatalf("second once-note: want false, got %v %v", ok, err)
		}
		if ok, err := s.Note(ctx, id, "system", "retro alert: x is now malicious", ""); err != nil || !ok {
			t.Fatalf("plain note: %v %v", ok, err)
		}
		m := state(t, s, id, Held)
		if len(m.History) != 3 || m.History[1].Actor != "node-1" || m.History[1].State != Held ||
			m.History[2].Reason != "retro alert: x is now malicious" {
			t.Fatalf("history: %+v", m.History)
		}
		if _, err := s.Note(ctx, "01JUNKJUNKJUNKJUNKJUNKJUNK", "n", "r", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("note on a missing message: %v", err)
		}
		// Notes change nothing else: the message is still claimable
		// once its verdict is in.
		if n, err := s.ApplyVerdict(ctx, sha("a"), verdict.Clean, ""); err != nil || n != 1 {
			t.Fatalf("apply: %d %v", n, err)
		}
		claim(t, s, "n")
	})

	t.Run("VerdictsMakeReady", func(t *testing.T) {
		s, _ := setup(t)
		id := hold(t, s, testMessage(1, sha("a"), sha("b"), sha("a")))
		other := hold(t, s, testMessage(2, sha("b")))
		claimNone(t, s)
		if n, err := s.ApplyVerdict(ctx, sha("a"), verdict.Clean, ""); err != nil || n != 1 {
			t.Fatalf("apply a: %d %v", n, err)
		}
		claimNone(t, s)
		// Upper-case hex must find the same messages.
		n, err := s.ApplyVerdict(ctx, stringsToUpper(sha("b")), verdict.Malicious, "PE dropper")
		if err != nil || n != 2 {
			t.Fatalf("apply b: %d %v", n, err)
		}
		// Applying again changes nothing.
		if n, _ := s.ApplyVerdict(ctx, sha("b"), verdict.Clean, ""); n != 0 {
			t.Fatalf("second apply updated %d", n)
		}
		got := map[string]*Claimed{}
		for range 2 {
			c := claim(t, s, "n1")
			got[c.Lease.ID] = c
		}
		claimNone(t, s)
		c := got[id]
		if c == nil || got[other] == nil {
			t.Fatalf("claimed %v", got)
		}
		if c.Message.Worst() != verdict.Malicious || c.Message.Pending() || c.Message.Files[1].Summary != "PE dropper" {
			t.Fatalf("claimed message: %+v", c.Message.Files)
		}
		if c.Message.State != Releasing || c.Message.LeaseNode != "n1" || string(c.Data) == "" {
			t.Fatalf("claimed: %+v", c.Message)
		}
	})

	t.Run("VerdictJustBeforeHold", func(t *testing.T) {
		s, _ := setup(t)
		// The gate looked the hash up, found nothing, and the verdict
		// arrived before the hold: the message must not wait for its
		// deadline.
		if n, err := s.ApplyVerdict(ctx, sha("early"), verdict.Suspicious, "macro"); err != nil || n != 0 {
			t.Fatalf("apply: %d %v", n, err)
		}
		id := hold(t, s, testMessage(1, sha("early"), sha("late")))
		claimNone(t, s)
		m := state(t, s, id, Held)
		if m.Files[0].Verdict != verdict.Suspicious || m.Files[1].Verdict != verdict.Unknown {
			t.Fatalf("files %+v", m.Files)
		}
		s.ApplyVerdict(ctx, sha("late"), verdict.Clean, "")
		c := claim(t, s, "n")
		if c.Lease.ID != id || c.Message.Worst() != verdict.Suspicious {
			t.Fatalf("claimed %+v", c.Message.Files)
		}
		id2 := hold(t, s, testMessage(2, sha("early")))
		if c := claim(t, s, "n"); c.Lease.ID != id2 {
			t.Fatalf("fully judged at hold, not ready: %s", c.Lease.ID)
		}
	})

	t.Run("NoFilesIsReadyAtOnce", func(t *testing.T) {
		s, _ := setup(t)
		m := testMessage(1)
		m.Files = []File{{Path: "a.doc", SHA256: sha("x"), Category: verdict.Document, Verdict: verdict.Clean}}
		id := hold(t, s, m)
		if c := claim(t, s, "n"); c.Lease.ID != id {
			t.Fatalf("claimed %s", c.Lease.ID)
		}
	})

	t.Run("DeadlineMakesReady", func(t *testing.T) {
		s, clk := setup(t)
		m := testMessage(1, sha("a"))
		m.Deadline = clk.now().Add(10 * time.Minute)
		id := hold(t, s, m)
		claimNone(t, s)
		clk.add(10*time.Minute + time.Millisecond)
		c := claim(t, s, "n")
		if c.Lease.ID != id || !c.Message.Pending() {
			t.Fatalf("claimed %+v", c.Message)
		}
	})

	t.Run("LeaseExpiryAndFencing", func(t *testing.T) {
		s, clk := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		s.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
		c1, err := s.Claim(ctx, "n1", 30*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		claimNone(t, s)
		clk.add(20 * time.Second)
		if err := s.Renew(ctx, &c1.Lease, 30*time.Second); err != nil {
			t.Fatalf("renew: %v", err)
		}
		clk.add(20 * time.Second) // 40s after claim, but renewed: still ours
		claimNone(t, s)
		clk.add(11 * time.Second) // lease ran out; n1 is presumed dead
		c2 := claim(t, s, "n2")
		if c2.Lease.ID != id {
			t.Fatalf("claimed %s", c2.Lease.ID)
		}
		if err := s.Renew(ctx, &c1.Lease, time.Minute); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("renew lost lease: %v", err)
		}
		if err := s.Complete(ctx, &c1.Lease, Outcome{State: Delivered}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("complete lost lease: %v", err)
		}
		if err := s.Complete(ctx, &c2.Lease, Outcome{State: Delivered, Reason: "250 ok"}); err != nil {
			t.Fatal(err)
		}
		m := state(t, s, id, Delivered)
		if err := s.Complete(ctx, &c2.Lease, Outcome{State: Delivered}); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("second complete: %v", err)
		}
		if n := len(m.History); n != 5 { // held, verdict, claim n1, claim n2, delivered
			t.Fatalf("history has %d entries: %+v", n, m.History)
		}
		claimNone(t, s)
	})

	t.Run("RetryBackoff", func(t *testing.T) {
		s, clk := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		s.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
		c := claim(t, s, "n1")
		if err := s.Retry(ctx, &c.Lease, clk.now().Add(time.Minute), "451 4.3.0 try later"); err != nil {
			t.Fatal(err)
		}
		m := state(t, s, id, Releasing)
		if m.Attempts != 1 || m.LastReply != "451 4.3.0 try later" || m.LeaseNode != "" {
			t.Fatalf("after retry: %+v", m)
		}
		claimNone(t, s)
		clk.add(time.Minute)
		c = claim(t, s, "n2")
		if c.Message.Attempts != 1 {
			t.Fatalf("attempts %d", c.Message.Attempts)
		}
	})

	t.Run("FailedThenAdminRetry", func(t *testing.T) {
		s, _ := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		s.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
		c := claim(t, s, "n1")
		if err := s.Complete(ctx, &c.Lease, Outcome{State: Failed, Reason: "next hop refused", Reply: "550 5.1.1 no such user"}); err != nil {
			t.Fatal(err)
		}
		m := state(t, s, id, Failed)
		if m.LastReply != "550 5.1.1 no such user" {
			t.Fatalf("reply %q", m.LastReply)
		}
		claimNone(t, s)
		if err := s.Release(ctx, id, "admin:carol", "retry after fixing the mailbox"); err != nil {
			t.Fatal(err)
		}
		c = claim(t, s, "n1")
		if c.Lease.ID != id || !c.Message.Released {
			t.Fatalf("after admin retry: %+v", c.Message)
		}
		last := c.Message.History[len(c.Message.History)-2]
		if last.Actor != "admin:carol" || last.State != Releasing {
			t.Fatalf("admin not in history: %+v", c.Message.History)
		}
	})

	t.Run("QuarantineAndAdminRelease", func(t *testing.T) {
		s, _ := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		s.ApplyVerdict(ctx, sha("a"), verdict.Malicious, "")
		c := claim(t, s, "n1")
		if err := s.Complete(ctx, &c.Lease, Outcome{State: Quarantined, Actor: ActorVerdict, Reason: "malicious"}); err != nil {
			t.Fatal(err)
		}
		state(t, s, id, Quarantined)
		claimNone(t, s)
		if err := s.Quarantine(ctx, id, "admin:x", ""); !errors.Is(err, ErrState) {
			t.Fatalf("quarantine twice: %v", err)
		}
		if err := s.Release(ctx, id, "admin:dave", "false positive"); err != nil {
			t.Fatal(err)
		}
		c = claim(t, s, "n1")
		if !c.Message.Released {
			t.Fatal("not marked released")
		}
		// An admin cannot act while a loop holds the lease.
		if err := s.Delete(ctx, id, "admin:dave", ""); !errors.Is(err, ErrState) {
			t.Fatalf("delete while leased: %v", err)
		}
		if err := s.Complete(ctx, &c.Lease, Outcome{State: Delivered}); err != nil {
			t.Fatal(err)
		}
		if err := s.Release(ctx, id, "admin:dave", ""); !errors.Is(err, ErrState) {
			t.Fatalf("release delivered: %v", err)
		}
	})

	t.Run("AdminQuarantineHeldAndDelete", func(t *testing.T) {
		s, _ := setup(t)
		id := hold(t, s, testMessage(1, sha("a")))
		if err := s.Quarantine(ctx, id, "admin:e", "looks bad"); err != nil {
			t.Fatal(err)
		}
		// A verdict arriving later does not take it out of quarantine.
		s.ApplyVerdict(ctx, sha("a"), verdict.Clean, "")
		claimNone(t, s)
		state(t, s, id, Quarantined)
		if err := s.Delete(ctx, id, "admin:e", "spam"); err != nil {
			t.Fatal(err)
		}
		state(t, s, id, Deleted)
		if _, err := s.Body(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("body after delete: %v", err)
		}
		if err := s.Delete(ctx, "01JUNKJUNKJUNKJUNKJUNKJUNK", "admin:e", ""); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete missing: %v", err)
		}
	})

	t.Run("ListSearchCountsPurge", func(t *testing.T) {
		s, clk := setup(t)
		var ids []string
		start := clk.now()
		for i := range 30 {
			ids = append(ids, hold(t, s, testMessage(i, sha(fmt.Sprint("f", i%5)))))
			clk.add(time.Second)
		}
		// Newest first, paged by cursor, nothing lost or repeated.
		var all []string
		q := Query{Limit: 7}
		for {
			p, err := s.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				all = append(all, m.ID)
			}
			if p.Next == "" {
				break
			}
			q.Cursor = p.Next
		}
		if len(all) != 30 {
			t.Fatalf("paged %d messages", len(all))
		}
		for i := range all {
			if all[i] != ids[29-i] {
				t.Fatalf("order: position %d is %s, want %s", i, all[i], ids[29-i])
			}
		}
		cases := []struct {
			name string
			q    Query
			want int
		}{
			{"sender address", Query{Sender: "ALICE1@sender.example"}, 10},
			{"sender domain", Query{Sender: "sender.example"}, 30},
			{"sender domain with at", Query{Sender: "@sender.example"}, 30},
			{"recipient", Query{Recipient: "bob7@corp.example"}, 1},
			{"recipient domain", Query{Recipient: "corp.example"}, 30},
			{"hash", Query{Hash: sha("f3")}, 6},
			{"hash and sender", Query{Hash: sha("f3"), Sender: "alice0@sender.example"}, 2},
			{"subject", Query{Subject: "NUMBER 2"}, 11},
			{"time range", Query{From: start.Add(10 * time.Second), To: start.Add(15 * time.Second)}, 5},
			{"state", Query{State: Held}, 30},
			{"state none", Query{State: Delivered}, 0},
			{"unknown sender", Query{Sender: "mallory@evil.example"}, 0},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.q.Limit = 100
				p, err := s.List(ctx, tc.q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Messages) != tc.want {
					t.Fatalf("%d matches, want %d", len(p.Messages), tc.want)
				}
			})
		}
		s.ApplyVerdict(ctx, sha("f0"), verdict.Clean, "")
		for range 6 {
			c := claim(t, s, "n")
			s.Complete(ctx, &c.Lease, Outcome{State: Delivered})
		}
		cn, err := s.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cn.ByState[Held] != 24 || cn.ByState[Delivered] != 6 {
			t.Fatalf("counts %v", cn.ByState)
		}
		if d := cn.OldestHeld.Sub(start.Add(time.Second)); d < -time.Second || d > time.Second {
			t.Fatalf("oldest held %s, start %s", cn.OldestHeld, start)
		}
		n, err := s.Purge(ctx, Delivered, clk.now().Add(time.Second))
		if err != nil || n != 6 {
			t.Fatalf("purge: %d %v", n, err)
		}
		if _, err := s.Get(ctx, ids[0]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("purged message still there: %v", err)
		}
		if p, _ := s.List(ctx, Query{Hash: sha("f0"), Limit: 100}); len(p.Messages) != 0 {
			t.Fatalf("purged message still indexed: %d", len(p.Messages))
		}
		cn, _ = s.Counts(ctx)
		if cn.ByState[Delivered] != 0 || cn.ByState[Held] != 24 {
			t.Fatalf("counts after purge %v", cn.ByState)
		}
	})

	t.Run("Feed", func(t *testing.T) {
		s, _ := setup(t)
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		ch, err := s.Subscribe(fctx)
		if err != nil {
			t.Fatal(err)
		}
		// The Redis reader pins its position asynchronously; hold until
		// the first change shows up.
		var id string
		deadline := time.After(10 * time.Second)
		for {
			id = hold(t, s, testMessage(1, sha("a")))
			select {
			case c := <-ch:
				if c.State != Held {
					t.Fatalf("change %+v", c)
				}
			case <-time.After(300 * time.Millisecond):
				continue
			case <-deadline:
				t.Fatal("no change seen")
			}
			break
		}
		if err := s.Quarantine(ctx, id, "admin:f", ""); err != nil {
			t.Fatal(err)
		}
		for {
			select {
			case c := <-ch:
				if c.ID == id && c.State == Quarantined && c.Actor == "admin:f" {
					return
				}
			case <-deadline:
				t.Fatal("quarantine change not seen")
			}
		}
	})

	t.Run("ConcurrentClaimsNeverShare", func(t *testing.T) {
		s, _ := setup(t)
		const n = 60
		for i := range n {
			m := testMessage(i)
			m.Files = nil
			hold(t, s, m)
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					c, err := s.Claim(ctx, fmt.Sprint("w", w), time.Minute)
					if errors.Is(err, ErrNothingReady) {
						return
					}
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					seen[c.Lease.ID]++
					mu.Unlock()
					if err := s.Complete(ctx, &c.Lease, Outcome{State: Delivered}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		if len(seen) != n {
			t.Fatalf("claimed %d distinct, want %d", len(seen), n)
		}
		for id, k := range seen {
			if k != 1 {
				t.Fatalf("%s claimed %d times", id, k)
			}
		}
	})
}

func stringsToUpper(s string) string { return string(bytes.ToUpper([]byte(s))) }
