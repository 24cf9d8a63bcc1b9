package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/airlockmail/airlock/config"
)

func init() {
	commands["healthcheck"] = command{
		summary: "probe a process's /healthz or /readyz (exit 0 when it answers 200): for container health checks",
		usage:   "airlock healthcheck [--url URL | --config FILE [--ready]] [--timeout D]",
		example: "airlock healthcheck --url http://127.0.0.1:9357/readyz",
		run:     runHealthcheck,
	}
}

// runHealthcheck exists because the image has no curl: a container health
// check runs the binary it already has.
func runHealthcheck(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("healthcheck")
	url := fs.String("url", "http://127.0.0.1:9357/healthz", "endpoint to probe")
	cfgPath := fs.String("config", "", "probe the ops.listen of this configuration file (after $AIRLOCK_OPS_LISTEN) instead of --url")
	ready := fs.Bool("ready", false, "with --config: probe /readyz rather than /healthz")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after")
	if err := parseFlags(env, "healthcheck", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("healthcheck", "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	if *cfgPath != "" && !fs.Changed("url") {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return &exitError{code: 1, msg: err.Error()}
		}
		setOpsListen(&c, "")
		host, port, err := net.SplitHostPort(opsListen(&c))
		if err != nil {
			return &exitError{code: 1, msg: fmt.Sprintf("%s: ops.listen %q: no endpoint to probe", *cfgPath, opsListen(&c))}
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "127.0.0.1"
		}
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		*url = "http://" + net.JoinHostPort(host, port) + path
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %v", *url, err)}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	env.stdout.Write(body)
	if resp.StatusCode != http.StatusOK {
		return &exitError{code: 1, msg: fmt.Sprintf("%s: %s", *url, resp.Status)}
	}
	return nil
}
