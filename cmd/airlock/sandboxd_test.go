package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
)

// `airlock sandboxd` with no config starts on a fresh data dir, creates
// the token and key and says where; `airlock submit` uses that token to
// get verdicts.
func TestSandboxdAndSubmit(t *testing.T) {
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
	var url, tokenFile string
	for sc.Scan() && (url == "" || tokenFile == "" || !strings.HasPrefix(sc.Text(), "sample key")) {
		line := sc.Text()
		if i := strings.Index(line, "listening on "); i >= 0 {
			url = strings.Fields(line[i+len("listening on "):])[0]
		}
		if rest, ok := strings.CutPrefix(line, "client token: "); ok {
			tokenFile = strings.TrimSuffix(strings.TrimSpace(rest), " (created)")
		}
		if strings.HasPrefix(line, "sample key") && !strings.Contains(line, "(created)") {
			t.Errorf("key not reported as created: %q", line)
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" || tokenFile == "" {
		t.Fatalf("sandboxd did not print its address and token file (url %q, token %q)", url, tokenFile)
	}
	if _, err := os.Stat(filepath.Join(dir, "sandboxd", "sample.key")); err != nil {
		t.Errorf("no sample key under the data dir: %v", err)
	}

	evil := filepath.Join(dir, "eicar.com")
	fine := filepath.Join(dir, "note.txt")
	os.WriteFile(evil, []byte(eicar.Signature), 0o600)
	os.WriteFile(fine, []byte("nothing to see"), 0o600)
	var out bytes.Buffer
	sctx, scancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer scancel()
	err := runSubmit(sctx, &cmdEnv{stdout: &out, stderr: os.Stderr}, []string{"--url", url, "--token-file", tokenFile, "--json", evil, fine})
	if err != nil {
		t.Fatal(err)
	}
	var res []submitted
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("submit --json: %v\n%s", err, out.String())
	}
	if len(res) != 2 || res[0].Verdict != "malicious" || res[1].Verdict != "clean" || !res[0].Uploaded {
		t.Fatalf("verdicts: %+v", res)
	}
	// Second time: known, no upload, text output.
	out.Reset()
	if err := runSubmit(sctx, &cmdEnv{stdout: &out, stderr: os.Stderr}, []string{"--url", url, "--token-file", tokenFile, evil}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "malicious") || !strings.Contains(out.String(), "eicar/eicar-test-file") {
		t.Errorf("text output:\n%s", out.String())
	}
}
