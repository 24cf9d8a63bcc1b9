package soak

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
)

// Outcome is where a message ended.
type Outcome string

// Outcomes. Every message answered 250 must end in one of the first four.
const (
	Delivered   Outcome = "delivered"
	Quarantined Outcome = "quarantined"
	FailedOut   Outcome = "failed (reason kept)"
	StillHeld   Outcome = "held, deadline ahead"
	Lost        Outcome = "LOST"
	Rejected5xx Outcome = "rejected 5xx at SMTP"
	Refused     Outcome = "refused (4xx until give-up)"
)

// Accounting is the end state of every message.
type Accounting struct {
	Sent int
	// Of[outcome] counts messages; ByKind[kind][outcome] the same by kind.
	Of     map[Outcome]int
	ByKind map[Kind]map[Outcome]int
	// Accepted is how many were answered 250.
	Accepted int
	// Duplicates is extra delivered copies of accepted messages.
	Duplicates int
	// Retried is how many messages needed more than one try.
	Retried int
	// DeliveredUnacked: delivered although the sender never saw a 250
	// (the connection broke after the final dot), so it resent.
	DeliveredUnacked int
	// LostIDs names the lost messages with what is known of them.
	LostIDs []string
	// HeldLatency is acceptance → delivery for mail that was held.
	HeldLatency []time.Duration
	// HostileUndecided counts bombs, broken MIME and encrypted archives
	// accepted but neither delivered, quarantined nor failed.
	HostileUndecided int
	// BadDelivered counts EICAR copies that reached the sink.
	BadDelivered int
	// RejectReasons counts 5xx replies by text.
	RejectReasons map[string]int
}

// openStore opens the campaign's hold queue through its Redis store, as
// the nodes do.
func openStore(ctx context.Context, c *Cluster) (holdqueue.Store, func(), error) {
	keys, err := holdqueue.LoadKeys(c.keyFile)
	if err != nil {
		return nil, nil, err
	}
	rc := config.DefaultHoldQueue().Redis
	rc.Addrs = []string{c.Redis.Addr()}
	rc.Prefix = c.Prefix
	rdb, err := holdqueue.NewRedisClient(rc)
	if err != nil {
		return nil, nil, err
	}
	s, err := holdqueue.OpenRedis(ctx, rdb, rc, keys, slog.New(slog.DiscardHandler))
	if err != nil {
		rdb.Close()
		return nil, nil, err
	}
	return s, func() { s.Close(); rdb.Close() }, nil
}

// holdBusy counts messages not yet decided: held (waiting for a verdict,
// the deadline or a retry) and releasing.
func holdBusy(c *Cluster) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, done, err := openStore(ctx, c)
	if err != nil {
		return 0, err
	}
	defer done()
	all, err := listAll(ctx, s)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range all {
		if m.State == holdqueue.Releasing || m.State == holdqueue.Held {
			n++
		}
	}
	return n, nil
}

func listAll(ctx context.Context, s holdqueue.Store) ([]*holdqueue.Message, error) {
	var out []*holdqueue.Message
	q := holdqueue.Query{Limit: 1000}
	for {
		p, err := s.List(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("list hold queue: %w", err)
		}
		out = append(out, p.Messages...)
		if p.Next == "" {
			return out, nil
		}
		q.Cursor = p.Next
	}
}

// messageID returns the Message-ID field's value without brackets.
func messageID(data []byte) string {
	hdr := data
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		hdr = data[:i]
	}
	for _, l := range strings.Split(string(hdr), "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "Message-ID") {
			return strings.Trim(strings.TrimSpace(v), "<>")
		}
	}
	return ""
}

