package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions configure the shared store.
type RedisOptions struct {
	// Client is a universal client made with ContextTimeoutEnabled (see
	// NewRedisClient); the store does not close it.
	Client redis.UniversalClient
	// Prefix starts every key; put a {hash tag} in it for Cluster (all
	// keys then live in one slot, which WATCH/MULTI and scripts need).
	Prefix string
	// ClaimTimeout: a job whose worker has not renewed it for this long
	// (a killed process) is claimed by another worker.
	ClaimTimeout time.Duration
	// DecodeCache is how many decoded records GetMany remembers (0: 65536,
	// negative: none).
	DecodeCache int
	// EventsKept bounds the event stream (exact MAXLEN, so that EventGap
	// is exact too).
	EventsKept int
}

// NewRedisClient builds the universal client with the settings the store
// relies on: context deadlines bound every read (ContextTimeoutEnabled).
func NewRedisClient(o redis.UniversalOptions) redis.UniversalClient {
	o.ContextTimeoutEnabled = true
	return redis.NewUniversalClient(&o)
}

// Redis is the shared store. Keys (P = prefix):
//
//	Pf:<sha>      record (JSON)          Ps:<sha>   sealed sample
//	Pidx:seen     zset first-seen → sha  Pidx:exp   zset expiry → sha
//	Pq:0, Pq:1    job streams (normal, low) with consumer group "workers"
//	Pq:delayed    zset due time → job    Pevents    event stream
//	Pmeta         hash of store-wide values
type Redis struct {
	cache *decodeCache
	c     redis.UniversalClient
	p     string
	opts  RedisOptions
}

const group = "workers"

// OpenRedis checks the connection and creates the consumer groups.
func OpenRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = 2 * time.Minute
	}
	if o.EventsKept <= 0 {
		o.EventsKept = 20000
	}
	s := &Redis{c: o.Client, p: o.Prefix, opts: o, cache: newDecodeCache(o.DecodeCache)}
	if err := s.c.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("sandboxd store: redis: %w", err)
	}
	for _, q := range []string{s.queue(0), s.queue(1)} {
		err := s.c.XGroupCreateMkStream(ctx, q, group, "0").Err()
		if err != nil && !strings.Contains(err.Error(), "BUSYGROUP") {
			return nil, fmt.Errorf("sandboxd store: create group on %s: %w", q, err)
		}
	}
	return s, nil
}

func (s *Redis) Close() error { return nil }

func (s *Redis) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }

func (s *Redis) rec(sha string) string    { return s.p + "f:" + sha }
func (s *Redis) sample(sha string) string { return s.p + "s:" + sha }
func (s *Redis) queue(prio int) string    { return s.p + "q:" + strconv.Itoa(prio) }
func (s *Redis) seen() string             { return s.p + "idx:seen" }
func (s *Redis) exp() string              { return s.p + "idx:exp" }
func (s *Redis) delayed() string          { return s.p + "q:delayed" }
func (s *Redis) events() string           { return s.p + "events" }
func (s *Redis) meta() string             { return s.p + "meta" }

func decodeRecord(v string) (*Record, error) {
	var r Record
	if err := json.Unmarshal([]byte(v), &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// writeRecord queues the record write and its index updates in p.
func (s *Redis) writeRecord(ctx context.Context, p redis.Pipeliner, old, r *Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	p.Set(ctx, s.rec(r.SHA256), v, 0)
	if old == nil {
		p.ZAdd(ctx, s.seen(), redis.Z{Score: float64(r.FirstSeen.UnixMilli()), Member: r.SHA256})
	}
	if r.Retained && !r.ExpiresAt.IsZero() {
		p.ZAdd(ctx, s.exp(), redis.Z{Score: float64(r.ExpiresAt.UnixMilli()), Member: r.SHA256})
	} else if old != nil && old.Retained && !old.ExpiresAt.IsZero() {
		p.ZRem(ctx, s.exp(), r.SHA256)
	}
	return nil
}

func (s *Redis) enqueueP(ctx context.Context, p redis.Pipeliner, j Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	if j.NotBefore.After(time.Now()) {
		p.ZAdd(ctx, s.delayed(), redis.Z{Score: float64(j.NotBefore.UnixMilli()), Member: v})
		return nil
	}
	p.XAdd(ctx, &redis.XAddArgs{Stream: s.queue(j.Priority), Values: []any{"j", v}})
	return nil
}

func (s *Redis) publishP(ctx context.Context, p redis.Pipeliner, e *Event) (*redis.StringCmd, error) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	v, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return p.XAdd(ctx, &redis.XAddArgs{Stream: s.events(), MaxLen: int64(s.opts.EventsKept),
		Values: []any{"e", v}}), nil
}

// watch runs an optimistic transaction, retrying when a watched key moved.
func (s *Redis) watch(ctx context.Context, fn func(*redis.Tx) error, keys ...string) error {
	for i := 0; i < 50; i++ {
		err := s.c.Watch(ctx, fn, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("redis: too much contention on %v", keys)
}

func (s *Redis) Submit(ctx context.Context, rec Record, sealed []byte, job Job, merge func(*Record) bool) (Record, bool, error) {
	var cur Record
	var created bool
	err := s.watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, s.rec(rec.SHA256)).Result()
		if err == nil {
			old, err := decodeRecord(v)
			if err != nil {
				return err
			}
			r := *old
			changed := merge != nil && merge(&r)
			if changed {
				_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error { return s.writeRecord(ctx, p, old, &r) })
				if err != nil {
					return err
				}
			}
			cur, created = r, false
			return nil
		}
		if !errors.Is(err, redis.Nil) {
			return err
		}
		r := rec
		r.Retained = sealed != nil
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if sealed != nil {
				p.Set(ctx, s.sample(r.SHA256), sealed, 0)
			}
			if err := s.writeRecord(ctx, p, nil, &r); err != nil {
				return err
			}
			return s.enqueueP(ctx, p, job)
		})
		if err != nil {
			return err
		}
		cur, created = r, true
		return nil
	}, s.rec(rec.SHA256))
	if err != nil {
		return Record{}, false, fmt.Errorf("submit %s: %w", rec.SHA256, err)
	}
	return cur, created, nil
}

