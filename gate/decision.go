package gate

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/verdict"
)

// Message is what a front end hands the gate at the end of DATA.
type Message struct {
	// Envelope as the SMTP transaction gave it.
	Envelope policy.Envelope
	// MTAQueueID is the MTA's own id ({i} in milter mode), for logs only.
	MTAQueueID string
	// Data is the whole message as received (header and body). Decide
	// removes the header fields only Airlock may write (deliver.Owned)
	// after checking the release header, before it holds the message: a
	// front end that sends the message on sends Data as Decide left it,
	// and one that cannot (the milter) deletes the same fields at the MTA.
	Data []byte
	// Trace is a trace field the front end itself puts above the message
	// (the proxy's Received line). It is stored with a held copy and
	// delivered, but it is not what the sender wrote: checks of where a
	// field stands in the header (a trusted Authentication-Results must
	// be the topmost) read Data alone.
	Trace []byte
	// Mode says how a held message must leave: re-injected (milter) or
	// sent to the upstream (proxy).
	Mode holdqueue.Mode
	// Progress, when set, is called about once a second while the gate
	// waits inline for verdicts (the milter keeps the MTA from timing out).
	Progress func()
}

// Action is what the front end does with the message.
type Action string

const (
	// Deliver: pass the message on now, with Decision.Headers added.
	Deliver Action = "deliver"
	// Hold: the message is stored in the hold queue (Decision.QueueID);
	// the milter discards it, the proxy answers 250 with the id.
	Hold Action = "hold"
	// Reject: refuse with Decision.Reply (the sender keeps the bounce).
	Reject Action = "reject"
	// Quarantine: stored like Hold and already moved to quarantine.
	Quarantine Action = "quarantine"
)

// Header is one field the front end adds to a delivered message.
type Header struct{ Name, Value string }

// FileResult is the gate's reasoning about one file.
type FileResult struct {
	Path     string           `json:"path"`
	SHA256   string           `json:"sha256,omitempty"`
	Category verdict.Category `json:"category"`
	Size     int64            `json:"size"`
	// Action is policy's decision before any sandbox.
	Action policy.Action `json:"action"`
	// Verdict is Unknown while pending and for skipped files.
	Verdict verdict.Verdict `json:"verdict,omitempty"`
	// Source says where the verdict came from: policy, cache, lookup,
	// upload, event, relookup.
	Source string `json:"source,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Summary is the findings in one line.
	Summary string `json:"summary,omitempty"`
	// NameFindings are the tricks in the file's name (names.go), judged
	// here because sandboxd never sees names; NameVerdict is their score,
	// Unknown when the name is fine. It counts toward Worst beside Verdict.
	NameFindings []verdict.Finding `json:"name_findings,omitempty"`
	NameVerdict  verdict.Verdict   `json:"name_verdict,omitempty"`
}

// nameSummary puts a file's name findings in one line.
func (f *FileResult) nameSummary() string {
	var parts []string
	for _, x := range f.NameFindings {
		parts = append(parts, x.Analyzer+"/"+x.Rule+": "+x.Evidence)
	}
	return oneLine(strings.Join(parts, "; "))
}

// Decision is the gate's answer for one message.
type Decision struct {
	Action Action
	// Reason says why, in a line for logs and the history.
	Reason string
	// Headers to add when delivering now, after every field the message
	// carried under a name deliver.Owned reports has been removed.
	Headers []Header
	// Reply is the SMTP answer for Reject, and for Hold/Quarantine in
	// proxy mode ("250 2.0.0 held as ID").
	Reply *Error
	// QueueID is the hold queue id (Hold, Quarantine).
	QueueID string
	// Deadline of a held message.
	Deadline time.Time
	// Pending are the hashes still waiting for a verdict.
	Pending []string
	// Worst is the worst verdict over the judged files.
	Worst verdict.Verdict
	Files []FileResult
	// Scanned is false when the message was passed without a look at its
	// files (internal, excluded, released).
	Scanned bool
	// Unlocked counts the password-protected files opened with a password
	// found in the message (never which password): the history and the
	// decision line say so.
	Unlocked int
	// Remove names header fields of the message as received that the
	// front end must delete before delivering it now (forged
	// Authentication-Results). A held copy is stored without them.
	Remove []FieldRef
	// Exclusion says why a sender exclusion that the message claimed did
	// not apply ("" when none was claimed, or it applied).
	Exclusion string
}

// unlockedNote is what the history adds when Unlocked > 0.
func (d *Decision) unlockedNote() string {
	if d.Unlocked == 0 {
		return ""
	}
	return fmt.Sprintf("; %d password-protected file(s) opened with a password found in the message", d.Unlocked)
}

// Error is the one SMTP-aware error of the mail path: code, enhanced code,
// a message safe for the remote side, the cause for the log.
type Error struct {
	Code     int
	Enhanced [3]int
	Message  string
	Err      error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%d %d.%d.%d %s", e.Code, e.Enhanced[0], e.Enhanced[1], e.Enhanced[2], e.Message)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the sender should try again (4xx).
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// TempFail is the answer when Airlock cannot take responsibility for the
// message (store not writable, internal error): the sender keeps it.
func TempFail(msg string, err error) *Error {
	return &Error{Code: 451, Enhanced: [3]int{4, 3, 0}, Message: msg, Err: err}
}

// summary renders findings-free verdict text for the header.
func (d *Decision) verdictLine() string {
	switch {
	case !d.Scanned:
		return "not scanned; " + d.Reason
	case d.Worst == verdict.Unknown:
		return fmt.Sprintf("clean; %d file(s), none sent to the sandbox", len(d.Files))
	default:
		n := 0
		for _, f := range d.Files {
			if f.Verdict != verdict.Unknown || f.NameVerdict != verdict.Unknown {
				n++
			}
		}
		line := fmt.Sprintf("%s; %d file(s) judged", d.Worst, n)
		for i := range d.Files {
			if d.Files[i].NameVerdict != verdict.Unknown {
				line += "; " + d.Files[i].nameSummary()
			}
		}
		return oneLine(line)
	}
}

func hostOrUnknown(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	return a.String()
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\r", " ")
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
