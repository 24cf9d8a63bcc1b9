package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/health"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/logging"
	"github.com/airlockmail/airlock/metrics"
	"github.com/airlockmail/airlock/metrics/instrument"
	"github.com/airlockmail/airlock/sandboxd/client"
)

// ops is one process's metrics and health: the registry, the Set the
// wrappers record into, and the readiness checks.
type ops struct {
	reg    *prometheus.Registry
	set    *metrics.Set
	track  *instrument.Track
	checks []health.Check
}

// newOps creates the process's metrics and returns the logger to use from
// here on: log with recovered panics counted.
func newOps(log *slog.Logger) (*ops, *slog.Logger) {
	reg := prometheus.NewRegistry()
	set := metrics.New(reg)
	log = slog.New(metrics.PanicHandler(log.Handler(), set))
	return &ops{reg: reg, set: set, track: instrument.NewTrack(set).LogDecisions(log)}, log
}

// processLogger builds the logger from the log section (text or JSON, the
// level, secrets and bodies redacted). The config was validated, so an
// error here is a bug; fall back to text at info rather than log nothing.
func processLogger(env *cmdEnv, l config.Log) *slog.Logger {
	log, err := logging.New(env.stderr, l)
	if err != nil {
		log, _ = logging.New(env.stderr, config.Log{})
		log.Warn("log section ignored", "err", err)
	}
	return log
}

// watchStore adds the hold queue's gauges (held now, oldest held age), its
// durability and the "store" readiness check.
func (o *ops) watchStore(ctx context.Context, c *config.Config, store holdqueue.Store, log *slog.Logger) {
	o.set.WatchQueue(func(ctx context.Context) (int64, time.Time, error) {
		n, err := store.Counts(ctx)
		if err != nil {
			return 0, time.Time{}, err
		}
		return n.ByState[holdqueue.Held], n.OldestHeld, nil
	}, nil)
	o.checks = append(o.checks, health.Check{Name: "store", Fn: func(ctx context.Context) error {
		_, err := store.Counts(ctx)
		return err
	}})
	if c.HoldQueue.Backend != "redis" {
		o.set.StoreDurable(true) // bbolt fsyncs each commit
		return
	}
	go o.watchRedisDurability(ctx, c.HoldQueue.Redis, log)
}

// watchRedisDurability reads appendonly/appendfsync every minute: an
// operator who turns fsync off at run time (CONFIG SET) is seen on the
// next scrape, not at the next restart.
func (o *ops) watchRedisDurability(ctx context.Context, rc config.RedisStore, log *slog.Logger) {
	rdb, err := holdqueue.NewRedisClient(rc)
	if err != nil {
		log.Warn("store durability not watched", "err", err)
		return
	}
	defer rdb.Close()
	check := func() {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		durable := true
		err := forEachMaster(cctx, rdb, func(ctx context.Context, c *redis.Client) error {
			m, err := c.ConfigGet(ctx, "append*").Result()
			if err != nil {
				return err
			}
			if m["appendonly"] != "yes" || m["appendfsync"] != "always" {
				durable = false
			}
			return nil
		})
		if err != nil {
			// CONFIG may be renamed away on managed Redis: unknown is not
			// durable for an alert, but say why once per check.
			log.Debug("redis durability unknown", "err", err)
			durable = false
		}
		o.set.StoreDurable(durable)
	}
	check()
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			check()
		}
	}
}

func forEachMaster(ctx context.Context, rdb redis.UniversalClient, fn func(context.Context, *redis.Client) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, fn)
	case *redis.Client:
		return fn(ctx, c)
	}
	return errors.New("unsupported redis client type")
}

// watchSandbox polls sandboxd's health every 10 seconds for sandbox_up
// (the wrappers also set it on every lookup and upload) and adds the
// "sandbox" readiness check, degradable because the timeout action keeps
// mail flowing while sandboxd is away. sbx nil: no sandbox configured.
func (o *ops) watchSandbox(ctx context.Context, sbx *client.Client) {
	if sbx == nil {
		o.set.SandboxUp(false)
		o.checks = append(o.checks, health.Check{Name: "sandbox", Degradable: true,
			Fn: func(context.Context) error {
				return errors.New("no sandbox.url configured: the timeout action applies")
			}})
		return
	}
	ping := func(ctx context.Context) error {
		_, err := sbx.Health(ctx)
		return err
	}
	o.checks = append(o.checks, health.Check{Name: "sandbox", Degradable: true, Fn: ping})
	go func() {
		t := time.NewTicker(10 * time.Second)
		defer t.Stop()
		for {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			o.set.SandboxUp(ping(cctx) == nil)
			cancel()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// setOpsListen applies the overrides of ops.listen: the --ops-listen
// flag, else AIRLOCK_OPS_LISTEN (set per unit when several roles share
// one host and one file).
func setOpsListen(c *config.Config, flag string) {
	if flag != "" {
		c.Ops.Listen = flag
	} else if v := os.Getenv("AIRLOCK_OPS_LISTEN"); v != "" {
		c.Ops.Listen = v
	}
}

// opsListen is where the ops endpoints go, once setOpsListen ran.
func opsListen(c *config.Config) string { return c.Ops.Listen }

// serve listens on addr ("" or "off": not served) and returns the func
// that serves /metrics, /healthz and /readyz until ctx ends. An address
// that cannot be bound is logged, not fatal: monitoring must not stop the
// mail.
func (o *ops) serve(ctx context.Context, env *cmdEnv, addr string, log *slog.Logger) func() error {
	noop := func() error { return nil }
	if addr == "" || addr == "off" {
		return noop
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("ops endpoints not served: /metrics, /healthz and /readyz are unavailable", "ops.listen", addr, "err", err)
		return noop
	}
	fmt.Fprintf(env.stdout, "ops:       http://%s/metrics /healthz /readyz\n", ln.Addr())
	srv := &http.Server{
		Handler:           health.Mux(health.New(0, o.checks...), metrics.Handler(o.reg)),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return func() error {
		go func() {
			<-ctx.Done()
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}

// sandboxdReady adds the "sandboxd" readiness check of `airlock sandboxd`:
// its own API answers GET /v1/health (store included) through loopback,
// with the client token it generated.
func (o *ops) sandboxdReady(c config.Config, tokenFile, addr string) {
	o.checks = append(o.checks, health.Check{Name: "sandboxd", Fn: func(ctx context.Context) error {
		token, err := client.ReadTokenFile(tokenFile)
		if err != nil {
			return err
		}
		scheme, tc := "http", (*tls.Config)(nil)
		if c.Sandboxd.TLS.CertFile != "" {
			// Our own certificate: the connection must present exactly it.
			if tc, err = client.PinnedTLS(c.Path(c.Sandboxd.TLS.CertFile)); err != nil {
				return err
			}
			scheme = "https"
		}
		if host, port, err := net.SplitHostPort(addr); err == nil && (host == "0.0.0.0" || host == "::") {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		cl, err := client.New(client.Config{URL: scheme + "://" + addr, Token: token, TLS: tc, Timeout: 2 * time.Second})
		if err != nil {
			return err
		}
		h, err := cl.Health(ctx)
		if err != nil {
			return err
		}
		if h.Store != "ok" {
			return fmt.Errorf("store: %s", h.Store)
		}
		return nil
	}})
}
