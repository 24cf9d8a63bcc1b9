package milter_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testdns"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/milter"
)

// Through the real Postfix: a sender exclusion needs proof (SPF here, the
// client being Postfix's view of swaks, 127.0.0.1), and Authentication-
// Results fields that claim the site's authserv-id below the top of the
// header are deleted by index (several of one name: the deletions must
// not shift each other), while another verifier's field stays.
func TestPostfixSenderAuth(t *testing.T) {
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("postfix: %s", why)
	}
	ns := testdns.Start(t)
	ns.TXT("partner.example", "v=spf1 ip4:127.0.0.1 -all")
	ns.TXT("bank.example", "v=spf1 ip4:192.0.2.1 -all")

	r := startRig(t)
	c := gatetest.TestConfig()
	c.Policy.Exclusions.Senders = []string{"partner.example", "bank.example"}
	c.Policy.SenderAuth.Resolver = ns.Addr
	c.Policy.SenderAuth.Timeout = 3 * time.Second
	c.Policy.SenderAuth.TrustedAuthservIDs = []string{"mx.example.org"}
	r.backend(t, &c, gatetest.Options{})

	eicar := func(sender, subject string) []byte {
		return gatetest.Mail(sender, to, subject, gatetest.Part{Name: "eicar.com", Type: "application/octet-stream", Data: gatetest.EICAR})
	}

	t.Run("spoofed allow-listed domain is scanned and refused", func(t *testing.T) {
		out, err := r.send(eicar("ceo@bank.example", "m spoofed"), "--from", "ceo@bank.example")
		if err == nil || !strings.Contains(out, "550 5.7.1") {
			t.Fatalf("want 550, got %v\n%s", err, out)
		}
		r.noSubject("m spoofed")
	})
	t.Run("authenticated allow-listed domain is excluded", func(t *testing.T) {
		r.mustSend(eicar("news@partner.example", "m spf pass"), "--from", "news@partner.example")
		m := r.waitSubject("m spf pass", 20*time.Second)
		if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "sender excluded (partner.example; spf=pass") {
			t.Errorf("verdict header %q", h)
		}
	})
	t.Run("forged Authentication-Results deleted by index", func(t *testing.T) {
		msg := []byte("Received: from evil.example\r\n" +
			"Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\r\n" +
			"Authentication-Results: other.example; spf=pass smtp.mailfrom=alice@example.net\r\n" +
			"Authentication-Results: MX.EXAMPLE.ORG;\r\n\tdkim=pass header.d=bank.example\r\n")
		msg = append(msg, gatetest.Mail(from, to, "m forged ar")...)
		r.mustSend(msg)
		m := r.waitSubject("m forged ar", 20*time.Second)
		hdr := strings.Join(gatetest.HeaderOf(m.Data), "\n")
		if strings.Contains(hdr, "bank.example") {
			t.Errorf("a forged field was delivered:\n%s", hdr)
		}
		if n := count(m.Data, "Authentication-Results"); n != 1 || !strings.Contains(hdr, "other.example; spf=pass") {
			t.Errorf("want only other.example's field left, got %d:\n%s", n, hdr)
		}
		if !strings.Contains(hdr, "Received: from evil.example") {
			t.Errorf("other fields removed too:\n%s", hdr)
		}
	})
}

// fakeVerifier stands in for OpenDMARC (not installed here): a milter
// that runs before Airlock and, like OpenDMARC, inserts its verdict at the
// top of the header (smfi_insheader index 0). It says what it is told.
type fakeVerifier struct {
	gomilter.NoOpMilter
	result string
}

func (v fakeVerifier) EndOfMessage(m gomilter.Modifier) (*gomilter.Response, error) {
	if err := m.InsertHeader(0, "Authentication-Results", " mx.example.org; "+v.result); err != nil {
		return nil, err
	}
	return gomilter.RespAccept, nil
}

// A verifier milter before Airlock in Postfix: Postfix shows Airlock the
// field that milter inserted at the top (verified here, not assumed), so
// its dmarc=pass proves the From domain; a field claiming the same id
// that the sender wrote lower down is never believed and is deleted.
func TestPostfixTrustedVerifierMilter(t *testing.T) {
	if ok, why := testpostfix.Available(); !ok {
		t.Fatalf("postfix: %s", why)
	}
	vln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	verifier := gomilter.NewServer(gomilter.WithMilter(func() gomilter.Milter {
		return fakeVerifier{result: "dmarc=pass header.from=bank.example"}
	}), gomilter.WithAction(gomilter.OptAddHeader|gomilter.OptChangeHeader))
	go verifier.Serve(vln)
	t.Cleanup(func() { verifier.Close() })

	mc := config.DefaultMilter()
	mc.Listen = fmt.Sprintf("inet:127.0.0.1:%d", testpostfix.FreePort(t))
	r := &rig{t: t, sink: smtpsink.Start(t, smtpsink.Options{}), sw: &switchGate{}}
	ln, err := milter.Listen(mc)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = milter.New(mc, r.sw, gatetest.Logger())
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	r.pf = testpostfix.Start(t, testpostfix.Options{NextHop: r.sink.Addr(), Milter: "inet:" + vln.Addr().String() + " " + mc.Listen, Reinject: true})

	c := gatetest.TestConfig()
	c.Policy.Exclusions.Senders = []string{"bank.example"}
	c.Policy.SenderAuth.TrustedAuthservIDs = []string{"mx.example.org"}
	c.Policy.SenderAuth.Timeout = 2 * time.Second
	r.backend(t, &c, gatetest.Options{})

	msg := append([]byte("Received: from relay.example\r\n"+
		"Authentication-Results: mx.example.org; dkim=pass header.d=forged.example\r\n"),
		gatetest.Mail("ceo@bank.example", to, "m verifier", gatetest.Part{Name: "eicar.com", Type: "application/octet-stream", Data: gatetest.EICAR})...)
	r.mustSend(msg, "--from", "bounce@esp.example")
	m := r.waitSubject("m verifier", 20*time.Second)
	if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "sender excluded (bank.example; dmarc=pass bank.example by mx.example.org)") {
		t.Errorf("verdict header %q", h)
	}
	hdr := strings.Join(gatetest.HeaderOf(m.Data), "\n")
	if strings.Contains(hdr, "forged.example") || count(m.Data, "Authentication-Results") != 1 {
		t.Errorf("want only the verifier's field:\n%s", hdr)
	}
}
