package gate

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// Run follows sandboxd's verdicts until ctx ends: events (resumed by the
// client after a break) go to inline waiters, the verdict cache, held mail
// and retro alerts; every Relookup interval, and after a gap in the
// stream, the hashes held mail waits for are looked up again, and files
// sandboxd does not know (it was down, or lost them) are uploaded again
// from the held copy.
func (g *Gate) Run(ctx context.Context) error {
	g.loadPending(ctx)
	var events <-chan api.Event
	var connected func() bool
	if g.sbx != nil {
		s := g.sbx.Events(ctx, "")
		if s != nil {
			events, connected = s.C, s.Connected
		}
	}
	tick := time.NewTicker(g.cfg.Relookup)
	defer tick.Stop()
	// The connection state is polled briefly so that a reconnect triggers
	// a re-lookup at once rather than at the next tick.
	conn := time.NewTicker(200 * time.Millisecond)
	defer conn.Stop()
	// Mail the release loop delivers is remembered for retro alerts.
	changes, err := g.store.Subscribe(ctx)
	if err != nil {
		g.log.Warn("hold queue change feed; released mail is not remembered for alerts", "err", err)
	}
	g.relookup(ctx)
	for {
		select {
		case <-ctx.Done():
			return nil
		case c, ok := <-changes:
			if !ok {
				changes = nil
				continue
			}
			if c.State == holdqueue.Delivered && g.cfg.Alerts != nil {
				if m, err := g.store.Get(ctx, c.ID); err == nil {
					g.RecordReleased(m)
				}
			}
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			g.connected.Store(true)
			g.onEvent(ctx, ev)
		case <-conn.C:
			if connected != nil {
				was := g.connected.Swap(connected())
				if !was && g.connected.Load() {
					g.log.Info("sandbox event stream connected; looking pending files up again")
					g.relookup(ctx)
				}
			}
		case <-tick.C:
			g.relookup(ctx)
		}
	}
}

func (g *Gate) onEvent(ctx context.Context, ev api.Event) {
	switch ev.Kind {
	case api.EventGap:
		g.relookup(ctx)
		return
	case api.EventVerdict, api.EventReclassified:
	default:
		return
	}
	if ev.SHA256 == "" || ev.Verdict == verdict.Unknown {
		return
	}
	j := judged{sha: ev.SHA256, v: ev.Verdict, source: "event", summary: summarize(ev.File)}
	g.cache.put(j, g.now())
	g.waiters.notify(j)
	g.applyHeld(ctx, j)
	if g.cfg.Alerts != nil && ev.Verdict.AtLeast(verdict.Suspicious) {
		als, err := g.cfg.Alerts.Reclassified(ev.SHA256, ev.Verdict, ev.Previous, ev.Time, g.now())
		if err != nil {
			g.log.Error("retro alert lookup", "sha256", ev.SHA256, "err", err)
		}
		g.noteAlerts(ctx, als)
	}
}

// noteAlerts adds each retro alert to the history of its message when the
// message went through the hold queue (mail delivered at once has only the
// delivered log and the alert list). Once per hash and verdict: a repeated
// event adds nothing.
func (g *Gate) noteAlerts(ctx context.Context, als []Alert) {
	for _, al := range als {
		reason := fmt.Sprintf("retro alert: %s (sha256 %s) is now judged %s; the message was delivered before",
			al.Path, al.SHA256, al.Verdict)
		_, err := g.store.Note(ctx, al.Message.ID, "verdict", reason, "retro-"+al.SHA256+"-"+string(al.Verdict))
		if err != nil && !errors.Is(err, holdqueue.ErrNotFound) {
			g.log.Warn("retro alert not added to the message history", "id", al.Message.ID, "err", err)
		}
	}
}

// applyHeld records a verdict in every held message waiting on the hash.
func (g *Gate) applyHeld(ctx context.Context, j judged) {
	n, err := g.store.ApplyVerdict(ctx, j.sha, j.v, j.summary)
	if err != nil {
		// The hash stays pending: the next re-lookup applies it again.
		g.log.Warn("apply verdict to held mail", "sha256", j.sha, "err", err)
		return
	}
	g.dropPending(j.sha)
	if n > 0 {
		g.log.Info("verdict applied to held mail", "sha256", j.sha, "verdict", j.v, "messages", n)
	}
}

