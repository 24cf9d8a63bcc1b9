package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// identity is what the upstream must know about the SMTP client: with the
// proxy in between, the upstream's own connection comes from the proxy, so
// its client checks (connection filtering, IP allow and block lists,
// mynetworks, RBLs, SPF) would judge the proxy instead. It reaches the
// upstream by XCLIENT or XFORWARD when the upstream offers them (see
// handshake.go), and always in the proxy's Received line.
type identity struct {
	addr netip.Addr
	port int
	// name is the client's forward-confirmed reverse DNS name; "" when
	// there is none, with nameTemp telling a failed lookup (try again)
	// from a missing or unconfirmed name.
	name     string
	nameTemp bool
	// ptr is the reverse name, confirmed or not ("" when none).
	ptr  string
	helo string
	// dest is the proxy's own address the client connected to.
	dest netip.AddrPort
	tls  *tls.ConnectionState
}

// lookupName finds the client's host name as MTAs do: the PTR names of
// the address, and the first one whose forward lookup gives the address
// back. A timeout or server failure is temporary.
func lookupName(ctx context.Context, r *net.Resolver, a netip.Addr) (name, ptr string, temp bool) {
	if !a.IsValid() {
		return "", "", false
	}
	names, err := r.LookupAddr(ctx, a.String())
	if err != nil {
		var de *net.DNSError
		return "", "", !(errors.As(err, &de) && de.IsNotFound)
	}
	for _, n := range names {
		n = strings.TrimSuffix(n, ".")
		if ptr == "" {
			ptr = n
		}
		addrs, err := r.LookupNetIP(ctx, "ip", n)
		if err != nil {
			var de *net.DNSError
			temp = temp || !(errors.As(err, &de) && de.IsNotFound)
			continue
		}
		for _, x := range addrs {
			if x.Unmap() == a {
				return n, ptr, false
			}
		}
	}
	return "", ptr, temp
}

// received is the proxy's trace field (RFC 5321 §4.4), the first line of
// what it passes on and of what it holds, so the client's address survives
// both: "Received: from HELO (NAME [ADDR]) by HOST (Airlock) with ESMTP;
// DATE". Exchange reads the client from it when the proxy's address is in
// its InternalSMTPServers list (docs/exchange.md).
func (id *identity) received(host string, now time.Time) string {
	name := id.name
	if name == "" {
		name = "unknown"
	}
	addr := "unknown"
	if id.addr.IsValid() {
		addr = id.addr.String()
		if id.addr.Is6() {
			addr = "IPv6:" + addr
		}
	}
	with := "ESMTP"
	tlsInfo := ""
	if id.tls != nil {
		with = "ESMTPS"
		tlsInfo = fmt.Sprintf("\r\n\t(using %s with cipher %s)", tls.VersionName(id.tls.Version), tls.CipherSuiteName(id.tls.CipherSuite))
	}
	return fmt.Sprintf("Received: from %s (%s [%s])\r\n\tby %s (Airlock) with %s%s;\r\n\t%s\r\n",
		traceWord(id.helo), traceWord(name), addr, traceWord(host), with, tlsInfo, now.Format(time.RFC1123Z))
}

// traceWord keeps a client-chosen name (HELO) from shaping the Received
// line: only the characters of host names and address literals without
// brackets stay, so a HELO cannot pose as the "(name [address])" part
// that readers such as Exchange take the client's address from.
func traceWord(s string) string {
	if s == "" {
		return "unknown"
	}
	if len(s) > 255 {
		s = s[:255]
	}
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_' || c == ':') {
			b[i] = '_'
		}
	}
	return string(b)
}

// xtext encodes an XCLIENT / XFORWARD attribute value (RFC 3461 §4):
// printable ASCII but '+' and '=' as is, anything else as +HH.
func xtext(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || c == '+' || c == '=' {
			fmt.Fprintf(&b, "+%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// xaddr is an address as XCLIENT and XFORWARD take it: IPv6 with the
// "IPV6:" prefix.
func xaddr(a netip.Addr) string {
	if a.Is6() && !a.Is4In6() {
		return "IPV6:" + a.String()
	}
	return a.Unmap().String()
}

// attrs returns the identity as XCLIENT (xclient true) or XFORWARD
// attributes, keeping those the upstream listed after the keyword in its
// EHLO reply ("XCLIENT NAME ADDR PORT PROTO HELO ...").
func (id *identity) attrs(offered string, xclient bool) []string {
	ok := map[string]bool{}
	for _, a := range strings.Fields(strings.ToUpper(offered)) {
		ok[a] = true
	}
	var out []string
	add := func(k, v string) {
		if ok[k] && v != "" {
			out = append(out, k+"="+xtext(v))
		}
	}
	add("ADDR", xaddr(id.addr))
	name := id.name
	switch {
	case name != "":
	case id.nameTemp:
		name = "[TEMPUNAVAIL]"
	default:
		name = "[UNAVAILABLE]"
	}
	add("NAME", name)
	if xclient {
		ptr := id.ptr
		if ptr == "" {
			ptr = name
		}
		add("REVERSE_NAME", ptr)
	}
	if id.port > 0 {
		add("PORT", strconv.Itoa(id.port))
	}
	add("PROTO", "ESMTP")
	add("HELO", id.helo)
	if xclient {
		if id.dest.IsValid() {
			add("DESTADDR", xaddr(id.dest.Addr()))
			add("DESTPORT", strconv.Itoa(int(id.dest.Port())))
		}
	} else {
		add("SOURCE", "REMOTE")
	}
	return out
}