func (s *Redis) Get(ctx context.Context, sha string) (Record, error) {
	v, err := s.c.Get(ctx, s.rec(sha)).Result()
	if errors.Is(err, redis.Nil) {
		return Record{}, ErrNotFound
	}
	if err != nil {
		return Record{}, err
	}
	r, err := decodeRecord(v)
	if err != nil {
		return Record{}, fmt.Errorf("record %s: %w", sha, err)
	}
	return *r, nil
}

func (s *Redis) GetMany(ctx context.Context, shas []string) ([]*Record, error) {
	out := make([]*Record, len(shas))
	if len(shas) == 0 {
		return out, nil
	}
	keys := make([]string, len(shas))
	for i, h := range shas {
		keys[i] = s.rec(h)
	}
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		r, err := s.cache.get(shas[i], []byte(str))
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", shas[i], err)
		}
		out[i] = r
	}
	return out, nil
}

func (s *Redis) Update(ctx context.Context, sha string, fn func(*Record) (*Event, error)) (Record, *Event, error) {
	var cur Record
	var ev *Event
	err := s.watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, s.rec(sha)).Result()
		if errors.Is(err, redis.Nil) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		old, err := decodeRecord(v)
		if err != nil {
			return err
		}
		r := *old
		r.Tenants = append([]string(nil), old.Tenants...)
		e, err := fn(&r)
		if err != nil {
			return err
		}
		var idCmd *redis.StringCmd
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			if err := s.writeRecord(ctx, p, old, &r); err != nil {
				return err
			}
			if e != nil {
				idCmd, err = s.publishP(ctx, p, e)
				return err
			}
			return nil
		})
		if err != nil {
			return err
		}
		if e != nil {
			e.ID = idCmd.Val()
		}
		cur, ev = r, e
		return nil
	}, s.rec(sha))
	if errors.Is(err, ErrSkip) {
		r, gerr := s.Get(ctx, sha)
		return r, nil, gerr
	}
	if err != nil {
		return Record{}, nil, err
	}
	return cur, ev, nil
}

func (s *Redis) Delete(ctx context.Context, sha string) error {
	n, err := s.c.Exists(ctx, s.rec(sha)).Result()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	_, err = s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, s.rec(sha), s.sample(sha))
		p.ZRem(ctx, s.seen(), sha)
		p.ZRem(ctx, s.exp(), sha)
		return nil
	})
	return err
}

// List pages through the first-seen index; the cursor is an offset into
// it (entries are added at the end, so it is stable while nothing is
// deleted).
func (s *Redis) List(ctx context.Context, f Filter, cursor string, limit int) ([]Record, string, error) {
	if limit <= 0 {
		limit = 100
	}
	off := int64(0)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return nil, "", fmt.Errorf("bad cursor")
		}
		off = n
	}
	min, max := "-inf", "+inf"
	if !f.Since.IsZero() {
		min = strconv.FormatInt(f.Since.UnixMilli(), 10)
	}
	if !f.Until.IsZero() {
		max = "(" + strconv.FormatInt(f.Until.UnixMilli(), 10)
	}
	var out []Record
	for len(out) < limit {
		shas, err := s.c.ZRangeByScore(ctx, s.seen(), &redis.ZRangeBy{Min: min, Max: max, Offset: off, Count: int64(limit)}).Result()
		if err != nil {
			return nil, "", err
		}
		if len(shas) == 0 {
			return out, "", nil
		}
		recs, err := s.GetMany(ctx, shas)
		if err != nil {
			return nil, "", err
		}
		for _, r := range recs {
			off++
			if r != nil && f.Match(r) {
				out = append(out, *r)
				if len(out) == limit {
					break
				}
			}
		}
		if len(shas) < limit && len(out) < limit {
			return out, "", nil
		}
	}
	return out, strconv.FormatInt(off, 10), nil
}

