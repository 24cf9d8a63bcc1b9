package holdqueue

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/airlockmail/airlock/verdict"
)

// Buckets of the embedded store. Index keys are "name/id" so a prefix
// scan finds every id of one state, token or hash.
var (
	bMeta  = []byte("meta")  // keycheck, count/<state>
	bMsg   = []byte("m")     // id → row (JSON)
	bBody  = []byte("b")     // id → sealed bytes
	bDue   = []byte("due")   // ms(8 bytes BE) id → ""
	bWait  = []byte("wait")  // hashtok/id → "" while the verdict is pending
	bIndex = []byte("x")     // tok/id → "" (sender, recipient, hash)
	bState = []byte("state") // state/id → ""
	bVMem  = []byte("vmem")  // hashtok → verdict memory (JSON)
)

// Bolt is the embedded store: one bbolt file, fsync on every commit.
type Bolt struct {
	db   *bolt.DB
	keys *Keys
	log  *slog.Logger
	feed *feed
	now  func() time.Time
}

// OpenBolt opens (or creates) the store at path. A store made with another
// key is refused with seal.ErrWrongKey.
func OpenBolt(path string, keys *Keys, log *slog.Logger) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open hold queue %s: %w", path, err)
	}
	s := &Bolt{db: db, keys: keys, log: log, feed: newFeed(), now: time.Now}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bMeta, bMsg, bBody, bDue, bWait, bIndex, bState, bVMem} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bMeta)
		if c := meta.Get([]byte("keycheck")); c != nil {
			return keys.seal.Verify(c)
		}
		return meta.Put([]byte("keycheck"), keys.seal.Check())
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open hold queue %s: %w", path, err)
	}
	return s, nil
}

// Close closes the file and ends subscriptions.
func (s *Bolt) Close() error {
	s.feed.closeAll()
	return s.db.Close()
}

func ixKey(name, id string) []byte { return []byte(name + "/" + id) }

func dueKey(ms int64, id string) []byte {
	k := make([]byte, 8, 8+len(id))
	binary.BigEndian.PutUint64(k, uint64(ms))
	return append(k, id...)
}

func loadRow(tx *bolt.Tx, id string) (*row, error) {
	v := tx.Bucket(bMsg).Get([]byte(id))
	if v == nil {
		return nil, ErrNotFound
	}
	var r row
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("decode %s: %w", id, err)
	}
	return &r, nil
}

func addCount(tx *bolt.Tx, st State, d int64) error {
	m := tx.Bucket(bMeta)
	k := []byte("count/" + string(st))
	var n int64
	if v := m.Get(k); len(v) == 8 {
		n = int64(binary.BigEndian.Uint64(v))
	}
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, uint64(n+d))
	return m.Put(k, v)
}

// putRow writes r and moves its state and due index entries from old.
func putRow(tx *bolt.Tx, id string, old, r *row) error {
	if old == nil || old.State != r.State {
		if old != nil {
			if err := tx.Bucket(bState).Delete(ixKey(string(old.State), id)); err != nil {
				return err
			}
			if err := addCount(tx, old.State, -1); err != nil {
				return err
			}
		}
		if err := tx.Bucket(bState).Put(ixKey(string(r.State), id), nil); err != nil {
			return err
		}
		if err := addCount(tx, r.State, 1); err != nil {
			return err
		}
	}
	if old == nil || old.Due != r.Due {
		if old != nil && old.Due != 0 {
			if err := tx.Bucket(bDue).Delete(dueKey(old.Due, id)); err != nil {
				return err
			}
		}
		if r.Due != 0 {
			if err := tx.Bucket(bDue).Put(dueKey(r.Due, id), nil); err != nil {
				return err
			}
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Bucket(bMsg).Put([]byte(id), b)
}

// mutate loads a row, lets fn change it, and writes it with its indexes.
func (s *Bolt) mutate(id string, fn func(r *row) error) (*row, error) {
	var out *row
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadRow(tx, id)
		if err != nil {
			return err
		}
		old := *r
		if err := fn(r); err != nil {
			return err
		}
		out = r
		return putRow(tx, id, &old, r)
	})
	return out, err
}

