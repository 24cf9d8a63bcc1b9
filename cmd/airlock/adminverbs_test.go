package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/api"
)

// runVerb runs one admin verb and returns its stdout.
func runVerb(t *testing.T, fn func(context.Context, *cmdEnv, []string) error, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	err := fn(ctx, &cmdEnv{stdout: &out, stderr: &errb}, args)
	if err != nil && errb.Len() > 0 {
		t.Logf("stderr: %s", errb.String())
	}
	return out.String(), err
}

func TestExclusionsVerb(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		dir := t.TempDir()
		testExclusionsVerb(t, dir, "data_dir: "+dir+"\n")
	})
	t.Run("redis", func(t *testing.T) {
		srv := testredis.Start(t, testredis.Options{AOF: true})
		dir := t.TempDir()
		testExclusionsVerb(t, dir, "data_dir: "+dir+"\nholdqueue: {backend: redis, redis: {addrs: [\""+srv.Addr()+"\"]}}\n")
	})
}

func testExclusionsVerb(t *testing.T, dir, cfgText string) {
	cfg := filepath.Join(dir, "airlock.yaml")
	if err := os.WriteFile(cfg, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	sha := strings.Repeat("ab", 32)
	if _, err := runVerb(t, runExclusions, "--config", cfg, "add", "--reason", "vendor tool", strings.ToUpper(sha)); err != nil {
		t.Fatalf("add: %v", err)
	}
	out, err := runVerb(t, runExclusions, "--config", cfg, "--json", "ls")
	if err != nil {
		t.Fatalf("ls: %v", err)
	}
	var list []exclusions.Exclusion
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if len(list) != 1 || list[0].SHA256 != sha || list[0].Reason != "vendor tool" || !strings.HasPrefix(list[0].Actor, "admin:") {
		t.Fatalf("ls: %+v", list)
	}
	out, err = runVerb(t, runExclusions, "--config", cfg, "ls")
	if err != nil || !strings.Contains(out, sha) || !strings.Contains(out, "vendor tool") {
		t.Errorf("ls text: %v\n%s", err, out)
	}
	if _, err := runVerb(t, runExclusions, "--config", cfg, "rm", sha); err != nil {
		t.Fatalf("rm: %v", err)
	}
	var ee *exitError
	if _, err := runVerb(t, runExclusions, "--config", cfg, "rm", sha); !errors.As(err, &ee) || ee.code != 1 {
		t.Errorf("rm of an absent hash: %v, want exit 1", err)
	}
	if out, _ := runVerb(t, runExclusions, "--config", cfg, "--json", "ls"); strings.TrimSpace(out) != "[]" {
		t.Errorf("ls after rm: %q, want []", out)
	}
	for _, bad := range [][]string{{"add", "nothex"}, {"frobnicate"}, {}} {
		if _, err := runVerb(t, runExclusions, append([]string{"--config", cfg}, bad...)...); !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want exit 2", bad, err)
		}
	}
}

// TestFilesVerb runs a real sandboxd, submits EICAR, and drives
// `airlock files ls|show|reanalyze` against it with the generated token.
func TestFilesVerb(t *testing.T) {
	t.Setenv("AIRLOCK_OPS_LISTEN", "127.0.0.1:0")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandboxd(ctx, &cmdEnv{stdout: pw, stderr: io.Discard}, []string{"--data-dir", dir, "--listen", "127.0.0.1:0"})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandboxd: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	var url, tokenFile, adminFile, opsURL string
	for opsURL == "" && sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "listening on "); i >= 0 {
			url = strings.Fields(line[i+len("listening on "):])[0]
		}
		if rest, ok := strings.CutPrefix(line, "client token: "); ok {
			tokenFile = strings.TrimSuffix(strings.TrimSpace(rest), " (created)")
		}
		if rest, ok := strings.CutPrefix(line, "admin token: "); ok {
			adminFile = strings.TrimSpace(rest)
		}
		if rest, ok := strings.CutPrefix(line, "ops:"); ok {
			opsURL = strings.TrimSuffix(strings.Fields(rest)[0], "/metrics")
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" || tokenFile == "" || adminFile == "" || opsURL == "" {
		t.Fatalf("sandboxd did not print its address and token file")
	}
	evil := filepath.Join(dir, "eicar.com")
	os.WriteFile(evil, []byte(eicar.Signature), 0o600)
	if _, err := runVerb(t, runSubmit, "--url", url, "--token-file", tokenFile, evil); err != nil {
		t.Fatalf("submit: %v", err)
	}
	// The files verbs list and delete: they need the admin token (the
	// filter's client token is refused, sandboxd/auth.go).
	conn := []string{"--url", url, "--token-file", adminFile}

	out, err := runVerb(t, runFiles, append(conn, "--json", "ls")...)
	if err != nil {
		t.Fatalf("files ls: %v", err)
	}
	var page api.ListResponse
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Files) != 1 {
		t.Fatalf("files ls --json: %v\n%s", err, out)
	}
	sha := page.Files[0].SHA256
	if page.Files[0].Verdict != "malicious" {
		t.Errorf("verdict %s, want malicious", page.Files[0].Verdict)
	}
	out, err = runVerb(t, runFiles, append(conn, "ls", "--verdict", "clean")...)
	if err != nil || strings.Contains(out, sha) {
		t.Errorf("ls --verdict clean lists the malicious file: %v\n%s", err, out)
	}
	out, err = runVerb(t, runFiles, append(conn, "show", sha)...)
	if err != nil || !strings.Contains(out, "verdict:    malicious") || !strings.Contains(out, "eicar") {
		t.Errorf("files show: %v\n%s", err, out)
	}
	out, err = runVerb(t, runFiles, append(conn, "--json", "reanalyze", sha)...)
	if err != nil || !strings.Contains(out, `"reanalyze"`) {
		t.Errorf("files reanalyze: %v\n%s", err, out)
	}
	if _, err := runVerb(t, runFiles, append(conn, "show", strings.Repeat("0", 64))...); err == nil {
		t.Error("show of an unknown hash succeeded")
	}
}

// TestSandboxdOpsEndpoints: `airlock sandboxd` serves /readyz (its own API
// answering, store included) and /metrics.
func TestSandboxdOpsEndpoints(t *testing.T) {
	t.Setenv("AIRLOCK_OPS_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runSandboxd(ctx, &cmdEnv{stdout: pw, stderr: io.Discard}, []string{"--data-dir", t.TempDir(), "--listen", "127.0.0.1:0"})
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("sandboxd: %v", err)
		}
	})
	sc := bufio.NewScanner(pr)
	var opsURL string
	for opsURL == "" && sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "ops:"); ok {
			opsURL = strings.TrimSuffix(strings.Fields(rest)[0], "/metrics")
		}
	}
	go io.Copy(io.Discard, pr)
	if opsURL == "" {
		t.Fatal("sandboxd did not print its ops address")
	}
	for path, want := range map[string]string{"/readyz": `"name":"sandboxd","status":"ok"`, "/healthz": "ok", "/metrics": "airlock_panics_recovered_total"} {
		resp, err := http.Get(opsURL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), want) {
			t.Errorf("%s = %d, want 200 with %q:\n%.500s", path, resp.StatusCode, want, b)
		}
	}
}
