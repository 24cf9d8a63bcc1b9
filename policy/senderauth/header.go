package senderauth

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"
)

// Field is one header field as received.
type Field struct {
	// Name as written (case kept).
	Name string
	// Value unfolded, without the leading space.
	Value string
	// Index is the field's 1-based position among the fields of the same
	// name (case-insensitive): what a milter's change-header request
	// names (smfi_chgheader).
	Index int

	start, end int // byte range in the data, continuation lines included
}

// Header is a message's header fields in order.
type Header []Field

// ParseHeader reads the fields before the first empty line (CRLF or bare
// LF line ends). A line that is neither a field nor a continuation is
// skipped: this reading is only for the fields named here, never for what
// the message carries.
func ParseHeader(data []byte) Header {
	var h Header
	count := map[string]int{}
	var cur *Field
	pos := 0
	for pos < len(data) {
		start := pos
		line := data[pos:]
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
			pos += i + 1
		} else {
			pos = len(data)
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if cur != nil {
				cur.Value += " " + strings.TrimSpace(string(line))
				cur.end = pos
			}
			continue
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			cur = nil
			continue
		}
		name := strings.TrimRight(string(line[:i]), " \t")
		key := strings.ToLower(name)
		count[key]++
		h = append(h, Field{Name: name, Value: strings.TrimSpace(string(line[i+1:])), Index: count[key], start: start, end: pos})
		cur = &h[len(h)-1]
	}
	return h
}

// Remove returns data without the fields named by (name, index), read
// the way ParseHeader reads them. The body and every other byte are kept.
func Remove(data []byte, fields []Field) []byte {
	if len(fields) == 0 {
		return data
	}
	drop := map[string]bool{}
	for _, f := range fields {
		drop[strings.ToLower(f.Name)+"\x00"+strconv.Itoa(f.Index)] = true
	}
	out := make([]byte, 0, len(data))
	last := 0
	for _, f := range ParseHeader(data) {
		if drop[strings.ToLower(f.Name)+"\x00"+strconv.Itoa(f.Index)] {
			out = append(out, data[last:f.start]...)
			last = f.end
		}
	}
	return append(out, data[last:]...)
}

// Values returns the values of the fields named name.
func (h Header) Values(name string) []string {
	var out []string
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

// From returns the From field's single address, or "" and why not.
func (h Header) From() (string, string) {
	vs := h.Values("From")
	switch len(vs) {
	case 0:
		return "", "no From field"
	case 1:
	default:
		return "", "several From fields"
	}
	a, err := parseOneAddress(vs[0])
	if err != nil || !strings.Contains(a, "@") {
		return "", "From field holds no single address"
	}
	return a, ""
}

// FieldAuthRes is the Authentication-Results field name (RFC 8601).
const FieldAuthRes = "Authentication-Results"

// trustedAuthRes splits the header's Authentication-Results fields that
// claim a trusted authserv-id into the believed ones (in the topmost run
// of Authentication-Results fields, the ones the site's MTA added last)
// and the forged ones (anywhere below).
func (c *Checker) trustedAuthRes(h Header) (believed []authresField, forged []Field) {
	top := true
	for _, f := range h {
		if !strings.EqualFold(f.Name, FieldAuthRes) {
			top = false
			continue
		}
		// The authserv-id is read from the raw text (RFC 8601 section
		// 2.2: it comes first, up to the first ';', an optional version
		// after it), so that a field the library cannot parse is still
		// recognised as claiming one of our ids.
		id := authservID(f.Value)
		if !c.trusted[id] {
			continue // not believed, and not ours to remove
		}
		_, results, err := authres.Parse(f.Value)
		if !top || err != nil {
			forged = append(forged, f)
			continue
		}
		believed = append(believed, authresField{id: id, results: results})
	}
	return believed, forged
}

// authservID is the authserv-id of an Authentication-Results value,
// lower-cased ("" when there is none).
func authservID(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	// RFC 5322 comments may stand around it: "(comment) mx.example.org 1".
	for strings.HasPrefix(strings.TrimSpace(v), "(") {
		v = strings.TrimSpace(v)
		j := strings.IndexByte(v, ')')
		if j < 0 {
			return ""
		}
		v = v[j+1:]
	}
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(strings.Trim(f[0], "\""))
}

type authresField struct {
	id      string
	results []authres.Result
}

// Forged lists the Authentication-Results fields that claim a trusted
// authserv-id but do not stand at the top of the header: they came with
// the message, are never believed, and the front ends remove them.
func (c *Checker) Forged(data []byte) []Field {
	if !c.TrustsAuthResults() {
		return nil
	}
	_, forged := c.trustedAuthRes(ParseHeader(data))
	return forged
}

// fromAuthResults reads the believed fields: spf=pass for the MAIL FROM
// domain proves MAIL FROM; dkim=pass aligned with the From domain, or
// dmarc=pass for it, proves From.
func (c *Checker) fromAuthResults(h Header, mailFrom, from string) []Identity {
	believed, _ := c.trustedAuthRes(h)
	var out []Identity
	mfDom, fromDom := domainOf(mailFrom), domainOf(from)
	for _, b := range believed {
		for _, res := range b.results {
			switch r := res.(type) {
			case *authres.SPFResult:
				d := strings.ToLower(r.From)
				if strings.Contains(d, "@") {
					d = domainOf(d)
				}
				if r.Value == authres.ResultPass && mfDom != "" && d == mfDom {
					out = append(out, Identity{Address: mailFrom, Method: MethodAuthRes,
						Detail: "spf=pass " + mfDom + " by " + b.id})
				}
			case *authres.DKIMResult:
				if r.Value == authres.ResultPass && fromDom != "" && aligned(r.Domain, fromDom, c.align) {
					out = append(out, Identity{Address: from, Method: MethodAuthRes,
						Detail: "dkim=pass d=" + strings.ToLower(r.Domain) + " by " + b.id})
				}
			case *authres.DMARCResult:
				if r.Value == authres.ResultPass && fromDom != "" && strings.EqualFold(r.From, fromDom) {
					out = append(out, Identity{Address: from, Method: MethodAuthRes,
						Detail: "dmarc=pass " + fromDom + " by " + b.id})
				}
			}
		}
	}
	return out
}