// loadPending reads the hashes held mail waits for (after a restart).
func (g *Gate) loadPending(ctx context.Context) {
	q := holdqueue.Query{State: holdqueue.Held, Limit: 1000}
	for i := 0; i < 1000; i++ {
		p, err := g.store.List(ctx, q)
		if err != nil {
			g.log.Warn("list held mail", "err", err)
			return
		}
		for _, m := range p.Messages {
			for _, f := range m.Files {
				if f.Verdict == verdict.Unknown && f.SHA256 != "" {
					g.addPending([]string{f.SHA256})
				}
			}
		}
		if p.Next == "" {
			return
		}
		q.Cursor = p.Next
	}
}

// relookup asks sandboxd again for every pending hash; files it does not
// know are uploaded from a held message that carries them.
func (g *Gate) relookup(ctx context.Context) {
	hashes := g.pendingHashes()
	if len(hashes) == 0 || g.sbx == nil {
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	found, err := g.sbx.Lookup(lctx, hashes)
	if err != nil {
		g.log.Debug("re-lookup failed", "err", err, "pending", len(hashes))
		return
	}
	for _, h := range hashes {
		f, ok := found[h]
		switch {
		case ok && f.Verdict != verdict.Unknown:
			j := judged{sha: h, v: f.Verdict, source: "relookup", summary: summarize(f)}
			g.cache.put(j, g.now())
			g.waiters.notify(j)
			g.applyHeld(lctx, j)
		case !ok:
			g.reupload(lctx, h)
		}
	}
}

// reupload finds a held message carrying sha and uploads the file again.
func (g *Gate) reupload(ctx context.Context, sha string) {
	p, err := g.store.List(ctx, holdqueue.Query{Hash: sha, State: holdqueue.Held, Limit: 1})
	if err != nil || len(p.Messages) == 0 {
		if err == nil {
			g.dropPending(sha) // no held mail waits for it any more
		}
		return
	}
	body, err := g.store.Body(ctx, p.Messages[0].ID)
	if err != nil {
		return
	}
	res, err := g.walk(ctx, body)
	if err != nil {
		return
	}
	for _, f := range res.Files {
		if f.SHA256 != sha || f.Data == nil {
			continue
		}
		if _, err := g.sbx.Upload(ctx, sha, f.Category, extract.Ext(f.Name), g.cfg.Retention, bytes.NewReader(f.Data)); err != nil {
			g.log.Warn("re-upload", "sha256", sha, "err", err)
		} else {
			g.log.Info("re-uploaded a file held mail waits for", "sha256", sha, "queue_id", p.Messages[0].ID)
		}
		return
	}
}

// recordDelivered remembers what a delivered message carried, for alerts.
func (g *Gate) recordDelivered(_ context.Context, m *Message, subject string, d *Decision, log *slog.Logger) {
	if g.cfg.Alerts == nil {
		return
	}
	rec := Delivered{ID: m.MTAQueueID, MTAQueueID: m.MTAQueueID, At: g.now(), MailFrom: m.Envelope.MailFrom,
		RcptTo: m.Envelope.RcptTo, Subject: subject}
	if rec.ID == "" {
		b := make([]byte, 8)
		rand.Read(b)
		rec.ID = hexID(b)
	}
	for _, f := range d.Files {
		if f.SHA256 != "" && f.Action != "skip" {
			rec.Files = append(rec.Files, DeliveredFile{Path: f.Path, SHA256: f.SHA256, Verdict: f.Verdict})
		}
	}
	if err := g.cfg.Alerts.Record(rec); err != nil {
		log.Warn("delivered log", "err", err)
	}
}

// RecordReleased remembers a message the release loop delivered (Run calls
// it from the hold queue's change feed).
func (g *Gate) RecordReleased(m *holdqueue.Message) {
	if g.cfg.Alerts == nil {
		return
	}
	rec := Delivered{ID: m.ID, At: g.now(), MailFrom: m.Envelope.MailFrom, RcptTo: m.Envelope.RcptTo, Subject: m.Subject}
	for _, f := range m.Files {
		rec.Files = append(rec.Files, DeliveredFile{Path: f.Path, SHA256: f.SHA256, Verdict: f.Verdict})
	}
	if err := g.cfg.Alerts.Record(rec); err != nil {
		g.log.Warn("delivered log", "queue_id", m.ID, "err", err)
	}
}
