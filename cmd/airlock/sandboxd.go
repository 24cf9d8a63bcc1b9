package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
)

func init() {
	commands["sandboxd"] = command{
		summary: "run the sandbox daemon (hash lookup, upload, analysis, verdict events)",
		usage:   "airlock sandboxd [--config FILE] [--data-dir DIR] [--listen ADDR] [--ops-listen ADDR]",
		example: "airlock sandboxd --config /etc/airlock/airlock.yaml --listen 127.0.0.1:8025",
		run:     runSandboxd,
	}
}

func runSandboxd(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("sandboxd")
	cfgFile := fs.String("config", "", "configuration file (default: none, embedded store under --data-dir)")
	dataDir := fs.String("data-dir", "", "data directory (overrides the config's data_dir; default "+config.Default().DataDir+")")
	listen := fs.String("listen", "", "API address (overrides sandboxd.listen; default "+config.DefaultSandboxd().Listen+")")
	ops := fs.String("ops-listen", "", "address of /metrics, /healthz, /readyz (overrides $AIRLOCK_OPS_LISTEN and ops.listen; \"off\" disables)")
	if err := parseFlags(env, "sandboxd", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("sandboxd", "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	c := config.Default()
	if *cfgFile != "" {
		var err error
		if c, err = config.Load(*cfgFile); err != nil {
			return &exitError{code: 1, msg: err.Error()}
		}
	}
	if *dataDir != "" {
		c.DataDir = *dataDir
	}
	if *listen != "" {
		c.Sandboxd.Listen = *listen
	}
	setOpsListen(&c, *ops)
	var p config.Problems
	c.Validate(&p)
	if err := p.Err(); err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	o, log := newOps(processLogger(env, c.Log))
	analyzers, err := all.Analyzers(all.Env{Config: c, Logger: log})
	if err != nil {
		return err
	}
	d, setup, closeStore, err := sandboxd.Open(ctx, c, analyzers, log)
	if err != nil {
		return err
	}
	defer closeStore()
	ln, err := net.Listen("tcp", c.Sandboxd.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	scheme := "http"
	if c.Sandboxd.TLS.CertFile != "" {
		scheme = "https"
	}
	created := func(b bool) string {
		if b {
			return " (created)"
		}
		return ""
	}
	fmt.Fprintf(env.stdout, "sandboxd listening on %s://%s (store: %s, engine %s, %d analyzers)\n",
		scheme, ln.Addr(), c.Sandboxd.Store, d.Engine(), len(analyzers))
	fmt.Fprintf(env.stdout, "tokens file:  %s\n", setup.TokensFile)
	// One token per role (sandboxd/auth.go): the filter's, the web
	// page's, the admin's.
	for _, f := range [][2]string{{"client token:", setup.ClientTokenFile}, {"web token:", setup.WebTokenFile}, {"admin token:", setup.AdminTokenFile}} {
		if _, err := os.Stat(f[1]); f[1] != "" && err == nil {
			fmt.Fprintf(env.stdout, "%s %s\n", f[0], f[1])
		}
	}
	for _, n := range setup.TokenNotes {
		fmt.Fprintf(env.stdout, "tokens: %s\n", n)
	}
	fmt.Fprintf(env.stdout, "sample key:   %s%s\n", setup.KeyFile, created(setup.KeyCreated))
	o.sandboxdReady(c, setup.ClientTokenFile, ln.Addr().String())
	go o.serve(ctx, env, opsListen(&c), log)()
	return d.Serve(ctx, ln)
}

// sandboxdLogger builds the process logger from the config's log section
// (processLogger: text or JSON, level, secrets redacted).
func sandboxdLogger(env *cmdEnv, l config.Log) *slog.Logger { return processLogger(env, l) }
