package holdqueue

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/verdict"
)

// Redis is the shared store: any number of nodes on one Redis (standalone,
// Sentinel or Cluster through the universal client).
type Redis struct {
	rdb  redis.UniversalClient
	cfg  config.RedisStore
	p    string // "{prefix}:"
	keys *Keys
	log  *slog.Logger
	now  func() time.Time
	// node runs WAIT after a hold: the node that owns the queue's slot, so
	// WAIT is sent on the connection that made the write.
	node func(ctx context.Context) (redis.Cmdable, error)
	feed *feed
	stop context.CancelFunc
}

// NewRedisClient builds the universal client from the config.
func NewRedisClient(c config.RedisStore) (redis.UniversalClient, error) {
	o := &redis.UniversalOptions{
		Addrs:      c.Addrs,
		MasterName: c.MasterName,
		Username:   c.Username,
		DB:         c.DB,
		// Without it, context deadlines do not bound reads (docs/libraries.md).
		ContextTimeoutEnabled: true,
		ReadTimeout:           c.Timeout,
		WriteTimeout:          c.Timeout,
		DialTimeout:           c.Timeout,
	}
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("redis password: %w", err)
		}
		o.Password = strings.TrimSpace(string(b))
	}
	if c.TLS {
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return redis.NewUniversalClient(o), nil
}

// OpenRedis checks durability and the key, and returns the store. It
// refuses a Redis that does not fsync every write unless AcceptNoFsync.
func OpenRedis(ctx context.Context, rdb redis.UniversalClient, c config.RedisStore, keys *Keys, log *slog.Logger) (*Redis, error) {
	if c.Prefix == "" {
		c.Prefix = "airlock"
	}
	if c.FeedMaxLen == 0 {
		c.FeedMaxLen = 100000
	}
	s := &Redis{rdb: rdb, cfg: c, p: "{" + c.Prefix + "}:", keys: keys, log: log, now: time.Now, feed: newFeed()}
	s.node = func(context.Context) (redis.Cmdable, error) { return rdb, nil }
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		s.node = func(ctx context.Context) (redis.Cmdable, error) { return cc.MasterForKey(ctx, s.p+"due") }
	}
	if err := s.checkDurability(ctx); err != nil {
		return nil, err
	}
	kc := s.p + "keycheck"
	if _, err := rdb.SetNX(ctx, kc, keys.seal.Check(), 0).Result(); err != nil {
		return nil, fmt.Errorf("open hold queue: %w", err)
	}
	stored, err := rdb.Get(ctx, kc).Bytes()
	if err != nil {
		return nil, fmt.Errorf("open hold queue: %w", err)
	}
	if err := keys.seal.Verify(stored); err != nil {
		return nil, fmt.Errorf("open hold queue on redis: %w", err)
	}
	fctx, stop := context.WithCancel(context.Background())
	s.stop = stop
	go s.readFeed(fctx)
	return s, nil
}

// checkDurability reads appendonly and appendfsync on every master.
func (s *Redis) checkDurability(ctx context.Context) error {
	check := func(ctx context.Context, c *redis.Client) error {
		m, err := c.ConfigGet(ctx, "append*").Result()
		if err != nil {
			return fmt.Errorf("redis %s: CONFIG GET: %w", c.Options().Addr, err)
		}
		if m["appendonly"] == "yes" && m["appendfsync"] == "always" {
			return nil
		}
		msg := fmt.Sprintf("redis %s: appendonly=%s appendfsync=%s: a crash loses held mail that was acknowledged (want appendonly yes, appendfsync always)",
			c.Options().Addr, m["appendonly"], m["appendfsync"])
		if s.cfg.AcceptNoFsync {
			s.log.Warn("HOLD QUEUE IS NOT DURABLE: "+msg, "accept_no_fsync", true)
			return nil
		}
		s.log.Error("HOLD QUEUE IS NOT DURABLE: " + msg)
		return errors.New(msg + " (set holdqueue.redis.accept_no_fsync to run anyway)")
	}
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, check)
	case *redis.Client:
		return check(ctx, c)
	}
	return fmt.Errorf("unexpected redis client %T", s.rdb)
}

// Close stops the feed reader (the client belongs to the caller).
func (s *Redis) Close() error {
	s.stop()
	s.feed.closeAll()
	return nil
}

func (s *Redis) mk(id string) string { return s.p + "m:" + id }

func maxlen(c config.RedisStore) string { return strconv.FormatInt(c.FeedMaxLen, 10) }

