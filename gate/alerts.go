package gate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"go.etcd.io/bbolt"

	"github.com/airlockmail/airlock/seal"
	"github.com/airlockmail/airlock/verdict"
)

// Delivered is a message the gate let through, kept (sealed) for the
// retention period so that a later reclassification of one of its files
// can name it.
type Delivered struct {
	// ID is the hold queue id when the message was held first, else the
	// MTA's queue id.
	ID         string          `json:"id"`
	MTAQueueID string          `json:"mta_queue_id,omitempty"`
	At         time.Time       `json:"at"`
	MailFrom   string          `json:"mail_from"`
	RcptTo     []string        `json:"rcpt_to"`
	Subject    string          `json:"subject,omitempty"`
	Files      []DeliveredFile `json:"files"`
}

// DeliveredFile is one judged file of a delivered message.
type DeliveredFile struct {
	Path    string          `json:"path"`
	SHA256  string          `json:"sha256"`
	Verdict verdict.Verdict `json:"verdict"`
}

// Alert says that a file in mail already delivered is now judged worse.
type Alert struct {
	Time     time.Time       `json:"time"`
	SHA256   string          `json:"sha256"`
	Verdict  verdict.Verdict `json:"verdict"`
	Previous verdict.Verdict `json:"previous,omitempty"`
	// Published is when sandboxd published the new verdict.
	Published time.Time `json:"published,omitzero"`
	// Message is the delivered message, with its recipients, so an admin
	// can act.
	Message Delivered `json:"message"`
	// Path of the file inside the message.
	Path string `json:"path"`
}

// AlertsConfig configures retro alerts.
type AlertsConfig struct {
	// Path of the bbolt file holding delivered messages' hashes.
	Path string
	// Key (32 bytes) seals records and keys the hash index.
	Key []byte
	// Retention is how long delivered messages are remembered (default
	// 30 days).
	Retention time.Duration
	// Webhook receives each alert as a JSON POST ("" = none).
	Webhook string
	// Keep bounds the in-memory list shown on the web page (default 1000).
	Keep int
	// PurgeEvery is how often records older than Retention are deleted
	// (default 1h; the first purge runs at open). The log holds sealed
	// senders and recipients: it must not keep them past the retention.
	PurgeEvery time.Duration
	// Now is the clock of the purge (default time.Now).
	Now func() time.Time
}

// Alerts remembers delivered mail and raises alerts on reclassification.
type Alerts struct {
	cfg  AlertsConfig
	db   *bbolt.DB
	seal *seal.Key
	http *http.Client
	log  *slog.Logger

	mu     sync.Mutex
	recent []Alert
	wg     sync.WaitGroup
	stop   chan struct{}
	queue  chan logItem
	// written is closed when the writer has committed its last batch.
	written chan struct{}
}

var (
	bucketMsgs   = []byte("delivered")
	bucketIndex  = []byte("by_hash")
	bucketAlerts = []byte("alerts")
)

