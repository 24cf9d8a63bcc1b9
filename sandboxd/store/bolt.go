package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// BoltOptions configure the embedded store.
type BoltOptions struct {
	// Dir holds sandboxd.db and the samples/ folder.
	Dir string
	// ClaimTimeout: a claimed job not renewed for this long is handed out
	// again. Within one process this only matters for a stuck worker; a
	// restart frees every claim (the claims live in memory).
	ClaimTimeout time.Duration
	// EventsKept bounds the event history.
	EventsKept int
	// DecodeCache is how many decoded records GetMany remembers (0: 65536,
	// negative: none).
	DecodeCache int
}

var (
	bFiles  = []byte("files")
	bSeen   = []byte("seen")    // firstSeen(8) sha → nil
	bExp    = []byte("expire")  // expires(8) sha → nil
	bQueue  = []byte("queue")   // prio(1) seq(8) → job, due now
	bDelay  = []byte("delayed") // due(8) seq(8) → job, due later
	bEvents = []byte("events")  // seq(8) → event
	bMeta   = []byte("meta")
)

const metaTrimmed = "events.trimmed" // highest event seq trimmed away

// Bolt is the embedded store: records, queue and events in one bbolt file
// (fsynced on every commit), sealed samples as files beside it (written to
// a temp file, fsynced, renamed), so that a 64 MiB sample does not bloat
// the database.
type Bolt struct {
	db   *bolt.DB
	dir  string
	opts BoltOptions

	cache  *decodeCache
	mu     sync.Mutex
	leases map[string]time.Time // job key → claimed until
	wake   chan struct{}        // closed and replaced when a job is enqueued
	evWake chan struct{}        // same, for events
}

// OpenBolt opens (or creates) the store under o.Dir. bbolt locks the file:
// a second process on the same dir waits, then fails.
func OpenBolt(o BoltOptions) (*Bolt, error) {
	if o.ClaimTimeout <= 0 {
		o.ClaimTimeout = 2 * time.Minute
	}
	if o.EventsKept <= 0 {
		o.EventsKept = 20000
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "samples"), 0o700); err != nil {
		return nil, fmt.Errorf("sandboxd store: %w", err)
	}
	db, err := bolt.Open(filepath.Join(o.Dir, "sandboxd.db"), 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("sandboxd store: open %s: %w (is another sandboxd using this data dir?)", o.Dir, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bFiles, bSeen, bExp, bQueue, bDelay, bEvents, bMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sandboxd store: %w", err)
	}
	return &Bolt{db: db, dir: o.Dir, opts: o, leases: map[string]time.Time{}, cache: newDecodeCache(o.DecodeCache),
		wake: make(chan struct{}), evWake: make(chan struct{})}, nil
}

func (s *Bolt) Close() error { return s.db.Close() }

func (s *Bolt) Ping(ctx context.Context) error {
	return s.db.View(func(tx *bolt.Tx) error { return nil })
}

func be64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func timeKey(t time.Time, sha string) []byte {
	return append(be64(uint64(t.UnixNano())), sha...)
}

func (s *Bolt) samplePath(sha string) (string, error) {
	if len(sha) != 64 {
		return "", fmt.Errorf("bad hash %q", sha)
	}
	if _, err := hex.DecodeString(sha); err != nil {
		return "", fmt.Errorf("bad hash %q", sha)
	}
	return filepath.Join(s.dir, "samples", sha[:2], sha), nil
}

func getRecord(tx *bolt.Tx, sha string) (*Record, error) {
	v := tx.Bucket(bFiles).Get([]byte(sha))
	if v == nil {
		return nil, ErrNotFound
	}
	var r Record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("record %s: %w", sha, err)
	}
	return &r, nil
}

// putRecord writes r and keeps the indexes in step with old (nil if new).
func putRecord(tx *bolt.Tx, old, r *Record) error {
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bFiles).Put([]byte(r.SHA256), v); err != nil {
		return err
	}
	if old == nil {
		if err := tx.Bucket(bSeen).Put(timeKey(r.FirstSeen, r.SHA256), nil); err != nil {
			return err
		}
	}
	exp := tx.Bucket(bExp)
	if old != nil && old.Retained && !old.ExpiresAt.IsZero() {
		if err := exp.Delete(timeKey(old.ExpiresAt, old.SHA256)); err != nil {
			return err
		}
	}
	if r.Retained && !r.ExpiresAt.IsZero() {
		return exp.Put(timeKey(r.ExpiresAt, r.SHA256), nil)
	}
	return nil
}

