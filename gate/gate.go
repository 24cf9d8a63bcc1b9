// Package gate is the one decision core of Airlock's mail path, shared by
// the milter and the SMTP proxy: a message goes in (envelope and bytes), a
// decision comes out — deliver now with headers, hold (already stored
// durably, with its pending hashes and deadline), reject with an SMTP reply,
// or quarantine (stored and quarantined) — with the reasons for each file.
//
// It promises:
//   - a Hold or Quarantine decision is returned only after the hold queue
//     said the message is durable; when the store cannot be written the
//     answer is a temporary *Error (451) and the sender keeps the mail;
//   - only files sandboxd has never seen are uploaded, after one batched
//     lookup; final verdicts are cached;
//   - verdicts reach held mail through sandboxd's event stream, with a
//     periodic re-lookup (and re-upload from the held copy) as the fallback
//     when the stream breaks or sandboxd was down;
//   - internal or authenticated mail, excluded recipients, excluded
//     senders once proven (SPF, DKIM aligned with From, or a trusted
//     Authentication-Results field; see policy/senderauth) and mail
//     carrying a valid release header pass unscanned (each delivery
//     attempt signs its own header, which passes once across all nodes; a
//     replay is scanned); an unproven sender is scanned and the
//     decision says why the exclusion did not apply;
//   - Authentication-Results fields claiming a trusted authserv-id that
//     came with the message are listed in Decision.Remove and removed
//     from the held copy;
//   - no header field only Airlock may write (X-Airlock-*) that came with
//     the message is held or passed on: a valid release header is checked
//     first, then they are all removed (the front ends delete them at the
//     MTA too) and Airlock's own are added;
//   - a reclassification to suspicious or worse of a file in mail already
//     delivered raises an alert (list and webhook) naming the message.
package gate

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/textproto"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/deliver/releasehdr"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// Config is what the gate needs to decide.
type Config struct {
	// Policy is the compiled policy.
	Policy *policy.Policy
	// Extract bounds the walk through each message.
	Extract config.Extract
	// Retention is what uploads ask sandboxd to keep.
	Retention api.Retention
	// ReleaseKey checks the release header added by deliver/ (nil: no
	// release header is trusted).
	ReleaseKey []byte
	// Node names this process in histories.
	Node string
	// Relookup is how often pending hashes are looked up again when no
	// event came (default 30s).
	Relookup time.Duration
	// CacheTTL is how long a final verdict is trusted without asking
	// (default 10m; a reclassification event updates it at once).
	CacheTTL time.Duration
	// CacheSize bounds the verdict cache (default 100000 hashes).
	CacheSize int
	// Alerts receives retro alerts (nil: no alerts).
	Alerts *Alerts
	// Walker walks messages; nil walks in this process. `airlock all`,
	// `milter` and `proxy` pass an *extract.Isolator when
	// extract.isolate is on, so a parser loop costs a child process.
	Walker Walker
}

// Walker lists the files of a message (extract.Walk's signature).
type Walker interface {
	Walk(ctx context.Context, msg []byte, opts extract.Options) (*extract.Result, error)
}

// walk lists a message's files with the configured walker.
func (g *Gate) walk(ctx context.Context, msg []byte) (*extract.Result, error) {
	opts := extract.Options{Limits: g.cfg.Extract, KeepData: true}
	if g.cfg.Walker != nil {
		return g.cfg.Walker.Walk(ctx, msg, opts)
	}
	return extract.Walk(ctx, msg, opts)
}

// Gate decides. Safe for concurrent use; one per process.
type Gate struct {
	cfg   Config
	pol   atomic.Pointer[policy.Policy]
	sbx   Sandbox
	store HoldStore
	log   *slog.Logger
	now   func() time.Time

	cache   *cache
	waiters *waiters

	pendMu  sync.Mutex
	pending map[string]struct{} // hashes held mail waits for

	connected atomic.Bool
}

