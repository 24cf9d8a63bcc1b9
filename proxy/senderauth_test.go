package proxy_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/testdns"
	"github.com/airlockmail/airlock/metrics/instrument"
	"github.com/airlockmail/airlock/proxy"
)

// lockedBuf collects the decision lines.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *lockedBuf) lines() []string {
	s := strings.TrimSpace(l.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// swaksMailFrom sends msg with the given MAIL FROM.
func (r *rig) swaksMailFrom(mailFrom string, msg []byte) (string, error) {
	args := []string{"--server", r.addr, "--from", mailFrom, "--to", to, "--data", "-", "--timeout", "60"}
	cmd := exec.Command("swaks", args...)
	cmd.Stdin = bytes.NewReader(bytes.TrimSuffix(msg, []byte("\r\n")))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// serve runs srv on a loopback port until the test ends.
func serve(t *testing.T, srv *proxy.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		if p := srv.Stats.Panics.Load(); p != 0 {
			t.Errorf("%d panics in the proxy", p)
		}
	})
	return ln.Addr().String()
}

// Sender exclusions over real sockets: swaks → proxy → gate (real
// sandboxd) → upstream sink, with SPF, DKIM and DMARC records served by a
// DNS server on loopback. An allow-listed domain in MAIL FROM or From
// proves nothing; the same domain proven by SPF or by an aligned DKIM
// signature is excluded.
func TestSenderExclusionNeedsProof(t *testing.T) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ns := testdns.Start(t)
	// swaks connects from 127.0.0.1: partner.example sends from here,
	// bank.example from somewhere else entirely.
	ns.TXT("partner.example", "v=spf1 ip4:127.0.0.1 -all")
	ns.TXT("bank.example", "v=spf1 ip4:192.0.2.1 -all")
	ns.TXT("sel._domainkey.bank.example", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	ns.TXT("_dmarc.bank.example", "v=DMARC1; p=reject")
	ns.Silent("slow.example") // DNS that never answers: temperror

	c := gatetest.TestConfig()
	c.Policy.Exclusions.Senders = []string{"partner.example", "bank.example", "slow.example"}
	c.Policy.SenderAuth.Resolver = ns.Addr
	c.Policy.SenderAuth.Timeout = 3 * time.Second
	c.Policy.SenderAuth.TrustedAuthservIDs = []string{"mx.example.org"}

	logs := &lockedBuf{}
	track := instrument.NewTrack(nil).LogDecisions(slog.New(slog.NewTextHandler(logs, nil)))
	r := start(t, &c, gatetest.Options{}, nil, nil)
	// Swap in a proxy whose decisions are logged, as `airlock proxy` runs.
	logged := proxy.New(proxyConfig(r.sink.Addr()), track.Decider(r.env.Gate), nil, gatetest.Logger())
	r.addr = serve(t, logged)

	sign := func(m []byte) []byte {
		var out bytes.Buffer
		if err := dkim.Sign(&out, bytes.NewReader(m), &dkim.SignOptions{Domain: "bank.example", Selector: "sel", Signer: key,
			HeaderKeys: []string{"From", "To", "Subject", "Message-ID"}}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	eicar := func(fromHdr, subject string) []byte {
		return gatetest.Mail(fromHdr, to, subject, gatetest.Part{Name: "eicar.com", Type: "application/octet-stream", Data: gatetest.EICAR})
	}
	forgedAR := "Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\r\n"

	cases := []struct {
		name     string
		mailFrom string
		data     []byte
		excluded bool
		why      string // in the decision line
	}{
		{"spoofed MAIL FROM (spf fail)", "ceo@bank.example", eicar("ceo@bank.example", "s spoofed envelope"), false, "spf=fail for bank.example"},
		{"spoofed From, no DKIM", "x@elsewhere.example", eicar("ceo@bank.example", "s spoofed header"), false, "dkim=none"},
		{"forged Authentication-Results", "x@elsewhere.example",
			append([]byte("Received: from evil\r\n"+forgedAR), eicar("ceo@bank.example", "s forged ar")...), false, "dkim=none"},
		{"signature broken in transit", "x@elsewhere.example",
			bytes.Replace(sign(eicar("ceo@bank.example", "s tampered")), []byte("See the attachment."), []byte("See the attachment!"), 1), false, "dkim=fail"},
		{"DNS times out (temperror)", "x@slow.example", eicar("x@slow.example", "s temperror"), false, "temperror"},
		{"spf pass for partner.example", "news@partner.example", eicar("news@partner.example", "s spf pass"), true, "spf=pass partner.example"},
		{"dkim aligned with From bank.example", "bounce@esp.example", sign(eicar("ceo@bank.example", "s dkim pass")), true, "dkim=pass d=bank.example"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, seen := r.sink.Count(), len(logs.lines())
			out, err := r.swaksMailFrom(tc.mailFrom, tc.data)
			line := ""
			if ls := logs.lines(); len(ls) > seen {
				line = strings.Join(ls[seen:], "\n")
			}
			if !tc.excluded {
				// EICAR is malicious: rejected (the default action),
				// never delivered as clean.
				if err == nil || !strings.Contains(out, "550 5.7.1") {
					t.Fatalf("spoofed sender not refused: %v\n%s", err, out)
				}
				if r.sink.Count() != before {
					t.Fatal("the upstream got the spoofed message")
				}
				if !strings.Contains(line, "exclusion=") || !strings.Contains(line, tc.why) || !strings.Contains(line, "scanned=true") {
					t.Errorf("decision line does not say why the exclusion did not apply (%q):\n%s", tc.why, line)
				}
				return
			}
			if err != nil {
				t.Fatalf("excluded sender refused: %v\n%s", err, out)
			}
			subject := string(bytes.TrimSpace(bytes.SplitN(bytes.SplitN(tc.data, []byte("Subject: "), 2)[1], []byte("\r\n"), 2)[0]))
			m := r.waitSubject(subject, 10*time.Second)
			if h := headerLine(m.Data, "X-Airlock-Verdict"); !strings.Contains(h, "not scanned") || !strings.Contains(h, "sender excluded") {
				t.Errorf("verdict header %q", h)
			}
			if !strings.Contains(line, tc.why) || !strings.Contains(line, "scanned=false") {
				t.Errorf("decision line %q, want %q", line, tc.why)
			}
		})
	}
}

// A forged Authentication-Results field claiming the site's authserv-id
// does not reach the upstream; the top one stays (it is the MTA's).
func TestForgedAuthResultsRemoved(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.SenderAuth.TrustedAuthservIDs = []string{"mx.example.org"}
	r := start(t, &c, gatetest.Options{}, nil, nil)
	msg := []byte("Authentication-Results: mx.example.org; spf=none smtp.mailfrom=alice@example.net\r\n" +
		"Received: from evil.example\r\n" +
		"Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\r\n" +
		"Authentication-Results: other.example; dkim=pass header.d=bank.example\r\n")
	msg = append(msg, gatetest.Mail(from, to, "s ar removed")...)
	if out, err := r.swaks(msg); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := r.waitSubject("s ar removed", 10*time.Second)
	hdr := strings.Join(gatetest.HeaderOf(m.Data), "\n")
	if strings.Contains(hdr, "header.from=bank.example") {
		t.Errorf("forged field delivered:\n%s", hdr)
	}
	for _, keep := range []string{"spf=none smtp.mailfrom=alice@example.net", "other.example; dkim=pass", "Received: from evil.example"} {
		if !strings.Contains(hdr, keep) {
			t.Errorf("%q was removed too:\n%s", keep, hdr)
		}
	}
	if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(msg)) {
		t.Error("body changed")
	}
}

