// Package api is the wire format of sandboxd's HTTP API (version 1), shared
// by the daemon and its Go client so that the two cannot drift apart.
//
// Every call carries "Authorization: Bearer TOKEN"; the token names a
// tenant. Hashes are SHA-256 in lower-case hex.
package api

import (
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// Upload headers. Only the extension of a file's name is ever sent.
const (
	HeaderCategory  = "X-Airlock-Category"
	HeaderExt       = "X-Airlock-Ext"
	HeaderRetention = "X-Airlock-Retention"
)

// MaxLookup is the largest batch POST /v1/lookup accepts.
const MaxLookup = 1000

// Retention is what the submitter asks sandboxd to keep of a sample.
type Retention string

const (
	RetainNone  Retention = "immediately" // deleted as soon as analyzed
	Retain30d   Retention = "30d"         // kept for sandboxd.keep (30 days)
	RetainNever Retention = "never"       // kept until deleted by an admin
)

// Valid reports whether r is one of the three.
func (r Retention) Valid() bool { return r == RetainNone || r == Retain30d || r == RetainNever }

// Longer returns the retention that keeps the sample longer.
func (r Retention) Longer(o Retention) Retention {
	rank := map[Retention]int{RetainNone: 0, Retain30d: 1, RetainNever: 2}
	if rank[o] > rank[r] {
		return o
	}
	return r
}

// State is where a file is in the pipeline.
type State string

const (
	StateQueued    State = "queued"
	StateAnalyzing State = "analyzing"
	StateDone      State = "done"
	StateFailed    State = "failed" // will be retried; after the last try: done + unscannable
)

// File is what sandboxd tells about one file. Verdict is "" (unknown)
// until the first analysis ends; a re-analysis keeps the old verdict until
// the new one is ready.
type File struct {
	SHA256   string            `json:"sha256"`
	Size     int64             `json:"size"`
	Category verdict.Category  `json:"category"`
	Type     string            `json:"type"`
	State    State             `json:"state"`
	Verdict  verdict.Verdict   `json:"verdict"`
	Findings []verdict.Finding `json:"findings,omitempty"`
	// Reason says why a file is unscannable or failed.
	Reason string `json:"reason,omitempty"`
	// Engine is the engine version that made the verdict.
	Engine     string    `json:"engine,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	AnalyzedAt time.Time `json:"analyzed_at,omitzero"`
	// Retained says whether the sample bytes are still kept.
	Retained  bool      `json:"retained"`
	Retention Retention `json:"retention"`
	// ExpiresAt is when the sample is deleted (zero: not planned).
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// ContentPurged says the evidence drawn from the file's content
	// (strings quoted in findings, member names, the details of the
	// reason) went with the sample when its retention ended; the
	// verdict, the engine and each finding's analyzer, rule, severity
	// and description stay.
	ContentPurged bool `json:"content_purged,omitempty"`
}

// LookupRequest is the body of POST /v1/lookup.
type LookupRequest struct {
	Hashes []string `json:"hashes"`
}

// LookupResponse answers every hash asked: a File, or nothing for a hash
// sandboxd has never seen from this tenant (unknown).
type LookupResponse struct {
	Files   map[string]*File `json:"files"`
	Unknown []string         `json:"unknown,omitempty"`
}

// UploadResponse is the 202 answer to PUT /v1/files/{sha256}.
type UploadResponse struct {
	File *File `json:"file"`
	// Created is false when the file was already known (nothing changed
	// but, possibly, the retention wish).
	Created bool `json:"created"`
}

// Event kinds on GET /v1/events.
const (
	EventVerdict      = "verdict"      // first verdict of a file
	EventReclassified = "reclassified" // a later analysis changed it
	EventDeleted      = "deleted"      // an admin deleted the file
	// EventGap is sent (with no file) when the client's Last-Event-ID is
	// older than the history kept: it may have missed events and should
	// look its pending hashes up again.
	EventGap = "gap"
)

// Event is one server-sent event; ID is opaque and increases.
type Event struct {
	ID       string          `json:"id"`
	Kind     string          `json:"kind"`
	SHA256   string          `json:"sha256,omitempty"`
	Verdict  verdict.Verdict `json:"verdict,omitempty"`
	Previous verdict.Verdict `json:"previous,omitempty"`
	File     *File           `json:"file,omitempty"`
	Time     time.Time       `json:"time"`
}

// Health is GET /v1/health.
type Health struct {
	Status      string         `json:"status"` // ok | degraded
	Node        string         `json:"node"`
	QueueDepth  int            `json:"queue_depth"`
	Workers     int            `json:"workers"`
	WorkersBusy int            `json:"workers_busy"`
	Engine      string         `json:"engine"`
	Analyzers   []AnalyzerInfo `json:"analyzers"`
	Store       string         `json:"store"` // ok, or the error
	Panics      int64          `json:"panics"`
}

// AnalyzerInfo names one analyzer.
type AnalyzerInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ListResponse is GET /v1/admin/files.
type ListResponse struct {
	Files []*File `json:"files"`
	// Next is the cursor for the next page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// Error is the body of every 4xx and 5xx answer.
type Error struct {
	Error string `json:"error"`
	// Expected and Actual are set on a hash mismatch.
	Expected string `json:"expected,omitempty"`
	Actual   string `json:"actual,omitempty"`
}
