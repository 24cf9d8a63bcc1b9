// Package gatetest runs Airlock's back end in-process for the mail-path
// tests: a real sandboxd (embedded store, every static analyzer) serving its
// HTTP API on a loopback port, a real hold queue (bbolt), the gate following
// sandboxd's event stream, the release loop delivering to a next hop, and
// the retro-alert log. Nothing is faked; sandboxd can be stopped and started
// again on the same port, and the hold store can be broken on purpose.
package gatetest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/release"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
)

// Options shape the back end.
type Options struct {
	// Config is the starting configuration (default: config.Default()
	// with test-friendly times). DataDir is always a temp dir.
	Config *config.Config
	// NextHop is where the release loop delivers (required for release).
	NextHop string
	// Webhook receives retro alerts.
	Webhook string
	// NoSandbox starts without sandboxd (StartSandbox starts it later).
	NoSandbox bool
	// Walker walks messages for the gate (an *extract.Isolator, as
	// `airlock all` runs with extract.isolate on); nil walks in-process.
	Walker gate.Walker
	// Log receives every part's log (nil: Logger()).
	Log *slog.Logger
	// SandboxWire, when set, receives every byte sent to sandboxd (the
	// requests as they cross the socket).
	SandboxWire io.Writer
}

// NewGate builds a gate on this back end's store, sandbox and key, as
// another filter node would run it (node names it in histories). Only
// Start's gate runs the event loop.
func (e *Env) NewGate(node string) *gate.Gate {
	e.T.Helper()
	pol, err := policy.New(e.Config.Policy)
	if err != nil {
		e.T.Fatal(err)
	}
	g, err := gate.New(gate.Config{Policy: pol, Extract: e.Config.Extract, ReleaseKey: e.ReleaseKey, Node: node,
		Retention: api.Retention(e.Config.Sandbox.Retention), Relookup: 500 * time.Millisecond, Alerts: e.Alerts, Walker: e.walker},
		e.Client, e.Store, e.log)
	if err != nil {
		e.T.Fatal(err)
	}
	return g
}

// Env is one running back end.
type Env struct {
	T          testing.TB
	Config     config.Config
	Gate       *gate.Gate
	Store      *holdqueue.Bolt
	Alerts     *gate.Alerts
	Release    *release.Loop
	ReleaseKey []byte
	SandboxURL string
	Client     *client.Client

	log      *slog.Logger
	walker   gate.Walker
	wire     io.Writer
	sbxAddr  string
	mu       sync.Mutex
	sbxStop  func()
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	broken   bool
	storeDir string
}

// TestConfig is config.Default with times that suit tests.
func TestConfig() config.Config {
	c := config.Default()
	c.Policy.InternalNetworks = []string{"10.99.0.0/16"}
	c.Policy.Hold.InlineWait = 10 * time.Second // verdicts come in ms; the margin is for loaded CI machines
	c.Policy.Hold.Timeout = 30 * time.Second
	c.Release.Poll = 100 * time.Millisecond
	c.Release.RetryMin = 200 * time.Millisecond
	c.Release.RetryMax = time.Second
	c.Release.Workers = 4
	c.Deliver.StartTLS = config.StartTLSNone
	c.Deliver.Timeout = 10 * time.Second
	c.Sandboxd.Workers = 2
	c.Sandboxd.AnalyzerTimeout = 10 * time.Second
	c.Sandboxd.RetryBackoff = 100 * time.Millisecond
	c.Sandboxd.PurgeInterval = time.Hour
	return c
}

