package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/milter"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/proxy"
	"github.com/airlockmail/airlock/release"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/web"
)

func init() {
	commands["all"] = command{
		summary: "run everything in one process: milter, proxy (when configured), sandboxd, release loop",
		usage:   "airlock all [--config FILE] [--data-dir DIR] [--milter-listen A] [--proxy-listen A] [--upstream A] [--next-hop A] [--web-listen A] [--sandbox-listen A] [--ops-listen A] [--internal-networks N,...]",
		example: "airlock all --config /etc/airlock/airlock.yaml",
		run:     func(ctx context.Context, env *cmdEnv, args []string) error { return runMailPath(ctx, env, "all", args) },
	}
}

// pathFlags are the command-line overrides shared by all, milter and proxy:
// what a quick start or a test changes most.
type pathFlags struct {
	fs                                                 *pflag.FlagSet
	verb                                               string
	env                                                *cmdEnv
	cfgFile, dataDir, milterListen, proxyListen        *string
	upstream, nextHop, webListen, sandboxListen, inets *string
	opsListen                                          *string
}

func newPathFlags(verb string, env *cmdEnv) *pathFlags {
	fs := newFlags(verb)
	return &pathFlags{
		fs:            fs,
		verb:          verb,
		env:           env,
		cfgFile:       fs.String("config", "", "configuration file (default: built-in defaults)"),
		dataDir:       fs.String("data-dir", "", "data directory (overrides data_dir)"),
		milterListen:  fs.String("milter-listen", "", "milter address, e.g. inet:127.0.0.1:7357 (overrides milter.listen; \"off\" disables)"),
		proxyListen:   fs.String("proxy-listen", "", "SMTP proxy address host:port (overrides proxy.listen)"),
		upstream:      fs.String("upstream", "", "upstream MTA host:port for the proxy (overrides proxy.upstream)"),
		nextHop:       fs.String("next-hop", "", "where released mail goes: the MTA's re-injection port or the upstream (overrides deliver.next_hop)"),
		webListen:     fs.String("web-listen", "", "admin page address (overrides web.listen; \"off\" disables)"),
		sandboxListen: fs.String("sandbox-listen", "", "in-process sandboxd API address (overrides sandboxd.listen)"),
		inets:         fs.String("internal-networks", "", "comma-separated client networks whose mail is not scanned (overrides policy.internal_networks)"),
		opsListen:     fs.String("ops-listen", "", "address of /metrics, /healthz, /readyz (overrides $AIRLOCK_OPS_LISTEN and ops.listen; \"off\" disables)"),
	}
}

// load reads the config and applies the flags.
func (f *pathFlags) load(args []string) (config.Config, error) {
	if err := parseFlags(f.env, f.verb, f.fs, args); err != nil {
		return config.Config{}, err
	}
	if f.fs.NArg() != 0 {
		return config.Config{}, usageError(f.verb, "unexpected arguments: "+strings.Join(f.fs.Args(), " "))
	}
	c := config.Default()
	if *f.cfgFile != "" {
		var err error
		if c, err = config.Load(*f.cfgFile); err != nil {
			return c, &exitError{code: 1, msg: err.Error()}
		}
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.DataDir, *f.dataDir)
	set(&c.Milter.Listen, *f.milterListen)
	if c.Milter.Listen == "off" {
		c.Milter.Listen = ""
	}
	set(&c.Proxy.Listen, *f.proxyListen)
	set(&c.Proxy.Upstream, *f.upstream)
	set(&c.Deliver.NextHop, *f.nextHop)
	set(&c.Web.Listen, *f.webListen)
	if c.Web.Listen == "off" {
		c.Web.Listen = ""
	}
	set(&c.Sandboxd.Listen, *f.sandboxListen)
	setOpsListen(&c, *f.opsListen)
	if *f.inets != "" {
		c.Policy.InternalNetworks = strings.Split(*f.inets, ",")
	}
	// Proxy only: released mail goes to the upstream unless told otherwise.
	if *f.nextHop == "" && c.Proxy.Upstream != "" && c.Milter.Listen == "" {
		c.Deliver.NextHop = c.Proxy.Upstream
	}
	var p config.Problems
	c.Validate(&p)
	if err := p.Err(); err != nil {
		return c, &exitError{code: 1, msg: err.Error()}
	}
	return c, nil
}

