// Package release is the loop that acts on held mail: it claims ready
// messages from the hold queue and delivers them (clean, admin-released,
// or at the deadline when the timeout action says so) or quarantines them
// (a verdict whose configured action is quarantine or reject).
//
// Any number of loops, in any number of processes, may share one store:
// the store's leases make sure one acts on a message at a time; a loop
// renews its lease while delivering, and a loop that dies leaves the
// message to another once the lease runs out. Delivery is at least once:
// a loop killed after the next hop said 250 but before it recorded that
// causes one duplicate.
package release

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

// Sender delivers one message (deliver.Deliverer).
type Sender interface {
	Send(ctx context.Context, env deliver.Envelope, data []byte, s deliver.Stamp) (*deliver.Result, error)
}

// Stats count what the loop did (for metrics and tests).
type Stats struct {
	Delivered, Quarantined, Failed, Retried, LeaseLost atomic.Int64
	// Panicked counts messages whose handling panicked (a bug): logged
	// with the stack and counted in airlock_panics_recovered_total; the
	// message's lease lapses and it is tried again.
	Panicked atomic.Int64
}

// Loop is one node's release loop.
type Loop struct {
	store  holdqueue.Store
	send   Sender
	policy atomic.Pointer[config.Policy]
	cfg    config.Release
	node   string
	log    *slog.Logger
	now    func() time.Time
	wake   chan struct{}
	// Stats count what this loop did; metrics (optional) export them.
	Stats   Stats
	metrics *Metrics
}

// Instrument makes the loop report to m (see NewMetrics).
func (l *Loop) Instrument(m *Metrics) *Loop {
	l.metrics = m
	return l
}

// New returns a loop for node.
func New(store holdqueue.Store, send Sender, policy config.Policy, cfg config.Release, node string, log *slog.Logger) *Loop {
	l := &Loop{
		store: store, send: send, cfg: cfg, node: node, log: log,
		now:  time.Now,
		wake: make(chan struct{}, cfg.Workers),
	}
	l.SetPolicy(policy)
	return l
}

// SetPolicy replaces the policy the loop decides by (a SIGHUP reload); a
// message being acted on finishes under the policy it started with.
func (l *Loop) SetPolicy(p config.Policy) { l.policy.Store(&p) }

// Run claims and acts until ctx ends. Workers wake on the store's change
// feed (a verdict, an admin release) and otherwise poll, for deadlines
// and retries.
func (l *Loop) Run(ctx context.Context) error {
	changes, err := l.store.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("release: subscribe: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range changes {
			if c.State == holdqueue.Held || c.State == holdqueue.Releasing {
				l.poke()
			}
		}
	}()
	for i := range l.cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.worker(ctx, i)
		}()
	}
	wg.Wait()
	return nil
}

func (l *Loop) poke() {
	for range cap(l.wake) {
		select {
		case l.wake <- struct{}{}:
		default:
			return
		}
	}
}

func (l *Loop) worker(ctx context.Context, i int) {
	defer func() {
		if r := recover(); r != nil {
			l.log.Error("release worker panicked", "node", l.node, "worker", i, "panic", r)
		}
	}()
	t := time.NewTicker(l.cfg.Poll)
	defer t.Stop()
	for ctx.Err() == nil {
		n, err := l.Once(ctx)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("release: claim failed", "node", l.node, "err", err)
		}
		if n > 0 {
			continue // more may be ready
		}
		select {
		case <-ctx.Done():
		case <-l.wake:
		case <-t.C:
		}
	}
}

// Once claims and handles at most one message; it returns how many it
// handled (0 when nothing was ready).
func (l *Loop) Once(ctx context.Context) (int, error) {
	c, err := l.store.Claim(ctx, l.node, l.cfg.Lease)
	if errors.Is(err, holdqueue.ErrNothingReady) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	l.handle(ctx, c)
	return 1, nil
}

