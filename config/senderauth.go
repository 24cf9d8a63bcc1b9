package config

import (
	"net"
	"strings"
	"time"
)

// SenderAuth says how a sender exclusion is proven. An exclusion by sender
// address or domain (policy.exclusions.senders) applies only when the
// sender is authenticated: SPF passes for the MAIL FROM domain and the
// client address, or a valid DKIM signature is aligned with the From
// header's domain (DMARC alignment), or a trusted Authentication-Results
// field (RFC 8601) says one of these. A sender domain alone proves
// nothing: it is trivially forged.
type SenderAuth struct {
	// Resolver is the DNS server asked for SPF, DKIM and DMARC records,
	// host:port (or an address alone, port 53). Empty: the system's
	// resolver (/etc/resolv.conf). Point it at a validating resolver
	// you run (e.g. unbound on 127.0.0.1): forged DNS answers forge SPF.
	Resolver string `yaml:"resolver"`
	// Timeout bounds all lookups for one message. When it runs out (or
	// DNS fails) the result is temperror: the exclusion does not apply
	// and the mail is scanned. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
	// DKIMAlignment applies when the From domain publishes no DMARC
	// record (a record's adkim= wins): relaxed (the signing domain and
	// the From domain share their organizational domain) or strict
	// (they are equal). Default relaxed.
	DKIMAlignment string `yaml:"dkim_alignment"`
	// TrustedAuthservIDs are the authserv-ids (RFC 8601) of the
	// verifiers that run before Airlock on this site's own MTA
	// (OpenDKIM, OpenDMARC, a Postfix policy service). Only the
	// Authentication-Results fields at the very top of the header (the
	// ones the MTA added last) are believed; a field claiming one of
	// these ids anywhere else came from the sender, is ignored and is
	// removed from the delivered message. The MTA must also drop
	// incoming fields with these ids (RFC 8601 section 5; with Postfix
	// a header_checks IGNORE rule): a sender's own field at the very top
	// cannot be told apart otherwise. Default: none (no field trusted).
	TrustedAuthservIDs []string `yaml:"trusted_authserv_ids"`
}

// DefaultSenderAuth returns the defaults: the system resolver, 5s, relaxed
// alignment, no trusted Authentication-Results.
func DefaultSenderAuth() SenderAuth {
	return SenderAuth{Timeout: 5 * time.Second, DKIMAlignment: "relaxed"}
}

// ResolverAddr is Resolver with the port filled in ("" for the system's).
func (c SenderAuth) ResolverAddr() string {
	r := strings.TrimSpace(c.Resolver)
	if r == "" {
		return ""
	}
	if _, _, err := net.SplitHostPort(r); err == nil {
		return r
	}
	return net.JoinHostPort(strings.Trim(r, "[]"), "53")
}

// Validate checks the sender_auth section.
func (c *SenderAuth) Validate(path string, p *Problems) {
	if a := c.ResolverAddr(); a != "" {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" || port == "" {
			p.Addf(path+".resolver", "must be host:port or an address, not %q", c.Resolver)
		}
	}
	if c.Timeout <= 0 {
		p.Addf(path+".timeout", "must be > 0")
	}
	switch c.DKIMAlignment {
	case "relaxed", "strict":
	default:
		p.Addf(path+".dkim_alignment", "must be relaxed or strict, not %q", c.DKIMAlignment)
	}
	for i, id := range c.TrustedAuthservIDs {
		if strings.TrimSpace(id) == "" || strings.ContainsAny(id, " \t;") {
			p.Addf(path+".trusted_authserv_ids["+itoa(i)+"]", "must be one authserv-id (a host name), not %q", id)
		}
	}
}
