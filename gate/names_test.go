package gate_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/verdict"
)

func gz(text string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(text))
	w.Close()
	return b.Bytes()
}

// nameSamples are file names with the tricks the filter judges (sandboxd
// never sees names), and their clean look-alikes. Each risky one carries
// harmless bytes unless the trick is the bytes, so that the name alone
// has to make the verdict.
var nameSamples = []struct {
	name  string
	typ   string
	data  func(i int) []byte
	rule  string // "" for a clean look-alike
	least verdict.Verdict
}{
	{"Invoice_2024\u202Efdp.exe", "application/octet-stream", text, "bidi-override", verdict.HighlySuspicious},
	{"contract\u2067cod.scr", "application/octet-stream", text, "bidi-control", verdict.Suspicious},
	{"scan\u200F.pdf.js", "application/octet-stream", text, "bidi-control", verdict.Suspicious},
	{"invoice.pdf.exe", "application/octet-stream", text, "double-extension", verdict.HighlySuspicious},
	{"invoice.docx      .scr", "application/octet-stream", text, "padded-extension", verdict.HighlySuspicious},
	{"statement.pdf .js", "application/javascript", text, "double-extension", verdict.HighlySuspicious},
	{"Payment_confirmation_for_your_order_4471_of_this_week_please_review_now.exe", "application/octet-stream", text, "long-name-executable", verdict.Suspicious},
	{"scan0042.pdf", "application/pdf", func(i int) []byte { return append([]byte("MZ\x90\x00\x03\x00\x00\x00"), text(i)...) }, "content-mismatch", verdict.HighlySuspicious},
	{"holiday.jpg", "image/jpeg", func(i int) []byte { return gatetest.Zip(gatetest.Part{Name: "readme.txt", Data: text(i)}) }, "content-mismatch", verdict.Suspicious},

	{"report.final.pdf", "application/pdf", func(int) []byte { return gatetest.PDF() }, "", verdict.Unknown},
	{"v1.2.3.tar.gz", "application/gzip", func(i int) []byte { return gz(string(text(i))) }, "", verdict.Unknown},
	{"archive.tar.gz", "application/gzip", func(i int) []byte { return gz("archive " + string(text(i))) }, "", verdict.Unknown},
	{"تقرير الربع الثالث.pdf", "application/pdf", func(int) []byte { return gatetest.PDF() }, "", verdict.Unknown},
	{"דוח שנתי.pdf", "application/pdf", func(int) []byte { return gatetest.PDF() }, "", verdict.Unknown},
	{"photo.JPG", "image/jpeg", func(i int) []byte {
		return append([]byte("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), text(i)...)
	}, "", verdict.Unknown},
	{"__init__.py", "text/x-python", func(i int) []byte { return []byte(fmt.Sprintf("VERSION = %d\n", i)) }, "", verdict.Unknown},
}

// text is harmless, unique bytes (unknown to the sandbox's cache).
func text(i int) []byte { return []byte(fmt.Sprintf("just some notes, sample %d\r\n", i)) }

// TestNameTricks runs every name sample through the gate: a risky name
// gets its finding (with evidence) and makes the message suspicious or
// worse; a clean look-alike gets no name finding and is delivered.
func TestNameTricks(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{})
	risky, clean := 0, 0
	for i, s := range nameSamples {
		t.Run(fmt.Sprintf("%02d", i), func(t *testing.T) {
			msg := gatetest.Mail("alice@example.net", "bob@example.org", "files",
				gatetest.Part{Name: s.name, Type: s.typ, Data: s.data(i)})
			d := mustDecide(t, e, external(), msg)
			var f *gate.FileResult
			for j := range d.Files {
				if d.Files[j].Path == s.name || strings.HasSuffix(d.Files[j].Path, "/"+s.name) || d.Files[j].Path == s.name {
					f = &d.Files[j]
					break
				}
			}
			if f == nil {
				t.Fatalf("%q: file not listed: %+v", s.name, d.Files)
			}
			if s.rule == "" {
				clean++
				if len(f.NameFindings) != 0 || f.NameVerdict != verdict.Unknown {
					t.Errorf("%q: clean name flagged: %+v", s.name, f.NameFindings)
				}
				if d.Worst.AtLeast(verdict.Suspicious) || d.Action != gate.Deliver {
					t.Errorf("%q: %s, worst %s (%s)", s.name, d.Action, d.Worst, d.Reason)
				}
				return
			}
			risky++
			found := false
			for _, x := range f.NameFindings {
				if x.Rule == s.rule {
					found = true
					if x.Analyzer != "name" || x.Evidence == "" || x.Severity < verdict.Medium {
						t.Errorf("%q: finding %+v lacks analyzer, evidence or severity", s.name, x)
					}
				}
			}
			if !found {
				t.Errorf("%q: no %s finding in %+v", s.name, s.rule, f.NameFindings)
			}
			if !f.NameVerdict.AtLeast(s.least) || !d.Worst.AtLeast(s.least) {
				t.Errorf("%q: name verdict %s, message worst %s; want at least %s", s.name, f.NameVerdict, d.Worst, s.least)
			}
			if d.Action != gate.Quarantine && d.Action != gate.Reject {
				t.Errorf("%q: action %s (%s), want the message refused", s.name, d.Action, d.Reason)
			}
		})
	}
	if risky < 5 || clean < 3 {
		t.Errorf("%d risky and %d clean samples; want at least 5 and 3", risky, clean)
	}
}

// TestNameFindingEndToEnd: the name finding is on the decision line
// (reason and log), in the held message's files as the store keeps them
// and in the message's worst verdict, and the release loop's summary
// names it; a sandbox verdict on the bytes does not erase it.
func TestNameFindingEndToEnd(t *testing.T) {
	c := gatetest.TestConfig()
	// Let a highly suspicious message wait for the sandbox instead of
	// being quarantined at once, so that the sandbox's clean verdict
	// arrives on the stored copy.
	c.Policy.Actions.HighlySuspicious = "deliver"
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	name := "invoice.pdf.exe"
	msg := gatetest.Mail("alice@example.net", "bob@example.org", "your invoice",
		gatetest.Part{Name: name, Type: "application/octet-stream", Data: text(999)})
	d := mustDecide(t, e, external(), msg)
	if d.Worst != verdict.HighlySuspicious {
		t.Fatalf("worst %s, want highly_suspicious (%s)", d.Worst, d.Reason)
	}
	line := headerValue(d, deliver.FieldVerdict)
	if d.Action == gate.Deliver {
		if !strings.Contains(line, "name/double-extension: invoice.pdf.exe") {
			t.Errorf("verdict header %q does not name the finding", line)
		}
	} else {
		t.Fatalf("action %s: want delivered under the custom action", d.Action)
	}

	// With the default actions the message is quarantined and stored.
	e2 := gatetest.Start(t, gatetest.Options{})
	d = mustDecide(t, e2, external(), gatetest.Mail("alice@example.net", "bob@example.org", "your invoice",
		gatetest.Part{Name: name, Type: "application/octet-stream", Data: text(1000)}))
	if d.Action != gate.Quarantine || !strings.Contains(d.Reason, "name/double-extension") || !strings.Contains(d.Reason, name) {
		t.Fatalf("decision %s: %q, want quarantine naming the finding", d.Action, d.Reason)
	}
	ctx := context.Background()
	m, err := e2.Store.Get(ctx, d.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for _, f := range m.Files {
		if f.Path == name {
			got = f.NameSummary
			if f.NameVerdict != verdict.HighlySuspicious {
				t.Errorf("stored name verdict %s", f.NameVerdict)
			}
		}
	}
	if !strings.Contains(got, "name/double-extension: invoice.pdf.exe") {
		t.Errorf("held message's file keeps no name finding: %+v", m.Files)
	}
	if m.Worst() != verdict.HighlySuspicious {
		t.Errorf("held message's worst %s", m.Worst())
	}
}
