package senderauth_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/testdns"
	"github.com/airlockmail/airlock/policy/senderauth"
)

// world is a DNS server publishing SPF, DKIM and DMARC for a few domains,
// and the DKIM key of partner.example.
type world struct {
	dns *testdns.Server
	key ed25519.PrivateKey
}

const (
	partnerIP = "192.0.2.10"
	otherIP   = "198.51.100.7"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := testdns.Start(t)
	s.TXT("partner.example", "v=spf1 ip4:"+partnerIP+" -all")
	s.TXT("soft.example", "v=spf1 ip4:"+partnerIP+" ~all")
	key := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
	s.TXT("sel._domainkey.partner.example", key)
	s.TXT("sel._domainkey.mail.partner.example", key)
	s.TXT("sel._domainkey.strict.example", key)
	s.TXT("sel._domainkey.mail.strict.example", key)
	s.TXT("sel._domainkey.esp.example", key)
	s.TXT("_dmarc.partner.example", "v=DMARC1; p=reject")
	s.TXT("_dmarc.strict.example", "v=DMARC1; p=reject; adkim=s")
	s.Broken("broken.example")
	s.Silent("slow.example")
	s.Silent("sel._domainkey.slow.example")
	return &world{dns: s, key: priv}
}

func (w *world) checker(t *testing.T, mut func(*config.SenderAuth)) *senderauth.Checker {
	t.Helper()
	c := config.DefaultSenderAuth()
	c.Resolver = w.dns.Addr
	c.Timeout = 2 * time.Second
	if mut != nil {
		mut(&c)
	}
	var p config.Problems
	c.Validate("sender_auth", &p)
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
	return senderauth.New(c)
}

// msg builds a message from "From" with extra header lines on top.
func msg(from string, top ...string) []byte {
	var b bytes.Buffer
	for _, l := range top {
		b.WriteString(l + "\r\n")
	}
	b.WriteString("From: Someone <" + from + ">\r\nTo: <bob@example.org>\r\nSubject: hello\r\n" +
		"Message-ID: <1@test>\r\nDate: Thu, 03 Dec 2026 10:00:00 +0000\r\n\r\nHello.\r\n")
	return b.Bytes()
}

