package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"

	"github.com/airlockmail/airlock/internal/notify"
)

// monitor watches what the status page shows and changes by itself: the
// sandbox's health (polled) and the outcomes of the last 24 hours (from
// the change feed). Counts are read from the store on demand (cheap: the
// stores keep counters).
type monitor struct {
	store    holdqueue.Store
	sbx      Sandbox
	interval time.Duration
	log      *slog.Logger
	started  time.Time
	n        *notify.Notifier

	mu         sync.Mutex
	sbxUp      bool
	sbxKnown   bool
	sbxSince   time.Time
	sbxErr     string
	sbxErrAt   time.Time
	sbxEngine  string
	sbxQueue   int
	verdicts   map[verdict.Verdict]int
	verdictErr string
	verdictsAt time.Time
	// outcomes are per-minute buckets of finished messages: minute → state → n.
	outcomes map[int64]map[holdqueue.State]int
}

func newMonitor(store holdqueue.Store, sbx Sandbox, interval time.Duration, log *slog.Logger) *monitor {
	return &monitor{store: store, sbx: sbx, interval: interval, log: log, started: time.Now(),
		n: notify.New(), outcomes: map[int64]map[holdqueue.State]int{}}
}

func (m *monitor) run(ctx context.Context) error {
	changes, err := m.store.Subscribe(ctx)
	if err != nil {
		return fmt.Errorf("web: subscribe to hold queue: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for c := range changes {
			m.outcome(c)
		}
	}()
	if m.sbx != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.pollSandbox(ctx)
		}()
	}
	wg.Wait()
	return nil
}

func (m *monitor) outcome(c holdqueue.Change) {
	switch c.State {
	case holdqueue.Delivered, holdqueue.Quarantined, holdqueue.Failed, holdqueue.Deleted:
	default:
		return
	}
	min := c.At.Unix() / 60
	m.mu.Lock()
	b := m.outcomes[min]
	if b == nil {
		b = map[holdqueue.State]int{}
		m.outcomes[min] = b
	}
	b[c.State]++
	cut := time.Now().Add(-24*time.Hour).Unix() / 60
	for k := range m.outcomes {
		if k < cut {
			delete(m.outcomes, k)
		}
	}
	m.mu.Unlock()
}

