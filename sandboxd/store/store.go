// Package store keeps what sandboxd knows: file records (metadata and
// verdicts), sealed sample bytes, the work queue and the event history.
//
// One interface, two backends: Bolt (bbolt plus sample files, one process)
// and Redis (any number of sandboxd processes share records, queue and
// events). Both pass the same conformance suite (conformance_test.go).
//
// The store never sees plaintext samples: callers hand it bytes sealed
// with seal.Key, and it keeps only metadata: tenant, hash, size, category,
// type, verdict, findings, state and times. No names, no senders. The
// findings' evidence quotes the file, so it goes with the sample
// (DeleteSample).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

// ErrNotFound says the file (or sample) is not in the store.
var ErrNotFound = errors.New("not found")

// ErrSkip, returned by an Update function, leaves the record unchanged.
var ErrSkip = errors.New("skip update")

// Record is everything stored about one file.
type Record struct {
	api.File
	// Tenants that submitted the file; only they see it.
	Tenants []string `json:"tenants"`
	// Attempts counts analysis attempts since the last success.
	Attempts int `json:"attempts,omitempty"`
	// Analyses counts completed analyses (first and re-analyses).
	Analyses int `json:"analyses,omitempty"`
}

// ReasonPurged replaces a record's reason when its content is purged: a
// reason may quote the file (an archive member's name, a parser's error
// about its bytes).
const ReasonPurged = "details purged with the sample"

// PurgeContent drops what was taken from the sample's content: the
// evidence of every finding and the details of the reason. The verdict
// and each finding's analyzer, rule, severity and description (written
// by the analyzer, not taken from the file) stay.
func (r *Record) PurgeContent() {
	r.File = WithoutContent(r.File, ReasonPurged)
	r.ContentPurged = true
}

// ReasonInRecord stands for the reason in stored events.
const ReasonInRecord = "details in the file's record while its sample is kept"

// WithoutContent returns a copy of f without evidence, and with reason in
// place of a non-empty reason (its findings copied, not shared). Stored
// events carry this view (with ReasonInRecord): the event history is
// trimmed by count, so it outlives samples.
func WithoutContent(f api.File, reason string) api.File {
	if len(f.Findings) > 0 {
		fs := make([]verdict.Finding, len(f.Findings))
		copy(fs, f.Findings)
		for i := range fs {
			fs[i].Evidence = ""
		}
		f.Findings = fs
	}
	if f.Reason != "" {
		f.Reason = reason
	}
	return f
}

// HasTenant reports whether t submitted the file.
func (r *Record) HasTenant(t string) bool {
	for _, x := range r.Tenants {
		if x == t {
			return true
		}
	}
	return false
}

// Priorities of jobs: uploads first, re-analysis when idle.
const (
	PriorityNormal = 0
	PriorityLow    = 1
)

// Job asks a worker to analyze one file.
type Job struct {
	// ID is the store's handle for Renew and Ack.
	ID       string `json:"-"`
	SHA256   string `json:"sha256"`
	Priority int    `json:"priority"`
	// Reason is upload, retry, reanalyze or admin.
	Reason string `json:"reason"`
	// Force analyzes even when the verdict is already from the current
	// engine (an admin's re-analyze).
	Force bool `json:"force,omitempty"`
	// NotBefore delays the job (retries with backoff).
	NotBefore time.Time `json:"not_before,omitzero"`
	// Redelivered is set when the job was taken over from a worker that
	// stopped renewing it (crashed or killed).
	Redelivered bool `json:"-"`
}

// Event is an api.Event and the tenants allowed to see it.
type Event struct {
	api.Event
	Tenants []string `json:"tenants,omitempty"`
}

// Filter selects records for List. Zero fields match everything.
type Filter struct {
	Verdict  verdict.Verdict
	State    api.State
	Category verdict.Category
	// Since and Until bound FirstSeen (Until exclusive).
	Since, Until time.Time
	// Tenant, when set, shows only that tenant's files.
	Tenant string
}

