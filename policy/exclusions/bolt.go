package exclusions

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/airlockmail/airlock/internal/notify"
)

var bucket = []byte("exclusions")

// Bolt keeps the list in its own bbolt file (one node; the embedded
// deployment). Changes are signalled in this process only.
type Bolt struct {
	db *bolt.DB
	n  *notify.Notifier
}

// OpenBolt opens or creates the file at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open exclusions %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("open exclusions %s: %w", path, err)
	}
	return &Bolt{db: db, n: notify.New()}, nil
}

// Add stores e under its hash.
func (s *Bolt) Add(ctx context.Context, e Exclusion) error {
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
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(sha), b) }); err != nil {
		return fmt.Errorf("add exclusion %s: %w", sha, err)
	}
	s.n.Notify()
	return nil
}

// Remove drops the hash.
func (s *Bolt) Remove(ctx context.Context, sha string) error {
	sha, err := Normalize(sha)
	if err != nil {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
		if b.Get([]byte(sha)) == nil {
			return ErrNotFound
		}
		return b.Delete([]byte(sha))
	})
	if err != nil {
		return fmt.Errorf("remove exclusion %s: %w", sha, err)
	}
	s.n.Notify()
	return nil
}

// List returns every exclusion, newest first.
func (s *Bolt) List(ctx context.Context) ([]Exclusion, error) {
	var out []Exclusion
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
			var e Exclusion
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list exclusions: %w", err)
	}
	sortNewest(out)
	return out, nil
}

// Subscribe signals changes made through this Bolt.
func (s *Bolt) Subscribe(ctx context.Context) (<-chan struct{}, error) {
	return s.n.Subscribe(ctx), nil
}

// Close closes the file.
func (s *Bolt) Close() error { return s.db.Close() }