// Hold stores the message; concurrent holds share one fsynced commit
// (bbolt Batch), which is what makes the embedded store fast under load.
func (s *Bolt) Hold(ctx context.Context, m *NewMessage) (string, error) {
	now := s.now()
	h, err := s.prepareHold(m, now)
	if err != nil {
		return "", fmt.Errorf("hold: %w", err)
	}
	if err := s.db.Batch(h.write); err != nil {
		return "", fmt.Errorf("hold %s: %w", h.id, err)
	}
	s.feed.publish(Change{ID: h.id, State: Held, Actor: ActorSystem, At: now})
	return h.id, nil
}

// boltHold is a hold sealed and ready to write in a transaction.
type boltHold struct {
	s    *Bolt
	id   string
	base row
	body []byte
	shas map[string]string // hash token → sha256, for history
	now  time.Time
}

func (s *Bolt) prepareHold(m *NewMessage, now time.Time) (*boltHold, error) {
	if m.ID == "" {
		m.ID = newID(now)
	}
	r, body, err := s.keys.newRow(m, now)
	if err != nil {
		return nil, err
	}
	h := &boltHold{s: s, id: m.ID, base: *r, body: body, shas: map[string]string{}, now: now}
	for _, f := range m.Files {
		h.shas[s.keys.hashToken(strings.ToLower(f.SHA256))] = strings.ToLower(f.SHA256)
	}
	return h, nil
}

// write stores the hold in tx. Batch may run it more than once, so it
// starts from the row as built each time.
func (h *boltHold) write(tx *bolt.Tx) error {
	id := h.id
	if tx.Bucket(bMsg).Get([]byte(id)) != nil {
		return fmt.Errorf("id %s exists", id)
	}
	r := h.base
	r.Verdicts, r.Summaries = maps.Clone(h.base.Verdicts), maps.Clone(h.base.Summaries)
	r.History = slices.Clone(h.base.History)
	for _, t := range r.waiting() {
		if vm, ok := loadMemory(tx, t, h.now); ok {
			h.s.keys.verdictRow(&r, t, h.shas[t], vm.Verdict, vm.Summary+" (known at hold time)", h.now)
		}
	}
	if err := tx.Bucket(bBody).Put([]byte(id), h.body); err != nil {
		return err
	}
	for _, t := range r.Toks {
		if err := tx.Bucket(bIndex).Put(ixKey(t, id), nil); err != nil {
			return err
		}
	}
	for _, t := range r.waiting() {
		if err := tx.Bucket(bWait).Put(ixKey(t, id), nil); err != nil {
			return err
		}
	}
	return putRow(tx, id, nil, &r)
}

