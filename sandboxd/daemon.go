// Package sandboxd is the sandbox daemon: it answers hash lookups, takes
// uploads of unknown files, analyzes them on a bounded worker pool with
// pluggable analyzers, and pushes verdicts to subscribed filters as
// server-sent events.
//
// What it promises:
//   - a file's bytes are stored only sealed (AES-256-GCM) and only as long
//     as the submitter's retention allows (suspicious and worse are kept);
//     the metadata is tenant, hash, size, category, type, verdict,
//     findings, state and times, never a name or a sender;
//   - a tenant sees only files it submitted itself;
//   - a verdict and its event are written in one transaction, and a client
//     resuming with Last-Event-ID misses nothing still kept;
//   - a job is finished (verdict stored) once; a sandboxd killed
//     mid-analysis leaves its jobs to be taken over (Redis: by another
//     process after claim_timeout; embedded: on restart);
//   - when the engine version (analyzers, their versions, the scoring)
//     changes, retained samples are re-analyzed at low priority and a
//     changed verdict is published as a reclassification.
package sandboxd

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/seal"
)

// Options are what a Daemon is built from.
type Options struct {
	Config    config.Sandboxd
	Store     store.Store
	Key       *seal.Key
	Tokens    *Tokens
	Analyzers []analyzer.Analyzer
	Logger    *slog.Logger
	// Node names this process (Redis consumer name, health). Default:
	// host name and pid.
	Node string
	// Now is the clock (tests move it for retention); default time.Now.
	Now func() time.Time
}

// Daemon is one sandboxd process.
type Daemon struct {
	cfg       config.Sandboxd
	store     store.Store
	key       *seal.Key
	tokens    *Tokens
	analyzers []analyzer.Analyzer
	scoring   analyzer.Scoring
	engine    string
	log       *slog.Logger
	node      string
	now       func() time.Time
	hub       *hub
	views     viewCache

	busy   atomic.Int64
	panics atomic.Int64
	// started counts analyses begun by this process, finished those whose
	// verdict it stored; tests read them through Stats.
	started, finished, duplicates atomic.Int64
}

const metaKeyCheck = "keycheck"

// New checks the options and the store's key: a store created with
// another sample key is a start-up error (seal.ErrWrongKey), never
// garbage later.
func New(ctx context.Context, o Options) (*Daemon, error) {
	if o.Store == nil || o.Key == nil || o.Tokens == nil {
		return nil, errors.New("sandboxd: store, key and tokens are required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Node == "" {
		h, _ := os.Hostname()
		o.Node = fmt.Sprintf("%s-%d", h, os.Getpid())
	}
	sc := ScoringFromConfig(o.Config.Scoring)
	if err := sc.Validate(); err != nil {
		return nil, fmt.Errorf("sandboxd: %w", err)
	}
	check := hex.EncodeToString(o.Key.Check())
	stored, err := o.Store.Meta(ctx, metaKeyCheck)
	if err != nil {
		return nil, fmt.Errorf("sandboxd: read store: %w", err)
	}
	if stored == "" {
		if _, err := o.Store.SwapMeta(ctx, metaKeyCheck, check); err != nil {
			return nil, fmt.Errorf("sandboxd: write store: %w", err)
		}
	} else if b, _ := hex.DecodeString(stored); o.Key.Verify(b) != nil {
		return nil, fmt.Errorf("sandboxd: sample key (%s) is not the one this store was created with: %w",
			o.Config.KeyFile, seal.ErrWrongKey)
	}
	d := &Daemon{
		cfg: o.Config, store: o.Store, key: o.Key, tokens: o.Tokens,
		analyzers: o.Analyzers, scoring: sc, log: o.Logger, node: o.Node, now: o.Now,
	}
	d.engine = analyzer.EngineVersion(o.Analyzers, sc)
	d.hub = newHub(o.Store, o.Logger)
	return d, nil
}

// ScoringFromConfig converts the config section.
func ScoringFromConfig(c config.Scoring) analyzer.Scoring {
	s := analyzer.Scoring{Mode: c.Mode, Suspicious: c.Suspicious, HighlySuspicious: c.HighlySuspicious, Malicious: c.Malicious}
	copy(s.Points[:], c.Points)
	return s
}

// Engine is the engine version of this daemon.
func (d *Daemon) Engine() string { return d.engine }

// Stats are counters for tests and health.
type Stats struct {
	Started, Finished, Duplicates, Panics int64
}

// Stats returns the process's counters.
func (d *Daemon) Stats() Stats {
	return Stats{d.started.Load(), d.finished.Load(), d.duplicates.Load(), d.panics.Load()}
}

// Run runs the workers, the purge loop, the event hub and, when the engine
// changed, the re-analysis scan, until ctx ends.
func (d *Daemon) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	goLoop := func(name string, f func(context.Context)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if !d.safely(name, func() { f(ctx) }) {
					sleep(ctx, time.Second) // restart a crashed loop, not too fast
				}
			}
		}()
	}
	goLoop("hub", d.hub.run)
	for i := 0; i < d.cfg.Workers; i++ {
		goLoop("worker", d.work)
	}
	goLoop("purge", d.purgeLoop)
	if d.cfg.Reanalyze {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.safely("reanalyze", func() {
				if err := d.scheduleReanalysis(ctx); err != nil && ctx.Err() == nil {
					d.log.Error("re-analysis scan failed", "err", err)
				}
			})
		}()
	}
	<-ctx.Done()
	wg.Wait()
	return nil
}

