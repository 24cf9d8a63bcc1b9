package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/health"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

// opsNode is `airlock all` in proxy mode in front of an SMTP sink, with
// its ops endpoints, admin page and logs at hand.
type opsNode struct {
	t              *testing.T
	cfgPath, dir   string
	sink           *smtpsink.Sink
	proxy, opsAddr string
	stdout, stderr *syncBuffer
	stop           func() // stops airlock all; once only
}

const opsConfig = `data_dir: %s
log: {format: json, level: debug}
policy:
  internal_networks: [10.99.0.0/16]
  internal_domains: [example.org]
  exclusions: {sha256: [%s]}
  hold: {timeout: 30m, timeout_action: deliver, inline_wait: 0s}
milter: {listen: ""}
proxy: {listen: "127.0.0.1:0", upstream: "%s"}
deliver: {next_hop: "%s"}
sandboxd: {listen: "127.0.0.1:0"}
web: {listen: "127.0.0.1:0"}
ops: {listen: "127.0.0.1:0"}
`

func (n *opsNode) writeConfig(excluded string) {
	n.t.Helper()
	text := fmt.Sprintf(opsConfig, n.dir, excluded, n.sink.Addr(), n.sink.Addr())
	if err := os.WriteFile(n.cfgPath, []byte(text), 0o600); err != nil {
		n.t.Fatal(err)
	}
}

func startOpsNode(t *testing.T) *opsNode {
	t.Helper()
	dir := t.TempDir()
	n := &opsNode{t: t, dir: dir, cfgPath: filepath.Join(dir, "airlock.yaml"), sink: smtpsink.Start(t, smtpsink.Options{}),
		stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	n.writeConfig("")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runMailPath(ctx, &cmdEnv{stdout: n.stdout, stderr: n.stderr}, "all", []string{"--config", n.cfgPath})
	}()
	n.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("airlock all: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("airlock all did not stop")
		}
	})
	t.Cleanup(n.stop)
	proxyRe := regexp.MustCompile(`proxy:\s+(\S+) ->`)
	opsRe := regexp.MustCompile(`ops:\s+http://(\S+)/metrics`)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out := n.stdout.String()
		if m, o := proxyRe.FindStringSubmatch(out), opsRe.FindStringSubmatch(out); m != nil && o != nil && strings.Contains(out, "web:") {
			n.proxy, n.opsAddr = m[1], o[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("airlock all did not start:\n%s\n%s", out, n.stderr.String())
		}
	}
	return n
}

// send runs one transaction on an open SMTP client; the reply code is 250
// or the server's error code.
func send(t *testing.T, c *smtp.Client, msg []byte) int {
	t.Helper()
	if err := c.Reset(); err != nil {
		t.Fatalf("RSET: %v (connection dropped?)", err)
	}
	err := c.SendMail("alice@example.net", []string{"bob@example.org"}, strings.NewReader(string(msg)))
	if err == nil {
		return 250
	}
	if se, ok := err.(*smtp.SMTPError); ok {
		return se.Code
	}
	t.Fatalf("send: %v (connection dropped?)", err)
	return 0
}

func (n *opsNode) get(path string) (int, string) {
	n.t.Helper()
	resp, err := http.Get("http://" + n.opsAddr + path)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// metric reads one sample from a scrape ("name{labels}" exactly as
// exposed, labels sorted by name); -1 when absent.
func metric(scrape, series string) float64 {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err == nil {
				return f
			}
		}
	}
	return -1
}