// OpenAlerts opens (or creates) the delivered-mail log.
func OpenAlerts(cfg AlertsConfig, log *slog.Logger) (*Alerts, error) {
	if len(cfg.Key) != 32 {
		return nil, errors.New("alerts: key must be 32 bytes")
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Keep <= 0 {
		cfg.Keep = 1000
	}
	if cfg.PurgeEvery <= 0 {
		cfg.PurgeEvery = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	k, err := seal.NewKey(cfg.Key)
	if err != nil {
		return nil, fmt.Errorf("alerts key: %w", err)
	}
	// No fsync per commit: this log serves alerts, not delivery, and a
	// crash may lose the last second of it (the writer syncs every
	// second); an fsync per delivered message would halve the MTA's
	// throughput.
	db, err := bbolt.Open(cfg.Path, 0o600, &bbolt.Options{Timeout: 5 * time.Second, NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("open delivered log %s: %w", cfg.Path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketMsgs, bucketIndex, bucketAlerts} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("delivered log %s: %w", cfg.Path, err)
	}
	a := &Alerts{cfg: cfg, db: db, seal: k, http: &http.Client{Timeout: 10 * time.Second}, log: log,
		stop: make(chan struct{}), queue: make(chan logItem, 4096), written: make(chan struct{})}
	if err := a.loadAlerts(); err != nil {
		db.Close()
		return nil, fmt.Errorf("delivered log %s: alerts: %w", cfg.Path, err)
	}
	a.wg.Add(2)
	go a.writer()
	go a.purgeLoop()
	return a, nil
}

// Close waits for webhook posts in flight and closes the file.
func (a *Alerts) Close() error {
	close(a.stop)
	a.wg.Wait()
	a.db.Sync()
	return a.db.Close()
}

func (a *Alerts) token(sha string) []byte {
	m := hmac.New(sha256.New, a.cfg.Key)
	m.Write([]byte("sha256:" + sha))
	return m.Sum(nil)[:16]
}

// Record remembers a delivered message's files. It only queues the record:
// a writer commits queued records together, off the SMTP path.
func (a *Alerts) Record(d Delivered) error {
	if len(d.Files) == 0 {
		return nil
	}
	select {
	case a.queue <- logItem{d: &d}:
		return nil
	default:
		// Writer behind: write this one here rather than drop it.
		return a.write([]Delivered{d})
	}
}

// logItem is a record to write, or a flush request.
type logItem struct {
	d     *Delivered
	flush chan struct{}
}

// writer commits queued records, many per transaction.
func (a *Alerts) writer() {
	defer a.wg.Done()
	defer close(a.written)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var batch []Delivered
	var flushes []chan struct{}
	var linger <-chan time.Time
	commit := func() {
		if len(batch) > 0 {
			if err := a.write(batch); err != nil {
				a.log.Error("delivered log", "err", err, "records", len(batch))
			}
			batch = batch[:0]
		}
		for _, f := range flushes {
			close(f)
		}
		flushes = flushes[:0]
	}
	for {
		select {
		case <-a.stop:
			for {
				select {
				case it := <-a.queue:
					if it.d != nil {
						batch = append(batch, *it.d)
					} else {
						flushes = append(flushes, it.flush)
					}
				default:
					commit()
					return
				}
			}
		case <-t.C:
			if err := a.db.Sync(); err != nil {
				a.log.Warn("delivered log sync", "err", err)
			}
		case <-linger:
			linger = nil
			commit()
		case it := <-a.queue:
			if it.d != nil {
				batch = append(batch, *it.d)
			} else {
				flushes = append(flushes, it.flush)
			}
			// Records wait up to a fifth of a second for company: one
			// commit per batch, not per delivered message.
			switch {
			case len(flushes) > 0 || len(batch) >= 256:
				linger = nil
				commit()
			case linger == nil:
				linger = time.After(200 * time.Millisecond)
			}
		}
	}
}

// Flush waits until every record queued before it is written.
func (a *Alerts) Flush() {
	ch := make(chan struct{})
	select {
	case a.queue <- logItem{flush: ch}:
		// The writer may have drained the queue for the last time just
		// before this request arrived: then nothing will close ch.
		select {
		case <-ch:
		case <-a.written:
		}
	case <-a.stop:
	}
}

func (a *Alerts) write(ds []Delivered) error {
	type rec struct{ key, sealed []byte }
	recs := make([]rec, 0, len(ds))
	for _, d := range ds {
		b, err := json.Marshal(d)
		if err != nil {
			return err
		}
		// Time first: purging walks the oldest keys.
		key := make([]byte, 8, 8+len(d.ID))
		binary.BigEndian.PutUint64(key, uint64(d.At.UnixNano()))
		key = append(key, d.ID...)
		recs = append(recs, rec{key, a.seal.Seal(b, key)})
	}
	return a.db.Update(func(tx *bbolt.Tx) error {
		msgs, idx := tx.Bucket(bucketMsgs), tx.Bucket(bucketIndex)
		for i, r := range recs {
			if err := msgs.Put(r.key, r.sealed); err != nil {
				return err
			}
			for _, f := range ds[i].Files {
				if f.SHA256 == "" {
					continue
				}
				if err := idx.Put(append(a.token(f.SHA256), r.key...), nil); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ByHash returns the delivered messages that carried sha.
func (a *Alerts) ByHash(sha string) ([]Delivered, error) {
	a.Flush()
	tok := a.token(sha)
	var out []Delivered
	err := a.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketIndex).Cursor()
		msgs := tx.Bucket(bucketMsgs)
		for k, _ := c.Seek(tok); k != nil && bytes.HasPrefix(k, tok); k, _ = c.Next() {
			mk := k[len(tok):]
			sealed := msgs.Get(mk)
			if sealed == nil {
				continue
			}
			pt, err := a.seal.Open(sealed, mk)
			if err != nil {
				return fmt.Errorf("delivered record: %w", err)
			}
			var d Delivered
			if err := json.Unmarshal(pt, &d); err != nil {
				return err
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}

// Purge forgets messages delivered before the retention period, with
// their hash index entries, and reports how many it deleted.
func (a *Alerts) Purge(now time.Time) (int, error) {
	limit := make([]byte, 8)
	binary.BigEndian.PutUint64(limit, uint64(now.Add(-a.cfg.Retention).UnixNano()))
	n := 0
	err := a.db.Update(func(tx *bbolt.Tx) error {
		msgs, idx := tx.Bucket(bucketMsgs), tx.Bucket(bucketIndex)
		// Keys first, deletes after: a bbolt cursor that deletes while it
		// walks skips the entry after each deleted one.
		var old [][]byte
		c := msgs.Cursor()
		for k, _ := c.First(); k != nil && len(k) >= 8 && bytes.Compare(k[:8], limit) < 0; k, _ = c.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if pt, err := a.seal.Open(msgs.Get(k), k); err == nil {
				var d Delivered
				if json.Unmarshal(pt, &d) == nil {
					for _, f := range d.Files {
						if err := idx.Delete(append(a.token(f.SHA256), k...)); err != nil {
							return err
						}
					}
				}
			}
			if err := msgs.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// purgeLoop runs Purge at open and every PurgeEvery until Close.
func (a *Alerts) purgeLoop() {
	defer a.wg.Done()
	t := time.NewTicker(a.cfg.PurgeEvery)
	defer t.Stop()
	for {
		// Records still queued are written first, so a purge never races
		// a record it should have removed.
		a.Flush()
		if n, err := a.Purge(a.cfg.Now()); err != nil {
			a.log.Error("delivered log purge", "err", err)
		} else if n > 0 {
			a.log.Info("delivered log purged", "records", n, "retention", a.cfg.Retention)
		}
		select {
		case <-a.stop:
			return
		case <-t.C:
		}
	}
}

// Reclassified raises an alert for every delivered message carrying sha,
// now judged v (suspicious or worse), and posts each to the webhook.
func (a *Alerts) Reclassified(sha string, v, previous verdict.Verdict, published, now time.Time) ([]Alert, error) {
	if !v.AtLeast(verdict.Suspicious) {
		return nil, nil
	}
	ds, err := a.ByHash(sha)
	if err != nil {
		return nil, err
	}
	var out []Alert
	for _, d := range ds {
		al := Alert{Time: now, SHA256: sha, Verdict: v, Previous: previous, Published: published, Message: d}
		for _, f := range d.Files {
			if f.SHA256 == sha {
				al.Path = f.Path
				if previous == verdict.Unknown {
					al.Previous = f.Verdict
				}
				break
			}
		}
		out = append(out, al)
	}
	if err := a.storeAlerts(out); err != nil {
		// Still raised (log, webhook, the list until a restart).
		a.log.Error("retro alerts not stored", "err", err)
	}
	a.mu.Lock()
	a.recent = append(a.recent, out...)
	if over := len(a.recent) - a.cfg.Keep; over > 0 {
		a.recent = append([]Alert(nil), a.recent[over:]...)
	}
	a.mu.Unlock()
	for _, al := range out {
		a.log.Warn("retro alert: delivered mail carries a file now judged worse",
			"id", al.Message.ID, "sha256", sha, "verdict", v, "recipients", len(al.Message.RcptTo))
		if a.cfg.Webhook != "" {
			a.wg.Add(1)
			go func(al Alert) {
				defer a.wg.Done()
				a.post(al)
			}(al)
		}
	}
	return out, nil
}

// storeAlerts keeps alerts (sealed: they name recipients) so that the
// list survives a restart; only the newest Keep are kept.
func (a *Alerts) storeAlerts(als []Alert) error {
	if len(als) == 0 {
		return nil
	}
	return a.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAlerts)
		for _, al := range als {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			key := binary.BigEndian.AppendUint64(nil, seq)
			pt, err := json.Marshal(al)
			if err != nil {
				return err
			}
			if err := b.Put(key, a.seal.Seal(pt, key)); err != nil {
				return err
			}
		}
		n := 0
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			n++
		}
		for k, _ := c.First(); k != nil && n > a.cfg.Keep; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
			n--
		}
		return nil
	})
}

// loadAlerts reads the stored alerts into the list.
func (a *Alerts) loadAlerts() error {
	return a.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAlerts).ForEach(func(k, v []byte) error {
			pt, err := a.seal.Open(v, k)
			if err != nil {
				return fmt.Errorf("alert record: %w", err)
			}
			var al Alert
			if err := json.Unmarshal(pt, &al); err != nil {
				return err
			}
			a.recent = append(a.recent, al)
			return nil
		})
	})
}

// List returns the recent alerts, newest last.
func (a *Alerts) List() []Alert {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Alert(nil), a.recent...)
}

// post sends one alert, retrying a few times on failure. Close stops the
// retries (and a post in flight): the alert itself is already stored.
func (a *Alerts) post(al Alert) {
	body, _ := json.Marshal(al)
	delay := 500 * time.Millisecond
	stopped, stop := context.WithCancel(context.Background())
	defer stop()
	go func() {
		select {
		case <-a.stop:
			stop()
		case <-stopped.Done():
		}
	}()
	for try := 0; try < 4; try++ {
		ctx, cancel := context.WithTimeout(stopped, 10*time.Second)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.Webhook, bytes.NewReader(body))
		if err != nil {
			cancel()
			a.log.Error("alert webhook", "err", err)
			return
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := a.http.Do(req)
		if err == nil {
			resp.Body.Close()
			cancel()
			if resp.StatusCode < 300 {
				return
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		} else {
			cancel()
		}
		a.log.Warn("alert webhook failed", "try", try+1, "err", err)
		select {
		case <-stopped.Done():
			a.log.Warn("alert webhook: shutting down, no more retries (the alert is kept)")
			return
		case <-time.After(delay):
		}
		delay *= 2
	}
}

// hexID is a short printable id for messages delivered with no queue id.
func hexID(b []byte) string { return hex.EncodeToString(b) }