// Hold writes the message in one script and, with replicas configured,
// waits for them on the same connection.
func (s *Redis) Hold(ctx context.Context, m *NewMessage) (string, error) {
	args, err := s.holdArgs(m, s.now())
	if err != nil {
		return "", fmt.Errorf("hold: %w", err)
	}
	c, err := s.node(ctx)
	if err != nil {
		return "", fmt.Errorf("hold %s: %w", m.ID, err)
	}
	// One pipeline = one connection: WAIT counts the writes of its own
	// connection, so it must follow the script on the same one.
	var res *redis.Cmd
	var wait *redis.Cmd
	_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
		res = scriptHold.Run(ctx, p, []string{s.mk(m.ID)}, args...)
		if s.cfg.WaitReplicas > 0 {
			wait = p.Do(ctx, "WAIT", s.cfg.WaitReplicas, s.cfg.WaitTimeout.Milliseconds())
		}
		return nil
	})
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		// First use on this server (or after a restart): load the
		// script, then go again, once.
		if err := scriptHold.Load(ctx, c).Err(); err != nil {
			return "", fmt.Errorf("hold %s: load script: %w", m.ID, err)
		}
		_, err = c.Pipelined(ctx, func(p redis.Pipeliner) error {
			res = scriptHold.Run(ctx, p, []string{s.mk(m.ID)}, args...)
			if s.cfg.WaitReplicas > 0 {
				wait = p.Do(ctx, "WAIT", s.cfg.WaitReplicas, s.cfg.WaitTimeout.Milliseconds())
			}
			return nil
		})
	}
	if err != nil {
		return "", fmt.Errorf("hold %s: %w", m.ID, err)
	}
	if v, _ := res.Text(); v != "OK" && v != "EXISTS" {
		return "", fmt.Errorf("hold %s: unexpected reply %q", m.ID, v)
	}
	if wait != nil {
		if n, _ := wait.Int64(); n < int64(s.cfg.WaitReplicas) {
			return "", fmt.Errorf("hold %s: only %d of %d replicas acknowledged within %s", m.ID, n, s.cfg.WaitReplicas, s.cfg.WaitTimeout)
		}
	}
	return m.ID, nil
}

// holdArgs seals m and lays it out as the hold script's arguments.
func (s *Redis) holdArgs(m *NewMessage, now time.Time) ([]any, error) {
	if m.ID == "" {
		m.ID = newID(now)
	}
	r, body, err := s.keys.newRow(m, now)
	if err != nil {
		return nil, err
	}
	w := r.waiting()
	cachedHist := s.keys.event(now, ActorVerdict, Held, "file verdict(s) known at hold time")
	args := []any{s.p, m.ID, maxlen(s.cfg), body, r.History[0], r.Due, cachedHist, len(w)}
	for _, t := range w {
		args = append(args, t)
	}
	args = append(args, len(r.Toks))
	for _, t := range r.Toks {
		args = append(args, t)
	}
	args = append(args,
		"sealed", r.Sealed, "state", string(r.State), "node", r.Node, "mode", string(r.Mode),
		"created", r.Created, "deadline", r.Deadline, "size", r.Size,
		"toks", strings.Join(r.Toks, " "), "ftoks", strings.Join(r.FileToks, " "),
		"pending", r.Pending, "released", 0, "attempts", 0, "next", 0,
		"lease", "", "lease_node", "", "lease_until", 0, "reply", "")
	for t, v := range r.Verdicts {
		args = append(args, "v:"+t, v, "s:"+t, r.Summaries[t])
	}
	return args, nil
}

// ApplyVerdict updates every message waiting on the hash in one script.
func (s *Redis) ApplyVerdict(ctx context.Context, sha string, v verdict.Verdict, summary string) (int, error) {
	if !v.Valid() {
		return 0, fmt.Errorf("apply verdict: invalid verdict %q", v)
	}
	sha = strings.ToLower(sha)
	tok := s.keys.hashToken(sha)
	now := s.now()
	hist := s.keys.event(now, ActorVerdict, "", verdictReason(sha, v, summary))
	n, err := scriptVerdict.Run(ctx, s.rdb, []string{s.p + "w:" + tok},
		s.p, tok, string(v), summary, hist, now.UnixMilli(), maxlen(s.cfg), verdictMemory.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("apply verdict %s: %w", sha, err)
	}
	return n, nil
}

// scriptErr is the text of an error a script returned, without the "ERR "
// that Redis puts in front of it.
func scriptErr(err error) string { return strings.TrimPrefix(err.Error(), "ERR ") }

