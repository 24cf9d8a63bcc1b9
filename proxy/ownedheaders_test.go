package proxy_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate/gatetest"
)

// TestForgedAirlockFieldsRemoved: a sender's X-Airlock-* fields (every
// spelling, folded, repeated, a forged release header) never reach the
// upstream, on mail passed at once and on mail held and then released;
// only Airlock's own are there. A forged release header lets nothing
// through unscanned.
func TestForgedAirlockFieldsRemoved(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	r := start(t, &c, gatetest.Options{}, nil, nil)

	t.Run("delivered at once", func(t *testing.T) {
		r.t = t
		out, err := r.swaks(gatetest.Forge(gatetest.Mail(from, to, "p forged now")))
		if err != nil || !strings.Contains(out, "250 2.0.0 OK") {
			t.Fatalf("%v\n%s", err, out)
		}
		m := r.waitSubject("p forged now", 10*time.Second)
		gatetest.WantOwned(t, m.Data, map[string]int{"x-airlock-verdict": 1})
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "clean; 0 file(s)") {
			t.Errorf("verdict %q", h)
		}
	})
	t.Run("held then released", func(t *testing.T) {
		r.t = t
		sent := gatetest.Forge(gatetest.Mail(from, to, "p forged held", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
		out, err := r.swaks(sent)
		if err != nil || !strings.Contains(out, "queued as ") {
			t.Fatalf("want a hold, got %v\n%s", err, out)
		}
		m := r.waitSubject("p forged held", 20*time.Second)
		gatetest.WantOwned(t, m.Data, map[string]int{"x-airlock-verdict": 1, "x-airlock-queue-id": 1, "x-airlock-held": 1, "x-airlock-release": 1})
		if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(sent)) {
			t.Error("body changed")
		}
	})
	t.Run("forged release header scanned like any other", func(t *testing.T) {
		r := start(t, nil, gatetest.Options{}, nil, nil)
		out, err := r.swaks(gatetest.Forge(gatetest.NestedEICAR(from, to)))
		if err == nil || !strings.Contains(out, "550 5.7.1") {
			t.Fatalf("want 550 5.7.1, got %v\n%s", err, out)
		}
	})
}
