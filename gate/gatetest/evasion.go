package gatetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/altparsers"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

// EvasionMessage is one message of extract's evasion corpus
// (extract/testdata/evasion, written by its generator).
type EvasionMessage struct {
	File   string `json:"file"`
	Name   string `json:"name"`
	Family string `json:"family"`
	Twin   bool   `json:"twin"`
	// SHA256 is the payload's hash.
	SHA256 string `json:"payload_sha256"`
	// Tag is unique to the message (its subject), to find it at the sink
	// and in the hold queue whatever became of its line ends.
	Tag  string `json:"-"`
	Data []byte `json:"-"`
}

// EvasionCorpus loads the corpus from the module's extract/testdata.
func EvasionCorpus(t testing.TB) []EvasionMessage {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = up
	}
	dir = filepath.Join(dir, "extract", "testdata", "evasion")
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ms []EvasionMessage
	if err := json.Unmarshal(b, &ms); err != nil {
		t.Fatal(err)
	}
	for i := range ms {
		if ms[i].Data, err = os.ReadFile(filepath.Join(dir, ms[i].File)); err != nil {
			t.Fatal(err)
		}
		ms[i].Tag = "evasion-" + strings.TrimSuffix(ms[i].File, ".eml")
		if !bytes.Contains(ms[i].Data, []byte(ms[i].Tag)) {
			t.Fatalf("%s does not carry its tag %q", ms[i].File, ms[i].Tag)
		}
	}
	if len(ms) < 30 {
		t.Fatalf("evasion corpus has %d messages", len(ms))
	}
	return ms
}

// SendBatch sends every message in one SMTP session to addr, each as its
// own transaction, byte for byte: only dot-stuffing is applied, line ends
// are left as the message has them (bare CR and LF included), as a hostile
// sender would. It returns the server's reply to each message's data ("" when the
// transaction failed earlier, with that reply in its place).
func SendBatch(t testing.TB, addr, from, to string, msgs [][]byte) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	reply := func() string {
		var all []string
		for {
			c.SetReadDeadline(time.Now().Add(120 * time.Second))
			l, err := r.ReadString('\n')
			if err != nil {
				return "read error: " + err.Error()
			}
			all = append(all, strings.TrimRight(l, "\r\n"))
			if len(l) < 4 || l[3] != '-' {
				return strings.Join(all, " / ")
			}
		}
	}
	cmd := func(s string) string {
		c.SetWriteDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "%s\r\n", s)
		return reply()
	}
	if g := reply(); !strings.HasPrefix(g, "220") {
		t.Fatalf("greeting %q", g)
	}
	if e := cmd("EHLO sender.example.net"); !strings.HasPrefix(e, "250") {
		t.Fatalf("EHLO: %q", e)
	}
	out := make([]string, len(msgs))
	for i, m := range msgs {
		if rp := cmd("MAIL FROM:<" + from + ">"); !strings.HasPrefix(rp, "250") {
			out[i] = "MAIL: " + rp
			cmd("RSET")
			continue
		}
		if rp := cmd("RCPT TO:<" + to + ">"); !strings.HasPrefix(rp, "250") {
			out[i] = "RCPT: " + rp
			cmd("RSET")
			continue
		}
		if rp := cmd("DATA"); !strings.HasPrefix(rp, "354") {
			out[i] = "DATA: " + rp
			cmd("RSET")
			continue
		}
		c.SetWriteDeadline(time.Now().Add(60 * time.Second))
		c.Write(dotStuff(m))
		out[i] = reply()
	}
	cmd("QUIT")
	return out
}

// dotStuff doubles a '.' that starts a line (after LF, the line end every
// SMTP server reads) and ends the data with CRLF . CRLF.
func dotStuff(m []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(m) + 16)
	for i, c := range m {
		if c == '.' && (i == 0 || m[i-1] == '\n') {
			b.WriteByte('.')
		}
		b.WriteByte(c)
	}
	switch {
	case bytes.HasSuffix(m, []byte("\r\n")):
	case bytes.HasSuffix(m, []byte("\r")):
		// Not "\r" + "\r\n": go-smtp v0.25.1's data reader misses the
		// end of data after CR CR LF and waits for more.
		b.WriteString("\n")
	default:
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.Bytes()
}

// EvasionFate is what became of one message.
type EvasionFate struct {
	Msg     EvasionMessage
	Reply   string // the reply to its data
	Sink    []byte // the copy the sink received, if any
	Verdict string // its X-Airlock-Verdict
	State   holdqueue.State
}

// Final reports whether nothing more will happen to the message.
func (f EvasionFate) Final() bool {
	switch {
	case f.Sink != nil:
		return true
	case !strings.HasPrefix(f.Reply, "250"):
		return true // refused: the sender keeps it
	case f.State == holdqueue.Quarantined || f.State == holdqueue.Failed || f.State == holdqueue.Deleted:
		return true
	}
	return false
}

// String is one line for a test log.
func (f EvasionFate) String() string {
	switch {
	case f.Sink != nil:
		return fmt.Sprintf("%s: delivered, verdict %q", f.Msg.File, f.Verdict)
	case !strings.HasPrefix(f.Reply, "250"):
		return fmt.Sprintf("%s: refused %q", f.Msg.File, f.Reply)
	case f.State != "":
		return fmt.Sprintf("%s: %s in the hold queue", f.Msg.File, f.State)
	}
	return fmt.Sprintf("%s: accepted (%q), not seen since", f.Msg.File, f.Reply)
}

