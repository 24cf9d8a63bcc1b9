// Package instrument records Airlock's metrics at the seams between the
// parts, by wrapping the narrow interfaces they already take (the gate's
// Sandbox and HoldStore, the front ends' Decider, the release loop's
// Sender), so the parts themselves carry no metrics code and a process
// without metrics simply does not wrap.
//
// It promises:
//   - every wrapper forwards each call unchanged (same arguments, same
//     results, same errors) and only observes it;
//   - the latencies it derives are bounded in memory: upload and verdict
//     times are kept per hash for at most an hour (Track.Prune).
package instrument

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/metrics"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

// keep is how long an upload or verdict time is remembered for latency.
const keep = time.Hour

// Track joins events seen by different wrappers: an upload (Sandbox) with
// its verdict (HoldStore.ApplyVerdict), a verdict with the delivery of the
// message it released (Sender).
type Track struct {
	m   *metrics.Set
	now func() time.Time
	log *slog.Logger // decision lines; nil: none

	mu        sync.Mutex
	uploaded  map[string]time.Time // sha → upload time
	verdicted map[string]time.Time // sha → verdict time
}

// NewTrack records into m (nil: the wrappers only forward).
func NewTrack(m *metrics.Set) *Track {
	return &Track{m: m, now: time.Now, uploaded: map[string]time.Time{}, verdicted: map[string]time.Time{}}
}

// Metrics is the set this Track records into (nil when none).
func (t *Track) Metrics() *metrics.Set { return t.m }

// LogDecisions makes the Decider wrapper write one line per message
// decided: the audit trail an operator greps by queue id.
func (t *Track) LogDecisions(log *slog.Logger) *Track {
	t.log = log
	return t
}

// Prune forgets times older than an hour. The wrappers call it as they go.
func (t *Track) prune(now time.Time) {
	for _, mp := range []map[string]time.Time{t.uploaded, t.verdicted} {
		for k, at := range mp {
			if now.Sub(at) > keep {
				delete(mp, k)
			}
		}
	}
}

func (t *Track) noteUpload(sha string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.uploaded) > 10000 {
		t.prune(now)
	}
	t.uploaded[sha] = now
}

func (t *Track) noteVerdict(sha string) {
	t.mu.Lock()
	now := t.now()
	up, ok := t.uploaded[sha]
	delete(t.uploaded, sha)
	if len(t.verdicted) > 10000 {
		t.prune(now)
	}
	t.verdicted[sha] = now
	t.mu.Unlock()
	if ok {
		t.m.VerdictLatency(now.Sub(up))
	}
}

// lastVerdict is the latest verdict time among hashes (zero: none seen).
func (t *Track) lastVerdict(hashes []string) time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	var last time.Time
	for _, h := range hashes {
		if at, ok := t.verdicted[h]; ok && at.After(last) {
			last = at
		}
	}
	return last
}

// Sandbox wraps the gate's view of sandboxd: lookups and uploads by
// result, sandbox up or down by whether it answered.
func (t *Track) Sandbox(s gate.Sandbox) gate.Sandbox { return &sandbox{s: s, t: t} }

type sandbox struct {
	s gate.Sandbox
	t *Track
}

func (w *sandbox) Lookup(ctx context.Context, hashes []string) (map[string]*api.File, error) {
	res, err := w.s.Lookup(ctx, hashes)
	if err != nil {
		w.t.m.Lookup(metrics.ResultError, len(hashes))
		w.t.m.SandboxUp(!unreachable(err))
		return res, err
	}
	w.t.m.SandboxUp(true)
	known := 0
	for _, h := range hashes {
		if f, ok := res[h]; ok && f != nil && f.Verdict != verdict.Unknown {
			known++
		}
	}
	w.t.m.Lookup("known", known)
	w.t.m.Lookup("unknown", len(hashes)-known)
	return res, nil
}