func leaseErr(err error) error {
	if err != nil && strings.HasPrefix(scriptErr(err), "LEASELOST") {
		return ErrLeaseLost
	}
	return err
}

// Claim runs the claim script, then reads the message it took.
func (s *Redis) Claim(ctx context.Context, node string, d time.Duration) (*Claimed, error) {
	now := s.now()
	l := Lease{Token: newToken(), Node: node, Until: now.Add(d)}
	h1 := s.keys.event(now, node, Releasing, "claimed by "+node)
	h2 := s.keys.event(now, node, Releasing, "claimed by "+node+" after a lease expired")
	id, err := scriptClaim.Run(ctx, s.rdb, []string{s.p + "due"},
		s.p, now.UnixMilli(), l.Until.UnixMilli(), node, l.Token, h1, h2, maxlen(s.cfg)).Text()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNothingReady
	}
	if err != nil {
		return nil, fmt.Errorf("claim: %w", err)
	}
	l.ID = id
	r, body, err := s.load(ctx, id, true)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	m, err := s.keys.message(id, r)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	data, err := s.keys.body(id, body)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	return &Claimed{Lease: l, Message: m, Data: data}, nil
}

// Renew extends the lease.
func (s *Redis) Renew(ctx context.Context, l *Lease, d time.Duration) error {
	until := s.now().Add(d)
	err := scriptRenew.Run(ctx, s.rdb, []string{s.mk(l.ID)}, s.p, l.ID, l.Token, until.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("renew %s: %w", l.ID, leaseErr(err))
	}
	l.Until = until
	return nil
}

// Retry gives the message back until at.
func (s *Redis) Retry(ctx context.Context, l *Lease, at time.Time, reply string) error {
	now := s.now()
	hist := s.keys.event(now, l.Node, Releasing,
		fmt.Sprintf("temporary failure, retry at %s: %s", at.UTC().Format(time.RFC3339), reply))
	rep := s.keys.sealReply(l.ID, reply)
	if rep == nil {
		rep = []byte{}
	}
	err := scriptRetry.Run(ctx, s.rdb, []string{s.mk(l.ID)},
		s.p, l.ID, l.Token, at.UnixMilli(), rep, hist, now.UnixMilli(), l.Node, maxlen(s.cfg)).Err()
	if err != nil {
		return fmt.Errorf("retry %s: %w", l.ID, leaseErr(err))
	}
	return nil
}

// Complete ends the claim.
func (s *Redis) Complete(ctx context.Context, l *Lease, o Outcome) error {
	if err := validOutcome(o); err != nil {
		return err
	}
	now := s.now()
	actor := o.Actor
	if actor == "" {
		actor = l.Node
	}
	hist := s.keys.event(now, actor, o.State, o.Reason)
	rep := s.keys.sealReply(l.ID, o.Reply)
	if rep == nil {
		rep = []byte{}
	}
	err := scriptComplete.Run(ctx, s.rdb, []string{s.mk(l.ID)},
		s.p, l.ID, l.Token, string(o.State), rep, hist, now.UnixMilli(), actor, maxlen(s.cfg)).Err()
	if err != nil {
		return fmt.Errorf("complete %s: %w", l.ID, leaseErr(err))
	}
	return nil
}

func (s *Redis) admin(ctx context.Context, id string, target State, actor, reason string) error {
	now := s.now()
	hist := s.keys.event(now, actor, target, reason)
	err := scriptAdmin.Run(ctx, s.rdb, []string{s.mk(id)},
		s.p, id, string(target), hist, now.UnixMilli(), actor, maxlen(s.cfg)).Err()
	if err != nil {
		msg := scriptErr(err)
		switch {
		case strings.HasPrefix(msg, "NOTFOUND"):
			err = ErrNotFound
		case strings.HasPrefix(msg, "BUSY"), strings.HasPrefix(msg, "STATE"):
			err = fmt.Errorf("%w: %s", ErrState, msg)
		}
		return fmt.Errorf("%s %s: %w", target, id, err)
	}
	return nil
}

// Release sends a message to delivery on an admin's word.
func (s *Redis) Release(ctx context.Context, id, actor, reason string) error {
	return s.admin(ctx, id, Releasing, actor, reason)
}

// Quarantine moves a message to quarantine on an admin's word.
func (s *Redis) Quarantine(ctx context.Context, id, actor, reason string) error {
	return s.admin(ctx, id, Quarantined, actor, reason)
}

// Delete drops a message's bytes and marks it deleted.
func (s *Redis) Delete(ctx context.Context, id, actor, reason string) error {
	return s.admin(ctx, id, Deleted, actor, reason)
}