// EvasionFates waits (up to timeout) until every message's fate is final
// and returns them: delivered to the sink (with its verdict header),
// refused at SMTP, or quarantined in the hold queue.
func (e *Env) EvasionFates(sink *smtpsink.Sink, ms []EvasionMessage, replies []string, timeout time.Duration) []EvasionFate {
	e.T.Helper()
	fates := make([]EvasionFate, len(ms))
	deadline := time.Now().Add(timeout)
	for {
		held := e.heldByTag(ms)
		sunk := sink.Messages()
		done := true
		for i, m := range ms {
			f := EvasionFate{Msg: m, Reply: replies[i], State: held[m.Tag]}
			// The MTA may rewrite a message past recognition (Postfix
			// parses a CR-only message as one long From: field): its
			// queue id, from the reply, finds it by its Received field.
			qid := ""
			if k := strings.Index(replies[i], "queued as "); k >= 0 {
				if f := strings.Fields(replies[i][k+len("queued as "):]); len(f) > 0 {
					qid = f[0]
				}
			}
			for _, s := range sunk {
				if containsTag(s.Data, m.Tag) || qid != "" && bytes.Contains(s.Data, []byte("ESMTP id "+qid+"\r\n")) {
					f.Sink = s.Data
					f.Verdict = verdictOf(s.Data)
				}
			}
			fates[i] = f
			done = done && f.Final()
		}
		if done || time.Now().After(deadline) {
			return fates
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// containsTag finds the tag followed by a character that cannot continue
// it ("evasion-01-a" must not match "evasion-01-a-twin").
func containsTag(data []byte, tag string) bool {
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte(tag))
		if i < 0 {
			return false
		}
		j := off + i + len(tag)
		if j >= len(data) || data[j] == '\r' || data[j] == '\n' || data[j] == ' ' {
			return true
		}
		off = j
	}
}

func verdictOf(data []byte) string {
	for _, h := range HeaderOf(data) {
		if strings.HasPrefix(strings.ToLower(h), "x-airlock-verdict:") {
			return strings.TrimSpace(h[len("x-airlock-verdict:"):])
		}
	}
	return ""
}

// heldByTag maps each tag to the state of the held message carrying it.
func (e *Env) heldByTag(ms []EvasionMessage) map[string]holdqueue.State {
	out := map[string]holdqueue.State{}
	ctx := context.Background()
	q := holdqueue.Query{Limit: 1000}
	for {
		p, err := e.Store.List(ctx, q)
		if err != nil {
			return out
		}
		for _, m := range p.Messages {
			body, err := e.Store.Body(ctx, m.ID)
			if err != nil {
				continue
			}
			for _, em := range ms {
				if containsTag(body, em.Tag) {
					out[em.Tag] = m.State
				}
			}
		}
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
}

// CheckEvasion fails the test for every risky message that reached the
// sink without a verdict that says it is not clean, and for every benign
// twin that did not reach it clean.
func CheckEvasion(t testing.TB, fates []EvasionFate) {
	t.Helper()
	for _, f := range fates {
		t.Log(f.String())
		if !f.Final() {
			t.Errorf("%s: no final fate: %s", f.Msg.File, f)
			continue
		}
		if f.Msg.Twin {
			if f.Sink == nil || !strings.HasPrefix(f.Verdict, "clean") {
				t.Errorf("benign twin %s not delivered clean: %s", f.Msg.File, f)
			}
			continue
		}
		if f.Sink != nil && !nonClean(f.Verdict) {
			if ok, why := neutralised(f); ok {
				t.Logf("%s: rewritten harmless by the MTA: %s", f.Msg.File, why)
				continue
			}
			t.Errorf("evasion %s (%s) reached the sink as clean: %s", f.Msg.File, f.Msg.Name, f)
		}
	}
}

func nonClean(v string) bool {
	for _, p := range []string{"suspicious", "highly_suspicious", "malicious", "unscannable"} {
		if strings.HasPrefix(v, p+";") || v == p {
			return true
		}
	}
	return false
}

// neutralised reports whether the MTA rewrote the message so that its
// payload is no longer an attachment to anyone: the message as sent broke
// lines with bare CR, the delivered copy has none left (Postfix turns bare
// CR into a space before the milter sees the message, so the gate judged
// the bytes that were delivered), and neither Airlock's walk nor the other
// parsers find the payload in the delivered copy.
func neutralised(f EvasionFate) (bool, string) {
	bareCR := func(b []byte) int { return bytes.Count(b, []byte("\r")) - bytes.Count(b, []byte("\r\n")) }
	if bareCR(f.Msg.Data) == 0 || bareCR(f.Sink) != 0 {
		return false, ""
	}
	r, err := extract.Walk(context.Background(), f.Sink, extract.Options{})
	if err != nil {
		return false, ""
	}
	for _, x := range r.Files {
		if x.SHA256 == f.Msg.SHA256 {
			return false, ""
		}
	}
	for _, files := range [][][]byte{altparsers.Stdlib(f.Sink), altparsers.GoMessage(f.Sink)} {
		for _, b := range files {
			if fmt.Sprintf("%x", sha256.Sum256(b)) == f.Msg.SHA256 {
				return false, ""
			}
		}
	}
	return true, "the MTA rewrote its bare-CR line breaks before the milter saw it; no parser finds the payload in the delivered copy"
}