func proxyConfig(upstream string) config.Proxy {
	cfg := config.DefaultProxy()
	cfg.Upstream = upstream
	cfg.UpstreamStartTLS = config.StartTLSNone
	cfg.Hostname = "proxy.test"
	return cfg
}

// A held message is stored without the forged field, so the copy the
// release loop delivers later lacks it too.
func TestForgedAuthResultsRemovedFromHeldCopy(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	c.Policy.SenderAuth.TrustedAuthservIDs = []string{"mx.example.org"}
	r := start(t, &c, gatetest.Options{}, nil, nil)
	msg := append([]byte("Received: from evil.example\r\n"+
		"Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\r\n"),
		gatetest.Mail(from, to, "s held ar", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()})...)
	out, err := r.swaks(msg)
	if err != nil || !strings.Contains(out, "queued as") {
		t.Fatalf("want held, got %v\n%s", err, out)
	}
	m := r.waitSubject("s held ar", 20*time.Second)
	if hdr := strings.Join(gatetest.HeaderOf(m.Data), "\n"); strings.Contains(hdr, "header.from=bank.example") ||
		!strings.Contains(hdr, "Received: from evil.example") {
		t.Errorf("released copy:\n%s", hdr)
	}
	if !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(msg)) {
		t.Error("body changed")
	}
}