// Match reports whether r passes f.
func (f Filter) Match(r *Record) bool {
	if f.Verdict != "" && r.Verdict != f.Verdict {
		return false
	}
	if f.State != "" && r.State != f.State {
		return false
	}
	if f.Category != "" && r.Category != f.Category {
		return false
	}
	if !f.Since.IsZero() && r.FirstSeen.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && !r.FirstSeen.Before(f.Until) {
		return false
	}
	if f.Tenant != "" && !r.HasTenant(f.Tenant) {
		return false
	}
	return true
}

// Store is what sandboxd needs from a backend. Every method is safe for
// concurrent use.
type Store interface {
	// Submit stores a new file: its record, its sealed sample and the job
	// to analyze it, together. When the hash is already known, merge is
	// called on the stored record instead (to add the tenant, lengthen the
	// retention) and nothing else is written; merge returns whether it
	// changed anything. It returns the record as stored.
	Submit(ctx context.Context, rec Record, sealed []byte, job Job, merge func(*Record) bool) (cur Record, created bool, err error)
	// Get returns one record or ErrNotFound.
	Get(ctx context.Context, sha string) (Record, error)
	// GetMany returns the records of the hashes in order, nil where
	// unknown. The records may be shared with other callers (a decode
	// cache): read them, do not modify them.
	GetMany(ctx context.Context, shas []string) ([]*Record, error)
	// Update changes one record atomically: fn sees the current record,
	// changes it and may return an event, published in the same
	// transaction (so a verdict and its event are never apart). fn may
	// run more than once (optimistic retries); ErrSkip writes nothing.
	Update(ctx context.Context, sha string, fn func(*Record) (*Event, error)) (Record, *Event, error)
	// Delete removes the record and its sample.
	Delete(ctx context.Context, sha string) error
	// List pages through records by first-seen time, oldest first.
	List(ctx context.Context, f Filter, cursor string, limit int) ([]Record, string, error)

	// Sample returns the sealed bytes or ErrNotFound.
	Sample(ctx context.Context, sha string) ([]byte, error)
	// DeleteSample removes the bytes, marks the record not retained and
	// purges the content-derived evidence with them (PurgeContent), in
	// the same update: nothing quoted from a file outlives the file.
	DeleteSample(ctx context.Context, sha string) error
	// Expired lists hashes whose retained sample expired before now.
	Expired(ctx context.Context, now time.Time, limit int) ([]string, error)

	// Enqueue adds a job (delayed until NotBefore).
	Enqueue(ctx context.Context, j Job) error
	// Claim takes the next due job, normal priority first, waiting up to
	// wait for one; nil when none came. The job stays claimed until Ack;
	// a job not renewed within the claim timeout goes to another worker.
	Claim(ctx context.Context, consumer string, wait time.Duration) (*Job, error)
	// Renew tells the store the worker is still on the job.
	Renew(ctx context.Context, consumer string, j *Job) error
	// Ack removes a finished job.
	Ack(ctx context.Context, j *Job) error
	// QueueDepth counts jobs not yet acknowledged (delayed included).
	QueueDepth(ctx context.Context) (int, error)

	// Publish appends an event outside of an Update (deletions).
	Publish(ctx context.Context, e Event) (Event, error)
	// Events returns up to limit events after the id ("" = from the
	// oldest kept), waiting up to block for the first one (0: no wait).
	Events(ctx context.Context, after string, limit int, block time.Duration) ([]Event, error)
	// LastEventID is the newest event's id ("" when none).
	LastEventID(ctx context.Context) (string, error)
	// EventGap reports whether events after the id were already trimmed
	// away, so a client resuming from it may have missed some.
	EventGap(ctx context.Context, after string) (bool, error)

	// SwapMeta sets a store-wide value and returns the previous one ("").
	SwapMeta(ctx context.Context, key, value string) (string, error)
	// Meta reads a store-wide value ("" when unset).
	Meta(ctx context.Context, key string) (string, error)

	// Ping checks that the store answers.
	Ping(ctx context.Context) error
	Close() error
}
