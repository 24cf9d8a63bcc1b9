package gate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver/releasehdr"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/verdict"
)

func external(rcpt ...string) policy.Envelope {
	if len(rcpt) == 0 {
		rcpt = []string{"bob@example.org"}
	}
	return policy.Envelope{ClientAddr: netip.MustParseAddr("192.0.2.10"), Helo: "mx.example.net",
		MailFrom: "alice@example.net", RcptTo: rcpt}
}

func decide(t *testing.T, e *gatetest.Env, env policy.Envelope, data []byte) (*gate.Decision, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.Gate.Decide(ctx, &gate.Message{Envelope: env, Data: data, Mode: holdqueue.ModeMilter})
}

func mustDecide(t *testing.T, e *gatetest.Env, env policy.Envelope, data []byte) *gate.Decision {
	t.Helper()
	d, err := decide(t, e, env, data)
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return d
}

func headerValue(d *gate.Decision, name string) string {
	for _, h := range d.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// TestDecisions runs the main cases against one back end.
func TestDecisions(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{})
	from, to := "alice@example.net", "bob@example.org"
	tests := []struct {
		name    string
		env     policy.Envelope
		msg     []byte
		action  gate.Action
		scanned bool
		worst   verdict.Verdict
	}{
		{"plain", external(), gatetest.Mail(from, to, "hi"), gate.Deliver, true, verdict.Unknown},
		{"image only", external(), gatetest.Mail(from, to, "pic", gatetest.Part{Name: "a.png", Type: "image/png", Data: gatetest.PNG}), gate.Deliver, true, verdict.Unknown},
		{"unknown pdf judged inline", external(), gatetest.Mail(from, to, "doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}), gate.Deliver, true, verdict.Clean},
		{"eicar three levels down", external(), gatetest.NestedEICAR(from, to), gate.Reject, true, verdict.Malicious},
		{"internal network", policy.Envelope{ClientAddr: netip.MustParseAddr("10.99.1.2"), MailFrom: from, RcptTo: []string{to}}, gatetest.NestedEICAR(from, to), gate.Deliver, false, verdict.Unknown},
		{"authenticated", policy.Envelope{ClientAddr: netip.MustParseAddr("192.0.2.1"), AuthUser: "alice", MailFrom: from, RcptTo: []string{to}}, gatetest.NestedEICAR(from, to), gate.Deliver, false, verdict.Unknown},
		{"encrypted-looking corrupt zip is unscannable", external(), gatetest.Mail(from, to, "zip", gatetest.Part{Name: "x.zip", Type: "application/zip", Data: []byte("PK\x03\x04\x14\x00\x01\x00broken")}), gate.Quarantine, true, verdict.Unscannable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDecide(t, e, tc.env, tc.msg)
			if d.Action != tc.action || d.Scanned != tc.scanned || d.Worst != tc.worst {
				t.Fatalf("got %s scanned=%v worst=%s (%s), want %s scanned=%v worst=%s; files %+v",
					d.Action, d.Scanned, d.Worst, d.Reason, tc.action, tc.scanned, tc.worst, d.Files)
			}
			switch d.Action {
			case gate.Deliver:
				if headerValue(d, "X-Airlock-Verdict") == "" {
					t.Errorf("no verdict header: %+v", d.Headers)
				}
			case gate.Reject:
				if d.Reply == nil || d.Reply.Code != 550 {
					t.Errorf("reply %+v", d.Reply)
				}
			case gate.Quarantine:
				m := e.WaitState(d.QueueID, holdqueue.Quarantined, 5*time.Second)
				if len(m.History) == 0 {
					t.Error("no history")
				}
			}
		})
	}
}

// TestHoldThenVerdict: with no inline wait the message is held, and the
// verdict event reaches the held copy.
func TestHoldThenVerdict(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	doc := gatetest.PDF()
	d := mustDecide(t, e, external(), gatetest.Mail("a@example.net", "b@example.org", "doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: doc}))
	if d.Action != gate.Hold || d.QueueID == "" || len(d.Pending) != 1 {
		t.Fatalf("want hold with one pending file, got %s %q %v", d.Action, d.QueueID, d.Pending)
	}
	waitFiles(t, e, d.QueueID, 10*time.Second)
}

func waitFiles(t *testing.T, e *gatetest.Env, id string, timeout time.Duration) *holdqueue.Message {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m, err := e.Store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Pending() {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("files still pending after %s: %+v", timeout, m.Files)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestSandboxDown: mail is held while sandboxd is down; when it comes
// back the files are uploaded from the held copy and judged.
func TestSandboxDown(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{NoSandbox: true})
	msg := gatetest.Mail("a@example.net", "b@example.org", "doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()})
	d := mustDecide(t, e, external(), msg)
	if d.Action != gate.Hold {
		t.Fatalf("want hold while sandboxd is down, got %s (%s)", d.Action, d.Reason)
	}
	e.StartSandbox()
	m := waitFiles(t, e, d.QueueID, 15*time.Second)
	if m.Worst() != verdict.Clean {
		t.Errorf("worst %s", m.Worst())
	}
}

// TestStoreUnwritable: no store, no promise: a temporary failure.
func TestStoreUnwritable(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	e.BreakStore()
	_, err := decide(t, e, external(), gatetest.Mail("a@example.net", "b@example.org", "doc", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	var ge *gate.Error
	if !errors.As(err, &ge) || !ge.Temporary() || ge.Code != 451 {
		t.Fatalf("want a 451 *gate.Error, got %v", err)
	}
}

// TestReleaseHeaderPassesOnce: a valid release header passes the message
// unscanned once, on any node sharing the hold queue; a replay is scanned;
// the next delivery attempt (a new header) passes again; a header for
// another body, or for a message the queue does not know, is not trusted.
func TestReleaseHeaderPassesOnce(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{})
	ctx := context.Background()
	msg := gatetest.NestedEICAR("a@example.net", "b@example.org")
	id, err := e.Store.Hold(ctx, &holdqueue.NewMessage{Node: "test", Mode: holdqueue.ModeMilter,
		Envelope: holdqueue.Envelope{MailFrom: "a@example.net", RcptTo: []string{"b@example.org"}},
		Data:     msg, Deadline: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	sign := func(id string, exp time.Time, m []byte) []byte {
		val := releasehdr.Sign(e.ReleaseKey, id, releasehdr.BodyDigest(m), exp)
		return append([]byte(releasehdr.Field+": "+val+"\r\n"), m...)
	}
	exp := time.Now().Add(time.Hour)
	signed := sign(id, exp, msg)

	if d := mustDecide(t, e, external(), signed); d.Action != gate.Deliver || d.Scanned || d.QueueID != id {
		t.Fatalf("first pass: %s scanned=%v queue id %q (%s)", d.Action, d.Scanned, d.QueueID, d.Reason)
	}
	if d := mustDecide(t, e, external(), signed); d.Action != gate.Reject {
		t.Fatalf("replay: want reject after scanning, got %s (%s)", d.Action, d.Reason)
	}
	// Another node on the same hold queue has heard of the first pass.
	other := e.NewGate("node-2")
	if d, err := other.Decide(ctx, &gate.Message{Envelope: external(), Data: signed, Mode: holdqueue.ModeMilter}); err != nil || d.Action != gate.Reject {
		t.Fatalf("replay on another node: want reject, got %v %+v", err, d)
	}
	// The release loop's next attempt signs a new header: it passes.
	if d := mustDecide(t, e, external(), sign(id, exp.Add(time.Minute), msg)); d.Action != gate.Deliver || d.Scanned {
		t.Fatalf("next attempt: %s scanned=%v (%s)", d.Action, d.Scanned, d.Reason)
	}
	m, err := e.Store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	passes := 0
	for _, ev := range m.History {
		if strings.Contains(ev.Reason, "release header") {
			passes++
		}
	}
	if passes != 2 {
		t.Errorf("history records %d passes, want 2: %+v", passes, m.History)
	}

	moved := sign(id, exp.Add(2*time.Minute), msg)
	moved = append(moved[:bytes.Index(moved, []byte("\r\n"))+2], gatetest.NestedEICAR("a@example.net", "c@example.org")...)
	if d := mustDecide(t, e, external(), moved); d.Action != gate.Reject {
		t.Fatalf("moved header: want reject, got %s (%s)", d.Action, d.Reason)
	}
	if d := mustDecide(t, e, external(), sign("01JUNKJUNKJUNKJUNKJUNKJUNK", exp, msg)); d.Action != gate.Reject {
		t.Fatalf("unknown queue id: want reject, got %s (%s)", d.Action, d.Reason)
	}
}

// TestMaliciousQuarantinePolicy: actions.malicious=quarantine stores the
// mail in quarantine instead of refusing it.
func TestMaliciousQuarantinePolicy(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Actions.Malicious = config.ActionQuarantine
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	d := mustDecide(t, e, external(), gatetest.NestedEICAR("a@example.net", "b@example.org"))
	if d.Action != gate.Quarantine {
		t.Fatalf("got %s", d.Action)
	}
	m := e.WaitState(d.QueueID, holdqueue.Quarantined, 5*time.Second)
	found := false
	for _, f := range m.Files {
		// The nested zip or eicar.com itself, whichever verdict came first:
		// one malicious file is enough to act.
		if strings.Contains(f.Path, "inner.zip") && f.Verdict == verdict.Malicious {
			found = true
		}
	}
	if !found {
		t.Errorf("no malicious file recorded: %+v", m.Files)
	}
}

// TestRetroAlert: a delivered message whose document is later judged
// malicious (sandboxd restarted with the hash on its list: a new engine,
// re-analysis, a reclassification event) is flagged and posted to the
// webhook.
func TestRetroAlert(t *testing.T) {
	type arrival struct {
		a  gate.Alert
		at time.Time
	}
	got := make(chan arrival, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a gate.Alert
		if err := json.Unmarshal(b, &a); err != nil {
			t.Errorf("webhook body: %v: %s", err, b)
		}
		got <- arrival{a, time.Now()}
	}))
	defer hook.Close()
	e := gatetest.Start(t, gatetest.Options{Webhook: hook.URL})
	doc := gatetest.PDF()
	d := mustDecide(t, e, external("bob@example.org", "carol@example.org"),
		gatetest.Mail("a@example.net", "bob@example.org", "report", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: doc}))
	if d.Action != gate.Deliver || d.Worst != verdict.Clean {
		t.Fatalf("got %s %s", d.Action, d.Worst)
	}
	sha := ""
	for _, f := range d.Files {
		if strings.HasSuffix(f.Path, "r.pdf") {
			sha = f.SHA256
		}
	}
	e.Reclassify(sha)
	select {
	case ar := <-got:
		a := ar.a
		// Reported, not asserted (no timing assertions in tests): the
		// issue asks for under a second from publication to webhook.
		t.Logf("reclassification published %s, webhook received %s later", a.Published.Format(time.RFC3339Nano), ar.at.Sub(a.Published))
		if a.Published.IsZero() {
			t.Error("alert without the publication time")
		}
		if a.SHA256 != sha || !a.Verdict.AtLeast(verdict.Suspicious) || len(a.Message.RcptTo) != 2 || a.Message.Subject != "report" {
			t.Errorf("alert %+v", a)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no alert reached the webhook")
	}
	if n := len(e.Alerts.List()); n != 1 {
		t.Errorf("%d alerts listed", n)
	}
}

// TestRetentionNeverClampsDocuments: with sandbox.retention never, a
// document is uploaded with 30d (sandboxd refuses "never" for documents,
// which used to leave the mail held to its deadline and delivered
// unjudged), and a script keeps "never".
func TestRetentionNeverClampsDocuments(t *testing.T) {
	c := gatetest.TestConfig()
	c.Sandbox.Retention = "never"
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	script := []byte("WScript.Echo(\"retention test " + t.Name() + "\")\r\n")
	msg := gatetest.Mail("alice@example.net", "bob@example.org", "retention",
		gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()},
		gatetest.Part{Name: "run.js", Type: "application/octet-stream", Data: script})
	d := mustDecide(t, e, external(), msg)
	if d.Action != gate.Deliver || len(d.Pending) != 0 {
		t.Fatalf("decision %s (%s), pending %v: the files were not judged inline", d.Action, d.Reason, d.Pending)
	}
	want := map[verdict.Category]string{verdict.Document: "30d", verdict.Script: "never"}
	for _, f := range d.Files {
		w, ok := want[f.Category]
		if !ok {
			continue
		}
		delete(want, f.Category)
		if f.Verdict == verdict.Unknown {
			t.Errorf("%s: no verdict", f.Path)
		}
		info, err := e.Client.Get(context.Background(), f.SHA256)
		if err != nil {
			t.Fatalf("%s: %v", f.Path, err)
		}
		if string(info.Retention) != w {
			t.Errorf("%s (%s): retention %s, want %s", f.Path, f.Category, info.Retention, w)
		}
	}
	if len(want) != 0 {
		t.Errorf("categories not seen: %v", want)
	}
}