// Logger returns a logger for tests: silent unless AIRLOCK_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("AIRLOCK_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// Start brings the back end up; it stops when the test ends.
func Start(t testing.TB, o Options) *Env {
	t.Helper()
	c := TestConfig()
	if o.Config != nil {
		c = *o.Config
	}
	c.DataDir = t.TempDir()
	if o.NextHop != "" {
		c.Deliver.NextHop = o.NextHop
	}
	e := &Env{T: t, Config: c, log: Logger(), storeDir: c.DataDir, walker: o.Walker}
	if o.Log != nil {
		e.log = o.Log
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.sbxAddr = ln.Addr().String()
	e.wire = o.SandboxWire
	e.SandboxURL = "http://" + e.sbxAddr
	if o.NoSandbox {
		ln.Close()
	} else {
		e.serveSandbox(ln)
	}

	keys, err := holdqueue.LoadKeys(filepath.Join(c.DataDir, "holdqueue.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.Store, err = holdqueue.OpenBolt(filepath.Join(c.DataDir, "holdqueue.db"), keys, e.log)
	if err != nil {
		t.Fatal(err)
	}
	e.ReleaseKey, err = deliver.LoadReleaseKey(c.Path(c.Deliver.ReleaseKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	alertKey, err := deliver.LoadReleaseKey(filepath.Join(c.DataDir, "alerts.key"))
	if err != nil {
		t.Fatal(err)
	}
	e.Alerts, err = gate.OpenAlerts(gate.AlertsConfig{Path: filepath.Join(c.DataDir, "delivered.db"), Key: alertKey, Webhook: o.Webhook}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	token, err := client.ReadTokenFile(c.Path(c.Sandboxd.ClientTokenFile))
	if err != nil && !o.NoSandbox {
		t.Fatal(err)
	}
	if o.NoSandbox {
		// Create the tokens the sandbox will use when it starts.
		if _, _, err := sandboxd.LoadOrCreateTokens(c.Path(c.Sandboxd.TokensFile), sandboxd.TokenFiles{
			Filter: c.Path(c.Sandboxd.ClientTokenFile), Web: c.Path(c.Sandboxd.WebTokenFile), Admin: c.Path(c.Sandboxd.AdminTokenFile)}); err != nil {
			t.Fatal(err)
		}
		token, _ = client.ReadTokenFile(c.Path(c.Sandboxd.ClientTokenFile))
	}
	e.Client, err = client.New(client.Config{URL: e.SandboxURL, Token: token, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.Gate = e.NewGate("test")
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.wg.Add(1)
	go func() { defer e.wg.Done(); e.Gate.Run(ctx) }()
	if o.NextHop != "" {
		d := deliver.New(c.Deliver, e.ReleaseKey, e.log)
		e.Release = release.New(e.Store, d, c.Policy, c.Release, "test", e.log)
		e.wg.Add(1)
		go func() { defer e.wg.Done(); e.Release.Run(ctx); d.Close() }()
	}
	t.Cleanup(e.Close)
	return e
}

func (e *Env) serveSandbox(ln net.Listener) {
	e.T.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	as, err := all.Analyzers(all.Env{Config: e.Config, Logger: e.log})
	if err != nil {
		e.T.Fatal(err)
	}
	d, _, closeStore, err := sandboxd.Open(ctx, e.Config, as, e.log)
	if err != nil {
		cancel()
		e.T.Fatal(err)
	}
	done := make(chan struct{})
	served := ln
	if e.wire != nil {
		served = teeListener{ln, e.wire}
	}
	go func() {
		defer close(done)
		d.Serve(ctx, served)
	}()
	e.mu.Lock()
	e.sbxStop = func() {
		cancel()
		<-done
		ln.Close()
		closeStore()
	}
	e.mu.Unlock()
}

// StopSandbox stops sandboxd (its port refuses connections until
// StartSandbox).
func (e *Env) StopSandbox() {
	e.mu.Lock()
	stop := e.sbxStop
	e.sbxStop = nil
	e.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// Reclassify restarts sandboxd with sha on its hash list: a new engine
// version, so the re-analysis of the kept sample publishes a
// reclassification of sha to malicious.
func (e *Env) Reclassify(sha string) {
	e.T.Helper()
	list := filepath.Join(e.T.TempDir(), "reclassify.txt")
	if err := os.WriteFile(list, []byte(sha+"\n"), 0o644); err != nil {
		e.T.Fatal(err)
	}
	e.StopSandbox()
	e.Config.Sandboxd.HashListFile = list
	e.StartSandbox()
}

// StartSandbox starts sandboxd again on the same address, same data.
func (e *Env) StartSandbox() {
	e.T.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", e.sbxAddr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		e.T.Fatalf("sandbox port %s: %v", e.sbxAddr, err)
	}
	e.serveSandbox(ln)
}

// BreakStore closes the hold store: every Hold fails from now on, as when
// the disk or Redis cannot be written.
func (e *Env) BreakStore() {
	e.broken = true
	e.Store.Close()
}

// WaitState waits until the held message id reaches state st.
func (e *Env) WaitState(id string, st holdqueue.State, timeout time.Duration) *holdqueue.Message {
	e.T.Helper()
	deadline := time.Now().Add(timeout)
	var last *holdqueue.Message
	for time.Now().Before(deadline) {
		m, err := e.Store.Get(context.Background(), id)
		if err == nil {
			last = m
			if m.State == st {
				return m
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	if last != nil {
		e.T.Fatalf("message %s in state %s, not %s, after %s; history %+v", id, last.State, st, timeout, last.History)
	}
	e.T.Fatalf("message %s not found", id)
	return nil
}

// Close stops everything.
func (e *Env) Close() {
	e.cancel()
	e.wg.Wait()
	e.StopSandbox()
	e.Alerts.Close()
	if !e.broken {
		if err := e.Store.Close(); err != nil && !errors.Is(err, os.ErrClosed) {
			e.T.Logf("close store: %v", err)
		}
	}
}

// teeListener copies what its connections read to w.
type teeListener struct {
	net.Listener
	w io.Writer
}

func (l teeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return teeConn{c, l.w}, nil
}

type teeConn struct {
	net.Conn
	w io.Writer
}

func (c teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.w.Write(p[:n])
	return n, err
}

// WebClient is a sandboxd client with the web page's token (list, read,
// re-analyze), as `airlock all` gives its admin page; Env.Client has the
// filter's, which may not list.
func (e *Env) WebClient() *client.Client {
	e.T.Helper()
	token, err := client.ReadTokenFile(e.Config.Path(e.Config.Sandboxd.WebTokenFile))
	if err != nil {
		e.T.Fatal(err)
	}
	c, err := client.New(client.Config{URL: e.SandboxURL, Token: token, Timeout: 5 * time.Second})
	if err != nil {
		e.T.Fatal(err)
	}
	return c
}