// safely runs f, turning a panic into a log line and a count; it returns
// false after a panic.
func (d *Daemon) safely(what string, f func()) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			d.panics.Add(1)
			d.log.Error("panic recovered", "in", what, "panic", fmt.Sprint(r))
			ok = false
		}
	}()
	f()
	return true
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// Serve runs the daemon and its API on ln until ctx ends, with TLS when
// the config names a certificate.
func (d *Daemon) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	if d.cfg.TLS.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(d.cfg.TLS.CertFile, d.cfg.TLS.KeyFile)
		if err != nil {
			return fmt.Errorf("sandboxd: TLS: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		ln = tls.NewListener(ln, srv.TLSConfig)
	}
	runDone := make(chan struct{})
	go func() {
		d.Run(ctx)
		close(runDone)
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-serveErr:
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	<-runDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// --- samples ---

func sampleAD(sha string) []byte { return []byte("airlock sample v1 " + sha) }

// sealSample stores the extension with the bytes, inside the seal: the
// analyzers need it on re-analysis, and it is part of the file's name, so
// it must go when the sample goes.
func (d *Daemon) sealSample(sha, ext string, data []byte) []byte {
	pt := make([]byte, 0, 1+len(ext)+len(data))
	pt = append(pt, byte(len(ext)))
	pt = append(pt, ext...)
	pt = append(pt, data...)
	return d.key.Seal(pt, sampleAD(sha))
}

func (d *Daemon) openSample(sha string, sealed []byte) (ext string, data []byte, err error) {
	pt, err := d.key.Open(sealed, sampleAD(sha))
	if err != nil {
		return "", nil, err
	}
	if len(pt) < 1 || len(pt) < 1+int(pt[0]) {
		return "", nil, errors.New("sample: bad format")
	}
	n := int(pt[0])
	return string(pt[1 : 1+n]), pt[1+n:], nil
}

func (d *Daemon) health(ctx context.Context) api.Health {
	h := api.Health{Status: "ok", Node: d.node, Workers: d.cfg.Workers, WorkersBusy: int(d.busy.Load()),
		Engine: d.engine, Store: "ok", Panics: d.panics.Load()}
	for _, a := range d.analyzers {
		h.Analyzers = append(h.Analyzers, api.AnalyzerInfo{Name: a.Name(), Version: a.Version()})
	}
	if err := d.store.Ping(ctx); err != nil {
		h.Status, h.Store = "degraded", err.Error()
		return h
	}
	n, err := d.store.QueueDepth(ctx)
	if err != nil {
		h.Status, h.Store = "degraded", err.Error()
	}
	h.QueueDepth = n
	return h
}
