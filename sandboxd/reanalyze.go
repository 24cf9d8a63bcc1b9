package sandboxd

import (
	"context"
	"fmt"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
)

const metaEngine = "engine"

// scheduleReanalysis records this daemon's engine version and, when it
// differs from the one stored, queues every retained, analyzed sample at
// low priority. The swap is atomic, so when several processes start with
// the same new engine only the first one queues the work; a worker skips
// a file whose verdict is already from the current engine.
func (d *Daemon) scheduleReanalysis(ctx context.Context) error {
	old, err := d.store.SwapMeta(ctx, metaEngine, d.engine)
	if err != nil {
		return fmt.Errorf("record engine version: %w", err)
	}
	if old == "" || old == d.engine {
		return nil
	}
	d.log.Info("engine version changed: re-analyzing retained samples", "from", old, "to", d.engine)
	n, cursor := 0, ""
	for {
		recs, next, err := d.store.List(ctx, store.Filter{State: api.StateDone}, cursor, 500)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if !r.Retained || r.Engine == d.engine {
				continue
			}
			if err := d.store.Enqueue(ctx, store.Job{SHA256: r.SHA256, Priority: store.PriorityLow, Reason: "reanalyze"}); err != nil {
				return err
			}
			n++
		}
		if next == "" {
			break
		}
		cursor = next
	}
	d.log.Info("re-analysis queued", "files", n)
	return nil
}