func (w *sandbox) Upload(ctx context.Context, sha string, category verdict.Category, ext string, retention api.Retention, r io.Reader) (*api.UploadResponse, error) {
	res, err := w.s.Upload(ctx, sha, category, ext, retention, r)
	if err != nil {
		w.t.m.Upload(metrics.ResultError)
		w.t.m.SandboxUp(!unreachable(err))
		return res, err
	}
	w.t.m.SandboxUp(true)
	w.t.m.Upload(metrics.ResultOK)
	w.t.noteUpload(sha)
	return res, nil
}

func (w *sandbox) Events(ctx context.Context, lastEventID string) *client.Stream {
	return w.s.Events(ctx, lastEventID)
}

// unreachable: the error is not an answer from sandboxd (an HTTP status
// is an answer, so sandboxd is up even when it refuses one request).
func unreachable(err error) bool {
	var ce *client.Error
	return !errors.As(err, &ce) || ce.Status >= 500
}

// HoldStore wraps the gate's view of the hold queue: store errors by
// operation, and verdict latency when a verdict follows an upload.
func (t *Track) HoldStore(s gate.HoldStore) gate.HoldStore { return &holdStore{HoldStore: s, t: t} }

type holdStore struct {
	gate.HoldStore
	t *Track
}

func (w *holdStore) Hold(ctx context.Context, m *holdqueue.NewMessage) (string, error) {
	id, err := w.HoldStore.Hold(ctx, m)
	if err != nil {
		w.t.m.StoreError("hold")
	}
	return id, err
}

func (w *holdStore) ApplyVerdict(ctx context.Context, sha string, v verdict.Verdict, summary string) (int, error) {
	n, err := w.HoldStore.ApplyVerdict(ctx, sha, v, summary)
	if err != nil {
		w.t.m.StoreError("apply_verdict")
		return n, err
	}
	if v != verdict.Unknown {
		w.t.noteVerdict(sha)
	}
	return n, err
}

func (w *holdStore) Quarantine(ctx context.Context, id, actor, reason string) error {
	err := w.HoldStore.Quarantine(ctx, id, actor, reason)
	if err != nil {
		w.t.m.StoreError("quarantine")
	}
	return err
}

// Decider is what the milter and the proxy take of the gate.
type Decider interface {
	Decide(ctx context.Context, m *gate.Message) (*gate.Decision, error)
}

// Decider wraps the gate for a front end: one count per message by
// decision ("error" when the gate failed and the sender got a 451).
func (t *Track) Decider(d Decider) Decider { return &decider{d: d, t: t} }

type decider struct {
	d Decider
	t *Track
}

func (w *decider) Decide(ctx context.Context, m *gate.Message) (*gate.Decision, error) {
	dec, err := w.d.Decide(ctx, m)
	switch {
	case err != nil:
		w.t.m.Decision("error")
	case dec != nil:
		w.t.m.Decision(string(dec.Action))
	}
	if w.t.log != nil {
		logDecision(ctx, w.t.log, m, dec, err)
	}
	return dec, err
}

// maxLogged bounds the lists in a decision line (recipients, files): a
// message with 500 recipients must not write a 50 KB line.
const maxLogged = 20

