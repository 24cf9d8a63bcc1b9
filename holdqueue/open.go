package holdqueue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/airlockmail/airlock/config"
)

// Open opens the configured store (embedded or Redis) with the configured
// key file. For Redis the returned close function also closes the client.
func Open(ctx context.Context, c *config.Config, log *slog.Logger) (Store, error) {
	hq := c.HoldQueue
	keys, err := LoadKeys(c.Path(hq.KeyFile))
	if err != nil {
		return nil, err
	}
	switch hq.Backend {
	case "redis":
		rdb, err := NewRedisClient(hq.Redis)
		if err != nil {
			return nil, err
		}
		s, err := OpenRedis(ctx, rdb, hq.Redis, keys, log)
		if err != nil {
			rdb.Close()
			return nil, err
		}
		return &ownedRedis{Redis: s}, nil
	case "embedded":
		return OpenBolt(c.Path(hq.Embedded.Path), keys, log)
	}
	return nil, fmt.Errorf("holdqueue: unknown backend %q", hq.Backend)
}

// ownedRedis closes the client it was opened with.
type ownedRedis struct{ *Redis }

func (o *ownedRedis) Close() error {
	o.Redis.Close()
	return o.rdb.Close()
}

// RunRetention purges delivered and deleted entries past their retention,
// now and then every interval, until ctx ends. One node running it is
// enough; several are harmless (the purge checks state per entry).
func RunRetention(ctx context.Context, s Store, r config.Retention, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := time.Now()
		for st, keep := range map[State]time.Duration{Delivered: r.Delivered, Deleted: r.Deleted} {
			n, err := s.Purge(ctx, st, now.Add(-keep))
			if err != nil && ctx.Err() == nil {
				log.Warn("hold queue retention: purge failed", "state", st, "err", err)
			} else if n > 0 {
				log.Info("hold queue retention: purged", "state", st, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