// runMailPath is `airlock all` (in-process sandboxd), `airlock milter` and
// `airlock proxy` (sandboxd at sandbox.url; typically a shared Redis).
func runMailPath(ctx context.Context, env *cmdEnv, verb string, args []string) error {
	f := newPathFlags(verb, env)
	c, err := f.load(args)
	if err != nil {
		return err
	}
	switch verb {
	case "milter":
		c.Proxy.Listen = ""
		if c.Milter.Listen == "" {
			return &exitError{code: 1, msg: "airlock milter: milter.listen (or --milter-listen) must be set"}
		}
	case "proxy":
		c.Milter.Listen = ""
		if c.Proxy.Listen == "" {
			return &exitError{code: 1, msg: "airlock proxy: proxy.listen (or --proxy-listen) must be set"}
		}
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	o, log := newOps(processLogger(env, c.Log))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	run := func(name string, fn func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("%s: %w", name, err)
			}
		}()
	}

	// sandboxd: in-process for `all` unless sandbox.url points elsewhere.
	var sbx, webSbx *client.Client
	var sandboxURL string // the in-process sandboxd, for `airlock files`
	if verb == "all" && c.Sandbox.URL == "" {
		analyzers, err := all.Analyzers(all.Env{Config: c, Logger: log})
		if err != nil {
			return err
		}
		d, setup, closeStore, err := sandboxd.Open(ctx, c, analyzers, log)
		if err != nil {
			return fmt.Errorf("sandboxd: %w", err)
		}
		defer closeStore()
		ln, err := net.Listen("tcp", c.Sandboxd.Listen)
		if err != nil {
			return fmt.Errorf("sandboxd listen: %w", err)
		}
		run("sandboxd", func() error { return d.Serve(ctx, ln) })
		token, err := client.ReadTokenFile(setup.ClientTokenFile)
		if err != nil {
			return fmt.Errorf("sandboxd token: %w", err)
		}
		scheme, tc := "http", (*tls.Config)(nil)
		if c.Sandboxd.TLS.CertFile != "" {
			// In-process: the certificate is ours; the connection must
			// present exactly it.
			if tc, err = client.PinnedTLS(c.Path(c.Sandboxd.TLS.CertFile)); err != nil {
				return err
			}
			scheme = "https"
		}
		if sbx, err = client.New(client.Config{URL: scheme + "://" + ln.Addr().String(), Token: token, TLS: tc, Timeout: c.Sandbox.Timeout}); err != nil {
			return err
		}
		// The web page gets its own, narrower token (list, re-analyze):
		// the filter's cannot list, and the admin's is not needed.
		if c.Web.Listen != "" && setup.WebTokenFile != "" {
			wt, err := client.ReadTokenFile(setup.WebTokenFile)
			if err != nil {
				return fmt.Errorf("sandboxd web token: %w", err)
			}
			if webSbx, err = client.New(client.Config{URL: scheme + "://" + ln.Addr().String(), Token: wt, TLS: tc, Timeout: c.Sandbox.Timeout}); err != nil {
				return err
			}
		}
		sandboxURL = scheme + "://" + ln.Addr().String()
		fmt.Fprintf(env.stdout, "sandboxd:  %s (engine %s)\n", sandboxURL, d.Engine())
	} else if c.Sandbox.URL != "" {
		if sbx, err = client.FromConfig(c.Sandbox, c.Path); err != nil {
			return fmt.Errorf("sandbox client: %w", err)
		}
		if c.Web.Listen != "" && c.Web.SandboxTokenFile != "" {
			if webSbx, err = webSandboxClient(&c); err != nil {
				return fmt.Errorf("sandbox client (web): %w", err)
			}
		}
	} else {
		log.Warn("no sandbox.url: every file to judge is held until the timeout action")
	}

	store, err := holdqueue.Open(ctx, &c, log)
	if err != nil {
		return fmt.Errorf("hold queue: %w", err)
	}
	defer store.Close()
	o.watchStore(ctx, &c, store, log)
	o.watchSandbox(ctx, sbx)
	releaseKey, err := deliver.LoadReleaseKey(c.Path(c.Deliver.ReleaseKeyFile))
	if err != nil {
		return err
	}
	alertKey, err := deliver.LoadReleaseKey(filepath.Join(c.DataDir, "alerts.key"))
	if err != nil {
		return err
	}
	alerts, err := gate.OpenAlerts(gate.AlertsConfig{Path: filepath.Join(c.DataDir, "delivered.db"), Key: alertKey,
		Webhook: c.Web.AlertWebhook, Retention: c.Web.AlertRetention}, log)
	if err != nil {
		return err
	}
	defer alerts.Close()
	pol, err := policy.New(c.Policy)
	if err != nil {
		return err
	}
	node := c.Node
	if node == "" {
		node, _ = os.Hostname()
	}
	var sandbox gate.Sandbox
	if sbx != nil {
		sandbox = o.track.Sandbox(sbx)
	}
	var walker gate.Walker
	if c.Extract.Isolate {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("extract.isolate: %w", err)
		}
		iso := &extract.Isolator{Path: exe, Args: []string{"extract-worker"}}
		defer iso.Close()
		o.track.Metrics().ExtractWorkerStarts(iso.Starts.Load)
		walker = iso
	}
	g, err := gate.New(gate.Config{Policy: pol, Extract: c.Extract, Retention: api.Retention(c.Sandbox.Retention),
		ReleaseKey: releaseKey, Node: node, Alerts: alerts, Walker: walker}, sandbox, o.track.HoldStore(store), log)
	if err != nil {
		return err
	}
	run("gate", func() error { return g.Run(ctx) })
	// Exclusions added on the admin page (any node's) reach this gate's
	// policy without a restart.
	ex, err := openExclusions(&c, log)
	if err != nil {
		return err
	}
	defer ex.Close()
	d := deliver.New(c.Deliver, releaseKey, log)
	defer d.Close()
	loop := release.New(store, o.track.Sender(d, c.Deliver.NextHop, store, log), c.Policy, c.Release, node, log).
		Instrument(release.NewMetrics(o.reg, store))

	// SIGHUP re-reads the file's policy section (reload.go): the gate's
	// decisions and the release loop's actions both follow it.
	pw := newPolicyWatch(ex, func(p *policy.Policy) {
		g.SetPolicy(p)
		loop.SetPolicy(p.Config())
	}, log)
	if err := pw.set(ctx, pol); err != nil {
		return err
	}
	reloadOnHUP(ctx, pw, func() (*policy.Policy, error) {
		nc, err := newPathFlags(verb, env).load(args)
		if err != nil {
			return nil, err
		}
		return policy.New(nc.Policy)
	}, log)
	run("release", func() error { return loop.Run(ctx) })

	var frontEnds []func() error
	defer func() {
		// Front ends first (no new mail), then the loops, then the
		// stores (deferred above).
		for _, f := range frontEnds {
			f()
		}
		cancel()
		wg.Wait()
	}()
	if c.Milter.Listen != "" {
		ln, err := milter.Listen(c.Milter)
		if err != nil {
			return err
		}
		m := milter.New(c.Milter, o.track.Decider(g), log)
		frontEnds = append(frontEnds, m.Close)
		run("milter", func() error { return m.Serve(ln) })
		fmt.Fprintf(env.stdout, "milter:    %s\n", c.Milter.Listen)
	}
	if c.Proxy.Listen != "" {
		var tc *tls.Config
		if c.Proxy.TLS.CertFile != "" {
			cert, err := tls.LoadX509KeyPair(c.Path(c.Proxy.TLS.CertFile), c.Path(c.Proxy.TLS.KeyFile))
			if err != nil {
				return fmt.Errorf("proxy certificate: %w", err)
			}
			tc = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		pc := c.Proxy
		if pc.Hostname == "" {
			pc.Hostname = node
		}
		ln, err := net.Listen("tcp", c.Proxy.Listen)
		if err != nil {
			return fmt.Errorf("proxy listen: %w", err)
		}
		p := proxy.New(pc, o.track.Decider(g), tc, log)
		frontEnds = append(frontEnds, p.Close)
		run("proxy", func() error { return p.Serve(ln) })
		fmt.Fprintf(env.stdout, "proxy:     %s -> %s\n", ln.Addr(), c.Proxy.Upstream)
	}
	run("ops", o.serve(ctx, env, opsListen(&c), log))
	// The CLI's queue and exclusions verbs reach the embedded store
	// through this process while it holds the store's lock.
	serveAdminAPI, err := serveAdmin(ctx, env, &c, store, ex, node, sandboxURL, log)
	if err != nil {
		return err
	}
	if serveAdminAPI != nil {
		run("admin", serveAdminAPI)
	}
	fmt.Fprintf(env.stdout, "next hop:  %s\nhold queue: %s\n", c.Deliver.NextHop, c.HoldQueue.Backend)
	if c.Web.Listen != "" {
		var ws web.Sandbox
		switch {
		case webSbx != nil:
			ws = webSbx
		case sbx != nil:
			ws = sbx
		}
		serve, err := startWeb(ctx, env, &c, store, ws, ex, log)
		if err != nil {
			return err
		}
		run("web", serve)
	}

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		log.Error("stopping", "err", runErr)
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return runErr
	}
	return nil
}
