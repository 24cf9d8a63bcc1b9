package holdqueue

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// The state machine, as the embedded store runs it. The Redis backend runs
// the same rules in Lua (redis_scripts.go); the conformance suite holds
// them equal.

func liveLease(r *row, now int64) bool { return r.Lease != "" && r.LeaseTill > now }

func claimable(r *row, now int64) bool {
	return (r.State == Held || r.State == Releasing) && r.Due != 0 && r.Due <= now && !liveLease(r, now)
}

func newToken() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("holdqueue: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}

func (k *Keys) claimRow(r *row, l *Lease, now time.Time) {
	reason := "claimed by " + l.Node
	if r.Lease != "" {
		reason += " (lease of " + r.LeaseNode + " expired)"
	}
	r.State = Releasing
	r.Lease, r.LeaseNode, r.LeaseTill = l.Token, l.Node, l.Until.UnixMilli()
	r.Due = r.LeaseTill
	r.History = append(r.History, k.event(now, l.Node, Releasing, reason))
}

func checkLease(r *row, l *Lease) error {
	if r.State != Releasing || r.Lease != l.Token {
		return ErrLeaseLost
	}
	return nil
}

func renewRow(r *row, l *Lease, until time.Time) error {
	if err := checkLease(r, l); err != nil {
		return err
	}
	r.LeaseTill = until.UnixMilli()
	r.Due = r.LeaseTill
	return nil
}

func (k *Keys) retryRow(id string, r *row, l *Lease, at time.Time, reply string, now time.Time) error {
	if err := checkLease(r, l); err != nil {
		return err
	}
	r.Lease, r.LeaseNode, r.LeaseTill = "", "", 0
	r.Attempts++
	r.Next = at.UnixMilli()
	r.Due = r.Next
	r.Reply = k.sealReply(id, reply)
	r.History = append(r.History, k.event(now, l.Node, Releasing,
		fmt.Sprintf("temporary failure, retry at %s: %s", at.UTC().Format(time.RFC3339), reply)))
	return nil
}

func validOutcome(o Outcome) error {
	switch o.State {
	case Delivered, Quarantined, Failed:
		return nil
	}
	return fmt.Errorf("holdqueue: outcome state %q (want delivered, quarantined or failed)", o.State)
}

func (k *Keys) completeRow(id string, r *row, l *Lease, o Outcome, now time.Time) error {
	if err := checkLease(r, l); err != nil {
		return err
	}
	r.State = o.State
	r.Lease, r.LeaseNode, r.LeaseTill, r.Due, r.Next = "", "", 0, 0, 0
	if o.Reply != "" {
		r.Reply = k.sealReply(id, o.Reply)
	}
	actor := o.Actor
	if actor == "" {
		actor = l.Node
	}
	r.History = append(r.History, k.event(now, actor, o.State, o.Reason))
	return nil
}

// adminRow applies an admin action (target Releasing = release).
func (k *Keys) adminRow(r *row, target State, actor, reason string, now time.Time) error {
	n := now.UnixMilli()
	if liveLease(r, n) {
		return fmt.Errorf("%w: a release loop is delivering it", ErrState)
	}
	ok := false
	switch target {
	case Releasing:
		ok = r.State == Held || r.State == Quarantined || r.State == Failed || r.State == Releasing
	case Quarantined:
		ok = r.State == Held || r.State == Failed || r.State == Releasing
	case Deleted:
		ok = r.State != Deleted
	}
	if !ok {
		return fmt.Errorf("%w: %s cannot become %s", ErrState, r.State, target)
	}
	r.Lease, r.LeaseNode, r.LeaseTill, r.Next = "", "", 0, 0
	r.State = target
	r.Due = 0
	if target == Releasing {
		r.Released = true
		r.Due = n
	}
	r.History = append(r.History, k.event(now, actor, target, reason))
	return nil
}

// verdictRow records a verdict; it reports whether the row changed.
func (k *Keys) verdictRow(r *row, tok, sha string, v verdict.Verdict, summary string, now time.Time) bool {
	cur, ok := r.Verdicts[tok]
	if !ok || cur != "" {
		return false
	}
	r.Verdicts[tok] = string(v)
	r.Summaries[tok] = summary
	r.Pending--
	n := now.UnixMilli()
	if r.Pending == 0 && r.State == Held && (r.Due == 0 || r.Due > n) {
		r.Due = n
	}
	r.History = append(r.History, k.event(now, ActorVerdict, r.State, verdictReason(sha, v, summary)))
	return true
}

func verdictReason(sha string, v verdict.Verdict, summary string) string {
	s := "file " + sha + ": " + v.String()
	if summary != "" {
		s += " (" + summary + ")"
	}
	return s
}