func (m *monitor) pollSandbox(ctx context.Context) {
	t := time.NewTicker(m.interval)
	defer t.Stop()
	var lastList time.Time
	for {
		hctx, cancel := context.WithTimeout(ctx, m.interval+time.Second)
		h, err := m.sbx.Health(hctx)
		cancel()
		now := time.Now()
		m.mu.Lock()
		up := err == nil && h.Status == "ok"
		changed := !m.sbxKnown || up != m.sbxUp
		if changed {
			m.sbxSince = now
		}
		m.sbxKnown, m.sbxUp = true, up
		switch {
		case err != nil:
			m.sbxErr, m.sbxErrAt = err.Error(), now
		case h.Status != "ok":
			m.sbxErr, m.sbxErrAt = "degraded: store "+h.Store, now
		}
		if h != nil {
			m.sbxEngine, m.sbxQueue = h.Engine, h.QueueDepth
		}
		m.mu.Unlock()
		if changed {
			if ctx.Err() == nil {
				m.log.Info("web: sandbox state", "up", up, "err", err)
			}
			m.n.Notify()
		}
		if up && now.Sub(lastList) >= 30*time.Second {
			lastList = now
			m.countVerdicts(ctx, now)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countVerdicts asks sandboxd for the files analysed in the last 24 h,
// page by page up to a bound (the page says when it was cut short).
func (m *monitor) countVerdicts(ctx context.Context, now time.Time) {
	counts := map[verdict.Verdict]int{}
	note := ""
	cursor := ""
	for page := 0; ; page++ {
		if page == 20 {
			note = "at least"
			break
		}
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		res, err := m.sbx.List(lctx, client.ListOptions{Since: now.Add(-24 * time.Hour), Cursor: cursor, Limit: 1000})
		cancel()
		if err != nil {
			note = "error: " + err.Error()
			break
		}
		for _, f := range res.Files {
			counts[f.Verdict]++
		}
		if res.Next == "" {
			break
		}
		cursor = res.Next
	}
	m.mu.Lock()
	m.verdicts, m.verdictErr, m.verdictsAt = counts, note, now
	m.mu.Unlock()
}

// Status is one snapshot of the status page.
type Status struct {
	At                time.Time `json:"at"`
	SandboxConfigured bool      `json:"sandbox_configured"`
	SandboxKnown      bool      `json:"sandbox_known"`
	SandboxUp         bool      `json:"sandbox_up"`
	SandboxSince      time.Time `json:"sandbox_since"`
	SandboxErr        string    `json:"sandbox_error,omitempty"`
	SandboxErrAt      time.Time `json:"sandbox_error_at"`
	SandboxEngine     string    `json:"sandbox_engine,omitempty"`
	SandboxQueue      int       `json:"sandbox_queue"`

	ByState    map[holdqueue.State]int64 `json:"by_state"`
	QueueDepth int64                     `json:"queue_depth"`
	OldestHeld time.Time                 `json:"oldest_held"`

	Verdicts      []Count   `json:"verdicts"`
	VerdictsNote  string    `json:"verdicts_note,omitempty"`
	Outcomes      []Count   `json:"outcomes"`
	OutcomesSince time.Time `json:"outcomes_since"`

	Warnings []string `json:"warnings,omitempty"`
}

// Count is one labelled number.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
}

func (m *monitor) snapshot(ctx context.Context, warnings func() []string) (*Status, error) {
	c, err := m.store.Counts(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	st := &Status{At: now, ByState: c.ByState, OldestHeld: c.OldestHeld,
		QueueDepth: c.ByState[holdqueue.Held] + c.ByState[holdqueue.Releasing]}
	if warnings != nil {
		st.Warnings = warnings()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st.SandboxConfigured = m.sbx != nil
	st.SandboxKnown, st.SandboxUp, st.SandboxSince = m.sbxKnown, m.sbxUp, m.sbxSince
	st.SandboxErr, st.SandboxErrAt = m.sbxErr, m.sbxErrAt
	st.SandboxEngine, st.SandboxQueue = m.sbxEngine, m.sbxQueue
	for _, v := range []verdict.Verdict{verdict.Clean, verdict.Suspicious, verdict.HighlySuspicious, verdict.Malicious, verdict.Unscannable, verdict.Unknown} {
		if n := m.verdicts[v]; n > 0 || v != verdict.Unknown {
			label := string(v)
			if v == verdict.Unknown {
				label = "pending"
			}
			st.Verdicts = append(st.Verdicts, Count{label, n})
		}
	}
	st.VerdictsNote = m.verdictErr
	tot := map[holdqueue.State]int{}
	cut := now.Add(-24*time.Hour).Unix() / 60
	for k, b := range m.outcomes {
		if k < cut {
			continue
		}
		for s, n := range b {
			tot[s] += n
		}
	}
	for _, s := range []holdqueue.State{holdqueue.Delivered, holdqueue.Quarantined, holdqueue.Failed, holdqueue.Deleted} {
		st.Outcomes = append(st.Outcomes, Count{string(s), tot[s]})
	}
	st.OutcomesSince = now.Add(-24 * time.Hour)
	if m.started.After(st.OutcomesSince) {
		st.OutcomesSince = m.started
	}
	return st, nil
}

// liveFields is what the page's script writes into elements marked
// data-field: plain strings (set as textContent, never as HTML).
func (st *Status) liveFields(now time.Time) map[string]string {
	f := map[string]string{
		"queue_depth": fmt.Sprint(st.QueueDepth),
		"oldest_held": "none",
		"sandbox":     sandboxWord(st),
	}
	for _, s := range holdqueue.States {
		f["state_"+string(s)] = fmt.Sprint(st.ByState[s])
	}
	if !st.OldestHeld.IsZero() {
		f["oldest_held"] = age(now.Sub(st.OldestHeld))
	}
	if !st.SandboxSince.IsZero() {
		f["sandbox_since"] = st.SandboxSince.UTC().Format("2006-01-02 15:04:05 MST")
	}
	f["sandbox_error"] = "none"
	if st.SandboxErr != "" {
		f["sandbox_error"] = st.SandboxErr + " (" + st.SandboxErrAt.UTC().Format("15:04:05 MST") + ")"
	}
	for _, c := range st.Outcomes {
		f["out_"+c.Label] = fmt.Sprint(c.N)
	}
	for _, c := range st.Verdicts {
		f["verdict_"+c.Label] = fmt.Sprint(c.N)
	}
	return f
}

func sandboxWord(st *Status) string {
	switch {
	case !st.SandboxConfigured:
		return "not configured"
	case !st.SandboxKnown:
		return "checking"
	case st.SandboxUp:
		return "up"
	}
	return "down"
}

type statusView struct {
	S       *Status
	Fields  map[string]string
	Changes []holdqueue.Change
}

func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.status.snapshot(r.Context(), s.deps.Warnings)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "status", "Status", statusView{S: st, Fields: st.liveFields(s.now())})
}

func (s *Server) handleStatusJSON(w http.ResponseWriter, r *http.Request) {
	st, err := s.status.snapshot(r.Context(), s.deps.Warnings)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st)
}

// handleEvents streams the status as server-sent events: a "status" event
// with the live fields at once and after every change (coalesced to at
// most one per 100 ms), and a "change" event per hold queue change.
func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ctx := r.Context()
	changes, err := s.deps.Store.Subscribe(ctx)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	sbx := s.status.n.Subscribe(ctx)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return false
		}
		fl.Flush()
		return true
	}
	sendStatus := func() bool {
		st, err := s.status.snapshot(ctx, s.deps.Warnings)
		if err != nil {
			return ctx.Err() == nil
		}
		return send("status", st.liveFields(s.now()))
	}
	if !sendStatus() {
		return
	}
	tick := time.NewTicker(15 * time.Second)
	defer tick.Stop()
	var pending []holdqueue.Change
	var flush <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			pending = append(pending, c)
			if flush == nil {
				flush = time.After(100 * time.Millisecond)
			}
		case <-sbx:
			if !sendStatus() {
				return
			}
		case <-flush:
			flush = nil
			sort.SliceStable(pending, func(i, j int) bool { return pending[i].At.Before(pending[j].At) })
			for _, c := range pending {
				if !send("change", changeView(c)) {
					return
				}
			}
			pending = pending[:0]
			if !sendStatus() {
				return
			}
		case <-tick.C:
			// Keeps proxies from closing an idle stream and refreshes ages.
			if !sendStatus() {
				return
			}
		}
	}
}

func changeView(c holdqueue.Change) map[string]string {
	return map[string]string{"id": c.ID, "state": string(c.State), "actor": c.Actor, "at": c.At.UTC().Format("15:04:05")}
}

// age prints a duration the way an admin reads it: 3d 4h, 2h 5m, 40s.
func age(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	var s string
	switch {
	case d >= 24*time.Hour:
		s = fmt.Sprintf("%dd %dh", d/(24*time.Hour), (d%(24*time.Hour))/time.Hour)
	case d >= time.Hour:
		s = fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
	case d >= time.Minute:
		s = fmt.Sprintf("%dm %ds", d/time.Minute, (d%time.Minute)/time.Second)
	default:
		s = fmt.Sprintf("%ds", d/time.Second)
	}
	if neg {
		return "overdue " + s
	}
	return s
}
