package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// policyWatch applies the config's policy plus the run-time exclusions to
// the gate, and swaps the config part on SIGHUP. The gate takes a new
// policy atomically (Gate.SetPolicy), so a reload drops no connection: a
// message being decided finishes under the policy it started with, the
// next one gets the new policy.
type policyWatch struct {
	ex    exclusions.Store
	apply func(*policy.Policy)
	log   *slog.Logger

	mu      sync.Mutex
	gen     int            // generation of the newest watcher started
	active  int            // generation whose policies reach the gate
	pending *policy.Policy // first policy of a watcher not yet active
	stop    context.CancelFunc
}

func newPolicyWatch(ex exclusions.Store, apply func(*policy.Policy), log *slog.Logger) *policyWatch {
	return &policyWatch{ex: ex, apply: apply, log: log}
}

// set makes base the config part of the policy: a new exclusions watcher
// on base replaces the previous one. The previous watcher is ignored from
// the moment the new one is active, so an exclusion change racing with a
// reload never brings the old base back.
func (w *policyWatch) set(ctx context.Context, base *policy.Policy) error {
	w.mu.Lock()
	w.gen++
	gen := w.gen
	w.mu.Unlock()
	wctx, cancel := context.WithCancel(ctx)
	err := exclusions.Watch(wctx, w.ex, exclusions.WatchConfig{Base: base, Apply: func(p *policy.Policy) {
		w.mu.Lock()
		defer w.mu.Unlock()
		switch {
		case gen == w.active:
			w.apply(p)
		case gen > w.active:
			w.pending = p
		}
	}}, w.log)
	if err != nil {
		cancel()
		return err
	}
	w.mu.Lock()
	w.active = gen
	if w.pending != nil {
		w.apply(w.pending)
		w.pending = nil
	}
	old := w.stop
	w.stop = cancel
	w.mu.Unlock()
	if old != nil {
		old()
	}
	return nil
}

// reloadOnHUP re-reads the configuration on each SIGHUP and applies its
// policy section (what is scanned, internal networks, exclusions in the
// file, actions at decision time). A file with errors is refused whole and
// the running policy stays. Other sections (listen addresses, stores) need
// a restart. It runs until ctx ends.
func reloadOnHUP(ctx context.Context, w *policyWatch, load func() (*policy.Policy, error), log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
			}
			pol, err := load()
			if err != nil {
				log.Error("SIGHUP: configuration not reloaded; the running policy stays", "err", err)
				continue
			}
			if err := w.set(ctx, pol); err != nil {
				log.Error("SIGHUP: policy not applied; the running policy stays", "err", err)
				continue
			}
			log.Info("SIGHUP: policy and exclusions reloaded")
		}
	}()
}