// Decision is what the loop does with a ready message.
type Decision struct {
	// Action is config.ActionDeliver or config.ActionQuarantine.
	Action string
	// Actor goes into the history: verdict, timeout or admin.
	Actor string
	// Summary is the verdict header line and history reason.
	Summary string
}

// Decide applies the policy: an admin release delivers; all verdicts in →
// the action of the worst verdict (reject becomes quarantine: the sender
// is gone); deadline passed with verdicts missing → the timeout action.
func Decide(p config.Policy, m *holdqueue.Message) Decision {
	worst := m.Worst()
	if m.Released {
		s := "released by admin"
		if worst != verdict.Unknown {
			s += " (verdict " + worst.String() + ")"
		}
		return Decision{Action: config.ActionDeliver, Actor: "admin", Summary: s}
	}
	if !m.Pending() {
		a := p.Actions.For(worst)
		if a == config.ActionReject || a == "" {
			a = config.ActionQuarantine
		}
		s := worst.String()
		if sum := findings(m); sum != "" {
			s += "; " + sum
		}
		return Decision{Action: a, Actor: holdqueue.ActorVerdict, Summary: s}
	}
	pending := 0
	for _, f := range m.Files {
		if f.Verdict == verdict.Unknown {
			pending++
		}
	}
	s := fmt.Sprintf("timeout: %d of %d file(s) not judged", pending, len(m.Files))
	if worst != verdict.Unknown {
		s += ", worst so far " + worst.String()
		// A known bad file is not delivered because another is slow.
		if a := p.Actions.For(worst); a != config.ActionDeliver {
			return Decision{Action: config.ActionQuarantine, Actor: holdqueue.ActorTimeout, Summary: s}
		}
	}
	return Decision{Action: p.Hold.TimeoutAction, Actor: holdqueue.ActorTimeout, Summary: s}
}

func findings(m *holdqueue.Message) string {
	var parts []string
	for _, f := range m.Files {
		if f.Summary != "" && f.Verdict != verdict.Clean {
			parts = append(parts, f.Summary)
		}
		if f.NameSummary != "" {
			parts = append(parts, f.NameSummary)
		}
	}
	return strings.Join(parts, "; ")
}

// actSafely is act with a panic turned into a logged stack: one bad
// message (or a bug in delivery) costs that message a lease period, never
// a worker or the message itself.
func (l *Loop) actSafely(ctx context.Context, c *holdqueue.Claimed, log *slog.Logger) (outcome holdqueue.Outcome, retryAt time.Time, reply string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("release panicked on a message; its lease will lapse and it will be tried again",
				"panic", r, "stack", string(debug.Stack()))
			ok = false
		}
	}()
	outcome, retryAt, reply = l.act(ctx, c, log)
	return outcome, retryAt, reply, true
}

// handle acts on one claimed message, renewing the lease meanwhile.
func (l *Loop) handle(ctx context.Context, c *holdqueue.Claimed) {
	id := c.Lease.ID
	log := l.log.With("queue_id", id, "node", l.node)
	dctx, cancel := context.WithCancel(ctx)
	defer cancel() // a panic below must not leave the renewer running
	renewDone := make(chan struct{})
	lease := c.Lease
	go func() {
		defer close(renewDone)
		t := time.NewTicker(l.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-dctx.Done():
				return
			case <-t.C:
				if err := l.store.Renew(dctx, &lease, l.cfg.Lease); err != nil {
					if errors.Is(err, holdqueue.ErrLeaseLost) {
						log.Warn("release: lease lost; stopping", "err", err)
						cancel()
						return
					}
					log.Warn("release: renew failed", "err", err)
				}
			}
		}
	}()
	outcome, retryAt, reply, ok := l.actSafely(dctx, c, log)
	cancel()
	<-renewDone
	if !ok {
		// Nothing is recorded: the lease lapses and this or another node
		// claims the message again. The worker lives on.
		l.Stats.Panicked.Add(1)
		return
	}
	// Record even when shutting down: an outcome not recorded means the
	// message waits for its lease and may be sent twice.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	var err error
	if outcome.State != "" {
		err = l.store.Complete(rctx, &c.Lease, outcome)
	} else {
		err = l.store.Retry(rctx, &c.Lease, retryAt, reply)
	}
	switch {
	case errors.Is(err, holdqueue.ErrLeaseLost):
		l.Stats.LeaseLost.Add(1)
		l.metrics.result("lease_lost", c.Message.Created)
		log.Warn("release: lease lost before recording the outcome; another node finishes", "outcome", outcome.State)
	case err != nil:
		log.Error("release: recording the outcome failed; the lease will run out and the message is handled again", "err", err)
	case outcome.State == holdqueue.Delivered:
		l.Stats.Delivered.Add(1)
		l.metrics.result("delivered", c.Message.Created)
	case outcome.State == holdqueue.Quarantined:
		l.Stats.Quarantined.Add(1)
		l.metrics.result("quarantined", c.Message.Created)
	case outcome.State == holdqueue.Failed:
		l.Stats.Failed.Add(1)
		l.metrics.result("failed", c.Message.Created)
	default:
		l.Stats.Retried.Add(1)
		l.metrics.result("retried", c.Message.Created)
	}
}

