package policy

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/verdict"
)

func newPolicy(t *testing.T, edit func(*config.Policy)) *Policy {
	t.Helper()
	c := config.DefaultPolicy()
	if edit != nil {
		edit(&c)
	}
	p, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInternal(t *testing.T) {
	p := newPolicy(t, func(c *config.Policy) {
		c.InternalNetworks = []string{"10.0.0.0/8", "192.0.2.7"}
	})
	for _, c := range []struct {
		env  Envelope
		want bool
	}{
		{Envelope{ClientAddr: netip.MustParseAddr("10.1.2.3")}, true},
		{Envelope{ClientAddr: netip.MustParseAddr("::ffff:10.1.2.3")}, true}, // v4-mapped
		{Envelope{ClientAddr: netip.MustParseAddr("192.0.2.7")}, true},
		{Envelope{ClientAddr: netip.MustParseAddr("192.0.2.8")}, false},
		{Envelope{ClientAddr: netip.MustParseAddr("203.0.113.1"), AuthUser: "alice"}, true},
		{Envelope{}, false},
	} {
		if got, why := p.Internal(c.env); got != c.want {
			t.Errorf("%+v: internal=%v (%s), want %v", c.env, got, why, c.want)
		}
	}
	q := newPolicy(t, func(c *config.Policy) { c.AuthenticatedIsInternal = false })
	if got, _ := q.Internal(Envelope{AuthUser: "alice"}); got {
		t.Error("authenticated counted as internal when configured not to")
	}
}

// TestInternalDomains: with internal_domains set, a trusted network or a
// login vouches only for mail from our own domains; the sender domain
// alone (forgeable) never makes mail internal.
func TestInternalDomains(t *testing.T) {
	p := newPolicy(t, func(c *config.Policy) {
		c.InternalNetworks = []string{"10.0.0.0/8"}
		c.InternalDomains = []string{"example.org", "@Corp.Example"}
	})
	inside := netip.MustParseAddr("10.1.2.3")
	outside := netip.MustParseAddr("203.0.113.9")
	for _, c := range []struct {
		name string
		env  Envelope
		want bool
	}{
		{"internal host, our sender", Envelope{ClientAddr: inside, MailFrom: "alice@example.org"}, true},
		{"internal host, our subdomain", Envelope{ClientAddr: inside, MailFrom: "<bob@hr.example.org>"}, true},
		{"internal host, second domain, any case", Envelope{ClientAddr: inside, MailFrom: "Carol@CORP.example"}, true},
		{"internal host forwards outside sender", Envelope{ClientAddr: inside, MailFrom: "x@partner.example"}, false},
		{"internal host, look-alike domain", Envelope{ClientAddr: inside, MailFrom: "x@example.org.evil.example"}, false},
		{"internal host, suffix without dot", Envelope{ClientAddr: inside, MailFrom: "x@notexample.org"}, false},
		{"internal host, null sender", Envelope{ClientAddr: inside, MailFrom: "<>"}, false},
		{"outside host forging our domain", Envelope{ClientAddr: outside, MailFrom: "ceo@example.org"}, false},
		{"login, our sender", Envelope{ClientAddr: outside, AuthUser: "alice", MailFrom: "alice@example.org"}, true},
		{"login, outside sender", Envelope{ClientAddr: outside, AuthUser: "alice", MailFrom: "alice@gmail.example"}, false},
	} {
		got, why := p.Internal(c.env)
		if got != c.want {
			t.Errorf("%s: internal=%v (%s), want %v", c.name, got, why, c.want)
		}
		if got && !strings.Contains(why, "internal domain") {
			t.Errorf("%s: reason %q does not name the domain", c.name, why)
		}
	}
	// Without internal_domains the network alone decides, as before.
	q := newPolicy(t, func(c *config.Policy) { c.InternalNetworks = []string{"10.0.0.0/8"} })
	if got, _ := q.Internal(Envelope{ClientAddr: inside, MailFrom: "x@partner.example"}); !got {
		t.Error("no internal_domains: an internal host's mail is no longer internal")
	}
	if !p.IsInternalDomain("a@hr.example.org") || p.IsInternalDomain("a@example.net") {
		t.Error("IsInternalDomain disagrees with Internal")
	}
}

func TestMessageExclusions(t *testing.T) {
	p := newPolicy(t, func(c *config.Policy) {
		c.Exclusions.Senders = []string{"partner.example", "boss@example.net"}
		c.Exclusions.Recipients = []string{"@abuse.example.org"}
	})
	for _, c := range []struct {
		env  Envelope
		want bool
	}{
		// A sender exclusion alone never excludes: it needs proof.
		{Envelope{MailFrom: "x@partner.example"}, false},
		{Envelope{MailFrom: "a@b.c", RcptTo: []string{"r@abuse.example.org"}}, true},
		{Envelope{MailFrom: "x@partner.example", RcptTo: []string{"r@abuse.example.org", "ceo@example.org"}}, false},
	} {
		if got, why := p.Excluded(c.env); got != c.want {
			t.Errorf("%+v: excluded=%v (%s), want %v", c.env, got, why, c.want)
		}
	}
	for _, c := range []struct{ addr, want string }{
		{"x@partner.example", "partner.example"},
		{"<x@mail.partner.example>", "partner.example"}, // subdomain
		{"BOSS@example.net", "boss@example.net"},
		{"other@example.net", ""},
		{"x@notpartner.example", ""},
		{"", ""},
	} {
		if got := p.SenderExclusion(c.addr); got != c.want {
			t.Errorf("SenderExclusion(%q) = %q, want %q", c.addr, got, c.want)
		}
	}
	if p.SenderAuth() == nil {
		t.Error("no sender checker")
	}
	if !p.HasSenderExclusions() || newPolicy(t, nil).HasSenderExclusions() {
		t.Error("HasSenderExclusions wrong")
	}
}

func TestFileDecisions(t *testing.T) {
	const allowed = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	const blocked = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	p := newPolicy(t, func(c *config.Policy) {
		c.Exclusions.SHA256 = []string{strings.ToUpper(allowed)}
		c.Exclusions.Extensions = []string{"docx", ".exe"}
		c.BlockHashes = []string{blocked}
	})
	for _, c := range []struct {
		name string
		f    extract.File
		want Action
	}{
		{"pe", extract.File{Name: "a.exe", SniffedType: "application/vnd.microsoft.portable-executable", Category: verdict.Executable, SHA256: "cc"}, Sandbox},
		{"image", extract.File{Name: "a.png", SniffedType: "image/png", Category: verdict.Other}, Skip},
		{"allowed hash", extract.File{Name: "a.js", Category: verdict.Script, SHA256: allowed}, Allow},
		{"blocked hash", extract.File{Name: "a.js", Category: verdict.Script, SHA256: blocked}, Block},
		{"excluded ext", extract.File{Name: "a.docx", SniffedType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Category: verdict.Document}, Skip},
		// The extension does not excuse a PE.
		{"excluded ext but PE", extract.File{Name: "a.docx", SniffedType: "application/vnd.microsoft.portable-executable", Category: verdict.Executable}, Sandbox},
		{"encrypted", extract.File{Name: "a.zip", Category: verdict.Archive, Flags: extract.Flags{Encrypted: true}, Problem: "encrypted"}, Unscannable},
		{"nested mail", extract.File{Name: "f.eml", Category: verdict.Other, Container: true}, Skip},
	} {
		d := p.File(&c.f)
		if d.Action != c.want {
			t.Errorf("%s: %s (%s), want %s", c.name, d.Action, d.Reason, c.want)
		}
	}
	// Runtime exclusions.
	q := p.WithAllowedHashes([]string{"cc"})
	if d := q.File(&extract.File{Category: verdict.Executable, SHA256: "cc"}); d.Action != Allow {
		t.Errorf("runtime exclusion: %s", d.Action)
	}
	if d := p.File(&extract.File{Category: verdict.Executable, SHA256: "cc"}); d.Action != Sandbox {
		t.Error("WithAllowedHashes changed the original policy")
	}
}

func TestActions(t *testing.T) {
	p := newPolicy(t, nil)
	if p.ActionFor(verdict.Malicious) != config.ActionReject || p.ActionFor(verdict.Clean) != config.ActionDeliver ||
		p.ActionFor(verdict.Unscannable) != config.ActionQuarantine {
		t.Errorf("default actions: %+v", p.Config().Actions)
	}
}