func (s *Bolt) writeSample(sha string, sealed []byte) error {
	p, err := s.samplePath(sha)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(sealed); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), p)
}

func (s *Bolt) Submit(ctx context.Context, rec Record, sealed []byte, job Job, merge func(*Record) bool) (Record, bool, error) {
	// The sample file goes first: a crash after it leaves an orphan file
	// (harmless, sealed), never a record whose sample is missing.
	var exists bool
	s.db.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bFiles).Get([]byte(rec.SHA256)) != nil
		return nil
	})
	wrote := false
	if !exists && sealed != nil {
		if err := s.writeSample(rec.SHA256, sealed); err != nil {
			return Record{}, false, fmt.Errorf("write sample: %w", err)
		}
		wrote = true
	}
	var cur Record
	created := false
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getRecord(tx, rec.SHA256)
		if err == nil {
			if merge != nil && merge(old) {
				if err := putRecord(tx, old, old); err != nil {
					return err
				}
			}
			cur = *old
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if !wrote && sealed != nil {
			return errRetrySubmit
		}
		rec.Retained = sealed != nil
		if err := putRecord(tx, nil, &rec); err != nil {
			return err
		}
		if err := s.enqueueTx(tx, job); err != nil {
			return err
		}
		cur, created = rec, true
		return nil
	})
	if errors.Is(err, errRetrySubmit) {
		// Deleted between the two transactions: start again.
		return s.Submit(ctx, rec, sealed, job, merge)
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("submit %s: %w", rec.SHA256, err)
	}
	if created {
		s.signal(&s.wake)
	} else if wrote {
		// Known after all (a concurrent submit won): drop our copy only if
		// the record does not point at it.
		if !cur.Retained {
			s.removeSample(rec.SHA256)
		}
	}
	return cur, created, nil
}

var errRetrySubmit = errors.New("retry submit")

func (s *Bolt) signal(ch *chan struct{}) {
	s.mu.Lock()
	close(*ch)
	*ch = make(chan struct{})
	s.mu.Unlock()
}

func (s *Bolt) Get(ctx context.Context, sha string) (Record, error) {
	var r *Record
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		r, err = getRecord(tx, sha)
		return err
	})
	if err != nil {
		return Record{}, err
	}
	return *r, nil
}

func (s *Bolt) GetMany(ctx context.Context, shas []string) ([]*Record, error) {
	out := make([]*Record, len(shas))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bFiles)
		for i, h := range shas {
			v := b.Get([]byte(h))
			if v == nil {
				continue
			}
			r, err := s.cache.get(h, v)
			if err != nil {
				return fmt.Errorf("record %s: %w", h, err)
			}
			out[i] = r
		}
		return nil
	})
	return out, err
}

func (s *Bolt) Update(ctx context.Context, sha string, fn func(*Record) (*Event, error)) (Record, *Event, error) {
	var cur Record
	var ev *Event
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getRecord(tx, sha)
		if err != nil {
			return err
		}
		r := *old
		r.Tenants = append([]string(nil), old.Tenants...)
		e, err := fn(&r)
		if err != nil {
			return err
		}
		if err := putRecord(tx, old, &r); err != nil {
			return err
		}
		if e != nil {
			if err := s.publishTx(tx, e); err != nil {
				return err
			}
			ev = e
		}
		cur = r
		return nil
	})
	if errors.Is(err, ErrSkip) {
		r, gerr := s.Get(ctx, sha)
		return r, nil, gerr
	}
	if err != nil {
		return Record{}, nil, err
	}
	if ev != nil {
		s.signal(&s.evWake)
	}
	return cur, ev, nil
}

func (s *Bolt) Delete(ctx context.Context, sha string) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		old, err := getRecord(tx, sha)
		if err != nil {
			return err
		}
		if err := tx.Bucket(bFiles).Delete([]byte(sha)); err != nil {
			return err
		}
		if err := tx.Bucket(bSeen).Delete(timeKey(old.FirstSeen, sha)); err != nil {
			return err
		}
		if !old.ExpiresAt.IsZero() {
			return tx.Bucket(bExp).Delete(timeKey(old.ExpiresAt, sha))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.removeSample(sha)
}