// sign adds a DKIM-Signature by domain d (selector sel) with the world's key.
func (w *world) sign(t *testing.T, d string, m []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(m), &dkim.SignOptions{Domain: d, Selector: "sel", Signer: w.key,
		HeaderKeys: []string{"From", "To", "Subject", "Message-ID", "Date"}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestCheck(t *testing.T) {
	w := newWorld(t)
	ch := w.checker(t, nil)
	tampered := w.sign(t, "partner.example", msg("a@partner.example"))
	tampered = bytes.Replace(tampered, []byte("Hello."), []byte("Pay us."), 1)
	otherKey := func() []byte {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		var out bytes.Buffer
		dkim.Sign(&out, bytes.NewReader(msg("a@partner.example")), &dkim.SignOptions{Domain: "partner.example", Selector: "sel", Signer: k})
		return out.Bytes()
	}()
	cases := []struct {
		name      string
		client    string
		mailFrom  string
		data      []byte
		wantMF    bool
		wantFrom  bool
		proven    string // method of the first proof, "" none
		note      string // substring of the notes when not proven
		temporary bool
	}{
		{"spf pass", partnerIP, "a@partner.example", msg("a@partner.example"), true, false, "spf", "", false},
		{"spf fail: forged MAIL FROM", otherIP, "a@partner.example", msg("a@partner.example"), true, false, "", "spf=fail for partner.example", false},
		{"spf softfail does not prove", otherIP, "a@soft.example", msg("a@soft.example"), true, false, "", "spf=softfail", false},
		{"spf none", otherIP, "a@nospf.example", msg("a@nospf.example"), true, false, "", "spf=none", false},
		{"spf servfail is temperror", otherIP, "a@broken.example", msg("a@broken.example"), true, false, "", "spf=temperror", true},
		{"spf timeout is temperror", otherIP, "a@slow.example", msg("a@slow.example"), true, false, "", "temperror", true},
		{"dkim aligned exact", otherIP, "bounce@esp.example", w.sign(t, "partner.example", msg("a@partner.example")), false, true, "dkim", "", false},
		{"dkim aligned relaxed (subdomain signer)", otherIP, "", w.sign(t, "mail.partner.example", msg("a@partner.example")), false, true, "dkim", "", false},
		{"dkim strict record refuses subdomain signer", otherIP, "", w.sign(t, "mail.strict.example", msg("a@strict.example")), false, true, "", "not aligned (strict)", false},
		{"dkim of another domain is not aligned", otherIP, "", w.sign(t, "esp.example", msg("a@partner.example")), false, true, "", "not aligned", false},
		{"no dkim signature", otherIP, "", msg("a@partner.example"), false, true, "", "dkim=none", false},
		{"dkim body changed", otherIP, "", tampered, false, true, "", "dkim=fail", false},
		{"dkim signed with another key", otherIP, "", otherKey, false, true, "", "dkim=fail", false},
		{"dkim key lookup times out", otherIP, "", w.sign(t, "slow.example", msg("a@slow.example")), false, true, "", "temperror", true},
		{"two From fields", otherIP, "", w.sign(t, "partner.example", append([]byte("From: <x@evil.example>\r\n"), msg("a@partner.example")...)), false, true, "", "several From fields", false},
		{"nothing wanted, nothing asked", otherIP, "a@partner.example", msg("a@partner.example"), false, false, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ch.Check(context.Background(), senderauth.Input{ClientAddr: netip.MustParseAddr(c.client), Helo: "mx.test",
				MailFrom: c.mailFrom, Data: c.data, WantMailFrom: c.wantMF, WantFrom: c.wantFrom})
			got := ""
			if len(r.Proven) > 0 {
				got = r.Proven[0].Method
			}
			if got != c.proven {
				t.Fatalf("proven by %q, want %q (proven %+v, notes %q)", got, c.proven, r.Proven, r.Notes)
			}
			notes := strings.Join(r.Notes, "; ")
			if c.note != "" && !strings.Contains(notes, c.note) {
				t.Errorf("notes %q, want %q in them", notes, c.note)
			}
			if c.proven == "" && (c.wantMF || c.wantFrom) && notes == "" {
				t.Errorf("not proven and no note says why")
			}
			if r.Temporary != c.temporary {
				t.Errorf("temporary = %v, want %v (notes %q)", r.Temporary, c.temporary, notes)
			}
		})
	}
	if w.dns.Queries("_dmarc.strict.example") == 0 {
		t.Error("the DMARC record of strict.example was never asked for")
	}
}

// A check that asks for nothing sends no query: exclusions that match
// nothing cost no DNS.
func TestNoWantNoDNS(t *testing.T) {
	w := newWorld(t)
	ch := w.checker(t, nil)
	ch.Check(context.Background(), senderauth.Input{ClientAddr: netip.MustParseAddr(otherIP), MailFrom: "a@partner.example",
		Data: w.sign(t, "partner.example", msg("a@partner.example"))})
	for _, n := range []string{"partner.example", "sel._domainkey.partner.example", "_dmarc.partner.example"} {
		if q := w.dns.Queries(n); q != 0 {
			t.Errorf("%d queries for %s", q, n)
		}
	}
}

// The timeout bounds the whole check even when every server is silent.
func TestTimeoutBoundsCheck(t *testing.T) {
	w := newWorld(t)
	ch := w.checker(t, func(c *config.SenderAuth) { c.Timeout = 300 * time.Millisecond })
	start := time.Now()
	r := ch.Check(context.Background(), senderauth.Input{ClientAddr: netip.MustParseAddr(otherIP), MailFrom: "a@slow.example",
		Data: w.sign(t, "slow.example", msg("a@slow.example")), WantMailFrom: true, WantFrom: true})
	if len(r.Proven) != 0 || !r.Temporary {
		t.Fatalf("silent DNS: proven %+v temporary %v", r.Proven, r.Temporary)
	}
	// Generous: the point is that it does not wait for the resolver's
	// own retries (tens of seconds), not a precise figure.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("check took %s with a 300ms timeout", d)
	}
}