// Note adds a history event, once per marker when once is set. The
// event carries the state read just before (it is sealed here, not in the
// script); the marker and the event are one script.
func (s *Redis) Note(ctx context.Context, id, actor, reason, once string) (bool, error) {
	st, err := s.rdb.HGet(ctx, s.mk(id), "state").Result()
	if errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("note %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("note %s: %w", id, err)
	}
	ev := s.keys.event(s.now(), actor, State(st), reason)
	n, err := scriptNote.Run(ctx, s.rdb, []string{s.mk(id)}, s.p, id, once, ev).Int()
	if err != nil {
		if strings.HasPrefix(scriptErr(err), "NOTFOUND") {
			err = ErrNotFound
		}
		return false, fmt.Errorf("note %s: %w", id, err)
	}
	return n == 1, nil
}

// load reads a message's hash and history (and body when asked) in one
// round trip.
func (s *Redis) load(ctx context.Context, id string, withBody bool) (*row, []byte, error) {
	var h *redis.MapStringStringCmd
	var hist *redis.StringSliceCmd
	var body *redis.StringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		h = p.HGetAll(ctx, s.mk(id))
		hist = p.LRange(ctx, s.p+"h:"+id, 0, -1)
		if withBody {
			body = p.Get(ctx, s.p+"b:"+id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	if len(h.Val()) == 0 {
		return nil, nil, ErrNotFound
	}
	r := parseRow(h.Val())
	for _, e := range hist.Val() {
		r.History = append(r.History, []byte(e))
	}
	var b []byte
	if body != nil {
		if body.Err() != nil {
			return nil, nil, fmt.Errorf("body: %w", ErrNotFound)
		}
		b = []byte(body.Val())
	}
	return r, b, nil
}

func atoi(s string) int64 { n, _ := strconv.ParseInt(s, 10, 64); return n }

func parseRow(h map[string]string) *row {
	r := &row{
		Sealed:    []byte(h["sealed"]),
		State:     State(h["state"]),
		Node:      h["node"],
		Mode:      Mode(h["mode"]),
		Created:   atoi(h["created"]),
		Deadline:  atoi(h["deadline"]),
		Size:      atoi(h["size"]),
		Toks:      strings.Fields(h["toks"]),
		FileToks:  strings.Fields(h["ftoks"]),
		Verdicts:  map[string]string{},
		Summaries: map[string]string{},
		Pending:   int(atoi(h["pending"])),
		Released:  h["released"] == "1",
		Attempts:  int(atoi(h["attempts"])),
		Next:      atoi(h["next"]),
		Lease:     h["lease"],
		LeaseNode: h["lease_node"],
		LeaseTill: atoi(h["lease_until"]),
		Due:       atoi(h["due"]),
	}
	if v := h["reply"]; v != "" {
		r.Reply = []byte(v)
	}
	for k, v := range h {
		if t, ok := strings.CutPrefix(k, "v:"); ok {
			r.Verdicts[t] = v
		} else if t, ok := strings.CutPrefix(k, "s:"); ok {
			r.Summaries[t] = v
		}
	}
	return r
}

// Get returns a message without its bytes.
func (s *Redis) Get(ctx context.Context, id string) (*Message, error) {
	r, _, err := s.load(ctx, id, false)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return s.keys.message(id, r)
}

// Body returns the message bytes.
func (s *Redis) Body(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.p+"b:"+id).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("body %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", id, err)
	}
	return s.keys.body(id, b)
}

