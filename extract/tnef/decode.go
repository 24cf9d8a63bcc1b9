package tnef

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// ErrNotTNEF is returned for input that does not start with the TNEF
// signature: the caller should treat it as a plain file (a PNG labelled
// winmail.dat is still a PNG).
var ErrNotTNEF = errors.New("tnef: not a TNEF stream (no 0x223E9F78 signature)")

// signature starts every TNEF stream (little-endian on the wire).
const signature = 0x223E9F78

// Attribute levels.
const (
	levelMessage    = 0x01
	levelAttachment = 0x02
)

// Attribute ids, low 16 bits only: the high word is a type ([MS-OXTNEF]
// section 2.1.3) that some writers leave zero, and it adds nothing here.
const (
	attAttachTransportFilename = 0x9001
	attAttachRendData          = 0x9002
	attMsgProps                = 0x9003
	attAttachment              = 0x9005
	attOemCodepage             = 0x9007
	attMessageClass            = 0x8008
	attBody                    = 0x800C
	attAttachData              = 0x800F
	attAttachTitle             = 0x8010
)

// attrHeader is level (1) + id (4) + length (4); the checksum (2) follows
// the data.
const (
	attrHeader   = 9
	attrChecksum = 2
)

// Attach methods (PR_ATTACH_METHOD) that change how Data is read.
const (
	MethodByValue  = 1
	MethodEmbedded = 5
	MethodOLE      = 6
)

// maxProblems caps how many problems one message records, so junk that
// fails every checksum cannot grow the list without bound.
const maxProblems = 32

// Limits bound what one Decode may produce, across the whole tree of
// embedded messages. A zero field takes its default from DefaultLimits.
type Limits struct {
	// MaxAttachments is how many attachments may be listed in all, embedded
	// messages' attachments included. Default 1000.
	MaxAttachments int
	// MaxBytes is how many attachment bytes may be handed out in all.
	// Default 256 MiB.
	MaxBytes int64
	// MaxDepth is how deeply embedded messages may nest: the stream passed
	// to Decode is depth 0, a message embedded in it depth 1. Default 8.
	MaxDepth int
}

