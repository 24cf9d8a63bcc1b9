// Package exclusions is the shared, run-time list of allowed file hashes
// that admins add from the web page ("Add exclusion to policy") and that
// every filter node applies without a restart.
//
// It promises:
//   - Add and Remove are durable when they return (bbolt commit fsynced, or
//     Redis acknowledged);
//   - every Subscribe channel gets a signal after each change made through
//     any Store on the same backend (the embedded store: this process; the
//     Redis store: every node, through pub/sub), and Watch also re-reads
//     the list periodically so a missed signal delays a change by one
//     period at most;
//   - Watch hands the caller a policy built from the base policy plus the
//     current list (policy.Policy.WithAllowedHashes), never a half-applied
//     one.
package exclusions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/airlockmail/airlock/policy"
)

// Exclusion is one allowed hash and who allowed it.
type Exclusion struct {
	SHA256 string    `json:"sha256"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason,omitempty"`
	Added  time.Time `json:"added"`
}

// Store keeps the list.
type Store interface {
	// Add allows a hash (an existing entry is replaced).
	Add(ctx context.Context, e Exclusion) error
	// Remove drops a hash; ErrNotFound when it was not listed.
	Remove(ctx context.Context, sha256 string) error
	// List returns every exclusion, newest first.
	List(ctx context.Context) ([]Exclusion, error)
	// Subscribe signals each change until ctx ends. Signals coalesce:
	// readers re-read the list.
	Subscribe(ctx context.Context) (<-chan struct{}, error)
	// Close releases the store.
	Close() error
}

// ErrNotFound: the hash is not excluded.
var ErrNotFound = errors.New("exclusions: no such hash")

var hexHash = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Normalize lower-cases a SHA-256 and checks it is 64 hex digits.
func Normalize(sha string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(sha))
	if !hexHash.MatchString(s) {
		return "", fmt.Errorf("exclusions: %q is not a SHA-256 in hex", sha)
	}
	return s, nil
}

// Hashes lists the hashes of es.
func Hashes(es []Exclusion) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.SHA256
	}
	return out
}

func sortNewest(es []Exclusion) {
	sort.Slice(es, func(i, j int) bool {
		if !es[i].Added.Equal(es[j].Added) {
			return es[i].Added.After(es[j].Added)
		}
		return es[i].SHA256 < es[j].SHA256
	})
}

// WatchConfig shapes Watch.
type WatchConfig struct {
	// Base is the policy from the config file.
	Base *policy.Policy
	// Apply receives Base plus the current exclusions, at start and after
	// every change (gate.Gate.SetPolicy fits).
	Apply func(*policy.Policy)
	// Reread is the fallback period (default 30s).
	Reread time.Duration
}

// Watch applies the list at once, then on every change, until ctx ends.
// It returns after the first apply (or its error); the rest runs in the
// background.
func Watch(ctx context.Context, s Store, c WatchConfig, log *slog.Logger) error {
	if c.Reread <= 0 {
		c.Reread = 30 * time.Second
	}
	changes, err := s.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("exclusions: subscribe: %w", err)
	}
	apply := func() error {
		es, err := s.List(ctx)
		if err != nil {
			return err
		}
		c.Apply(c.Base.WithAllowedHashes(Hashes(es)))
		return nil
	}
	if err := apply(); err != nil {
		return fmt.Errorf("exclusions: %w", err)
	}
	go func() {
		t := time.NewTicker(c.Reread)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-changes:
				if !ok {
					return
				}
			case <-t.C:
			}
			if err := apply(); err != nil && ctx.Err() == nil {
				log.Warn("exclusions: re-read failed; keeping the last list", "err", err)
			}
		}
	}()
	return nil
}
