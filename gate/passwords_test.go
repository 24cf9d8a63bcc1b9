package gate_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/syncbuf"
	"github.com/airlockmail/airlock/metrics"
	"github.com/airlockmail/airlock/metrics/instrument"
	"github.com/airlockmail/airlock/policy"
)

type lockedBuffer = syncbuf.Buffer

// TestPasswordNeverLeaves: a protected zip opened with the password from
// the mail text. The password appears nowhere but in the message itself:
// not in any log line (debug level), not in the metrics, not in the hold
// queue's stored fields, not in a byte sent to sandboxd.
func TestPasswordNeverLeaves(t *testing.T) {
	const password = "Quokka-93517"
	dir := t.TempDir()
	if err := exec.Command("sh", "-c", fmt.Sprintf("cd %s && printf '%%s' 'var s=new ActiveXObject(\"WScript.Shell\");s.Run(\"calc\")' > a.js && zip -q -P %s a.zip a.js", dir, password)).Run(); err != nil {
		t.Fatalf("zip -P: %v", err)
	}
	z, err := os.ReadFile(filepath.Join(dir, "a.zip"))
	if err != nil {
		t.Fatal(err)
	}

	var logs, wire lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0 // held: the stored fields are checked too
	e := gatetest.Start(t, gatetest.Options{Config: &c, Log: log, SandboxWire: &wire})
	reg := prometheus.NewRegistry()
	d := instrument.NewTrack(metrics.New(reg)).LogDecisions(log).Decider(e.Gate)

	var msg bytes.Buffer
	fmt.Fprintf(&msg, "From: <a@example.net>\r\nTo: <b@example.org>\r\nSubject: invoice\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nDas Passwort lautet: %s\r\n--x\r\nContent-Type: application/zip; name=a.zip\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n--x--\r\n",
		password, base64.StdEncoding.EncodeToString(z))
	dec, err := d.Decide(context.Background(), &gate.Message{Envelope: policy.Envelope{ClientAddr: netip.MustParseAddr("192.0.2.7"),
		MailFrom: "a@example.net", RcptTo: []string{"b@example.org"}}, Data: msg.Bytes()})
	if err != nil {
		t.Fatal(err)
	}
	if dec.Unlocked != 1 || dec.QueueID == "" {
		t.Fatalf("decision %+v: the zip was not opened, or not held", dec)
	}
	m, err := e.Store.Get(context.Background(), dec.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	if body, err := e.Store.Body(context.Background(), dec.QueueID); err != nil || !strings.Contains(string(body), password) {
		t.Fatalf("the stored message lost its body: %v", err)
	}
	stored, _ := json.Marshal(m) // every field but the message itself
	var scraped bytes.Buffer
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		fmt.Fprintln(&scraped, mf.String())
	}
	for where, text := range map[string]string{"logs": logs.String(), "metrics": scraped.String(),
		"hold queue fields": string(stored), "sandboxd requests": wire.String()} {
		if text == "" {
			t.Errorf("%s: nothing captured", where)
		}
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s", where)
		}
	}
	if !strings.Contains(wire.String(), "PUT /v1/files/") {
		t.Error("the zip's member was never uploaded: the test saw no sandboxd traffic worth checking")
	}
	var held holdqueue.Message
	json.Unmarshal(stored, &held)
	if !strings.Contains(held.History[0].Reason, "opened with a password found in the message") {
		t.Errorf("history: %+v", held.History)
	}
}