// logDecision writes the one line per decision: ids, envelope summary,
// files with their verdicts, the action and why. Never the subject or the
// body: only what the envelope and the walk say.
func logDecision(ctx context.Context, log *slog.Logger, m *gate.Message, d *gate.Decision, err error) {
	env := m.Envelope
	rcpt := env.RcptTo
	if len(rcpt) > maxLogged {
		rcpt = rcpt[:maxLogged]
	}
	attrs := []slog.Attr{
		slog.String("mta_queue_id", m.MTAQueueID),
		slog.String("client", env.ClientAddr.String()),
		slog.String("from", env.MailFrom),
		slog.Any("rcpt", rcpt),
		slog.Int("rcpt_count", len(env.RcptTo)),
		slog.Int("size", len(m.Data)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("action", "tempfail"), slog.String("err", err.Error()))
		log.LogAttrs(ctx, slog.LevelWarn, "decision", attrs...)
		return
	}
	if d == nil {
		return
	}
	files := make([]string, 0, min(len(d.Files), maxLogged))
	for i, f := range d.Files {
		if i == maxLogged {
			break
		}
		v := string(f.Verdict)
		if v == "" {
			v = "pending"
			if f.Action != "" && f.Action != "sandbox" {
				v = string(f.Action)
			}
		}
		sha := f.SHA256
		if len(sha) > 16 {
			sha = sha[:16]
		}
		files = append(files, fmt.Sprintf("%s %s %s", sha, f.Category, v))
	}
	attrs = append([]slog.Attr{slog.String("queue_id", d.QueueID)}, attrs...)
	attrs = append(attrs,
		slog.Int("file_count", len(d.Files)),
		slog.Any("files", files),
		slog.String("worst", string(d.Worst)),
		slog.String("action", string(d.Action)),
		slog.String("reason", d.Reason),
		slog.Bool("scanned", d.Scanned))
	if d.Exclusion != "" {
		// Why a sender exclusion the message claimed did not apply
		// (sender not proven): the line an admin greps when mail from
		// an allow-listed partner was scanned after all.
		attrs = append(attrs, slog.String("exclusion", d.Exclusion))
	}
	if len(d.Remove) > 0 {
		attrs = append(attrs, slog.Int("fields_removed", len(d.Remove)))
	}
	log.LogAttrs(ctx, slog.LevelInfo, "decision", attrs...)
}

// Sender is the release loop's view of deliver.
type Sender interface {
	Send(ctx context.Context, env deliver.Envelope, data []byte, s deliver.Stamp) (*deliver.Result, error)
}

// MessageGetter reads a held message (holdqueue.Store is one).
type MessageGetter interface {
	Get(ctx context.Context, id string) (*holdqueue.Message, error)
}

// Sender wraps deliver for the release loop: deliveries by result and next
// hop, hold duration, and release latency (last verdict, or the deadline
// when the timeout action released it, to delivered). store reads the
// message's hashes and deadline; log (may be nil) reports a failed read.
func (t *Track) Sender(s Sender, nextHop string, store MessageGetter, log *slog.Logger) Sender {
	return &sender{s: s, t: t, hop: nextHop, store: store, log: log}
}

type sender struct {
	s     Sender
	t     *Track
	hop   string
	store MessageGetter
	log   *slog.Logger
}

func (w *sender) Send(ctx context.Context, env deliver.Envelope, data []byte, st deliver.Stamp) (*deliver.Result, error) {
	res, err := w.s.Send(ctx, env, data, st)
	now := w.t.now()
	if err != nil {
		result := metrics.ResultPermanent
		var de *deliver.Error
		if errors.As(err, &de) && de.Temporary || !errors.As(err, &de) {
			result = metrics.ResultTemporary
		}
		w.t.m.Delivery(result, w.hop)
		if result == metrics.ResultPermanent && !st.HeldAt.IsZero() {
			w.t.m.HoldEnded(now.Sub(st.HeldAt))
		}
		return res, err
	}
	w.t.m.Delivery(metrics.ResultOK, w.hop)
	if st.HeldAt.IsZero() {
		return res, nil
	}
	w.t.m.HoldEnded(now.Sub(st.HeldAt))
	if w.store == nil || st.QueueID == "" {
		return res, nil
	}
	m, gerr := w.store.Get(ctx, st.QueueID)
	if gerr != nil {
		if w.log != nil {
			w.log.Debug("release latency: message not readable", "queue_id", st.QueueID, "err", gerr)
		}
		return res, nil
	}
	hashes := make([]string, 0, len(m.Files))
	for _, f := range m.Files {
		hashes = append(hashes, f.SHA256)
	}
	from := w.t.lastVerdict(hashes)
	if from.IsZero() && !m.Deadline.IsZero() && now.After(m.Deadline) {
		from = m.Deadline
	}
	// Neither: released by an admin, or judged before it was held (the
	// verdict came from another node); no latency to report.
	if !from.IsZero() && !from.After(now) {
		w.t.m.ReleaseLatency(now.Sub(from))
	}
	return res, nil
}