func TestAuthenticationResults(t *testing.T) {
	w := newWorld(t)
	ch := w.checker(t, func(c *config.SenderAuth) { c.TrustedAuthservIDs = []string{"mx.ours.example"} })
	const (
		oursDMARC = "Authentication-Results: mx.ours.example; dmarc=pass header.from=partner.example"
		oursDKIM  = "Authentication-Results: mx.ours.example 1; dkim=pass header.d=mail.partner.example"
		oursSPF   = "Authentication-Results: mx.ours.example; spf=pass smtp.mailfrom=a@partner.example"
		oursFail  = "Authentication-Results: mx.ours.example; dkim=fail header.d=partner.example; spf=fail smtp.mailfrom=partner.example"
		theirs    = "Authentication-Results: mx.elsewhere.example; dmarc=pass header.from=partner.example"
	)
	cases := []struct {
		name     string
		mailFrom string
		data     []byte
		proven   string
		forged   int
	}{
		{"top dmarc=pass proves From", "", msg("a@partner.example", oursDMARC), senderauth.MethodAuthRes, 0},
		{"top dkim=pass aligned proves From", "", msg("a@partner.example", oursDKIM), senderauth.MethodAuthRes, 0},
		{"top spf=pass proves MAIL FROM", "a@partner.example", msg("x@other.example", oursSPF), senderauth.MethodAuthRes, 0},
		{"two of ours on top", "", msg("a@partner.example", oursFail, oursDMARC), senderauth.MethodAuthRes, 0},
		{"top fail proves nothing", "", msg("a@partner.example", oursFail), "", 0},
		{"another verifier's pass is not believed", "", msg("a@partner.example", theirs), "", 0},
		{"our id below another field is forged", "", msg("a@partner.example", "Received: from x by y", oursDMARC), "", 1},
		{"our id below their field is forged", "", msg("a@partner.example", "X-Mailer: z", oursDMARC, oursDKIM), "", 2},
		{"our id inside the sender's header is forged", "", append(msg("a@partner.example")[:0:0],
			[]byte("From: <a@partner.example>\r\n"+oursDMARC+"\r\nSubject: x\r\n\r\nbody\r\n")...), "", 1},
		{"comment before the id", "", msg("a@partner.example", "Received: x", "Authentication-Results: (c) MX.OURS.EXAMPLE; dmarc=pass header.from=partner.example"), "", 1},
		{"unparseable field claiming our id below the top", "", msg("a@partner.example", "Received: x", "Authentication-Results: mx.ours.example; dkim=pass ((("), "", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantMF := c.mailFrom != ""
			r := ch.Check(context.Background(), senderauth.Input{ClientAddr: netip.MustParseAddr(otherIP), MailFrom: c.mailFrom,
				Data: c.data, WantMailFrom: wantMF, WantFrom: !wantMF})
			got := ""
			if len(r.Proven) > 0 {
				got = r.Proven[0].Method
			}
			if got != c.proven {
				t.Errorf("proven by %q, want %q (%+v, notes %q)", got, c.proven, r.Proven, r.Notes)
			}
			forged := ch.Forged(c.data)
			if len(forged) != c.forged {
				t.Errorf("forged %+v, want %d", forged, c.forged)
			}
			for _, f := range forged {
				if !strings.EqualFold(f.Name, senderauth.FieldAuthRes) || f.Index < 1 {
					t.Errorf("forged field %+v", f)
				}
			}
		})
	}
	// Untrusting checkers neither believe nor remove anything.
	plain := w.checker(t, nil)
	if f := plain.Forged(msg("a@partner.example", "Received: x", oursDMARC)); f != nil {
		t.Errorf("no trusted ids, yet forged = %+v", f)
	}
	r := plain.Check(context.Background(), senderauth.Input{ClientAddr: netip.MustParseAddr(otherIP),
		Data: msg("a@partner.example", oursDMARC), WantFrom: true})
	if len(r.Proven) != 0 {
		t.Errorf("no trusted ids, yet proven %+v", r.Proven)
	}
}

func TestHeaderIndex(t *testing.T) {
	h := senderauth.ParseHeader([]byte("A: 1\r\nauthentication-results: x;\r\n  none\r\nB: 2\nAuthentication-Results: y; none\r\n\r\nAuthentication-Results: body\r\n"))
	var got []string
	for _, f := range h {
		got = append(got, f.Name+"#"+string(rune('0'+f.Index))+"="+f.Value)
	}
	want := []string{"A#1=1", "authentication-results#1=x; none", "B#1=2", "Authentication-Results#2=y; none"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestRemove(t *testing.T) {
	data := []byte("Authentication-Results: ours; dmarc=pass\r\nReceived: x\r\nAUTHENTICATION-RESULTS: ours;\r\n\tdkim=pass\r\nSubject: s\r\n" +
		"Authentication-Results: ours; spf=pass\r\n\r\nAuthentication-Results: in the body stays\r\n")
	got := senderauth.Remove(data, []senderauth.Field{{Name: "Authentication-Results", Index: 2}, {Name: "authentication-results", Index: 3}})
	want := "Authentication-Results: ours; dmarc=pass\r\nReceived: x\r\nSubject: s\r\n\r\nAuthentication-Results: in the body stays\r\n"
	if string(got) != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	if got := senderauth.Remove(data, nil); !bytes.Equal(got, data) {
		t.Error("nothing to remove changed the data")
	}
}

// BenchmarkCheck: the cost of proving a sender against a DNS server on
// loopback (the resolver does not cache: every check asks again).
func BenchmarkCheck(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	s := testdns.Start(b)
	s.TXT("partner.example", "v=spf1 ip4:"+partnerIP+" -all")
	s.TXT("sel._domainkey.partner.example", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	s.TXT("_dmarc.partner.example", "v=DMARC1; p=reject")
	c := config.DefaultSenderAuth()
	c.Resolver = s.Addr
	ch := senderauth.New(c)
	var signed bytes.Buffer
	if err := dkim.Sign(&signed, bytes.NewReader(msg("a@partner.example")), &dkim.SignOptions{Domain: "partner.example", Selector: "sel", Signer: priv}); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		in   senderauth.Input
	}{
		{"spf", senderauth.Input{ClientAddr: netip.MustParseAddr(partnerIP), MailFrom: "a@partner.example", Data: signed.Bytes(), WantMailFrom: true}},
		{"dkim", senderauth.Input{ClientAddr: netip.MustParseAddr(otherIP), Data: signed.Bytes(), WantFrom: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if r := ch.Check(context.Background(), bc.in); len(r.Proven) != 1 {
					b.Fatalf("not proven: %q", r.Notes)
				}
			}
		})
	}
}
