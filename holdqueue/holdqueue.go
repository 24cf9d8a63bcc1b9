// Package holdqueue is the postpone queue and quarantine: held mail waits
// here for its verdicts, is claimed by a release loop, and ends delivered,
// quarantined, failed or deleted.
//
// One interface, Store, has two backends: Redis (several nodes, Lua scripts
// for every multi-key step) and embedded bbolt (one node, fsync on every
// commit). One conformance suite runs against both.
//
// Promises:
//   - Hold returns only when the message is durable (bbolt commit fsynced;
//     Redis write acknowledged under appendfsync always, and by the
//     configured number of replicas).
//   - Mail bytes, envelope, subject and file names are sealed with
//     AES-256-GCM (package seal); indexes hold keyed HMAC tokens, never
//     addresses or hashes in clear. A wrong key fails at open.
//   - A claimed message belongs to one lease holder until the lease runs
//     out; Renew and Complete with a lost lease fail with ErrLeaseLost, so
//     two release loops never both complete one message (delivery itself
//     is at least once: a holder that dies after sending but before
//     Complete leaves the message to be sent again).
package holdqueue

import (
	"context"
	"errors"
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// State is where a held message is in its life.
type State string

// States. held → releasing → delivered; held → quarantined; quarantined →
// releasing (admin); releasing → failed (next hop refused for good);
// any → deleted.
const (
	Held        State = "held"
	Releasing   State = "releasing"
	Delivered   State = "delivered"
	Quarantined State = "quarantined"
	Failed      State = "failed"
	Deleted     State = "deleted"
)

// States lists every state, in the order status pages print them.
var States = []State{Held, Releasing, Delivered, Quarantined, Failed, Deleted}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// Mode is how the message reached Airlock, which decides how it leaves.
type Mode string

const (
	// ModeMilter: the MTA discarded it; release re-injects it.
	ModeMilter Mode = "milter"
	// ModeProxy: Airlock answered 250; release sends it to the upstream.
	ModeProxy Mode = "proxy"
)

// Actors in the history besides admin names.
const (
	ActorSystem  = "system"
	ActorVerdict = "verdict"
	ActorTimeout = "timeout"
)

// Envelope is the SMTP envelope as received.
type Envelope struct {
	ClientAddr string   `json:"client_addr,omitempty"`
	Helo       string   `json:"helo,omitempty"`
	MailFrom   string   `json:"mail_from"`
	RcptTo     []string `json:"rcpt_to"`
	AuthUser   string   `json:"auth_user,omitempty"`
}

// File is one file of a held message and its verdict.
type File struct {
	// Path through containers, e.g. "invoice.zip/invoice.exe".
	Path     string           `json:"path"`
	SHA256   string           `json:"sha256"`
	Category verdict.Category `json:"category"`
	Size     int64            `json:"size"`
	// Verdict is Unknown while pending.
	Verdict verdict.Verdict `json:"verdict,omitempty"`
	// Summary is the findings in one line, for headers and pages.
	Summary string `json:"summary,omitempty"`
	// NameVerdict is the filter's judgement of the file's name (bidi
	// override, double extension, …; sandboxd never sees names), Unknown
	// when the name is fine. It counts toward Worst like Verdict, and a
	// sandbox verdict does not replace it.
	NameVerdict verdict.Verdict `json:"name_verdict,omitempty"`
	// NameSummary is the name findings in one line.
	NameSummary string `json:"name_summary,omitempty"`
}

// Event is one entry of a message's history.
type Event struct {
	At time.Time `json:"at"`
	// Actor is system, verdict, timeout, a node name or an admin name.
	Actor  string `json:"actor"`
	State  State  `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// NewMessage is what Hold stores.
type NewMessage struct {
	// ID is assigned by Hold when empty (a ULID).
	ID       string
	Node     string
	Mode     Mode
	Envelope Envelope
	Subject  string
	Files    []File
	// Deadline is when the timeout action applies if verdicts are missing.
	Deadline time.Time
	// Data is the exact message bytes as received.
	Data []byte
	// Reason goes into the first history entry.
	Reason string
}

// Message is a held message without its bytes (see Store.Body).
type Message struct {
	ID       string    `json:"id"`
	State    State     `json:"state"`
	Node     string    `json:"node"`
	Mode     Mode      `json:"mode"`
	Envelope Envelope  `json:"envelope"`
	Subject  string    `json:"subject"`
	Files    []File    `json:"files"`
	Size     int64     `json:"size"`
	Created  time.Time `json:"created"`
	Deadline time.Time `json:"deadline"`
	// Released: an admin released it; deliver whatever the verdicts say.
	Released bool `json:"released,omitempty"`
	// Attempts counts delivery attempts that failed temporarily.
	Attempts    int       `json:"attempts,omitempty"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	// LastReply is the next hop's last refusal (for failed mail).
	LastReply  string    `json:"last_reply,omitempty"`
	LeaseNode  string    `json:"lease_node,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	History    []Event   `json:"history"`
}

// Pending reports whether some file still waits for its verdict.
func (m *Message) Pending() bool {
	for _, f := range m.Files {
		if f.Verdict == verdict.Unknown {
			return true
		}
	}
	return false
}

// Worst is the worst verdict over the message's files, their names'
// verdicts included (Unknown when none is judged).
func (m *Message) Worst() verdict.Verdict {
	w := verdict.Unknown
	for _, f := range m.Files {
		w = verdict.Worse(w, f.Verdict)
		w = verdict.Worse(w, f.NameVerdict)
	}
	return w
}

// Lease is a claim on one message; its Token proves it in Renew, Retry and
// Complete.
type Lease struct {
	ID    string
	Token string
	Node  string
	Until time.Time
}

// Claimed is a message handed to a release loop, with its bytes.
type Claimed struct {
	Lease   Lease
	Message *Message
	Data    []byte
}

// Outcome ends a claim.
type Outcome struct {
	// State is Delivered, Quarantined or Failed.
	State State
	// Actor is who decided (verdict, timeout, a node, an admin).
	Actor  string
	Reason string
	// Reply is the next hop's answer, kept for the admin.
	Reply string
}

// Query selects messages for List. Zero fields match everything.
type Query struct {
	State State
	// From and To bound the time the message was held: From <= t < To.
	From, To time.Time
	// Sender and Recipient match an address exactly (case-insensitive)
	// or, without "@", a domain.
	Sender, Recipient string
	// Subject matches a case-insensitive substring. It is checked by
	// decrypting, so narrow it with a time range or another field.
	Subject string
	// Hash is a file SHA-256.
	Hash string
	// Cursor continues a previous page (Page.Next).
	Cursor string
	// Limit is the page size (default 50, at most 1000).
	Limit int
}

// Page is one page of List, newest first.
type Page struct {
	Messages []*Message
	// Next is the cursor of the next page ("" at the end). A page may be
	// short but have a Next when the scan budget ran out on a sparse
	// search: follow Next to go on.
	Next string
	// Scanned is how many index entries were examined.
	Scanned int
}

// Counts is the queue at a glance.
type Counts struct {
	ByState map[State]int64
	// OldestHeld is when the oldest message still held was held (zero
	// when none).
	OldestHeld time.Time
}

// Change is one state change, as the feed reports it.
type Change struct {
	ID    string    `json:"id"`
	State State     `json:"state"`
	Actor string    `json:"actor"`
	At    time.Time `json:"at"`
}

// verdictMemory is how long ApplyVerdict's verdict is remembered for
// messages held after it (longer than any sensible hold timeout).
const verdictMemory = 2 * time.Hour

// Errors.
var (
	ErrNotFound = errors.New("holdqueue: no such message")
	// ErrNothingReady: Claim found no ready message.
	ErrNothingReady = errors.New("holdqueue: nothing ready")
	// ErrLeaseLost: the lease ran out and the message was claimed again
	// (or finished); the caller must stop acting on it.
	ErrLeaseLost = errors.New("holdqueue: lease lost")
	// ErrState: the operation is not allowed in the message's state.
	ErrState = errors.New("holdqueue: not allowed in this state")
)

// Store is the hold queue. Implementations are safe for concurrent use.
type Store interface {
	// Hold stores a message durably and returns its id.
	Hold(ctx context.Context, m *NewMessage) (string, error)
	// ApplyVerdict records the verdict of a file hash in every held
	// message waiting on it and returns how many were updated. A message
	// whose last pending file is judged becomes ready.
	ApplyVerdict(ctx context.Context, sha256 string, v verdict.Verdict, summary string) (int, error)
	// Claim takes the next ready message (all verdicts in, deadline
	// passed, admin-released, or retry due) with a lease for node.
	// ErrNothingReady when there is none.
	Claim(ctx context.Context, node string, lease time.Duration) (*Claimed, error)
	// Renew extends a lease.
	Renew(ctx context.Context, l *Lease, d time.Duration) error
	// Retry gives the message back after a temporary failure, to be
	// claimed again at the given time.
	Retry(ctx context.Context, l *Lease, at time.Time, reply string) error
	// Complete ends the claim with an outcome.
	Complete(ctx context.Context, l *Lease, o Outcome) error
	// Release (admin) sends a held, quarantined or failed message to
	// delivery regardless of its verdicts.
	Release(ctx context.Context, id, actor, reason string) error
	// Quarantine (admin) moves a held, failed or waiting message to
	// quarantine.
	Quarantine(ctx context.Context, id, actor, reason string) error
	// Delete (admin) drops the message bytes and marks it deleted.
	Delete(ctx context.Context, id, actor, reason string) error
	// Note adds an event to a message's history without changing its
	// state (a released copy passing the gate, a retro alert). With once
	// set, only the first note carrying that marker is added; later ones
	// return false (a release header presented a second time).
	// ErrNotFound when there is no such message.
	Note(ctx context.Context, id, actor, reason, once string) (bool, error)
	// Get returns a message without its bytes.
	Get(ctx context.Context, id string) (*Message, error)
	// Body returns the exact bytes of a message.
	Body(ctx context.Context, id string) ([]byte, error)
	// List searches, newest first, paged.
	List(ctx context.Context, q Query) (*Page, error)
	// Counts returns counts by state and the oldest held age.
	Counts(ctx context.Context) (*Counts, error)
	// Purge removes entries in state st held before t; returns how many.
	Purge(ctx context.Context, st State, before time.Time) (int, error)
	// Subscribe streams state changes until ctx ends. A slow reader may
	// miss changes (the channel is buffered); readers re-read state.
	Subscribe(ctx context.Context) (<-chan Change, error)
	// Close releases the store.
	Close() error
}