func (s *Redis) Sample(ctx context.Context, sha string) ([]byte, error) {
	b, err := s.c.Get(ctx, s.sample(sha)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	return b, err
}

func (s *Redis) DeleteSample(ctx context.Context, sha string) error {
	_, _, err := s.Update(ctx, sha, func(r *Record) (*Event, error) {
		r.Retained = false
		r.PurgeContent()
		return nil, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.c.Del(ctx, s.sample(sha)).Err()
}

func (s *Redis) Expired(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.c.ZRangeByScore(ctx, s.exp(), &redis.ZRangeBy{Min: "-inf",
		Max: strconv.FormatInt(now.UnixMilli(), 10), Count: int64(limit)}).Result()
}

// --- queue ---

func (s *Redis) Enqueue(ctx context.Context, j Job) error {
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) error { return s.enqueueP(ctx, p, j) })
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", j.SHA256, err)
	}
	return nil
}

// promote moves due delayed jobs into their streams, atomically per job
// (ZREM decides which process moves it).
var promote = redis.NewScript(`
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 100)
for _, j in ipairs(due) do
  if redis.call('ZREM', KEYS[1], j) == 1 then
    local prio = string.match(j, '"priority":(%d+)') or '0'
    local q = KEYS[2]
    if prio ~= '0' then q = KEYS[3] end
    redis.call('XADD', q, '*', 'j', j)
  end
end
return #due
`)

func (s *Redis) Claim(ctx context.Context, consumer string, wait time.Duration) (*Job, error) {
	deadline := time.Now().Add(wait)
	for {
		if err := promote.Run(ctx, s.c, []string{s.delayed(), s.queue(0), s.queue(1)}, time.Now().UnixMilli()).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("claim: promote delayed jobs: %w", err)
		}
		for prio := 0; prio <= 1; prio++ {
			q := s.queue(prio)
			// A job left pending by a dead worker first.
			msgs, _, err := s.c.XAutoClaim(ctx, &redis.XAutoClaimArgs{Stream: q, Group: group,
				MinIdle: s.opts.ClaimTimeout, Start: "0-0", Count: 1, Consumer: consumer}).Result()
			if err != nil {
				return nil, fmt.Errorf("claim: %w", err)
			}
			if len(msgs) > 0 {
				return s.job(q, msgs[0], true)
			}
			// Block: -1 means no BLOCK argument (never 0, which is forever).
			j, err := s.read(ctx, q, consumer, -1)
			if j != nil || err != nil {
				return j, err
			}
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		// Wait on the normal queue, but wake up for the next delayed job,
		// for low priority work and for lapsed claims at least every
		// second.
		block := min(left, time.Second)
		if next, err := s.c.ZRangeWithScores(ctx, s.delayed(), 0, 0).Result(); err == nil && len(next) > 0 {
			due := time.UnixMilli(int64(next[0].Score))
			block = min(block, max(time.Until(due), time.Millisecond))
		}
		j, err := s.read(ctx, s.queue(0), consumer, max(block, time.Millisecond))
		if j != nil || err != nil {
			return j, err
		}
	}
}

func (s *Redis) read(ctx context.Context, q, consumer string, block time.Duration) (*Job, error) {
	res, err := s.c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
		Streams: []string{q, ">"}, Count: 1, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	for _, st := range res {
		for _, m := range st.Messages {
			return s.job(q, m, false)
		}
	}
	return nil, nil
}

func (s *Redis) job(q string, m redis.XMessage, redelivered bool) (*Job, error) {
	v, _ := m.Values["j"].(string)
	var j Job
	if err := json.Unmarshal([]byte(v), &j); err != nil {
		return nil, fmt.Errorf("queue entry %s: %w", m.ID, err)
	}
	j.ID = q + " " + m.ID
	j.Redelivered = redelivered
	return &j, nil
}

func splitJobID(id string) (q, mid string, err error) {
	q, mid, ok := strings.Cut(id, " ")
	if !ok {
		return "", "", fmt.Errorf("bad job id %q", id)
	}
	return q, mid, nil
}

