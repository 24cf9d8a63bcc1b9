package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

func TestQueueVerbs(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "airlock.yaml")
	os.WriteFile(cf, []byte("data_dir: "+dir+"\nholdqueue:\n  backend: embedded\n"), 0o600)
	cfg, err := config.Load(cf)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := holdqueue.Open(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.Hold(ctx, &holdqueue.NewMessage{
		Envelope: holdqueue.Envelope{MailFrom: "alice@sender.example", RcptTo: []string{"bob@corp.example"}},
		Subject:  "Quarterly invoice",
		Files:    []holdqueue.File{{Path: "inv.zip/inv.exe", SHA256: strings.Repeat("ab", 32), Category: verdict.Executable}},
		Deadline: time.Now().Add(time.Hour),
		Data:     []byte("Subject: Quarterly invoice\r\n\r\nhi\r\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // the embedded store is one process's at a time

	code, out, errOut := runCmd(t, "", "queue", "--config", cf, "ls", "--sender", "sender.example")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Quarterly invoice") || !strings.Contains(out, "pending") {
		t.Fatalf("ls: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCmd(t, "", "queue", "--config", cf, "quarantine", "--reason", "looks odd", id)
	if code != 0 || !strings.Contains(out, "quarantine by admin:") {
		t.Fatalf("quarantine: %d %s", code, out)
	}
	code, out, _ = runCmd(t, "", "queue", "--config", cf, "--json", "show", id)
	var m holdqueue.Message
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil || m.State != holdqueue.Quarantined {
		t.Fatalf("show: %d %s", code, out)
	}
	if last := m.History[len(m.History)-1]; last.Reason != "looks odd" || !strings.HasPrefix(last.Actor, "admin:") {
		t.Fatalf("history %+v", last)
	}
	code, _, _ = runCmd(t, "", "queue", "--config", cf, "quarantine", id)
	if code == 0 {
		t.Fatal("quarantining a quarantined message succeeded")
	}
	code, out, _ = runCmd(t, "", "queue", "--config", cf, "show", id)
	if code != 0 || !strings.Contains(out, "inv.zip/inv.exe") || !strings.Contains(out, "looks odd") {
		t.Fatalf("show text: %d %s", code, out)
	}
	if code, _, _ := runCmd(t, "", "queue", "--config", cf, "ls", "--state", "bogus"); code != 2 {
		t.Fatalf("bad state: exit %d", code)
	}
}
