package deliver

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/airlockmail/airlock/deliver/releasehdr"
)

// Header field names added on delivery.
const (
	FieldVerdict = "X-Airlock-Verdict"
	FieldQueueID = "X-Airlock-Queue-Id"
	FieldHeld    = "X-Airlock-Held"
)

// ownedPrefix is the name space of every field Airlock writes: the three
// above and releasehdr.Field. A sender must not be able to pre-set any of
// them, nor one a later version adds, so the whole prefix is Airlock's.
const ownedPrefix = "x-airlock-"

// Owned reports whether a header field name is one Airlock writes, and so
// one that must never come in with the mail. Case does not matter, nor
// white space between the name and the colon: RFC 5322 §3.6.8 names are
// case-insensitive, and Postfix (is_header) and lenient readers accept
// "Name :" as the field Name.
//
// Only a well-formed name (RFC 5322 ftext: printable ASCII but the colon)
// is Airlock's: any other is no field a reader takes for Airlock's, and a
// milter could not name it to the MTA to delete it.
func Owned(name string) bool {
	name = strings.TrimRight(name, " \t")
	if len(name) < len(ownedPrefix) || !strings.EqualFold(name[:len(ownedPrefix)], ownedPrefix) {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// StripOwned returns msg without the header fields Airlock owns (with
// their continuation lines), and how many fields it removed. The rest is
// copied byte for byte; msg itself is not changed.
//
// The header is read as the most lenient mail readers read it: it ends at
// the first empty line, and a line that is not a field (no colon) does not
// end it, so a forged field placed after a broken line is still removed.
func StripOwned(msg []byte) ([]byte, int) {
	var out []byte
	removed, dropping := 0, false
	rest := msg
	for len(rest) > 0 {
		n := bytes.IndexByte(rest, '\n') + 1
		if n == 0 {
			n = len(rest)
		}
		line := rest[:n]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break // the empty line: the body follows
		}
		cont := line[0] == ' ' || line[0] == '\t'
		if !cont {
			dropping = false
			if i := bytes.IndexByte(line, ':'); i > 0 && Owned(string(line[:i])) {
				dropping = true
				removed++
				if out == nil {
					out = append(make([]byte, 0, len(msg)), msg[:len(msg)-len(rest)]...)
				}
			}
		}
		if !dropping && out != nil {
			out = append(out, line...)
		}
		rest = rest[n:]
	}
	if out == nil {
		return msg, 0
	}
	return append(out, rest...), removed
}

// Stamp is what the added header fields say.
type Stamp struct {
	QueueID string
	// Verdict is the summary line: "clean", "timeout: 2 file(s) pending",
	// "released by admin:carol".
	Verdict string
	// HeldAt is when the message was held; the header gives the time held.
	HeldAt time.Time
}

// addHeaders returns data with Airlock's fields on top of the header.
// Line ends are made CRLF (see NormalizeLineEnds) and every X-Airlock-*
// field that came in with the mail is dropped, so that a sender cannot
// pre-set what the recipient reads as Airlock's verdict; nothing else
// changes. The release header signs the body as it is sent.
func (d *Deliverer) addHeaders(data []byte, s Stamp, now time.Time) []byte {
	msg, _ := StripOwned(NormalizeLineEnds(data))
	digest := releasehdr.BodyDigest(msg)
	var out bytes.Buffer
	out.Grow(len(msg) + 512)
	field := func(name, value string) {
		fmt.Fprintf(&out, "%s: %s\r\n", name, oneLine(value))
	}
	field(FieldVerdict, s.Verdict)
	field(FieldQueueID, s.QueueID)
	if !s.HeldAt.IsZero() {
		field(FieldHeld, fmt.Sprintf("%s (since %s)", now.Sub(s.HeldAt).Round(time.Second), s.HeldAt.UTC().Format(time.RFC1123Z)))
	}
	field(releasehdr.Field, releasehdr.Sign(d.key, s.QueueID, digest, now.Add(d.cfg.ReleaseTTL)))
	out.Write(msg)
	return out.Bytes()
}

// oneLine keeps a header value on one line: a CR or LF in it would end
// the field and let the rest pose as another.
func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
	}
	return s
}
