package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/web"
)

func init() {
	commands["web"] = command{
		summary: "serve the admin page (postponed mail, quarantine, files, status, exclusions)",
		usage:   "airlock web [--config FILE] [--listen ADDR] [--ops-listen ADDR]",
		example: "airlock web --config /etc/airlock/airlock.yaml --listen 127.0.0.1:8080",
		run:     runWeb,
	}
}

// runWeb is `airlock web`: the admin page alone, for installations whose
// mail path runs in other processes on a shared Redis (the embedded store
// is one process's file: there, `airlock all` serves the page itself).
func runWeb(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("web")
	cfgFile := fs.String("config", defaultConfig(), "configuration file (default: $AIRLOCK_CONFIG when set)")
	listen := fs.String("listen", "", "address (overrides web.listen)")
	ops := fs.String("ops-listen", "", "address of /metrics, /healthz, /readyz (overrides $AIRLOCK_OPS_LISTEN and ops.listen; \"off\" disables)")
	if err := parseFlags(env, "web", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("web", "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	c, err := config.Load(*cfgFile)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	if *listen != "" {
		c.Web.Listen = *listen
	}
	setOpsListen(&c, *ops)
	if c.Web.Listen == "" {
		return &exitError{code: 1, msg: "airlock web: web.listen (or --listen) must be set"}
	}
	o, log := newOps(processLogger(env, c.Log))
	store, err := holdqueue.Open(ctx, &c, log)
	if err != nil {
		return fmt.Errorf("hold queue: %w", err)
	}
	defer store.Close()
	o.watchStore(ctx, &c, store, log)
	go o.serve(ctx, env, opsListen(&c), log)()
	ex, err := openExclusions(&c, log)
	if err != nil {
		return err
	}
	defer ex.Close()
	var sbx web.Sandbox
	if c.Sandbox.URL != "" {
		cl, err := webSandboxClient(&c)
		if err != nil {
			return fmt.Errorf("sandbox client: %w", err)
		}
		sbx = cl
	}
	serve, err := startWeb(ctx, env, &c, store, sbx, ex, log)
	if err != nil {
		return err
	}
	return serve()
}

// openExclusions opens the shared allow list next to the hold queue: in
// Redis under the same prefix (every node sees it), or in its own bbolt
// file under data_dir.
func openExclusions(c *config.Config, log *slog.Logger) (exclusions.Store, error) {
	if c.HoldQueue.Backend == "redis" {
		rdb, err := holdqueue.NewRedisClient(c.HoldQueue.Redis)
		if err != nil {
			return nil, fmt.Errorf("exclusions: %w", err)
		}
		return &ownedExclusions{Store: exclusions.OpenRedis(rdb, c.HoldQueue.Redis.Prefix, log), close: rdb.Close}, nil
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	s, err := exclusions.OpenBolt(filepath.Join(c.DataDir, "exclusions.db"))
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ownedExclusions closes the Redis client it was given with the store.
type ownedExclusions struct {
	exclusions.Store
	close func() error
}

func (o *ownedExclusions) Close() error {
	o.Store.Close()
	return o.close()
}

// storeWarnings are the durability warnings the status page shows.
func storeWarnings(c *config.Config) func() []string {
	var w []string
	if c.HoldQueue.Backend == "redis" {
		if c.HoldQueue.Redis.AcceptNoFsync {
			w = append(w, "holdqueue.redis.accept_no_fsync is set: if Redis does not fsync every write, a crash loses mail that was acknowledged.")
		}
		if c.HoldQueue.Redis.WaitReplicas == 0 {
			w = append(w, "holdqueue.redis.wait_replicas is 0: a hold is acknowledged before any replica has it; losing the Redis master's disk loses held mail.")
		}
	}
	return func() []string { return w }
}

// startWeb builds the admin page on store, sbx (nil: none) and ex, listens
// on c.Web.Listen and returns the func that serves until ctx ends (with
// TLS when web.tls_cert is set). `airlock all` calls it too.
func startWeb(ctx context.Context, env *cmdEnv, c *config.Config, store holdqueue.Store, sbx web.Sandbox, ex exclusions.Store, log *slog.Logger) (func() error, error) {
	srv, err := web.New(c.Web, web.Deps{Store: store, Sandbox: sbx, Exclusions: ex, Warnings: storeWarnings(c), DataDir: c.DataDir}, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Web.Listen)
	if err != nil {
		return nil, fmt.Errorf("web listen: %w", err)
	}
	scheme := "http"
	if c.Web.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(env.stdout, "web:       %s://%s\n", scheme, ln.Addr())
	return func() error {
		go srv.Run(ctx)
		return srv.Serve(ctx, ln, c.Path(c.Web.TLSCert), c.Path(c.Web.TLSKey))
	}, nil
}

// webSandboxClient is the page's client for a remote sandboxd: with
// web.sandbox_token_file (a web token) when set, else sandbox.token_file.
func webSandboxClient(c *config.Config) (*client.Client, error) {
	sc := c.Sandbox
	if c.Web.SandboxTokenFile != "" {
		sc.TokenFile = c.Web.SandboxTokenFile
	}
	return client.FromConfig(sc, c.Path)
}
