package senderauth

import (
	"context"
	"errors"
	"net"
	"strings"

	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// orgDomain is the organizational domain (RFC 7489 section 3.2): the
// public suffix plus one label. A name that is itself a public suffix
// has none, and aligns with nothing but itself.
func orgDomain(d string) string {
	d = strings.ToLower(strings.TrimSuffix(d, "."))
	o, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return o
}

// aligned reports whether a signing domain aligns with the From domain.
func aligned(signer, from string, mode dmarc.AlignmentMode) bool {
	signer = strings.ToLower(strings.TrimSuffix(signer, "."))
	from = strings.ToLower(strings.TrimSuffix(from, "."))
	if signer == "" || from == "" {
		return false
	}
	if signer == from {
		return true
	}
	return mode != dmarc.AlignmentStrict && orgDomain(signer) == orgDomain(from)
}

// alignment is the DKIM alignment mode the From domain asks for in its
// DMARC record (the domain's own, else its organizational domain's), or
// the configured default when it publishes none. A DNS failure is
// temporary: alignment cannot be judged now.
func (c *Checker) alignment(ctx context.Context, fromDom string) (dmarc.AlignmentMode, string, bool) {
	lookup := func(name string) ([]string, error) { return c.res.LookupTXT(ctx, name) }
	names := []string{fromDom}
	if o := orgDomain(fromDom); o != fromDom {
		names = append(names, o)
	}
	for _, n := range names {
		rec, err := dmarc.LookupWithOptions(n, &dmarc.LookupOptions{LookupTXT: lookup})
		switch {
		case err == nil:
			return rec.DKIMAlignment, "", false
		case errors.Is(err, dmarc.ErrNoPolicy) || isNotFound(err):
			continue
		case dmarc.IsTempFail(err) || ctx.Err() != nil:
			return c.align, "the DMARC record of " + n + " could not be read (temperror)", true
		default:
			// A malformed record is no record (RFC 7489 section 6.6.3).
			continue
		}
	}
	return c.align, "", false
}

func isNotFound(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && de.IsNotFound
}
