package milter_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate/gatetest"
)

// TestPostfixForgedAirlockFields: through a real Postfix, a sender's
// X-Airlock-* fields (every spelling Postfix takes for the name, folded,
// repeated, a forged release header) are deleted by index at the MTA
// before the milter adds its own, on mail passed at once and on mail held
// and re-injected through the milter port, where the real release header
// is checked and then replaced.
func TestPostfixForgedAirlockFields(t *testing.T) {
	r := startRig(t)

	t.Run("delivered at once", func(t *testing.T) {
		r.t = t
		r.backend(t, nil, gatetest.Options{})
		r.mustSend(gatetest.Forge(gatetest.Mail(from, to, "e2e forged now")))
		m := r.waitSubject("e2e forged now", 20*time.Second)
		gatetest.WantOwned(t, m.Data, map[string]int{"x-airlock-verdict": 1})
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean; 0 file(s)") {
			t.Errorf("verdict %q", h)
		}
	})

	t.Run("held, released through the milter port", func(t *testing.T) {
		r.t = t
		c := gatetest.TestConfig()
		c.Policy.Hold.InlineWait = 0
		r.backend(t, &c, gatetest.Options{})
		sent := gatetest.Forge(gatetest.Mail(from, to, "e2e forged held", gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
		r.mustSend(sent)
		m := r.waitSubject("e2e forged held", 30*time.Second)
		// The release header passed the message once and was spent; the
		// fields deliver/ wrote with it stay, one of each.
		gatetest.WantOwned(t, m.Data, map[string]int{"x-airlock-verdict": 1, "x-airlock-queue-id": 1, "x-airlock-held": 1})
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean") {
			t.Errorf("verdict %q", h)
		}
		if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(sent)) {
			t.Error("body changed")
		}
	})

	t.Run("forged release header scanned like any other", func(t *testing.T) {
		r.t = t
		r.backend(t, nil, gatetest.Options{})
		msg := bytes.Replace(gatetest.NestedEICAR(from, to), []byte("Subject: Fwd: the files"), []byte("Subject: e2e forged eicar"), 1)
		out, err := r.send(gatetest.Forge(msg))
		if err == nil || !strings.Contains(out, "550 5.7.1") {
			t.Fatalf("want 550 5.7.1, got %v:\n%s", err, out)
		}
		time.Sleep(300 * time.Millisecond)
		r.noSubject("e2e forged eicar")
	})
	r.t = t
}