// ApplyVerdict updates every message waiting on the hash in one commit.
func (s *Bolt) ApplyVerdict(ctx context.Context, sha string, v verdict.Verdict, summary string) (int, error) {
	if !v.Valid() {
		return 0, fmt.Errorf("apply verdict: invalid verdict %q", v)
	}
	sha = strings.ToLower(sha)
	tok := s.keys.hashToken(sha)
	now := s.now()
	var changes []Change
	err := s.db.Update(func(tx *bolt.Tx) error {
		changes = changes[:0]
		if err := saveMemory(tx, tok, v, summary, now); err != nil {
			return err
		}
		w := tx.Bucket(bWait)
		prefix := []byte(tok + "/")
		var ids []string
		c := w.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			ids = append(ids, string(k[len(prefix):]))
		}
		for _, id := range ids {
			if err := w.Delete(ixKey(tok, id)); err != nil {
				return err
			}

			r, err := loadRow(tx, id)
			if errors.Is(err, ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			old := *r
			if !s.keys.verdictRow(r, tok, sha, v, summary, now) {
				continue
			}
			if err := putRow(tx, id, &old, r); err != nil {
				return err
			}
			changes = append(changes, Change{ID: id, State: r.State, Actor: ActorVerdict, At: now})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("apply verdict %s: %w", sha, err)
	}
	s.feed.publish(changes...)
	return len(changes), nil
}

// Claim takes the first due message.
func (s *Bolt) Claim(ctx context.Context, node string, d time.Duration) (*Claimed, error) {
	now := s.now()
	n := now.UnixMilli()
	l := &Lease{Token: newToken(), Node: node, Until: now.Add(d)}
	var out *Claimed
	err := s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDue).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if int64(binary.BigEndian.Uint64(k[:8])) > n {
				return ErrNothingReady
			}
			id := string(k[8:])
			r, err := loadRow(tx, id)
			if err != nil {
				return err
			}
			if !claimable(r, n) {
				continue // stale entry; putRow keeps these exact, so rare
			}
			old := *r
			l.ID = id
			s.keys.claimRow(r, l, now)
			if err := putRow(tx, id, &old, r); err != nil {
				return err
			}
			m, err := s.keys.message(id, r)
			if err != nil {
				return err
			}
			body, err := s.keys.body(id, tx.Bucket(bBody).Get([]byte(id)))
			if err != nil {
				return err
			}
			out = &Claimed{Lease: *l, Message: m, Data: body}
			return nil
		}
		return ErrNothingReady
	})
	if err != nil {
		if errors.Is(err, ErrNothingReady) {
			return nil, ErrNothingReady
		}
		return nil, fmt.Errorf("claim: %w", err)
	}
	s.feed.publish(Change{ID: out.Lease.ID, State: Releasing, Actor: node, At: now})
	return out, nil
}

// Renew extends the lease.
func (s *Bolt) Renew(ctx context.Context, l *Lease, d time.Duration) error {
	until := s.now().Add(d)
	if _, err := s.mutate(l.ID, func(r *row) error { return renewRow(r, l, until) }); err != nil {
		return fmt.Errorf("renew %s: %w", l.ID, err)
	}
	l.Until = until
	return nil
}

// Retry gives the message back until at.
func (s *Bolt) Retry(ctx context.Context, l *Lease, at time.Time, reply string) error {
	now := s.now()
	_, err := s.mutate(l.ID, func(r *row) error { return s.keys.retryRow(l.ID, r, l, at, reply, now) })
	if err != nil {
		return fmt.Errorf("retry %s: %w", l.ID, err)
	}
	s.feed.publish(Change{ID: l.ID, State: Releasing, Actor: l.Node, At: now})
	return nil
}

// Complete ends the claim.
func (s *Bolt) Complete(ctx context.Context, l *Lease, o Outcome) error {
	if err := validOutcome(o); err != nil {
		return err
	}
	now := s.now()
	_, err := s.mutate(l.ID, func(r *row) error { return s.keys.completeRow(l.ID, r, l, o, now) })
	if err != nil {
		return fmt.Errorf("complete %s: %w", l.ID, err)
	}
	s.feed.publish(Change{ID: l.ID, State: o.State, Actor: o.Actor, At: now})
	return nil
}

func (s *Bolt) admin(id string, target State, actor, reason string) error {
	now := s.now()
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadRow(tx, id)
		if err != nil {
			return err
		}
		old := *r
		if err := s.keys.adminRow(r, target, actor, reason, now); err != nil {
			return err
		}
		if target == Deleted {
			if err := tx.Bucket(bBody).Delete([]byte(id)); err != nil {
				return err
			}
		}
		return putRow(tx, id, &old, r)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", target, id, err)
	}
	s.feed.publish(Change{ID: id, State: target, Actor: actor, At: now})
	return nil
}

// Release sends a message to delivery on an admin's word.
func (s *Bolt) Release(ctx context.Context, id, actor, reason string) error {
	return s.admin(id, Releasing, actor, reason)
}

