package sandboxd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
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
	rep := d.runner().Run(ctx, f)
	if ctx.Err() != nil {
		return // shutting down: the job stays claimed and comes back
	}
	// A failure that another run may not repeat (an analyzer's error, or
	// every analyzer failed) is retried while attempts remain, unless the
	// findings in hand already condemn the file; the last attempt's
	// report stands as it is, the same report `airlock analyze` prints.
	if rep.Retry && rec.Attempts < d.cfg.MaxAttempts && !rep.Verdict.AtLeast(verdict.Suspicious) {
		d.retry(ctx, j, rec, "analyzer failed: "+strings.Join(rep.Errors, "; "), log)
		ack()
		return
	}
	d.finish(ctx, j, start, &rep, "", log)
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

// finish stores the verdict (the runner's report, or unscannable with
// reason when rep is nil) and the event, in one transaction.
func (d *Daemon) finish(ctx context.Context, j *store.Job, start time.Time, rep *inproc.Report, reason string, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) {
	v, findings := verdict.Unscannable, []verdict.Finding(nil)
	if rep != nil {
		v, findings = rep.Verdict, rep.Findings
		if v == verdict.Unscannable && len(rep.Unscannable) > 0 {
			reason = rep.Unscannable[0]
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

// runner is the one analyzer runner (the one `airlock analyze` uses),
// with this daemon's analyzers, scoring, deadline, log and panic metric.
func (d *Daemon) runner() *inproc.Runner {
	return &inproc.Runner{Analyzers: d.analyzers, Scoring: d.scoring, Timeout: d.cfg.AnalyzerTimeout, Log: d.log,
		Panicked: func(string) { d.panics.Add(1) }}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
