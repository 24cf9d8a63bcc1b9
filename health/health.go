// Package health serves /healthz (the process is alive) and /readyz (it can
// take mail now) from small check funcs the caller passes in.
//
// It promises:
//   - /healthz answers 200 as long as the process serves HTTP; it runs no
//     check, so a slow store never gets a live process restarted;
//   - /readyz runs every check with a deadline, answers 200 only when every
//     required check passes and 503 otherwise, and always lists each check
//     with its result, so the answer says why;
//   - a degradable check (sandboxd when the timeout policy keeps mail
//     flowing) is reported as "degraded" but does not make /readyz fail.
package health

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Check is one readiness probe.
type Check struct {
	// Name appears in the /readyz answer ("store", "sandbox").
	Name string
	// Fn returns nil when the dependency works.
	Fn func(ctx context.Context) error
	// Degradable: a failure is reported but the process stays ready,
	// because the mail path has a policy for it (the timeout action when
	// sandboxd is down).
	Degradable bool
}

// Status of one check in the answer.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded"
	StatusFailing  = "failing"
)

// Result is one check's outcome.
type Result struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

// Report is the /readyz body.
type Report struct {
	Ready  bool     `json:"ready"`
	Checks []Result `json:"checks"`
}

// Checker runs checks.
type Checker struct {
	checks  []Check
	timeout time.Duration
}

// New returns a Checker over checks, each bounded by timeout (default 2s:
// below the usual probe timeout of orchestrators, so the answer arrives).
func New(timeout time.Duration, checks ...Check) *Checker {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	return &Checker{checks: checks, timeout: timeout}
}

// Run runs every check in parallel and reports.
func (c *Checker) Run(ctx context.Context) Report {
	r := Report{Ready: true, Checks: make([]Result, len(c.checks))}
	var wg sync.WaitGroup
	for i, ch := range c.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			res := Result{Name: ch.Name, Status: StatusOK}
			if err := runCheck(cctx, ch.Fn); err != nil {
				res.Error = err.Error()
				res.Status = StatusFailing
				if ch.Degradable {
					res.Status = StatusDegraded
				}
			}
			r.Checks[i] = res
		}()
	}
	wg.Wait()
	for _, res := range r.Checks {
		if res.Status == StatusFailing {
			r.Ready = false
		}
	}
	return r
}

// runCheck gives up at the deadline even when fn ignores its context, so
// one stuck dependency cannot hang the probe.
func runCheck(ctx context.Context, fn func(context.Context) error) error {
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Readyz is the /readyz handler: 200 when ready, 503 when not, with the
// Report as JSON.
func (c *Checker) Readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := c.Run(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if !rep.Ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		json.NewEncoder(w).Encode(rep)
	})
}

// Healthz is the /healthz handler: 200 "ok" while the process serves.
func Healthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write([]byte("ok\n"))
	})
}

// Mux returns a ServeMux with /healthz, /readyz and, when metrics is not
// nil, /metrics: the ops endpoints every Airlock process serves on its
// ops.listen address.
func Mux(c *Checker, metrics http.Handler) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", Healthz())
	mux.Handle("GET /readyz", c.Readyz())
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	return mux
}