// Quarantine moves a message to quarantine on an admin's word.
func (s *Bolt) Quarantine(ctx context.Context, id, actor, reason string) error {
	return s.admin(id, Quarantined, actor, reason)
}

// Delete drops a message's bytes and marks it deleted.
func (s *Bolt) Delete(ctx context.Context, id, actor, reason string) error {
	return s.admin(id, Deleted, actor, reason)
}

// Note adds a history event, once per marker when once is set.
func (s *Bolt) Note(ctx context.Context, id, actor, reason, once string) (bool, error) {
	now := s.now()
	added := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadRow(tx, id)
		if err != nil {
			return err
		}
		old := *r
		if once != "" {
			if slices.Contains(r.Marks, once) {
				return nil
			}
			r.Marks = append(slices.Clip(r.Marks), once)
		}
		r.History = append(slices.Clip(r.History), s.keys.event(now, actor, r.State, reason))
		added = true
		return putRow(tx, id, &old, r)
	})
	if err != nil {
		return false, fmt.Errorf("note %s: %w", id, err)
	}
	return added, nil
}

// Get returns a message without its bytes.
func (s *Bolt) Get(ctx context.Context, id string) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := loadRow(tx, id)
		if err != nil {
			return err
		}
		m, err = s.keys.message(id, r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return m, nil
}

// Body returns the message bytes.
func (s *Bolt) Body(ctx context.Context, id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bBody).Get([]byte(id))
		if b == nil {
			return ErrNotFound
		}
		var err error
		out, err = s.keys.body(id, b)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("body %s: %w", id, err)
	}
	return out, nil
}

