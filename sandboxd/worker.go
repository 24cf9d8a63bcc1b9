package sandboxd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// work is one worker: claim a job, analyze, store the verdict, ack.
func (d *Daemon) work(ctx context.Context) {
	for ctx.Err() == nil {
		j, err := d.store.Claim(ctx, d.node, 2*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				d.log.Warn("claim failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		if j == nil {
			continue
		}
		d.busy.Add(1)
		ok := d.safely("job "+j.SHA256, func() { d.process(ctx, j) })
		d.busy.Add(-1)
		if !ok {
			// A panic outside the analyzers (they are fenced on their own):
			// leave the job unacked; it comes back after claim_timeout and
			// counts an attempt, so a poison file ends as unscannable.
			continue
		}
	}
}

// process runs one job to its end. It acks only after the outcome is
// stored, so a crash at any point leaves the job to be redone.
func (d *Daemon) process(ctx context.Context, j *store.Job) {
	log := d.log.With("sha256", j.SHA256, "reason", j.Reason)
	ack := func() {
		if err := d.store.Ack(context.WithoutCancel(ctx), j); err != nil {
			log.Warn("ack failed", "err", err)
		}
	}
	rec, err := d.store.Get(ctx, j.SHA256)
	if errors.Is(err, store.ErrNotFound) {
		ack() // deleted meanwhile
		return
	}
	if err != nil {
		log.Warn("read record", "err", err)
		return
	}
	if !j.Force && rec.State == api.StateDone && rec.Engine == d.engine {
		// Already done by this engine: a job redelivered after its worker
		// stored the verdict but died before the ack, or a re-analysis
		// that another process did first.
		ack()
		return
	}
	if !rec.Retained && rec.Verdict != verdict.Unknown {
		ack() // re-analysis of a sample that is gone: keep the verdict
		return
	}

	// Renew the claim while we work, so that no other worker takes it.
	renewCtx, stopRenew := context.WithCancel(ctx)
	defer stopRenew()
	go func() {
		t := time.NewTicker(d.cfg.ClaimTimeout / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
				if err := d.store.Renew(renewCtx, d.node, j); err != nil && renewCtx.Err() == nil {
					log.Warn("renew claim", "err", err)
				}
			}
		}
	}()

	start := d.now()
	rec, _, err = d.store.Update(ctx, j.SHA256, func(r *store.Record) (*store.Event, error) {
		r.State = api.StateAnalyzing
		r.Attempts++
		return nil, nil
	})
	if err != nil {
		log.Warn("mark analyzing", "err", err)
		return
	}
	if rec.Attempts > d.cfg.MaxAttempts {
		d.finish(ctx, j, start, nil, fmt.Sprintf("analysis failed %d times (%s)", rec.Attempts-1, orUnknown(rec.Reason)), log)
		ack()
		return
	}
	sealed, err := d.store.Sample(ctx, j.SHA256)
	if errors.Is(err, store.ErrNotFound) {
		d.finish(ctx, j, start, nil, "sample is gone", log)
		ack()
		return
	}
	if err != nil {
		d.retry(ctx, j, rec, fmt.Sprintf("read sample: %v", err), log)
		ack()
		return
	}
	ext, data, err := d.openSample(j.SHA256, sealed)
	if err != nil {
		d.finish(ctx, j, start, nil, "sample cannot be decrypted", log)
		ack()
		return
	}
	d.started.Add(1)
	f := &analyzer.File{SHA256: j.SHA256, Data: data, Category: rec.Category, Type: rec.Type, Ext: ext}
	results, failures, accepted, failReason := d.analyze(ctx, f)
	if ctx.Err() != nil {
		return // shutting down: the job stays claimed and comes back
	}
	if accepted > 0 && failures == accepted {
		d.retry(ctx, j, rec, "every analyzer failed, last: "+failReason, log)
		ack()
		return
	}
	d.finish(ctx, j, start, results, "", log)
	ack()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown reason"
	}
	return s
}

// retry records a failure and schedules the next attempt with doubling
// backoff; after max_attempts the next run gives up as unscannable.
func (d *Daemon) retry(ctx context.Context, j *store.Job, rec store.Record, reason string, log interface {
	Warn(string, ...any)
}) {
	_, _, err := d.store.Update(ctx, j.SHA256, func(r *store.Record) (*store.Event, error) {
		r.State, r.Reason = api.StateFailed, reason
		return nil, nil
	})
	if err != nil {
		log.Warn("record failure", "err", err)
	}
	backoff := d.cfg.RetryBackoff << min(max(rec.Attempts-1, 0), 10)
	next := *j
	next.Reason, next.NotBefore = "retry", d.now().Add(backoff)
	if err := d.store.Enqueue(ctx, next); err != nil {
		log.Warn("schedule retry", "err", err)
	}
	log.Warn("analysis failed, will retry", "reason", reason, "backoff", backoff)
}

