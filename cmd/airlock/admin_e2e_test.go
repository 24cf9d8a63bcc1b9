package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/adminapi"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// TestAdminVerbsAgainstRunningAll runs `airlock all` on the embedded
// store and drives `queue` and `exclusions` against it: they go through
// its admin API (the store is locked by the process) and their changes
// reach the running gate at once. Then, with the process stopped, the
// same verbs open the store directly.
func TestAdminVerbsAgainstRunningAll(t *testing.T) {
	n := startOpsNode(t)
	cfg := n.cfgPath
	if _, err := os.Stat(filepath.Join(n.dir, adminapi.EndpointFile)); err != nil {
		t.Fatalf("airlock all published no admin endpoint: %v\n%s", err, n.stdout.String())
	}
	eicar := gatetest.Mail("alice@example.net", "bob@example.org", "test virus", gatetest.Part{Name: "eicar.com", Type: "application/octet-stream", Data: gatetest.EICAR})
	sum := sha256.Sum256(gatetest.EICAR)
	eicarSHA := hex.EncodeToString(sum[:])
	c, err := smtp.Dial(n.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.example.net"); err != nil {
		t.Fatal(err)
	}
	// First sight: held (no inline wait), judged malicious, quarantined.
	if code := send(t, c, eicar); code != 250 {
		t.Fatalf("EICAR, first sight: %d, want 250 (held)", code)
	}
	var id string
	for deadline := time.Now().Add(30 * time.Second); id == ""; time.Sleep(100 * time.Millisecond) {
		code, out, errOut := runCmd(t, "", "queue", "ls", "--state", "quarantined", "--json", "--config", cfg)
		if code != 0 {
			t.Fatalf("queue ls: exit %d\n%s", code, errOut)
		}
		if !strings.Contains(errOut, "through the running airlock") {
			t.Fatalf("queue ls did not say it went through the running process: %q", errOut)
		}
		var p holdqueue.Page
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatalf("queue ls --json: %v\n%s", err, out)
		}
		if len(p.Messages) == 1 {
			id = p.Messages[0].ID
		}
		if time.Now().After(deadline) {
			t.Fatalf("EICAR not quarantined:\n%s", n.stderr.String())
		}
	}

	code, out, errOut := runCmd(t, "", "queue", "ls", "--config", cfg)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "quarantined") || !strings.Contains(out, "malicious") {
		t.Errorf("queue ls: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", "queue", "show", id, "--config", cfg)
	if code != 0 || !strings.Contains(out, "eicar.com") || !strings.Contains(out, "malicious") {
		t.Errorf("queue show: %d\n%s", code, out)
	}
	// Flags after the positional argument.
	code, out, errOut = runCmd(t, "", "queue", "release", id, "--reason", "checked by hand", "--config", cfg)
	if code != 0 || !strings.Contains(out, id+": release by admin:") {
		t.Fatalf("queue release: %d\n%s\n%s", code, out, errOut)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	msgs, err := n.sink.Wait(ctx, 1)
	if err != nil {
		t.Fatalf("released message not delivered: %v\n%s", err, n.stderr.String())
	}
	if !strings.Contains(string(msgs[0].Data), "Subject: test virus") {
		t.Errorf("delivered: %s", msgs[0].Data)
	}
	var m holdqueue.Message
	for deadline := time.Now().Add(10 * time.Second); m.State != holdqueue.Delivered; time.Sleep(50 * time.Millisecond) {
		_, out, _ := runCmd(t, "", "queue", "show", "--json", id, "--config", cfg)
		json.Unmarshal([]byte(out), &m)
		if time.Now().After(deadline) {
			t.Fatalf("state %s after release, want delivered", m.State)
		}
	}
	released := false
	for _, e := range m.History {
		released = released || e.Reason == "checked by hand" && strings.HasPrefix(e.Actor, "admin:") && e.State == holdqueue.Releasing
	}
	if !released {
		t.Errorf("release not in the history: %+v", m.History)
	}
	// The store's refusals keep their exit status through the API.
	if code, _, errOut := runCmd(t, "", "queue", "quarantine", id, "--config", cfg); code != 1 || !strings.Contains(errOut, "not allowed") {
		t.Errorf("quarantine of a delivered message: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "queue", "show", "01NOSUCHMESSAGE0000000000", "--config", cfg); code != 1 || !strings.Contains(errOut, "no such message") {
		t.Errorf("show of a missing id: %d %s", code, errOut)
	}

	// Exclusions: before, the known EICAR is refused; the exclusion added
	// through the running process reaches its gate at once.
	if code := send(t, c, eicar); code/100 != 5 {
		t.Fatalf("EICAR before the exclusion: %d, want 5xx", code)
	}
	code, out, errOut = runCmd(t, "", "exclusions", "add", eicarSHA, "--reason", "test file", "--config", cfg)
	if code != 0 || !strings.Contains(errOut, "through the running airlock") || !strings.Contains(out, "allowed by admin:") {
		t.Fatalf("exclusions add: %d\n%s\n%s", code, out, errOut)
	}
	for deadline := time.Now().Add(10 * time.Second); send(t, c, eicar) != 250; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the exclusion did not reach the running gate")
		}
	}
	var list []exclusions.Exclusion
	_, out, _ = runCmd(t, "", "exclusions", "--json", "ls", "--config", cfg)
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0].SHA256 != eicarSHA || list[0].Reason != "test file" {
		t.Errorf("exclusions ls: %v %s", err, out)
	}
	if code, _, errOut := runCmd(t, "", "exclusions", "rm", eicarSHA, "--config", cfg); code != 0 {
		t.Errorf("exclusions rm: %d %s", code, errOut)
	}
	if code, _, errOut := runCmd(t, "", "exclusions", "rm", eicarSHA, "--config", cfg); code != 1 || !strings.Contains(errOut, "not excluded") {
		t.Errorf("exclusions rm twice: %d %s", code, errOut)
	}
	c.Quit()

	// files and submit find the in-process sandboxd, whose port was
	// chosen at start, through the published endpoint.
	code, out, errOut = runCmd(t, "", "files", "show", eicarSHA, "--config", cfg)
	if code != 0 || !strings.Contains(out, "verdict:    malicious") {
		t.Errorf("files show: %d\n%s\n%s", code, out, errOut)
	}
	sample := filepath.Join(t.TempDir(), "eicar.com")
	os.WriteFile(sample, gatetest.EICAR, 0o600)
	code, out, errOut = runCmd(t, "", "submit", sample, "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "malicious") || !strings.Contains(out, eicarSHA) {
		t.Errorf("submit --config: %d\n%s\n%s", code, out, errOut)
	}

	// No process: the verbs open the stores themselves, and say so. The
	// endpoint file went with the process.
	n.stop()
	if _, err := os.Stat(filepath.Join(n.dir, adminapi.EndpointFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin endpoint left after shutdown: %v", err)
	}
	code, out, errOut = runCmd(t, "", "queue", "ls", "--config", cfg)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "delivered") || !strings.Contains(errOut, "opened "+filepath.Join(n.dir, "holdqueue.db")+" directly") {
		t.Errorf("queue ls with no process: %d\n%s\n%s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "", "exclusions", "add", eicarSHA, "--config", cfg); code != 0 || !strings.Contains(errOut, "directly") {
		t.Errorf("exclusions add with no process: %d\n%s\n%s", code, out, errOut)
	}
	// A file left by a process that crashed: nothing answers there, so
	// the verbs open the store.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	if _, err := adminapi.Publish(n.dir, adminapi.Endpoint{URL: "http://" + dead, Token: "stale", PID: 1}); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "", "exclusions", "ls", "--config", cfg); code != 0 || !strings.Contains(out, eicarSHA) || !strings.Contains(errOut, "directly") {
		t.Errorf("exclusions ls with a stale endpoint: %d\n%s\n%s", code, out, errOut)
	}
	// --data-dir points the verbs at a store when the file's data_dir is
	// elsewhere.
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte("data_dir: "+t.TempDir()+"\n"), 0o600)
	if code, out, errOut := runCmd(t, "", "queue", "ls", "--config", other, "--data-dir", n.dir); code != 0 || !strings.Contains(out, id) {
		t.Errorf("queue ls --data-dir: %d\n%s\n%s", code, out, errOut)
	}
}