func (s *Bolt) removeSample(sha string) error {
	p, err := s.samplePath(sha)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (s *Bolt) List(ctx context.Context, f Filter, cursor string, limit int) ([]Record, string, error) {
	if limit <= 0 {
		limit = 100
	}
	var start []byte
	if cursor != "" {
		b, err := hex.DecodeString(cursor)
		if err != nil {
			return nil, "", fmt.Errorf("bad cursor")
		}
		start = append(b, 0) // just after the last one returned
	} else if !f.Since.IsZero() {
		start = be64(uint64(f.Since.UnixNano()))
	}
	var out []Record
	next := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bSeen).Cursor()
		k, _ := c.First()
		if start != nil {
			k, _ = c.Seek(start)
		}
		for ; k != nil; k, _ = c.Next() {
			if len(out) == limit {
				next = hex.EncodeToString(prevKey(out, k))
				return nil
			}
			if !f.Until.IsZero() && binary.BigEndian.Uint64(k[:8]) >= uint64(f.Until.UnixNano()) {
				return nil
			}
			r, err := getRecord(tx, string(k[8:]))
			if err != nil {
				continue
			}
			if f.Match(r) {
				out = append(out, *r)
			}
		}
		return nil
	})
	return out, next, err
}

// prevKey is the index key of the last record returned, the cursor.
func prevKey(out []Record, _ []byte) []byte {
	last := out[len(out)-1]
	return timeKey(last.FirstSeen, last.SHA256)
}

func (s *Bolt) Sample(ctx context.Context, sha string) ([]byte, error) {
	p, err := s.samplePath(sha)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotFound
	}
	return b, err
}

func (s *Bolt) DeleteSample(ctx context.Context, sha string) error {
	_, _, err := s.Update(ctx, sha, func(r *Record) (*Event, error) {
		r.Retained = false
		r.PurgeContent()
		return nil, nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.removeSample(sha)
}

func (s *Bolt) Expired(ctx context.Context, now time.Time, limit int) ([]string, error) {
	var out []string
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bExp).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if binary.BigEndian.Uint64(k[:8]) > uint64(now.UnixNano()) {
				break
			}
			out = append(out, string(k[8:]))
		}
		return nil
	})
	return out, err
}

// --- queue ---

func (s *Bolt) enqueueTx(tx *bolt.Tx, j Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return err
	}
	b := tx.Bucket(bQueue)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	if j.NotBefore.After(time.Now()) {
		// Delayed jobs wait in their own bucket ordered by due time, so
		// that claiming never has to look inside the queue's entries.
		return tx.Bucket(bDelay).Put(append(be64(uint64(j.NotBefore.UnixNano())), be64(seq)...), v)
	}
	return b.Put(append([]byte{byte(j.Priority)}, be64(seq)...), v)
}

// promoteDue moves delayed jobs that are due into the queue.
func (s *Bolt) promoteDue(now time.Time) error {
	due := false
	s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bDelay).Cursor().First()
		due = k != nil && binary.BigEndian.Uint64(k[:8]) <= uint64(now.UnixNano())
		return nil
	})
	if !due {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		c := tx.Bucket(bDelay).Cursor()
		for k, v := c.First(); k != nil && binary.BigEndian.Uint64(k[:8]) <= uint64(now.UnixNano()); k, v = c.First() {
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("delayed job: %w", err)
			}
			j.NotBefore = time.Time{}
			if err := s.enqueueTx(tx, j); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Bolt) Enqueue(ctx context.Context, j Job) error {
	if err := s.db.Update(func(tx *bolt.Tx) error { return s.enqueueTx(tx, j) }); err != nil {
		return fmt.Errorf("enqueue %s: %w", j.SHA256, err)
	}
	s.signal(&s.wake)
	return nil
}

func (s *Bolt) Claim(ctx context.Context, consumer string, wait time.Duration) (*Job, error) {
	deadline := time.Now().Add(wait)
	for {
		s.mu.Lock()
		wake := s.wake
		s.mu.Unlock()
		j, soonest, err := s.claimOnce()
		if err != nil || j != nil {
			return j, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		if !soonest.IsZero() && time.Until(soonest) < left {
			left = max(time.Until(soonest), time.Millisecond)
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// claimOnce takes the first unclaimed job (normal priority sorts first by
// key); soonest is when the next delayed or claimed job becomes
// available. Only claimed entries are skipped, so a claim costs
// O(workers), not O(queue).
func (s *Bolt) claimOnce() (*Job, time.Time, error) {
	now := time.Now()
	if err := s.promoteDue(now); err != nil {
		return nil, time.Time{}, err
	}
	var soonest time.Time
	note := func(t time.Time) {
		if soonest.IsZero() || t.Before(soonest) {
			soonest = t
		}
	}
	var out *Job
	err := s.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bDelay).Cursor().First(); k != nil {
			note(time.Unix(0, int64(binary.BigEndian.Uint64(k[:8]))))
		}
		c := tx.Bucket(bQueue).Cursor()
		s.mu.Lock()
		defer s.mu.Unlock()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			key := string(k)
			until, claimed := s.leases[key]
			if claimed && now.Before(until) {
				note(until)
				continue
			}
			var j Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("queue entry: %w", err)
			}
			j.ID = hex.EncodeToString(k)
			j.Redelivered = claimed
			s.leases[key] = now.Add(s.opts.ClaimTimeout)
			out = &j
			return nil
		}
		return nil
	})
	return out, soonest, err
}

