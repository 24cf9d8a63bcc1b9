// Package senderauth proves (or fails to prove) who sent a message, for
// the one decision that believes a sender: an exclusion by sender address
// or domain. It checks SPF for the MAIL FROM domain and the client
// address (blitiri.com.ar/go/spf), DKIM signatures and their alignment
// with the From header's domain as DMARC defines it (go-msgauth dkim and
// dmarc), and Authentication-Results fields (RFC 8601) written by the
// site's own verifiers (go-msgauth authres).
//
// It promises:
//   - only a pass proves: SPF fail, softfail, neutral, none, a DKIM
//     signature that is missing, broken or not aligned, and every DNS
//     failure or timeout (temperror) leave the sender unproven, and the
//     Result's notes say which check said what;
//   - all DNS goes to the configured resolver and every message's lookups
//     together are bounded by the configured timeout;
//   - an Authentication-Results field is believed only when its
//     authserv-id is configured and it stands in the topmost run of such
//     fields; fields claiming a configured id anywhere else are listed in
//     Forged, for the front ends to remove.
package senderauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strings"
	"time"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"

	"github.com/airlockmail/airlock/config"
)

// Checker checks senders. Safe for concurrent use.
type Checker struct {
	res     *net.Resolver
	timeout time.Duration
	align   dmarc.AlignmentMode
	trusted map[string]bool
}

// New builds a checker from the config section.
func New(c config.SenderAuth) *Checker {
	ch := &Checker{timeout: c.Timeout, align: dmarc.AlignmentRelaxed, trusted: map[string]bool{}}
	if ch.timeout <= 0 {
		ch.timeout = config.DefaultSenderAuth().Timeout
	}
	if c.DKIMAlignment == "strict" {
		ch.align = dmarc.AlignmentStrict
	}
	for _, id := range c.TrustedAuthservIDs {
		ch.trusted[strings.ToLower(strings.TrimSpace(id))] = true
	}
	ch.res = net.DefaultResolver
	if addr := c.ResolverAddr(); addr != "" {
		// The pure-Go resolver, so that Dial is honoured: every query of
		// every check goes to the one configured server.
		ch.res = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}}
	}
	return ch
}

// TrustsAuthResults reports whether any authserv-id is trusted (only then
// are Authentication-Results fields read, or removed).
func (c *Checker) TrustsAuthResults() bool { return c != nil && len(c.trusted) > 0 }

// Input is what a check looks at.
type Input struct {
	ClientAddr netip.Addr
	Helo       string
	MailFrom   string
	// Data is the message as received (header and body).
	Data []byte
	// WantMailFrom asks to prove the MAIL FROM address (SPF, or a
	// trusted spf=pass), WantFrom the From header's (DKIM aligned, or a
	// trusted dkim/dmarc=pass). Unwanted checks cost no DNS.
	WantMailFrom, WantFrom bool
}

// Method names how an identity was proven.
const (
	MethodSPF     = "spf"
	MethodDKIM    = "dkim"
	MethodAuthRes = "authres"
)

// Identity is one proven sender address.
type Identity struct {
	// Address is the MAIL FROM or From header address that was proven.
	Address string
	// Method is spf, dkim or authres.
	Method string
	// Detail says what proved it, e.g. "spf=pass example.com" or
	// "dkim=pass d=example.com aligned with example.com".
	Detail string
}

// Result is what a check found.
type Result struct {
	// Proven lists the addresses proven, MAIL FROM first.
	Proven []Identity
	// Notes say, one per check, what each one answered
	// ("spf=fail for example.com", "dkim=none", "dkim=temperror ...").
	Notes []string
	// Temporary is set when a check could not finish (DNS error or
	// timeout): the sender may be honest, but is not proven now.
	Temporary bool
}