// finish stores the verdict (results scored, or unscannable with reason
// when results is nil) and the event, in one transaction.
func (d *Daemon) finish(ctx context.Context, j *store.Job, start time.Time, results []analyzer.Result, reason string, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
	var v verdict.Verdict
	var findings []verdict.Finding
	if results == nil {
		v = verdict.Unscannable
	} else {
		v, _ = d.scoring.Score(results)
		var reasons []string
		for _, r := range results {
			findings = append(findings, r.Findings...)
			if r.Unscannable != "" {
				reasons = append(reasons, r.Unscannable)
			}
		}
		if v == verdict.Unscannable && len(reasons) > 0 {
			reason = reasons[0]
		}
	}
	now := d.now()
	deleteSample := false
	skipped := false
	rec, ev, err := d.store.Update(context.WithoutCancel(ctx), j.SHA256, func(r *store.Record) (*store.Event, error) {
		skipped = false
		if !j.Force && r.State == api.StateDone && r.Engine == d.engine && !r.AnalyzedAt.Before(start) {
			skipped = true
			return nil, store.ErrSkip // another worker finished it meanwhile
		}
		prev := r.Verdict
		r.State, r.Verdict, r.Findings, r.Reason = api.StateDone, v, findings, reason
		r.ContentPurged = false // fresh evidence from bytes held now
		r.Engine, r.AnalyzedAt = d.engine, now.UTC()
		r.Attempts = 0
		r.Analyses++
		deleteSample = applyRetention(r)
		kind := ""
		switch {
		case prev == verdict.Unknown:
			kind = api.EventVerdict
		case prev != v:
			kind = api.EventReclassified
		default:
			return nil, nil
		}
		// The event history is kept by count, not by retention: it
		// carries the verdict and the findings' names, never what was
		// quoted from the file (GET /v1/files has that while the
		// sample is kept).
		f := store.WithoutContent(r.File, store.ReasonInRecord)
		return &store.Event{Event: api.Event{Kind: kind, SHA256: r.SHA256, Verdict: v, Previous: prev, File: &f, Time: now.UTC()},
			Tenants: r.Tenants}, nil
	})
	if err != nil {
		log.Warn("store verdict", "err", err)
		return
	}
	if skipped {
		d.duplicates.Add(1)
		return
	}
	_ = rec
	d.finished.Add(1)
	if deleteSample {
		if err := d.store.DeleteSample(context.WithoutCancel(ctx), j.SHA256); err != nil {
			log.Warn("delete sample after analysis", "err", err)
		}
	}
	if ev != nil && ev.Kind == api.EventReclassified {
		log.Info("reclassified", "from", ev.Previous, "to", v)
	}
}

// analyze runs every accepting analyzer, each under its own deadline and
// panic fence. A timed-out or crashed analyzer makes its part of the
// verdict "unscannable": a file that wedges a parser must not pass as
// clean. A plain error is recorded as an info finding and the others
// decide; when every analyzer failed, failReason says why.
func (d *Daemon) analyze(ctx context.Context, f *analyzer.File) (results []analyzer.Result, failures, accepted int, failReason string) {
	for _, a := range d.analyzers {
		if !d.accepts(a, f) {
			continue
		}
		accepted++
		r, err := d.runOne(ctx, a, f)
		if err != nil {
			failures++
			failReason = fmt.Sprintf("%s: %v", a.Name(), err)
			if errors.Is(err, errAnalyzerTimeout) || errors.Is(err, errAnalyzerPanic) {
				r = analyzer.Result{Unscannable: failReason}
			} else {
				r = analyzer.Result{Findings: []verdict.Finding{{Analyzer: a.Name(), Rule: "analyzer-error",
					Severity: verdict.Info, Description: "analyzer failed", Evidence: truncate(err.Error(), 200)}}}
			}
		}
		for i := range r.Findings {
			if r.Findings[i].Analyzer == "" {
				r.Findings[i].Analyzer = a.Name()
			}
			r.Findings[i].Evidence = truncate(r.Findings[i].Evidence, 200)
		}
		results = append(results, r)
	}
	return results, failures, accepted, failReason
}

func (d *Daemon) accepts(a analyzer.Analyzer, f *analyzer.File) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.panics.Add(1)
			d.log.Error("analyzer panicked in Accepts", "analyzer", a.Name(), "panic", fmt.Sprint(r))
			ok = false
		}
	}()
	return a.Accepts(f)
}

var (
	errAnalyzerTimeout = errors.New("timed out")
	errAnalyzerPanic   = errors.New("crashed")
)

// runOne runs one analyzer in its own goroutine so that one that ignores
// its context cannot wedge the worker: after the deadline the worker moves
// on (the goroutine is abandoned and counted in the log).
func (d *Daemon) runOne(ctx context.Context, a analyzer.Analyzer, f *analyzer.File) (analyzer.Result, error) {
	actx, cancel := context.WithTimeout(ctx, d.cfg.AnalyzerTimeout)
	defer cancel()
	type out struct {
		r   analyzer.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				d.panics.Add(1)
				d.log.Error("analyzer panicked", "analyzer", a.Name(), "sha256", f.SHA256, "panic", fmt.Sprint(r))
				ch <- out{err: fmt.Errorf("%w: %v", errAnalyzerPanic, r)}
			}
		}()
		r, err := a.Analyze(actx, f)
		ch <- out{r, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil && actx.Err() != nil && ctx.Err() == nil {
			return analyzer.Result{}, fmt.Errorf("%w after %s", errAnalyzerTimeout, d.cfg.AnalyzerTimeout)
		}
		return o.r, o.err
	case <-actx.Done():
		// Give it a moment to honour the context, then leave it behind.
		select {
		case o := <-ch:
			if o.err == nil && ctx.Err() == nil {
				return o.r, nil
			}
		case <-time.After(time.Second):
			d.log.Error("analyzer ignores its deadline; abandoned", "analyzer", a.Name(), "sha256", f.SHA256)
		}
		return analyzer.Result{}, fmt.Errorf("%w after %s", errAnalyzerTimeout, d.cfg.AnalyzerTimeout)
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