// List walks one sorted index backwards (ZREVRANGEBYLEX on ULIDs) in
// batches: the first search token, else the state, else every message.
func (s *Redis) List(ctx context.Context, q Query) (*Page, error) {
	rq := s.keys.resolve(q)
	key := s.p + "all"
	switch {
	case len(rq.toks) > 0:
		key = s.p + "x:" + rq.toks[0]
	case rq.State != "":
		key = s.p + "s:" + string(rq.State)
	}
	page := &Page{}
	hi, lo := "+", "-"
	if rq.hi != "" {
		hi = "(" + rq.hi
	}
	if rq.lo != "" {
		lo = "[" + rq.lo
	}
	budget := rq.scanBudget()
	for {
		batch := min(rq.Limit*2+10, 500)
		ids, err := s.rdb.ZRevRangeByLex(ctx, key, &redis.ZRangeBy{Max: hi, Min: lo, Count: int64(batch)}).Result()
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		if len(ids) == 0 {
			return page, nil
		}
		var hs []*redis.MapStringStringCmd
		var hists []*redis.StringSliceCmd
		_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, id := range ids {
				hs = append(hs, p.HGetAll(ctx, s.mk(id)))
				hists = append(hists, p.LRange(ctx, s.p+"h:"+id, 0, -1))
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		for i, id := range ids {
			if page.Scanned >= budget || len(page.Messages) >= rq.Limit {
				page.Next = id + "\x00"
				return page, nil
			}
			page.Scanned++
			if len(hs[i].Val()) == 0 {
				continue // purged between the index read and now
			}
			r := parseRow(hs[i].Val())
			if !rq.plainMatch(r) {
				continue
			}
			for _, e := range hists[i].Val() {
				r.History = append(r.History, []byte(e))
			}
			m, err := s.keys.message(id, r)
			if err != nil {
				return nil, fmt.Errorf("list: %w", err)
			}
			if rq.subjectMatch(m) {
				page.Messages = append(page.Messages, m)
			}
		}
		if len(ids) < batch {
			return page, nil
		}
		hi = "(" + ids[len(ids)-1]
	}
}

// Counts reads the state indexes' sizes and the oldest held id.
func (s *Redis) Counts(ctx context.Context) (*Counts, error) {
	cmds := map[State]*redis.IntCmd{}
	var oldest *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, st := range States {
			cmds[st] = p.ZCard(ctx, s.p+"s:"+string(st))
		}
		oldest = p.ZRangeByLex(ctx, s.p+"s:"+string(Held), &redis.ZRangeBy{Min: "-", Max: "+", Count: 1})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	out := &Counts{ByState: map[State]int64{}}
	for st, c := range cmds {
		if c.Val() > 0 {
			out.ByState[st] = c.Val()
		}
	}
	if ids := oldest.Val(); len(ids) > 0 {
		out.OldestHeld = idTime(ids[0])
	}
	return out, nil
}

// Purge removes entries in state st held before t, 500 per script call.
func (s *Redis) Purge(ctx context.Context, st State, before time.Time) (int, error) {
	key := s.p + "s:" + string(st)
	n := 0
	for {
		ids, err := s.rdb.ZRangeByLex(ctx, key, &redis.ZRangeBy{Min: "-", Max: "(" + idBound(before), Count: 500}).Result()
		if err != nil {
			return n, fmt.Errorf("purge %s: %w", st, err)
		}
		if len(ids) == 0 {
			return n, nil
		}
		args := []any{s.p, string(st)}
		for _, id := range ids {
			args = append(args, id)
		}
		k, err := scriptPurge.Run(ctx, s.rdb, []string{key}, args...).Int()
		if err != nil {
			return n, fmt.Errorf("purge %s: %w", st, err)
		}
		n += k
	}
}

// Subscribe returns changes read from the Redis stream, so every node sees
// every node's changes.
func (s *Redis) Subscribe(ctx context.Context) (<-chan Change, error) {
	return s.feed.subscribe(ctx), nil
}

// readFeed follows the stream from its current end into the in-process
// fan-out. Block is never zero (zero blocks forever, docs/libraries.md).
func (s *Redis) readFeed(ctx context.Context) {
	last := "$"
	for ctx.Err() == nil {
		if last == "$" {
			// Pin the position first: "$" in a loop would skip entries
			// added between two reads.
			xs, err := s.rdb.XRevRangeN(ctx, s.p+"feed", "+", "-", 1).Result()
			if err != nil {
				s.sleep(ctx, err)
				continue
			}
			last = "0-0"
			if len(xs) > 0 {
				last = xs[0].ID
			}
		}
		res, err := s.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{s.p + "feed", last}, Count: 500, Block: 2 * time.Second}).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			s.sleep(ctx, err)
			continue
		}
		for _, st := range res {
			cs := make([]Change, 0, len(st.Messages))
			for _, x := range st.Messages {
				last = x.ID
				c := Change{ID: fmt.Sprint(x.Values["id"]), State: State(fmt.Sprint(x.Values["state"])), Actor: fmt.Sprint(x.Values["actor"])}
				if ms, err := strconv.ParseInt(fmt.Sprint(x.Values["at"]), 10, 64); err == nil {
					c.At = time.UnixMilli(ms).UTC()
				}
				cs = append(cs, c)
			}
			s.feed.publish(cs...)
		}
	}
}

func (s *Redis) sleep(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	s.log.Warn("hold queue feed: read failed; retrying", "err", err)
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}

func (s *Redis) setClock(now func() time.Time) { s.now = now }
