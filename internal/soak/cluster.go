// Package soak is the soak and fault campaign: the multi-node shape of an
// Airlock installation on one host (loopback only, real parts), sustained
// traffic with a realistic mix, parts SIGKILLed in turn from a seeded
// schedule, and an accounting at the end that every message a front end
// answered 250 is delivered, quarantined, failed with a reason, or still
// held with a future deadline — none lost.
//
// The parts, each its own process except the sink:
//
//	sender ──SMTP──> Postfix ──milter──> airlock milter (release loop 1) ─┐
//	sender ──SMTP──> airlock proxy (release loop 2) ──> sink              │
//	                  Redis (AOF, appendfsync always) <──────────────────┤
//	                  airlock sandboxd <─────────────────────────────────┘
//	Postfix ──relay──> sink (records Message-ID and X-Airlock-Queue-Id)
//
// The short campaign (1,000 messages, two faults) runs in `go test`; the
// full one (build tag soak, ./scripts/soak) takes flags for seed, count and
// duration.
package soak

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/internal/testredis"
)

// proc is one airlock process, restartable with the same arguments and
// log file (appended across restarts).
type proc struct {
	name string
	bin  string
	args []string
	log  string

	mu       sync.Mutex
	cmd      *exec.Cmd
	restarts int
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.name, err)
	}
	p.cmd = cmd
	go func() { cmd.Wait(); f.Close() }()
	return nil
}

