package sandboxd

import (
	"context"
	"errors"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// checkRetention says whether a submitter may ask for r on a file of
// category c: documents (the likeliest to hold personal data) are never
// kept for ever.
func checkRetention(r api.Retention, c verdict.Category) string {
	if !r.Valid() {
		return "retention must be immediately, 30d or never, not " + quote(string(r))
	}
	if r == api.RetainNever && c == verdict.Document {
		return "retention never is not allowed for documents (they may hold personal data): use 30d or immediately"
	}
	return ""
}

func quote(s string) string { return "\"" + s + "\"" }

// expiry is when a sample with retention r, first kept at t, goes.
func (d *Daemon) expiry(r api.Retention, t time.Time) time.Time {
	if r == api.Retain30d {
		return t.Add(d.cfg.Keep).UTC()
	}
	return time.Time{}
}

// applyRetention sets the record's sample plan after a verdict and reports
// whether the bytes must be deleted now. Suspicious and worse are kept
// regardless of the wish: an analyst may need them, and a re-analysis
// may need them.
func applyRetention(r *store.Record) (deleteNow bool) {
	if r.Verdict.AtLeast(verdict.Suspicious) {
		r.ExpiresAt = time.Time{}
		return false
	}
	if r.Retention == api.RetainNone && r.Retained {
		r.Retained = false
		r.ExpiresAt = time.Time{}
		return true
	}
	return false
}

// purgeLoop deletes expired samples every purge_interval.
func (d *Daemon) purgeLoop(ctx context.Context) {
	t := time.NewTicker(d.cfg.PurgeInterval)
	defer t.Stop()
	for {
		if n, err := d.Purge(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("purge failed", "err", err)
		} else if n > 0 {
			d.log.Info("purged expired samples", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Purge deletes the samples whose retention ran out, and returns how many.
// A sample judged suspicious or worse is kept (its expiry is dropped); one
// not analyzed yet waits until it is.
func (d *Daemon) Purge(ctx context.Context) (int, error) {
	n := 0
	for {
		shas, err := d.store.Expired(ctx, d.now(), 200)
		if err != nil || len(shas) == 0 {
			return n, err
		}
		for _, sha := range shas {
			del := false
			_, _, err := d.store.Update(ctx, sha, func(r *store.Record) (*store.Event, error) {
				del = false
				switch {
				case r.Verdict.AtLeast(verdict.Suspicious):
					r.ExpiresAt = time.Time{}
				case r.State != api.StateDone:
					r.ExpiresAt = d.now().Add(d.cfg.PurgeInterval).UTC()
				default:
					del = true
					return nil, store.ErrSkip
				}
				return nil, nil
			})
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return n, err
			}
			if del {
				if err := d.store.DeleteSample(ctx, sha); err != nil {
					return n, err
				}
				n++
			}
		}
	}
}