func hasField(data []byte, name string) bool {
	hdr := data
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		hdr = data[:i]
	}
	for _, l := range strings.Split(string(hdr), "\r\n") {
		if k, _, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// account classifies every message after the drain.
func account(t testing.TB, c *Cluster, msgs []*Msg) Accounting {
	t.Helper()
	a := Accounting{Sent: len(msgs), Of: map[Outcome]int{}, ByKind: map[Kind]map[Outcome]int{}, RejectReasons: map[string]int{}}
	copies := map[string][]time.Time{}
	heldCopy := map[string]bool{}
	for _, m := range c.Sink.Messages() {
		id := messageID(m.Data)
		copies[id] = append(copies[id], m.At)
		if hasField(m.Data, "X-Airlock-Held") {
			heldCopy[id] = true
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, done, err := openStore(ctx, c)
	if err != nil {
		t.Fatalf("soak: open hold queue: %v", err)
	}
	defer done()
	all, err := listAll(ctx, s)
	if err != nil {
		t.Fatalf("soak: %v", err)
	}
	inQueue := map[string][]*holdqueue.Message{}
	for _, m := range all {
		// Subject: "soak <id> <kind>".
		if f := strings.Fields(m.Subject); len(f) >= 2 && f[0] == "soak" {
			inQueue[f[1]] = append(inQueue[f[1]], m)
		}
	}
	now := time.Now()
	for _, m := range msgs {
		var out Outcome
		got := copies[m.ID]
		if m.Tries > 1 {
			a.Retried++
		}
		if m.Kind == Eicar {
			a.BadDelivered += len(got)
		}
		switch {
		case m.Code == 250:
			a.Accepted++
			out = classify(m, got, inQueue[m.ID], now)
			if len(got) > 1 {
				a.Duplicates += len(got) - 1
			}
			if heldCopy[m.ID] && len(got) > 0 {
				a.HeldLatency = append(a.HeldLatency, got[0].Sub(m.Accepted))
			}
		case m.Code >= 500:
			out = Rejected5xx
			a.RejectReasons[shortReason(m.Reply)]++
		default:
			out = Refused
		}
		if m.Code != 250 && len(got) > 0 {
			a.DeliveredUnacked++
		}
		if out == Lost {
			var states []string
			for _, q := range inQueue[m.ID] {
				states = append(states, fmt.Sprintf("%s %s deadline %s attempts %d last %q", q.ID, q.State, q.Deadline.Format(time.RFC3339), q.Attempts, q.LastReply))
			}
			a.LostIDs = append(a.LostIDs, fmt.Sprintf("%s (%s via %s, tries %d, reply %q, queue: %s)", m.ID, m.Kind, m.Via, m.Tries, m.Reply, strings.Join(states, "; ")))
		}
		if (m.Kind == Bomb || m.Kind == BadMIME || m.Kind == Encrypted) && (out == Lost || out == StillHeld) {
			a.HostileUndecided++
		}
		a.Of[out]++
		if a.ByKind[m.Kind] == nil {
			a.ByKind[m.Kind] = map[Outcome]int{}
		}
		a.ByKind[m.Kind][out]++
	}
	return a
}

// classify places one accepted message.
func classify(m *Msg, delivered []time.Time, q []*holdqueue.Message, now time.Time) Outcome {
	if len(delivered) > 0 {
		return Delivered
	}
	for _, e := range q {
		switch e.State {
		case holdqueue.Quarantined:
			return Quarantined
		case holdqueue.Failed:
			if e.LastReply != "" || len(e.History) > 0 {
				return FailedOut
			}
		}
	}
	for _, e := range q {
		if e.State == holdqueue.Held && e.Deadline.After(now) {
			return StillHeld
		}
	}
	return Lost
}

func shortReason(s string) string {
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}

// report renders the result as markdown.
func report(r *Result) string {
	var b strings.Builder
	a := r.Acct
	fmt.Fprintf(&b, "## Soak campaign, seed %d\n\n", r.Opts.Seed)
	fmt.Fprintf(&b, "%d messages over %s (%d senders), hold timeout %s; ran %s.\n\n", r.Opts.Count, r.Opts.Duration, r.Opts.Senders, r.Opts.HoldTimeout, r.Elapsed.Round(time.Second))
	b.WriteString("| count | value |\n| --- | --- |\n")
	dupPct := 0.0
	if a.Accepted > 0 {
		dupPct = 100 * float64(a.Duplicates) / float64(a.Accepted)
	}
	rows := []struct {
		k string
		v any
	}{
		{"sent", a.Sent}, {"answered 250", a.Accepted},
		{"· delivered to the sink", a.Of[Delivered]}, {"· quarantined", a.Of[Quarantined]},
		{"· failed with a reason", a.Of[FailedOut]}, {"· still held, deadline ahead", a.Of[StillHeld]},
		{"· **lost**", a.Of[Lost]},
		{"duplicates delivered", fmt.Sprintf("%d (%.2f%%)", a.Duplicates, dupPct)},
		{"rejected 5xx at SMTP", a.Of[Rejected5xx]}, {"refused (4xx until give-up)", a.Of[Refused]},
		{"needed a retry (4xx or broken connection)", a.Retried},
		{"delivered without a 250 seen (connection broke after the dot)", a.DeliveredUnacked},
		{"hostile (bomb, broken MIME, encrypted) undecided", a.HostileUndecided},
		{"EICAR copies delivered", a.BadDelivered},
	}
	for _, x := range rows {
		fmt.Fprintf(&b, "| %s | %v |\n", x.k, x.v)
	}
	b.WriteString("\n### By kind\n\n| kind | sent | ")
	outs := []Outcome{Delivered, Quarantined, FailedOut, StillHeld, Lost, Rejected5xx, Refused}
	for _, o := range outs {
		fmt.Fprintf(&b, "%s | ", o)
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(outs)) + "\n")
	var kinds []string
	for k := range a.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		m := a.ByKind[Kind(k)]
		n := 0
		for _, v := range m {
			n += v
		}
		fmt.Fprintf(&b, "| %s | %d |", k, n)
		for _, o := range outs {
			fmt.Fprintf(&b, " %d |", m[o])
		}
		b.WriteString("\n")
	}
	if len(a.RejectReasons) > 0 {
		b.WriteString("\n### 5xx replies\n\n| reply | count |\n| --- | --- |\n")
		var rs []string
		for k := range a.RejectReasons {
			rs = append(rs, k)
		}
		sort.Strings(rs)
		for _, k := range rs {
			fmt.Fprintf(&b, "| %s | %d |\n", strings.ReplaceAll(k, "|", "/"), a.RejectReasons[k])
		}
	}
	b.WriteString("\n### Fault schedule\n\n| at | fault | pause | what happened |\n| --- | --- | --- | --- |\n")
	for _, f := range r.Faults {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.At.Round(time.Second), f.What, f.Pause, f.Note)
	}
	fmt.Fprintf(&b, "\n### Held mail, acceptance → delivery (%d messages)\n\n| p50 | p95 | max |\n| --- | --- | --- |\n| %s | %s | %s |\n",
		len(a.HeldLatency), percentile(a.HeldLatency, .5).Round(time.Millisecond), percentile(a.HeldLatency, .95).Round(time.Millisecond), percentile(a.HeldLatency, 1).Round(time.Millisecond))
	b.WriteString("\n### RSS (sampled every " + r.Opts.RSSEvery.String() + ")\n\n| process | samples | first KiB | last KiB | max KiB | slope after 1st minute of last instance |\n| --- | --- | --- | --- | --- | --- |\n")
	var names []string
	for n := range r.RSS {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := r.RSS[n]
		var mx int64
		for _, x := range s {
			mx = max(mx, x.KB)
		}
		slope, k, ok := rssSlope(s)
		sl := fmt.Sprintf("n/a (%d samples after the first minute)", k)
		if ok {
			sl = fmt.Sprintf("%+.0f KiB/min (%d samples)", slope, k)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %s |\n", n, len(s), s[0].KB, s[len(s)-1].KB, mx, sl)
	}
	if len(a.LostIDs) > 0 {
		b.WriteString("\n### Lost\n\n")
		for _, l := range a.LostIDs {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	return b.String()
}