// New builds a gate. sbx may be nil (no sandbox: every file to judge is
// held until the timeout action).
func New(cfg Config, sbx Sandbox, store HoldStore, log *slog.Logger) (*Gate, error) {
	if cfg.Policy == nil {
		return nil, errors.New("gate: no policy")
	}
	if store == nil {
		return nil, errors.New("gate: no hold store")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Relookup <= 0 {
		cfg.Relookup = 30 * time.Second
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 100000
	}
	if cfg.Retention == "" {
		cfg.Retention = api.Retain30d
	}
	g := &Gate{
		cfg:     cfg,
		sbx:     sbx,
		store:   store,
		log:     log,
		now:     time.Now,
		cache:   newCache(cfg.CacheSize, cfg.CacheTTL),
		waiters: newWaiters(),
		pending: map[string]struct{}{},
	}
	g.pol.Store(cfg.Policy)
	return g, nil
}

// SetPolicy swaps the policy (a reload, or exclusions added by an admin).
func (g *Gate) SetPolicy(p *policy.Policy) { g.pol.Store(p) }

// SandboxConnected reports whether the event stream is connected now.
func (g *Gate) SandboxConnected() bool { return g.connected.Load() }

// Decide judges one message. The error, when not nil, is an *Error (a
// temporary one unless the message is refused for good).
func (g *Gate) Decide(ctx context.Context, m *Message) (*Decision, error) {
	pol := g.pol.Load()
	log := g.log.With("mta_queue_id", m.MTAQueueID)

	// The release header is checked on the message as it came, and only
	// then are Airlock's own fields taken out: whatever passes, is held or
	// is delivered from here on carries none a sender wrote.
	rel := g.checkRelease(ctx, m.Data)
	if data, n := deliver.StripOwned(m.Data); n > 0 {
		m.Data = data
		if rel == nil {
			log.Info("removed header fields only Airlock may write", "fields", n)
		}
	}
	if rel != nil {
		log.Info("release header valid, passing", "queue_id", rel.QueueID)
		return rel, nil
	}
	// Authentication-Results fields that claim the site's own verifiers
	// but came with the message go, whatever else happens: from what the
	// front end delivers now (Decision.Remove) and from the copy held.
	remove := forgedAuthResults(pol, m.Data)
	if len(remove) > 0 {
		log.Info("forged Authentication-Results removed", "count", len(remove))
		mm := *m
		mm.Data = RemoveFields(m.Data, remove)
		m = &mm
	}
	if ok, why := pol.Internal(m.Envelope); ok {
		d := &Decision{Action: Deliver, Reason: why, Remove: remove}
		d.Headers = []Header{{deliver.FieldVerdict, d.verdictLine()}}
		return d, nil
	}
	if ok, why := pol.Excluded(m.Envelope); ok {
		d := &Decision{Action: Deliver, Reason: why, Remove: remove}
		d.Headers = []Header{{deliver.FieldVerdict, d.verdictLine()}}
		return d, nil
	}
	why, note := g.senderExcluded(ctx, pol, m)
	if why != "" {
		d := &Decision{Action: Deliver, Reason: why, Remove: remove}
		d.Headers = []Header{{deliver.FieldVerdict, d.verdictLine()}}
		return d, nil
	}
	if note != "" {
		log.Info("sender exclusion not applied; scanning", "why", note)
	}

	res, err := g.walk(ctx, m.Data)
	if err != nil {
		return nil, TempFail("message could not be inspected, try again later", err)
	}
	d := &Decision{Scanned: true, Remove: remove, Exclusion: note}
	data := map[string]*extract.File{}
	var toJudge []string
	for i := range res.Files {
		f := &res.Files[i]
		fd := pol.File(f)
		fr := FileResult{Path: f.Path, SHA256: f.SHA256, Category: f.Category, Size: f.Size,
			Action: fd.Action, Verdict: fd.Verdict, Reason: fd.Reason}
		if fd.Verdict != verdict.Unknown {
			fr.Source = "policy"
		}
		if f.Unlocked {
			d.Unlocked++
		}
		// A file allowed by an admin's hash exclusion is trusted as it is,
		// name and all.
		if fd.Action != policy.Allow {
			fr.NameFindings = nameFindings(f.Name, f.SniffedType)
			fr.NameVerdict = nameVerdict(fr.NameFindings)
		}
		if fd.Action == policy.Sandbox {
			if _, seen := data[f.SHA256]; !seen {
				toJudge = append(toJudge, f.SHA256)
			}
			data[f.SHA256] = f
		}
		d.Files = append(d.Files, fr)
	}
	verdicts := g.judge(ctx, toJudge, data, log)
	g.apply(d, verdicts)

	// Wait inline only when waiting can still change the answer: a file
	// already bad enough to refuse decides now.
	if len(d.Pending) > 0 && !g.actsNow(pol, d) {
		if w := pol.Config().Hold.InlineWait; w > 0 && g.sbx != nil {
			g.waitInline(ctx, d, w, m.Progress)
		}
	}
	return g.finish(ctx, pol, m, res.Subject, d, log)
}

// apply fills a decision's verdicts, pending list and worst verdict.
func (g *Gate) apply(d *Decision, vs map[string]judged) {
	d.Pending = d.Pending[:0]
	d.Worst = verdict.Unknown
	seen := map[string]bool{}
	for i := range d.Files {
		f := &d.Files[i]
		if f.Action == policy.Sandbox && f.Verdict == verdict.Unknown {
			if j, ok := vs[f.SHA256]; ok && j.v != verdict.Unknown {
				f.Verdict, f.Source, f.Summary = j.v, j.source, j.summary
			}
		}
		if f.Action == policy.Sandbox && f.Verdict == verdict.Unknown && !seen[f.SHA256] {
			seen[f.SHA256] = true
			d.Pending = append(d.Pending, f.SHA256)
		}
		d.Worst = verdict.Worse(d.Worst, f.Verdict)
		d.Worst = verdict.Worse(d.Worst, f.NameVerdict)
	}
}

// actsNow reports whether the verdicts in hand already refuse the message
// (reject or quarantine), so pending files cannot change the outcome.
func (g *Gate) actsNow(pol *policy.Policy, d *Decision) bool {
	if d.Worst == verdict.Unknown {
		return false
	}
	a := pol.ActionFor(d.Worst)
	return a == config.ActionReject || a == config.ActionQuarantine
}

func (g *Gate) finish(ctx context.Context, pol *policy.Policy, m *Message, subject string, d *Decision, log *slog.Logger) (*Decision, error) {
	if len(d.Pending) > 0 && !g.actsNow(pol, d) {
		d.Action = Hold
		d.Reason = fmt.Sprintf("%d file(s) waiting for a verdict", len(d.Pending)) + d.unlockedNote()
		d.Deadline = g.now().Add(pol.Config().Hold.Timeout)
		if err := g.hold(ctx, m, subject, d, log); err != nil {
			return nil, err
		}
		return d, nil
	}
	switch a := pol.ActionFor(d.Worst); {
	case d.Worst == verdict.Unknown || a == config.ActionDeliver:
		d.Action = Deliver
		d.Reason = d.verdictLine() + d.unlockedNote()
		d.Headers = []Header{{deliver.FieldVerdict, d.verdictLine()}}
		g.recordDelivered(ctx, m, subject, d, log)
		return d, nil
	case a == config.ActionReject:
		d.Action = Reject
		d.Reason = "verdict " + string(d.Worst) + ": " + g.worstFile(d) + d.unlockedNote()
		d.Reply = &Error{Code: 550, Enhanced: [3]int{5, 7, 1},
			Message: oneLine(fmt.Sprintf("message refused: attachment judged %s", d.Worst))}
		log.Info("rejected", "reason", d.Reason)
		return d, nil
	default:
		d.Action = Quarantine
		d.Reason = "verdict " + string(d.Worst) + ": " + g.worstFile(d) + d.unlockedNote()
		if err := g.hold(ctx, m, subject, d, log); err != nil {
			return nil, err
		}
		if err := g.store.Quarantine(ctx, d.QueueID, holdqueue.ActorVerdict, d.Reason); err != nil {
			// Stored but not moved: the release loop applies the same
			// verdict when it claims the message, so nothing is lost.
			log.Warn("quarantine after hold failed; release loop will apply the verdict", "queue_id", d.QueueID, "err", err)
		}
		return d, nil
	}
}

func (g *Gate) worstFile(d *Decision) string {
	for _, f := range d.Files {
		if f.Verdict == d.Worst {
			s := f.Path
			if f.Summary != "" {
				s += " (" + f.Summary + ")"
			} else if f.Reason != "" {
				s += " (" + f.Reason + ")"
			}
			return oneLine(s)
		}
	}
	for i := range d.Files {
		if f := &d.Files[i]; f.NameVerdict == d.Worst {
			return oneLine(f.Path + " (" + f.nameSummary() + ")")
		}
	}
	return ""
}

// hold stores the message durably; only then may the front end answer.
func (g *Gate) hold(ctx context.Context, m *Message, subject string, d *Decision, log *slog.Logger) error {
	nm := &holdqueue.NewMessage{
		Node: g.cfg.Node,
		Mode: m.Mode,
		Envelope: holdqueue.Envelope{
			ClientAddr: hostOrUnknown(m.Envelope.ClientAddr),
			Helo:       m.Envelope.Helo,
			MailFrom:   m.Envelope.MailFrom,
			RcptTo:     m.Envelope.RcptTo,
			AuthUser:   m.Envelope.AuthUser,
		},
		Subject:  subject,
		Deadline: d.Deadline,
		Data:     append(append([]byte(nil), m.Trace...), m.Data...),
		Reason:   d.Reason,
	}
	if d.Deadline.IsZero() {
		nm.Deadline = g.now().Add(g.pol.Load().Config().Hold.Timeout)
	}
	for i := range d.Files {
		f := &d.Files[i]
		if f.NameVerdict == verdict.Unknown && (f.Action == policy.Skip || f.SHA256 == "" && f.Verdict == verdict.Unknown) {
			continue
		}
		hf := holdqueue.File{Path: f.Path, SHA256: f.SHA256, Category: f.Category,
			Size: f.Size, Verdict: f.Verdict, Summary: f.Summary}
		if f.NameVerdict != verdict.Unknown {
			hf.NameVerdict, hf.NameSummary = f.NameVerdict, f.nameSummary()
		}
		if f.Action == policy.Skip && hf.Verdict == verdict.Unknown {
			// Kept for its name only: nothing to wait for.
			hf.Verdict = verdict.Clean
			hf.Summary = "not sent to the sandbox: " + f.Reason
		}
		nm.Files = append(nm.Files, hf)
	}
	id, err := g.store.Hold(ctx, nm)
	if err != nil {
		log.Error("hold failed; sender gets a temporary failure", "err", err)
		return TempFail("cannot store the message now, try again later", fmt.Errorf("hold: %w", err))
	}
	d.QueueID = id
	d.Reply = &Error{Code: 250, Enhanced: [3]int{2, 0, 0}, Message: "queued as " + id}
	g.addPending(d.Pending)
	log.Info("held", "queue_id", id, "action", d.Action, "pending", len(d.Pending), "reason", d.Reason)
	return nil
}

// waitInline waits up to w for the pending verdicts, calling progress about
// once a second, then looks the rest up once more (the stream may be down).
func (g *Gate) waitInline(ctx context.Context, d *Decision, w time.Duration, progress func()) {
	ch, cancel := g.waiters.add(d.Pending)
	defer cancel()
	timer := time.NewTimer(w)
	defer timer.Stop()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	got := map[string]judged{}
	for len(d.Pending) > 0 && !g.actsNow(g.pol.Load(), d) {
		select {
		case j := <-ch:
			got[j.sha] = j
			g.apply(d, got)
			continue
		case <-tick.C:
			if progress != nil {
				progress()
			}
			// An event published between the upload and add above, or
			// before the event stream (re)connected, never reaches ch:
			// ask once a second rather than wait out the whole window.
			lctx, c := context.WithTimeout(ctx, 2*time.Second)
			for sha, j := range g.lookup(lctx, d.Pending, "relookup") {
				got[sha] = j
			}
			c()
			g.apply(d, got)
			continue
		case <-timer.C:
		case <-ctx.Done():
		}
		break
	}
	if len(d.Pending) > 0 && ctx.Err() == nil && !g.connected.Load() {
		lctx, c := context.WithTimeout(ctx, 2*time.Second)
		for sha, j := range g.lookup(lctx, d.Pending, "relookup") {
			got[sha] = j
		}
		c()
		g.apply(d, got)
	}
}

// checkRelease passes a message whose release header is valid for its body
// and not used before. "Used" is kept in the hold queue (shared by every
// node), as a once-marker on the released message named after the
// header's expiry: each delivery attempt signs a new header, so a retried
// re-injection passes again, a replayed copy does not. The pass is noted
// in the message's history.
func (g *Gate) checkRelease(ctx context.Context, data []byte) *Decision {
	if g.cfg.ReleaseKey == nil {
		return nil
	}
	v := headerValue(data, releasehdr.Field)
	if v == "" {
		return nil
	}
	id, exp, err := releasehdr.Verify(g.cfg.ReleaseKey, v, releasehdr.BodyDigest(data), g.now())
	if err != nil {
		g.log.Warn("release header refused; scanning the message", "err", err)
		return nil
	}
	first, err := g.store.Note(ctx, id, g.cfg.Node, "released copy passed the gate with its release header",
		"release-"+strconv.FormatInt(exp.Unix(), 10))
	switch {
	case err != nil:
		g.log.Warn("release header not recorded; scanning the message", "queue_id", id, "err", err)
		return nil
	case !first:
		g.log.Warn("release header used before; scanning the message", "queue_id", id)
		return nil
	}
	d := &Decision{Action: Deliver, QueueID: id, Reason: "released by Airlock as " + id}
	// The front end removes every X-Airlock-* field and adds these: the
	// release header is spent, and the fields deliver/ wrote with it are
	// put back (the queue id from the signed header, not the message).
	verdictLine := headerValue(data, deliver.FieldVerdict)
	if verdictLine == "" {
		verdictLine = d.Reason
	}
	d.Headers = []Header{{deliver.FieldVerdict, oneLine(verdictLine)}, {deliver.FieldQueueID, id}}
	if held := headerValue(data, deliver.FieldHeld); held != "" {
		d.Headers = append(d.Headers, Header{deliver.FieldHeld, oneLine(held)})
	}
	return d
}

// headerValue returns the first value of a header field, unfolded.
func headerValue(data []byte, name string) string {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		end = bytes.Index(data, []byte("\n\n"))
	}
	if end < 0 {
		end = len(data)
	}
	r := textproto.NewReader(bufio.NewReader(bytes.NewReader(append(data[:end:end], "\r\n\r\n"...))))
	h, _ := r.ReadMIMEHeader()
	return strings.TrimSpace(h.Get(name))
}

func (g *Gate) addPending(h []string) {
	g.pendMu.Lock()
	for _, s := range h {
		g.pending[s] = struct{}{}
	}
	g.pendMu.Unlock()
}

func (g *Gate) pendingHashes() []string {
	g.pendMu.Lock()
	defer g.pendMu.Unlock()
	out := make([]string, 0, len(g.pending))
	for s := range g.pending {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

func (g *Gate) dropPending(sha string) {
	g.pendMu.Lock()
	delete(g.pending, sha)
	g.pendMu.Unlock()
}