// List walks one index backwards from the cursor: the first search token,
// else the state, else every message; other fields are checked per entry.
func (s *Bolt) List(ctx context.Context, q Query) (*Page, error) {
	rq := s.keys.resolve(q)
	page := &Page{}
	err := s.db.View(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		var prefix []byte
		switch {
		case len(rq.toks) > 0:
			b, prefix = tx.Bucket(bIndex), []byte(rq.toks[0]+"/")
		case rq.State != "":
			b, prefix = tx.Bucket(bState), []byte(string(rq.State)+"/")
		default:
			b = tx.Bucket(bMsg)
		}
		c := b.Cursor()
		var k []byte
		if rq.hi != "" {
			seek := append(append([]byte{}, prefix...), rq.hi...)
			k, _ = c.Seek(seek)
			if k == nil {
				k, _ = c.Last()
			}
			for k != nil && bytes.Compare(k, seek) >= 0 {
				k, _ = c.Prev()
			}
		} else {
			// Seek past the prefix, then step back onto its last key.
			end := append(append([]byte{}, prefix...), 0xff)
			k, _ = c.Seek(end)
			if k == nil {
				k, _ = c.Last()
			} else {
				k, _ = c.Prev()
			}
		}
		budget := rq.scanBudget()
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			id := string(k[len(prefix):])
			if rq.lo != "" && id < rq.lo {
				break
			}
			if page.Scanned >= budget || len(page.Messages) >= rq.Limit {
				page.Next = id + "\x00" // entries strictly below it: id itself next
				return nil
			}
			page.Scanned++
			r, err := loadRow(tx, id)
			if err != nil {
				return err
			}
			if !rq.plainMatch(r) {
				continue
			}
			m, err := s.keys.message(id, r)
			if err != nil {
				return err
			}
			if rq.subjectMatch(m) {
				page.Messages = append(page.Messages, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	return page, nil
}

// memory is a verdict remembered for verdictMemory after ApplyVerdict, so
// a message held just after its file was judged (the gate looked the hash
// up a moment before) does not wait for its deadline.
type memory struct {
	Verdict verdict.Verdict `json:"v"`
	Summary string          `json:"s"`
	Expires int64           `json:"x"`
}

func saveMemory(tx *bolt.Tx, tok string, v verdict.Verdict, summary string, now time.Time) error {
	b, _ := json.Marshal(memory{Verdict: v, Summary: summary, Expires: now.Add(verdictMemory).UnixMilli()})
	return tx.Bucket(bVMem).Put([]byte(tok), b)
}

func loadMemory(tx *bolt.Tx, tok string, now time.Time) (memory, bool) {
	var m memory
	v := tx.Bucket(bVMem).Get([]byte(tok))
	if v == nil || json.Unmarshal(v, &m) != nil || m.Expires < now.UnixMilli() {
		return m, false
	}
	return m, true
}

// Counts reads the per-state counters and the oldest held id.
func (s *Bolt) Counts(ctx context.Context) (*Counts, error) {
	out := &Counts{ByState: map[State]int64{}}
	err := s.db.View(func(tx *bolt.Tx) error {
		m := tx.Bucket(bMeta)
		for _, st := range States {
			if v := m.Get([]byte("count/" + string(st))); len(v) == 8 {
				out.ByState[st] = int64(binary.BigEndian.Uint64(v))
			}
		}
		prefix := []byte(string(Held) + "/")
		k, _ := tx.Bucket(bState).Cursor().Seek(prefix)
		if k != nil && bytes.HasPrefix(k, prefix) {
			out.OldestHeld = idTime(string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("counts: %w", err)
	}
	return out, nil
}

// Purge removes entries in state st held before t, with every index entry.
func (s *Bolt) Purge(ctx context.Context, st State, before time.Time) (int, error) {
	hi := idBound(before)
	n := 0
	if err := s.forgetExpired(); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	for {
		// Batches of 1000 keep each commit (and the write lock) short.
		batch := 0
		err := s.db.Update(func(tx *bolt.Tx) error {
			prefix := []byte(string(st) + "/")
			c := tx.Bucket(bState).Cursor()
			var ids []string
			for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(ids) < 1000; k, _ = c.Next() {
				id := string(k[len(prefix):])
				if id >= hi {
					break
				}
				ids = append(ids, id)
			}
			for _, id := range ids {
				r, err := loadRow(tx, id)
				if err != nil {
					return err
				}
				for _, t := range r.Toks {
					if err := tx.Bucket(bIndex).Delete(ixKey(t, id)); err != nil {
						return err
					}
				}
				for _, t := range r.waiting() {
					if err := tx.Bucket(bWait).Delete(ixKey(t, id)); err != nil {
						return err
					}
				}
				if r.Due != 0 {
					if err := tx.Bucket(bDue).Delete(dueKey(r.Due, id)); err != nil {
						return err
					}
				}
				if err := tx.Bucket(bState).Delete(ixKey(string(st), id)); err != nil {
					return err
				}
				if err := addCount(tx, st, -1); err != nil {
					return err
				}
				if err := tx.Bucket(bBody).Delete([]byte(id)); err != nil {
					return err
				}
				if err := tx.Bucket(bMsg).Delete([]byte(id)); err != nil {
					return err
				}
			}
			batch = len(ids)
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("purge %s: %w", st, err)
		}
		n += batch
		if batch < 1000 {
			return n, nil
		}
	}
}

// Subscribe returns the in-process change feed.
func (s *Bolt) Subscribe(ctx context.Context) (<-chan Change, error) {
	return s.feed.subscribe(ctx), nil
}

func (s *Bolt) setClock(now func() time.Time) { s.now = now }

// forgetExpired drops verdict memories past their time (Redis expires them
// by itself).
func (s *Bolt) forgetExpired() error {
	now := s.now()
	return s.db.Update(func(tx *bolt.Tx) error {
		var old [][]byte
		c := tx.Bucket(bVMem).Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			if _, ok := loadMemory(tx, string(k), now); !ok {
				old = append(old, append([]byte(nil), k...))
			}
		}
		for _, k := range old {
			if err := tx.Bucket(bVMem).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
