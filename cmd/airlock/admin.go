package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/airlockmail/airlock/adminapi"
	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// serveAdmin starts the admin API of a process on the embedded store
// (with Redis the CLI opens the store itself) and publishes its address
// and token in data_dir/admin.json. It returns the func that serves until
// ctx ends, then removes the file; nil when not served.
func serveAdmin(ctx context.Context, env *cmdEnv, c *config.Config, store holdqueue.Store, ex exclusions.Store, node, sandboxURL string, log *slog.Logger) (func() error, error) {
	if c.HoldQueue.Backend != "embedded" || c.Admin.Listen == "" || c.Admin.Listen == "off" {
		return nil, nil
	}
	token, err := adminapi.NewToken()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.Admin.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin listen: %w", err)
	}
	if ap, ok := ln.Addr().(*net.TCPAddr); ok && !ap.IP.IsLoopback() {
		log.Warn("admin API listens beyond loopback: plain HTTP, guarded by a bearer token only", "admin.listen", ln.Addr().String())
	}
	ep := adminapi.Endpoint{URL: "http://" + ln.Addr().String(), Token: token, PID: os.Getpid(), SandboxURL: sandboxURL}
	unpublish, err := adminapi.Publish(c.DataDir, ep)
	if err != nil {
		ln.Close()
		return nil, err
	}
	fmt.Fprintf(env.stdout, "admin API: %s (token in %s)\n", ep.URL, filepath.Join(c.DataDir, adminapi.EndpointFile))
	srv := &http.Server{
		Handler:           adminapi.NewHandler(store, ex, token, adminapi.Info{PID: ep.PID, Node: node}, log),
		ReadHeaderTimeout: 10 * time.Second,
	}
	return func() error {
		defer unpublish()
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
	}, nil
}

// adminFlags are the flags every admin verb (queue, exclusions) takes.
type adminFlags struct {
	cfgPath, dataDir *string
	asJSON           *bool
}

func addAdminFlags(fs *pflag.FlagSet) *adminFlags {
	return &adminFlags{
		cfgPath: fs.String("config", defaultConfig(), "configuration file (default: $AIRLOCK_CONFIG when set)"),
		dataDir: fs.String("data-dir", "", "data directory (overrides data_dir, as for airlock all)"),
		asJSON:  fs.Bool("json", false, "print JSON for machines"),
	}
}

// adminCommon lists the adminFlags' names, for onlyFor.
var adminCommon = []string{"config", "data-dir", "json"}

func (f *adminFlags) load() (config.Config, error) {
	c, err := config.Load(*f.cfgPath)
	if err != nil {
		return c, &exitError{code: 1, msg: err.Error()}
	}
	if *f.dataDir != "" {
		c.DataDir = *f.dataDir
	}
	return c, nil
}

// runningProcess finds the process that holds c's embedded store: the
// admin API published in its data dir, answering. nil when none runs (no
// file, or a file left by a process that is gone) or the store is Redis.
func runningProcess(ctx context.Context, c *config.Config) (*adminapi.Client, *adminapi.Endpoint, error) {
	if c.HoldQueue.Backend != "embedded" {
		return nil, nil, nil
	}
	ep, err := adminapi.ReadEndpoint(c.DataDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cl := adminapi.NewClient(*ep)
	if _, err := cl.Info(ctx); err != nil {
		if errors.Is(err, adminapi.ErrUnreachable) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	return cl, ep, nil
}

// viaProcess and viaStore say on stderr which way a verb went, so that
// the admin knows whether the running process saw the change.
func viaProcess(w io.Writer, verb string, ep *adminapi.Endpoint) {
	fmt.Fprintf(w, "airlock %s: through the running airlock (pid %d, %s)\n", verb, ep.PID, ep.URL)
}

func viaStore(w io.Writer, verb, what string) {
	fmt.Fprintf(w, "airlock %s: no airlock running on this data dir; opened %s directly\n", verb, what)
}

// openQueue returns the hold queue for the queue verb: the running
// process's, or the store opened here.
func openQueue(ctx context.Context, env *cmdEnv, c *config.Config) (adminapi.Queue, func() error, error) {
	cl, ep, err := runningProcess(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if cl != nil {
		viaProcess(env.stderr, "queue", ep)
		return cl, func() error { return nil }, nil
	}
	store, err := holdqueue.Open(ctx, c, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, nil, fmt.Errorf("open hold queue: %w", err)
	}
	if c.HoldQueue.Backend == "embedded" {
		viaStore(env.stderr, "queue", c.Path(c.HoldQueue.Embedded.Path))
	}
	return store, store.Close, nil
}

// openAllowList is openQueue for the exclusions verb.
func openAllowList(ctx context.Context, env *cmdEnv, c *config.Config) (adminapi.Exclusions, func() error, error) {
	cl, ep, err := runningProcess(ctx, c)
	if err != nil {
		return nil, nil, err
	}
	if cl != nil {
		viaProcess(env.stderr, "exclusions", ep)
		return cl.ExclusionsClient(), func() error { return nil }, nil
	}
	store, err := openExclusions(c, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return nil, nil, fmt.Errorf("open exclusions: %w", err)
	}
	if c.HoldQueue.Backend == "embedded" {
		viaStore(env.stderr, "exclusions", filepath.Join(c.DataDir, "exclusions.db"))
	}
	return store, store.Close, nil
}
