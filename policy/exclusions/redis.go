package exclusions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/internal/notify"
)

// Redis keeps the list in one hash, {prefix}:exclusions, and announces
// each change on the channel {prefix}:exclusions:changed, so every node
// sharing the Redis applies it at once.
type Redis struct {
	rdb        redis.UniversalClient
	key, topic string
	n          *notify.Notifier
	stop       context.CancelFunc
	log        *slog.Logger
}

// OpenRedis uses rdb (which stays the caller's) under prefix (the hold
// queue's prefix; default airlock). It returns once Redis has confirmed
// the subscription to the change channel (or after subscribeWait, with a
// warning, when Redis is down: go-redis subscribes when it comes back), so
// a change published after OpenRedis returns is never missed.
func OpenRedis(rdb redis.UniversalClient, prefix string, log *slog.Logger) *Redis {
	if prefix == "" {
		prefix = "airlock"
	}
	p := "{" + prefix + "}:"
	ctx, stop := context.WithCancel(context.Background())
	s := &Redis{rdb: rdb, key: p + "exclusions", topic: p + "exclusions:changed", n: notify.New(), stop: stop, log: log}
	ps := rdb.Subscribe(ctx, s.topic)
	wctx, cancel := context.WithTimeout(ctx, subscribeWait)
	if _, err := ps.Receive(wctx); err != nil {
		log.Warn("exclusions: subscription to the change channel not confirmed yet; changes reach this node at its next re-read", "err", err)
	}
	cancel()
	go s.listen(ctx, ps)
	return s
}

// subscribeWait bounds how long OpenRedis waits for Redis to confirm.
const subscribeWait = 5 * time.Second

// listen relays the channel to local subscribers; go-redis resubscribes
// by itself after a reconnect, and Watch's periodic re-read covers what
// was published meanwhile.
func (s *Redis) listen(ctx context.Context, ps *redis.PubSub) {
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-ch:
			if !ok {
				return
			}
			s.n.Notify()
		}
	}
}

func (s *Redis) changed(ctx context.Context) {
	if err := s.rdb.Publish(ctx, s.topic, "1").Err(); err != nil {
		// The change is stored; other nodes see it at their next re-read.
		s.log.Warn("exclusions: publish failed", "err", err)
	}
	s.n.Notify()
}

// Add stores e under its hash.
func (s *Redis) Add(ctx context.Context, e Exclusion) error {
	sha, err := Normalize(e.SHA256)
	if err != nil {
		return err
	}
	e.SHA256 = sha
	if e.Added.IsZero() {
		e.Added = time.Now().UTC()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := s.rdb.HSet(ctx, s.key, sha, b).Err(); err != nil {
		return fmt.Errorf("add exclusion %s: %w", sha, err)
	}
	s.changed(ctx)
	return nil
}

// Remove drops the hash.
func (s *Redis) Remove(ctx context.Context, sha string) error {
	sha, err := Normalize(sha)
	if err != nil {
		return err
	}
	n, err := s.rdb.HDel(ctx, s.key, sha).Result()
	if err != nil {
		return fmt.Errorf("remove exclusion %s: %w", sha, err)
	}
	if n == 0 {
		return fmt.Errorf("remove exclusion %s: %w", sha, ErrNotFound)
	}
	s.changed(ctx)
	return nil
}

// List returns every exclusion, newest first.
func (s *Redis) List(ctx context.Context) ([]Exclusion, error) {
	m, err := s.rdb.HGetAll(ctx, s.key).Result()
	if err != nil {
		return nil, fmt.Errorf("list exclusions: %w", err)
	}
	out := make([]Exclusion, 0, len(m))
	for k, v := range m {
		var e Exclusion
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("list exclusions: decode %s: %w", k, err)
		}
		out = append(out, e)
	}
	sortNewest(out)
	return out, nil
}

// Subscribe signals changes made by any node.
func (s *Redis) Subscribe(ctx context.Context) (<-chan struct{}, error) {
	return s.n.Subscribe(ctx), nil
}

// Close stops listening (the client belongs to the caller).
func (s *Redis) Close() error {
	s.stop()
	return nil
}