// DefaultLimits returns limits chosen for real mail, matching the extract
// defaults.
func DefaultLimits() Limits {
	return Limits{MaxAttachments: 1000, MaxBytes: 256 << 20, MaxDepth: 8}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxAttachments <= 0 {
		l.MaxAttachments = d.MaxAttachments
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	return l
}

// Message is one decoded TNEF stream.
type Message struct {
	// Class is the message class (attMessageClass or PR_MESSAGE_CLASS),
	// e.g. "IPM.Note".
	Class string
	// CodePage is the code page 8-bit strings were read in.
	CodePage int
	// Bodies are the message bodies the stream carries, in stream order.
	Bodies []Body
	// Attachments in stream order.
	Attachments []Attachment
	// Problems found while reading: bad checksums, junk or truncated
	// attributes, malformed property lists. What was read before a fault
	// is kept.
	Problems []string
	// Limit names the limit that stopped the walk early ("files"), if any.
	Limit string
}

// Body is one form of the message body.
type Body struct {
	// Kind is "text" (attBody, PR_BODY), "html" (PR_HTML) or "rtf"
	// (PR_RTF_COMPRESSED, left compressed as [MS-OXRTFCP] stores it).
	Kind string
	// Data aliases the input.
	Data []byte
}

// Attachment is one attachment of a TNEF message.
type Attachment struct {
	// Name is PR_ATTACH_LONG_FILENAME, else PR_ATTACH_FILENAME, else
	// attAttachTitle, else attAttachTransportFilename, else PR_DISPLAY_NAME
	// (embedded messages are often named only by that); "" when the stream
	// names it nowhere.
	Name string
	// Title is attAttachTitle as sent (often an 8.3 name).
	Title string
	// MIMEType is PR_ATTACH_MIME_TAG, when present.
	MIMEType string
	// Method is PR_ATTACH_METHOD (1 by value, 5 embedded message, 6 OLE
	// object), 0 when absent.
	Method int
	// Data is the attachment's bytes (PR_ATTACH_DATA_BIN/OBJ, else
	// attAttachData), aliasing the input. For an OLE object it is the
	// compound file without its IID prefix; for an embedded message it is
	// the nested TNEF stream, whose contents are in Embedded. Nil when a
	// limit withheld it.
	Data []byte
	// Embedded is the decoded embedded message (Method 5), nil otherwise
	// or when it could not be decoded (see Problem).
	Embedded *Message
	// Truncated is set when the stream ended inside the attachment's data;
	// Data holds what was there.
	Truncated bool
	// Limit names the limit that withheld Data or Embedded: "total_bytes"
	// or "depth".
	Limit string
	// Problem says what was wrong with this attachment, "" if nothing.
	Problem string
}

// IsTNEF reports whether data starts with the TNEF signature, so a caller
// can recognise winmail.dat by content rather than by name or declared type.
func IsTNEF(data []byte) bool {
	return len(data) >= 6 && binary.LittleEndian.Uint32(data) == signature
}

// Decode reads a TNEF stream. It fails only when data is not TNEF at all
// (ErrNotTNEF); damage after the signature is reported in Problems.
func Decode(data []byte, lim Limits) (*Message, error) {
	st := &state{lim: lim.withDefaults()}
	return st.decode(data, 0, defaultCodePage)
}

// state is shared by a message and all messages embedded in it, so that
// limits hold for the whole tree.
type state struct {
	lim         Limits
	attachments int
	bytes       int64
}

// pending is an attachment while its attributes are being read: names and
// data are resolved only at the end, because the MAPI properties that win
// usually come last and the code page may be declared anywhere.
type pending struct {
	title, transport                []byte
	longName, fileName, displayName text
	mimeType                        text
	attData                         []byte
	hasAttData                      bool
	propData                        []byte
	hasPropData                     bool
	objectIID                       []byte
	method                          int
	truncated                       bool
	problems                        []string
}

// problem records a problem with the attachment, up to maxProblems.
func (p *pending) problem(msg string) {
	switch n := len(p.problems); {
	case n < maxProblems:
		p.problems = append(p.problems, msg)
	case n == maxProblems:
		p.problems = append(p.problems, "more problems not recorded")
	}
}

type decoder struct {
	st      *state
	m       *Message
	depth   int
	class   []byte
	classMP text
	atts    []*pending
}

func (st *state) decode(data []byte, depth int, cp int) (*Message, error) {
	if !IsTNEF(data) {
		return nil, ErrNotTNEF
	}
	d := &decoder{st: st, m: &Message{CodePage: cp}, depth: depth}
	d.readAttributes(data)
	d.finish()
	return d.m, nil
}

func (d *decoder) problem(format string, args ...any) {
	switch n := len(d.m.Problems); {
	case n < maxProblems:
		d.m.Problems = append(d.m.Problems, fmt.Sprintf(format, args...))
	case n == maxProblems:
		d.m.Problems = append(d.m.Problems, "more problems not recorded")
	}
}

// readAttributes walks the attribute stream after the signature and the
// legacy key, stopping at the first attribute that cannot be framed.
func (d *decoder) readAttributes(data []byte) {
	off := 6
	for off < len(data) {
		rest := len(data) - off
		if rest < attrHeader+attrChecksum {
			// Too short to hold even an empty attribute: stray bytes after
			// the last one (garbage-at-end.tnef ends with a lone '\n').
			return
		}
		level := data[off]
		id := binary.LittleEndian.Uint32(data[off+1:])
		length := binary.LittleEndian.Uint32(data[off+5:])
		if level != levelMessage && level != levelAttachment {
			d.problem("offset %d: not an attribute (level byte 0x%02x); %d bytes ignored", off, level, rest)
			return
		}
		if uint64(length) > uint64(rest-attrHeader-attrChecksum) {
			d.problem("offset %d: attribute 0x%08x claims %d bytes, only %d left; stream truncated", off, id, length, rest-attrHeader-attrChecksum)
			// Keep what there is of a file cut short (it is still a file,
			// flagged), unless whole data for it was already read.
			if level == levelAttachment && uint16(id) == attAttachData && (len(d.atts) > 0 || d.newAttachment()) {
				if p := d.atts[len(d.atts)-1]; !p.hasAttData {
					p.attData, p.hasAttData, p.truncated = data[off+attrHeader:], true, true
				}
			}
			return
		}
		val := data[off+attrHeader : off+attrHeader+int(length) : off+attrHeader+int(length)]
		want := binary.LittleEndian.Uint16(data[off+attrHeader+int(length):])
		// Applied before the checksum is judged, so that a bad
		// attAttachRendData is blamed on the attachment it starts.
		more := d.attribute(level, uint16(id), val)
		if got := checksum(val); got != want {
			msg := fmt.Sprintf("offset %d: attribute 0x%08x checksum 0x%04x, want 0x%04x (data kept)", off, id, got, want)
			if level == levelAttachment && len(d.atts) > 0 {
				d.atts[len(d.atts)-1].problem(msg)
			} else {
				d.problem("%s", msg)
			}
		}
		if !more {
			return
		}
		off += attrHeader + int(length) + attrChecksum
	}
}

// checksum is the sum of the bytes modulo 65536 ([MS-OXTNEF] section 2.1.3).
func checksum(b []byte) uint16 {
	var s uint16
	for _, c := range b {
		s += uint16(c)
	}
	return s
}

// attribute applies one attribute; false stops the walk (a limit was hit).
func (d *decoder) attribute(level byte, id uint16, val []byte) bool {
	if level == levelAttachment {
		return d.attachmentAttribute(id, val)
	}
	switch id {
	case attOemCodepage:
		if len(val) >= 4 {
			cp := int(binary.LittleEndian.Uint32(val))
			if knownCodePage(cp) {
				d.m.CodePage = cp
			} else {
				d.problem("unknown code page %d, reading 8-bit strings as %d", cp, defaultCodePage)
				d.m.CodePage = defaultCodePage
			}
		}
	case attMessageClass:
		d.class = val
	case attBody:
		d.m.Bodies = append(d.m.Bodies, Body{Kind: "text", Data: val})
	case attMsgProps, attAttachment:
		d.messageProps(val)
	}
	return true
}

func (d *decoder) attachmentAttribute(id uint16, val []byte) bool {
	if id == attAttachRendData {
		return d.newAttachment()
	}
	if len(d.atts) == 0 {
		// Attachment attributes before any attAttachRendData: keep them
		// rather than lose a file.
		if !d.newAttachment() {
			return false
		}
		p := d.atts[0]
		p.problem("attachment attributes before attAttachRendData")
	}
	p := d.atts[len(d.atts)-1]
	switch id {
	case attAttachData:
		p.attData, p.hasAttData = val, true
	case attAttachTitle:
		p.title = val
	case attAttachTransportFilename:
		p.transport = val
	case attAttachment, attMsgProps:
		d.attachmentProps(p, val)
	}
	return true
}

func (d *decoder) newAttachment() bool {
	if d.st.attachments >= d.st.lim.MaxAttachments {
		d.m.Limit = "files"
		d.problem("more than %d attachments; the rest are not listed", d.st.lim.MaxAttachments)
		return false
	}
	d.st.attachments++
	d.atts = append(d.atts, &pending{})
	return true
}

func (d *decoder) messageProps(val []byte) {
	props, problem := parseProps(val)
	if problem != "" {
		d.problem("message properties: %s", problem)
	}
	for _, p := range props {
		if p.named {
			continue
		}
		switch p.id {
		case prMessageClass:
			if t, ok := p.textValue(); ok {
				d.classMP = t
			}
		case prBody:
			if t, ok := p.textValue(); ok {
				d.m.Bodies = append(d.m.Bodies, Body{Kind: "text", Data: t.raw})
			}
		case prHTML:
			d.m.Bodies = append(d.m.Bodies, Body{Kind: "html", Data: p.first()})
		case prRTFCompressed:
			d.m.Bodies = append(d.m.Bodies, Body{Kind: "rtf", Data: p.first()})
		}
	}
}

func (d *decoder) attachmentProps(a *pending, val []byte) {
	props, problem := parseProps(val)
	if problem != "" {
		a.problem("attachment properties: " + problem)
	}
	for _, p := range props {
		if p.named {
			continue
		}
		switch p.id {
		case prAttachData:
			v := p.first()
			if p.typ == ptObject {
				if len(v) < 16 {
					a.problem(fmt.Sprintf("object data of %d bytes has no interface id", len(v)))
					continue
				}
				a.objectIID, v = v[:16], v[16:]
			} else if p.typ != ptBinary {
				continue
			}
			a.propData, a.hasPropData = v, true
		case prAttachMethod:
			if n, ok := p.int32Value(); ok {
				a.method = n
			}
		case prAttachFilename:
			if t, ok := p.textValue(); ok {
				a.fileName = t
			}
		case prAttachLongName:
			if t, ok := p.textValue(); ok {
				a.longName = t
			}
		case prAttachMIMETag:
			if t, ok := p.textValue(); ok {
				a.mimeType = t
			}
		case prDisplayName:
			if t, ok := p.textValue(); ok {
				a.displayName = t
			}
		}
	}
}

// finish resolves names, data and embedded messages now that every
// attribute, and so the code page, is known.
func (d *decoder) finish() {
	cp := d.m.CodePage
	switch {
	case d.classMP.set:
		d.m.Class = d.classMP.decode(cp)
	case d.class != nil:
		d.m.Class = decode8(d.class, cp)
	}
	for _, p := range d.atts {
		d.m.Attachments = append(d.m.Attachments, d.resolve(p))
	}
}

func (d *decoder) resolve(p *pending) Attachment {
	cp := d.m.CodePage
	a := Attachment{
		Title:     decode8(p.title, cp),
		MIMEType:  p.mimeType.decode(cp),
		Method:    p.method,
		Truncated: p.truncated,
	}
	for _, n := range []string{
		p.longName.decode(cp), p.fileName.decode(cp), a.Title,
		decode8(p.transport, cp), p.displayName.decode(cp),
	} {
		if n = strings.TrimSpace(n); n != "" {
			a.Name = n
			break
		}
	}
	// Encapsulated properties win over the attribute they duplicate
	// ([MS-OXTNEF] section 2.1.3).
	switch {
	case p.hasPropData:
		a.Data = p.propData
	case p.hasAttData:
		a.Data = p.attData
	}
	embedded := bytes.Equal(p.objectIID, iidIMessage[:]) ||
		(p.method == MethodEmbedded && len(a.Data) >= 4 && binary.LittleEndian.Uint32(a.Data) == signature)
	problems := p.problems
	switch {
	case embedded && d.depth+1 > d.st.lim.MaxDepth:
		a.Limit = "depth"
		problems = append(problems, fmt.Sprintf("embedded message nested deeper than %d; not opened", d.st.lim.MaxDepth))
	case embedded:
		// The embedded stream's bytes are not counted against MaxBytes:
		// its attachments are, and counting both would count them twice.
		sub, err := d.st.decode(a.Data, d.depth+1, cp)
		if err != nil {
			problems = append(problems, "embedded message: "+err.Error())
		}
		a.Embedded = sub
	default:
		if d.st.bytes+int64(len(a.Data)) > d.st.lim.MaxBytes {
			a.Limit = "total_bytes"
			problems = append(problems, fmt.Sprintf("attachment bytes past %d in all; data withheld", d.st.lim.MaxBytes))
			a.Data = nil
		} else {
			d.st.bytes += int64(len(a.Data))
		}
	}
	if p.method == MethodEmbedded && !embedded && a.Data != nil {
		problems = append(problems, "attach method 5 (embedded message) but the data is not a TNEF stream")
	}
	a.Problem = strings.Join(problems, "; ")
	return a
}