// act decides and delivers; a zero outcome State means retry at retryAt.
func (l *Loop) act(ctx context.Context, c *holdqueue.Claimed, log *slog.Logger) (o holdqueue.Outcome, retryAt time.Time, reply string) {
	m := c.Message
	d := Decide(*l.policy.Load(), m)
	if d.Action != config.ActionDeliver {
		log.Info("release: quarantined", "actor", d.Actor, "summary", d.Summary)
		return holdqueue.Outcome{State: holdqueue.Quarantined, Actor: d.Actor, Reason: d.Summary}, time.Time{}, ""
	}
	env := deliver.Envelope{From: m.Envelope.MailFrom, To: m.Envelope.RcptTo}
	res, err := l.send.Send(ctx, env, c.Data, deliver.Stamp{QueueID: m.ID, Verdict: d.Summary, HeldAt: m.Created})
	if err == nil {
		reason := d.Summary + "; next hop: " + res.Reply
		for rc, r := range res.Refused {
			reason += "; refused " + rc + ": " + r
		}
		log.Info("release: delivered", "actor", d.Actor, "summary", d.Summary)
		return holdqueue.Outcome{State: holdqueue.Delivered, Actor: d.Actor, Reason: reason}, time.Time{}, ""
	}
	var de *deliver.Error
	if !errors.As(err, &de) {
		de = &deliver.Error{Temporary: true, Reply: err.Error(), Err: err}
	}
	now := l.now()
	if !de.Temporary {
		log.Warn("release: next hop refused for good", "reply", de.Reply)
		return holdqueue.Outcome{State: holdqueue.Failed, Actor: l.node, Reason: "next hop refused", Reply: de.Reply}, time.Time{}, ""
	}
	if now.Sub(m.Created) > l.cfg.GiveUpAfter {
		log.Warn("release: giving up after temporary failures", "reply", de.Reply, "attempts", m.Attempts+1)
		return holdqueue.Outcome{State: holdqueue.Failed, Actor: l.node,
			Reason: fmt.Sprintf("gave up after %d attempts", m.Attempts+1), Reply: de.Reply}, time.Time{}, ""
	}
	at := now.Add(Backoff(l.cfg, m.Attempts))
	log.Info("release: temporary failure, will retry", "reply", de.Reply, "at", at)
	return holdqueue.Outcome{}, at, de.Reply
}

// Backoff is the wait after the given number of failed attempts: RetryMin
// doubling up to RetryMax, with ±10% jitter so that many messages failing
// at once do not come back at once.
func Backoff(c config.Release, attempts int) time.Duration {
	d := c.RetryMin
	for range attempts {
		d *= 2
		if d >= c.RetryMax {
			d = c.RetryMax
			break
		}
	}
	j := time.Duration(rand.Int64N(int64(d)/5+1)) - d/10
	return d + j
}