func (s *Bolt) Renew(ctx context.Context, consumer string, j *Job) error {
	k, err := hex.DecodeString(j.ID)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.leases[string(k)]; !ok {
		return fmt.Errorf("job %s is not claimed", j.ID)
	}
	s.leases[string(k)] = time.Now().Add(s.opts.ClaimTimeout)
	return nil
}

func (s *Bolt) Ack(ctx context.Context, j *Job) error {
	k, err := hex.DecodeString(j.ID)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bQueue).Delete(k) })
	s.mu.Lock()
	delete(s.leases, string(k))
	s.mu.Unlock()
	return err
}

func (s *Bolt) QueueDepth(ctx context.Context) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bQueue).Stats().KeyN + tx.Bucket(bDelay).Stats().KeyN
		return nil
	})
	return n, err
}

// --- events ---

func (s *Bolt) publishTx(tx *bolt.Tx, e *Event) error {
	b := tx.Bucket(bEvents)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.ID = strconv.FormatUint(seq, 10)
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.Put(be64(seq), v); err != nil {
		return err
	}
	// Trim the oldest beyond EventsKept, a few at a time.
	if seq > uint64(s.opts.EventsKept) {
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq-uint64(s.opts.EventsKept); k, _ = c.First() {
			if err := tx.Bucket(bMeta).Put([]byte(metaTrimmed), append([]byte(nil), k...)); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Bolt) Publish(ctx context.Context, e Event) (Event, error) {
	err := s.db.Update(func(tx *bolt.Tx) error { return s.publishTx(tx, &e) })
	if err != nil {
		return Event{}, err
	}
	s.signal(&s.evWake)
	return e, nil
}

func parseSeq(id string) (uint64, error) {
	if id == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(id, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad event id %q", id)
	}
	return n, nil
}

func (s *Bolt) Events(ctx context.Context, after string, limit int, block time.Duration) ([]Event, error) {
	seq, err := parseSeq(after)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(block)
	for {
		s.mu.Lock()
		wake := s.evWake
		s.mu.Unlock()
		var out []Event
		err := s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bEvents).Cursor()
			for k, v := c.Seek(be64(seq + 1)); k != nil && len(out) < limit; k, v = c.Next() {
				var e Event
				if err := json.Unmarshal(v, &e); err != nil {
					return err
				}
				out = append(out, e)
			}
			return nil
		})
		if err != nil || len(out) > 0 || block <= 0 {
			return out, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, nil
		}
		t := time.NewTimer(left)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (s *Bolt) LastEventID(ctx context.Context) (string, error) {
	id := ""
	err := s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bEvents).Cursor().Last()
		if k != nil {
			id = strconv.FormatUint(binary.BigEndian.Uint64(k), 10)
		} else if seq := tx.Bucket(bEvents).Sequence(); seq > 0 {
			id = strconv.FormatUint(seq, 10)
		}
		return nil
	})
	return id, err
}

func (s *Bolt) EventGap(ctx context.Context, after string) (bool, error) {
	seq, err := parseSeq(after)
	if err != nil {
		return false, err
	}
	gap := false
	err = s.db.View(func(tx *bolt.Tx) error {
		if t := tx.Bucket(bMeta).Get([]byte(metaTrimmed)); t != nil {
			gap = binary.BigEndian.Uint64(t) > seq
		}
		return nil
	})
	return gap, err
}

// --- meta ---

func (s *Bolt) SwapMeta(ctx context.Context, key, value string) (string, error) {
	var old []byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bMeta)
		old = bytes.Clone(b.Get([]byte("m." + key)))
		return b.Put([]byte("m."+key), []byte(value))
	})
	return string(old), err
}

func (s *Bolt) Meta(ctx context.Context, key string) (string, error) {
	var v []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket(bMeta).Get([]byte("m." + key)))
		return nil
	})
	return string(v), err
}

// Dir is the store's directory.
func (s *Bolt) Dir() string { return s.dir }