// pid is the running process's id (0 when stopped).
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.Process == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// kill sends SIGKILL to this process only (by PID) and waits for it.
func (p *proc) kill() {
	p.mu.Lock()
	cmd := p.cmd
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	for i := 0; i < 200 && syscall.Kill(cmd.Process.Pid, 0) == nil; i++ {
		time.Sleep(10 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits up to 20 s, then SIGKILL.
func (p *proc) stop() {
	p.mu.Lock()
	cmd := p.cmd
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 400 && syscall.Kill(cmd.Process.Pid, 0) == nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
}

func (p *proc) restart() error {
	p.kill()
	p.mu.Lock()
	p.restarts++
	p.mu.Unlock()
	return p.start()
}

// Cluster is the running installation.
type Cluster struct {
	Dir      string
	Bin      string
	Redis    *testredis.Server
	Sink     *smtpsink.Sink
	Postfix  *testpostfix.Postfix
	Sandboxd *proc
	Milter   *proc
	Proxy    *proc

	ProxyAddr, MilterAddr, SandboxAddr string
	// HoldTimeout is the policy's hold timeout (deadline = hold + this).
	HoldTimeout time.Duration
	// Prefix is the hold queue's Redis key prefix.
	Prefix  string
	keyFile string
}

// buildBinary builds cmd/airlock once into dir.
func buildBinary(t testing.TB, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "airlock")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/airlockmail/airlock/cmd/airlock")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build airlock: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// nodeConfig is one filter node's file: milter or proxy, its own data
// dir, the shared Redis, keys and sandboxd.
const nodeConfig = `data_dir: %[1]s
node: %[2]s
log: {format: json, level: info}
policy:
  internal_networks: [10.99.0.0/16]
  internal_domains: [example.org]
  hold: {timeout: %[3]s, timeout_action: deliver, inline_wait: %[14]s}
sandbox: {url: "http://%[4]s", token_file: %[5]s, timeout: 10s}
holdqueue:
  backend: redis
  key_file: %[6]s
  redis: {addrs: ["%[7]s"], prefix: %[8]s, timeout: 3s}
deliver: {next_hop: "%[9]s", release_key_file: %[10]s, starttls: none, timeout: 15s}
release: {poll: 200ms, retry_min: 500ms, retry_max: 5s, workers: 4, lease: 15s}
milter: {listen: "%[11]s"}
proxy: {listen: "%[12]s", upstream: "%[13]s"}
web: {listen: ""}
ops: {listen: "127.0.0.1:0"}
`

const sandboxdConfig = `data_dir: %s
log: {format: json, level: info}
ops: {listen: "127.0.0.1:0"}
sandboxd: {listen: "%s", store: embedded, workers: 2, analyzer_timeout: 20s, retry_backoff: 200ms}
`

// StartCluster brings up every part and waits until each answers.
func StartCluster(t testing.TB, holdTimeout time.Duration) *Cluster {
	t.Helper()
	dir := testpostfix.SharedDir(t, "airlock-soak-")
	c := &Cluster{Dir: dir, HoldTimeout: holdTimeout, Prefix: "soak"}
	c.Bin = buildBinary(t, dir)
	c.Redis = testredis.Start(t, testredis.Options{AOF: true})
	c.Sink = smtpsink.Start(t, smtpsink.Options{})

	// sandboxd first: it writes the filter token the nodes read.
	c.SandboxAddr = freeAddr(t)
	sdir := filepath.Join(dir, "sandboxd")
	os.MkdirAll(sdir, 0o700)
	scfg := filepath.Join(sdir, "airlock.yaml")
	os.WriteFile(scfg, []byte(fmt.Sprintf(sandboxdConfig, sdir, c.SandboxAddr)), 0o600)
	c.Sandboxd = &proc{name: "sandboxd", bin: c.Bin, args: []string{"sandboxd", "--config", scfg}, log: filepath.Join(dir, "sandboxd.log")}
	if err := c.Sandboxd.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Sandboxd.stop)
	token := filepath.Join(sdir, "sandboxd", "client.token")
	waitFor(t, "sandboxd token and port", 60*time.Second, func() bool {
		_, err := os.Stat(token)
		return err == nil && dialable(c.SandboxAddr)
	})

	// Shared keys: every node seals and signs with the same ones; the
	// first node creates them, so they live in a directory of their own.
	keys := filepath.Join(dir, "keys")
	os.MkdirAll(keys, 0o700)
	c.keyFile = filepath.Join(keys, "holdqueue.key")
	releaseKey := filepath.Join(keys, "release.key")

	milterPort := freeAddr(t)
	c.MilterAddr = milterPort
	c.ProxyAddr = freeAddr(t)
	// Postfix needs its ports before the milter node knows where to
	// re-inject: start Postfix first (it tempfails while the milter is
	// not up yet).
	c.Postfix = testpostfix.Start(t, testpostfix.Options{NextHop: c.Sink.Addr(), Milter: "inet:" + milterPort, Reinject: true,
		Extra: []string{"milter_connect_timeout = 10s", "milter_command_timeout = 60s", "milter_content_timeout = 120s"}})

	mk := func(name, milterListen, proxyListen, nextHop, inlineWait string) *proc {
		ndir := filepath.Join(dir, name)
		os.MkdirAll(ndir, 0o700)
		cfg := filepath.Join(ndir, "airlock.yaml")
		text := fmt.Sprintf(nodeConfig, ndir, name, holdTimeout, c.SandboxAddr, token, c.keyFile, c.Redis.Addr(), c.Prefix,
			nextHop, releaseKey, milterListen, proxyListen, c.Sink.Addr(), inlineWait)
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return &proc{name: name, bin: c.Bin, args: []string{name, "--config", cfg}, log: filepath.Join(dir, name+".log")}
	}
	// Released milter mail goes back into Postfix on its port without
	// the milter; proxy mail to the upstream (the sink). The milter
	// waits inline for verdicts as deployed; the proxy holds every new
	// file at once, so that the release loops carry real work while
	// they are killed.
	c.Milter = mk("milter", "inet:"+milterPort, "", c.Postfix.ReinjectAddr, "2s")
	c.Proxy = mk("proxy", "", c.ProxyAddr, c.Sink.Addr(), "0s")
	// The milter node creates the shared keys; the proxy starts after.
	if err := c.Milter.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Milter.stop)
	waitFor(t, "milter listening", 60*time.Second, func() bool { return dialable(milterPort) })
	if err := c.Proxy.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Proxy.stop)
	waitFor(t, "proxy listening", 60*time.Second, func() bool { return dialable(c.ProxyAddr) })
	return c
}

// Procs are the processes whose memory is sampled.
func (c *Cluster) Procs() map[string]func() int {
	return map[string]func() int{
		"redis":    c.Redis.PID,
		"sandboxd": c.Sandboxd.pid,
		"milter":   c.Milter.pid,
		"proxy":    c.Proxy.pid,
	}
}

// Logs returns every airlock process's log so far.
func (c *Cluster) Logs() string {
	var b strings.Builder
	for _, p := range []*proc{c.Sandboxd, c.Milter, c.Proxy} {
		data, _ := os.ReadFile(p.log)
		b.Write(data)
	}
	return b.String()
}

func dialable(addr string) bool {
	// A bare connect: the milter and sandboxd treat it as a short
	// session that ends at once.
	cn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	cn.Close()
	return true
}

func waitFor(t testing.TB, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("soak: %s: not within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