// TestOpsEndToEnd drives `airlock all` (proxy mode, real sandboxd, real
// store, real SMTP sink) through each decision, then checks: /metrics
// counts each of them; /readyz is ready; the logs never carry the body
// text or the admin password; and SIGHUP with a new exclusion changes the
// next decision on an SMTP connection that stays open across the reload.
func TestOpsEndToEnd(t *testing.T) {
	n := startOpsNode(t)
	const secret = "Quarterly-merger-codeword-PINEAPPLE-7731"
	plain := []byte("From: <alice@example.net>\r\nTo: <bob@example.org>\r\nSubject: plans\r\nMessage-ID: <p1@test.example>\r\n\r\n" + secret + "\r\n")
	pdf := gatetest.Mail("alice@example.net", "bob@example.org", "held doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()})
	eicar := gatetest.Mail("alice@example.net", "bob@example.org", "test virus", gatetest.Part{Name: "eicar.com", Type: "application/octet-stream", Data: gatetest.EICAR})
	sum := sha256.Sum256(gatetest.EICAR)
	eicarSHA := hex.EncodeToString(sum[:])

	a, err := smtp.Dial(n.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	if code := send(t, a, plain); code != 250 {
		t.Fatalf("plain message: %d", code)
	}
	b, err := smtp.Dial(n.proxy)
	if err != nil {
		t.Fatal(err)
	}
	b.Hello("client.example.net")
	if code := send(t, b, pdf); code != 250 {
		t.Fatalf("pdf message: %d", code)
	}
	b.Quit()
	// First sight of EICAR: held (no inline wait), judged
	// malicious, quarantined. Known now, the next copy is rejected at once.
	if code := send(t, a, eicar); code != 250 {
		t.Fatalf("EICAR, first sight: %d, want 250 (held)", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := n.sink.Wait(ctx, 2); err != nil {
		t.Fatalf("plain and released pdf not delivered: %v\n%s", err, n.stderr.String())
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, sc := n.get("/metrics")
		if metric(sc, "airlock_held_messages") == 0 && metric(sc, `airlock_holdqueue_messages{state="quarantined"}`) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("EICAR not quarantined:\n%s", grepLines(sc, "airlock_hold"))
		}
	}
	if code := send(t, a, eicar); code/100 != 5 {
		t.Fatalf("EICAR before the exclusion: %d, want a 5xx reject", code)
	}

	// SIGHUP with the EICAR hash now excluded in the file: the next
	// message on the same connection is delivered.
	n.writeConfig(eicarSHA)
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(n.stderr.String(), "SIGHUP: policy and exclusions reloaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no reload logged:\n%s", n.stderr.String())
		}
	}
	if code := send(t, a, eicar); code != 250 {
		t.Fatalf("EICAR after SIGHUP with its hash excluded: %d, want 250", code)
	}
	if _, err := n.sink.Wait(ctx, 3); err != nil {
		t.Fatalf("excluded EICAR not delivered: %v", err)
	}
	// A broken file is refused whole; the running policy stays.
	os.WriteFile(n.cfgPath, []byte("policy: {hold: {timeout: -1s}}\n"), 0o600)
	syscall.Kill(syscall.Getpid(), syscall.SIGHUP)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(n.stderr.String(), "configuration not reloaded"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("bad config not refused:\n%s", n.stderr.String())
		}
	}
	if code := send(t, a, eicar); code != 250 {
		t.Fatalf("after a refused reload the exclusion was lost: %d", code)
	}
	a.Quit()
	if _, err := n.sink.Wait(ctx, 4); err != nil {
		t.Fatal(err)
	}

	// /metrics after the run.
	code, scrape := n.get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	hop := n.sink.Addr()
	for _, c := range []struct {
		series string
		min    float64
		max    float64
	}{
		{`airlock_messages_total{decision="deliver"}`, 3, 3}, // plain + EICAR twice after the reload
		{`airlock_messages_total{decision="hold"}`, 2, 2},    // pdf, EICAR first sight
		{`airlock_messages_total{decision="reject"}`, 1, 1},
		{`airlock_held_messages`, 0, 0},
		{`airlock_oldest_held_age_seconds`, 0, 0},
		{`airlock_hold_duration_seconds_count`, 1, 1},
		{`airlock_verdict_latency_seconds_count`, 2, 2},
		{`airlock_release_latency_seconds_count`, 1, 1},
		{`airlock_sandbox_up`, 1, 1},
		{`airlock_sandbox_lookups_total{result="unknown"}`, 1, 10},
		{`airlock_sandbox_lookups_total{result="error"}`, 0, 0},
		{`airlock_sandbox_uploads_total{result="ok"}`, 2, 2},
		{`airlock_sandbox_uploads_total{result="error"}`, 0, 0},
		{`airlock_deliveries_total{next_hop="` + hop + `",result="ok"}`, 1, 1},
		{`airlock_store_durable`, 1, 1},
		{`airlock_panics_recovered_total{component="proxy"}`, 0, 0},
		{`airlock_panics_recovered_total{component="gate"}`, 0, 0},
		{`airlock_release_results_total{result="delivered"}`, 1, 1},
	} {
		if got := metric(scrape, c.series); got < c.min || got > c.max {
			t.Errorf("%s = %v, want %v..%v", c.series, got, c.min, c.max)
		}
	}
	if strings.Contains(scrape, "airlock_store_errors_total{") {
		t.Errorf("store errors reported:\n%s", grepLines(scrape, "store_errors"))
	}
	if t.Failed() {
		t.Log(grepLines(scrape, "airlock_"))
	}

	code, body := n.get("/readyz")
	var rep health.Report
	if err := json.Unmarshal([]byte(body), &rep); code != 200 || err != nil || !rep.Ready || len(rep.Checks) != 2 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if code, _ := n.get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}

	// Logs: the body text and the admin password never appear; every
	// decision line about a held message carries its queue id.
	pw, err := os.ReadFile(filepath.Join(n.dir, "initial-admin-password"))
	if err != nil {
		t.Fatalf("admin password file: %v", err)
	}
	logs := n.stderr.String() + n.stdout.String()
	for what, s := range map[string]string{"body text": secret, "admin password": strings.TrimSpace(string(pw))} {
		if len(s) < 8 {
			t.Fatalf("%s too short to search for: %q", what, s)
		}
		if strings.Contains(logs, s) {
			t.Errorf("the logs carry the %s", what)
		}
	}
	// One decision line per message, with the envelope summary, files,
	// verdicts and action: 2 held, 1 rejected, 3 delivered.
	for re, want := range map[string]int{
		`"msg":"decision","queue_id":"[^"]+"[^\n]*"from":"alice@example.net"[^\n]*"files":\["[0-9a-f]{16} document[^\n]*"action":"hold"`: 1,
		`"msg":"decision","queue_id":"[^"]+"[^\n]*"files":\["[0-9a-f]{16} executable[^\n]*"action":"hold"`:                               1,
		`"msg":"decision"[^\n]*"files":\["[0-9a-f]{16} executable malicious"\][^\n]*"worst":"malicious","action":"reject"`:               1,
		`"msg":"decision"[^\n]*"action":"deliver"`: 3,
	} {
		if got := len(regexp.MustCompile(re).FindAllString(logs, -1)); got != want {
			t.Errorf("%d decision lines match %s, want %d", got, re, want)
		}
	}
	if t.Failed() {
		t.Log(grepLines(logs, `"msg":"decision"`))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