func (s *Redis) Renew(ctx context.Context, consumer string, j *Job) error {
	q, mid, err := splitJobID(j.ID)
	if err != nil {
		return err
	}
	// XCLAIM to ourselves with min-idle 0 resets the idle time.
	ids, err := s.c.XClaimJustID(ctx, &redis.XClaimArgs{Stream: q, Group: group, Consumer: consumer,
		MinIdle: 0, Messages: []string{mid}}).Result()
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return fmt.Errorf("job %s is no longer pending", j.ID)
	}
	return nil
}

func (s *Redis) Ack(ctx context.Context, j *Job) error {
	q, mid, err := splitJobID(j.ID)
	if err != nil {
		return err
	}
	_, err = s.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q, group, mid)
		p.XDel(ctx, q, mid)
		return nil
	})
	return err
}

func (s *Redis) QueueDepth(ctx context.Context) (int, error) {
	var cmds []*redis.IntCmd
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		cmds = append(cmds, p.XLen(ctx, s.queue(0)), p.XLen(ctx, s.queue(1)), p.ZCard(ctx, s.delayed()))
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cmds {
		n += int(c.Val())
	}
	return n, nil
}

// --- events ---

func (s *Redis) Publish(ctx context.Context, e Event) (Event, error) {
	var cmd *redis.StringCmd
	_, err := s.c.TxPipelined(ctx, func(p redis.Pipeliner) (err error) {
		cmd, err = s.publishP(ctx, p, &e)
		return err
	})
	if err != nil {
		return Event{}, err
	}
	e.ID = cmd.Val()
	return e, nil
}

func decodeEvents(msgs []redis.XMessage) ([]Event, error) {
	out := make([]Event, 0, len(msgs))
	for _, m := range msgs {
		v, _ := m.Values["e"].(string)
		var e Event
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("event %s: %w", m.ID, err)
		}
		e.ID = m.ID
		out = append(out, e)
	}
	return out, nil
}

func (s *Redis) Events(ctx context.Context, after string, limit int, block time.Duration) ([]Event, error) {
	start := "0-0"
	if after != "" {
		start = after
	}
	if block <= 0 {
		msgs, err := s.c.XRangeN(ctx, s.events(), "("+start, "+", int64(limit)).Result()
		if err != nil {
			return nil, err
		}
		return decodeEvents(msgs)
	}
	res, err := s.c.XRead(ctx, &redis.XReadArgs{Streams: []string{s.events(), start}, Count: int64(limit),
		Block: max(block, time.Millisecond)}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, nil
	}
	return decodeEvents(res[0].Messages)
}

func (s *Redis) LastEventID(ctx context.Context) (string, error) {
	msgs, err := s.c.XRevRangeN(ctx, s.events(), "+", "-", 1).Result()
	if err != nil || len(msgs) == 0 {
		return "", err
	}
	return msgs[0].ID, nil
}

// EventGap compares the id with the oldest event kept. Redis does not say
// which ids MAXLEN trimmed, so when the id itself was trimmed away the
// answer is "gap" even if it happened to be the last one trimmed: a
// false alarm costs the client one re-lookup, a missed one costs a verdict.
func (s *Redis) EventGap(ctx context.Context, after string) (bool, error) {
	info, err := s.c.XInfoStream(ctx, s.events()).Result()
	if err != nil {
		if strings.Contains(err.Error(), "no such key") {
			return false, nil
		}
		return false, err
	}
	if info.EntriesAdded <= info.Length || info.FirstEntry.ID == "" {
		return false, nil // nothing trimmed yet
	}
	return compareStreamIDs(after, info.FirstEntry.ID) < 0, nil
}

// compareStreamIDs orders "ms-seq" ids ("" is the lowest).
func compareStreamIDs(a, b string) int {
	pa, pb := parseStreamID(a), parseStreamID(b)
	for i := 0; i < 2; i++ {
		if pa[i] != pb[i] {
			if pa[i] < pb[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func parseStreamID(id string) [2]uint64 {
	ms, seq, _ := strings.Cut(id, "-")
	a, _ := strconv.ParseUint(ms, 10, 64)
	b, _ := strconv.ParseUint(seq, 10, 64)
	return [2]uint64{a, b}
}

// --- meta ---

var swapMeta = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return old
`)

func (s *Redis) SwapMeta(ctx context.Context, key, value string) (string, error) {
	v, err := swapMeta.Run(ctx, s.c, []string{s.meta()}, key, value).Text()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

func (s *Redis) Meta(ctx context.Context, key string) (string, error) {
	v, err := s.c.HGet(ctx, s.meta(), key).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}