// Check proves what in asks for. It never fails: what could not be proven
// is noted.
func (c *Checker) Check(ctx context.Context, in Input) *Result {
	r := &Result{}
	if c == nil {
		r.Notes = append(r.Notes, "sender authentication not configured")
		return r
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	hdr := ParseHeader(in.Data)
	from, fromNote := hdr.From()
	mailFrom := strings.ToLower(strings.Trim(strings.TrimSpace(in.MailFrom), "<>"))

	provenMF, provenFrom := false, false
	if c.TrustsAuthResults() {
		for _, id := range c.fromAuthResults(hdr, mailFrom, from) {
			if id.Address == mailFrom && in.WantMailFrom && !provenMF {
				provenMF = true
				r.Proven = append(r.Proven, id)
			}
			if id.Address == from && in.WantFrom && !provenFrom {
				provenFrom = true
				r.Proven = append(r.Proven, id)
			}
		}
	}
	if in.WantMailFrom && !provenMF {
		if id, note, temp := c.checkSPF(ctx, in, mailFrom); id != nil {
			r.Proven = append(r.Proven, *id)
		} else {
			r.Notes = append(r.Notes, note)
			r.Temporary = r.Temporary || temp
		}
	}
	if in.WantFrom && !provenFrom {
		switch {
		case from == "":
			r.Notes = append(r.Notes, "dkim not checked: "+fromNote)
		default:
			if id, note, temp := c.checkDKIM(ctx, in.Data, from); id != nil {
				r.Proven = append(r.Proven, *id)
			} else {
				r.Notes = append(r.Notes, note)
				r.Temporary = r.Temporary || temp
			}
		}
	}
	return r
}

// checkSPF runs SPF for the MAIL FROM domain (RFC 7208 check_host with
// the client address). Only pass proves.
func (c *Checker) checkSPF(ctx context.Context, in Input, mailFrom string) (*Identity, string, bool) {
	dom := domainOf(mailFrom)
	if mailFrom == "" || dom == "" || !strings.Contains(mailFrom, "@") {
		return nil, "spf not checked: no MAIL FROM address", false
	}
	if !in.ClientAddr.IsValid() {
		return nil, "spf not checked: client address unknown", false
	}
	ip := net.IP(in.ClientAddr.Unmap().AsSlice())
	res, err := spf.CheckHostWithSender(ip, in.Helo, mailFrom, spf.WithContext(ctx), spf.WithResolver(c.res))
	if res == spf.Pass {
		return &Identity{Address: mailFrom, Method: MethodSPF, Detail: "spf=pass " + dom}, "", false
	}
	note := fmt.Sprintf("spf=%s for %s from %s", res, dom, in.ClientAddr.Unmap())
	temp := res == spf.TempError || ctx.Err() != nil
	if temp && res != spf.TempError {
		note = fmt.Sprintf("spf=temperror for %s (timed out)", dom)
	}
	if err != nil && res != spf.Fail && res != spf.SoftFail && res != spf.Neutral {
		note += " (" + oneLine(err.Error()) + ")"
	}
	return nil, note, temp
}

// checkDKIM verifies the message's DKIM signatures and looks for one that
// is valid and aligned with the From domain (RFC 7489 section 3.1.1).
func (c *Checker) checkDKIM(ctx context.Context, data []byte, from string) (*Identity, string, bool) {
	fromDom := domainOf(from)
	lookup := func(name string) ([]string, error) { return c.res.LookupTXT(ctx, name) }
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(data), &dkim.VerifyOptions{LookupTXT: lookup, MaxVerifications: 5})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, "dkim=permerror (" + oneLine(err.Error()) + ")", false
	}
	if len(vs) == 0 {
		return nil, "dkim=none (no signature) for From domain " + fromDom, false
	}
	var notes []string
	temp := false
	mode, modeNote, modeTemp := c.alignment(ctx, fromDom)
	for _, v := range vs {
		d := strings.ToLower(strings.TrimSuffix(v.Domain, "."))
		switch {
		case v.Err != nil:
			t := dkim.IsTempFail(v.Err) || ctx.Err() != nil
			temp = temp || t
			kind := "fail"
			if t {
				kind = "temperror"
			} else if dkim.IsPermFail(v.Err) {
				kind = "permerror"
			}
			notes = append(notes, fmt.Sprintf("dkim=%s d=%s (%s)", kind, d, oneLine(v.Err.Error())))
		case modeTemp:
			temp = true
			notes = append(notes, fmt.Sprintf("dkim=pass d=%s but %s", d, modeNote))
		case aligned(d, fromDom, mode):
			return &Identity{Address: from, Method: MethodDKIM,
				Detail: fmt.Sprintf("dkim=pass d=%s aligned (%s) with From domain %s", d, alignName(mode), fromDom)}, "", false
		default:
			notes = append(notes, fmt.Sprintf("dkim=pass d=%s not aligned (%s) with From domain %s", d, alignName(mode), fromDom))
		}
	}
	return nil, strings.Join(notes, ", "), temp
}

func alignName(m dmarc.AlignmentMode) string {
	if m == dmarc.AlignmentStrict {
		return "strict"
	}
	return "relaxed"
}

func oneLine(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

func domainOf(addr string) string {
	addr = strings.ToLower(strings.Trim(strings.TrimSpace(addr), "<>"))
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.TrimSuffix(addr[i+1:], ".")
	}
	return ""
}

// parseOneAddress reads a From field that must hold exactly one mailbox
// (DMARC, RFC 7489 section 6.6.1: several authors cannot be aligned).
func parseOneAddress(v string) (string, error) {
	list, err := mail.ParseAddressList(v)
	if err != nil {
		return "", err
	}
	if len(list) != 1 {
		return "", fmt.Errorf("%d addresses", len(list))
	}
	return strings.ToLower(list[0].Address), nil
}
