package deliver

import "bytes"

// NormalizeLineEnds returns msg with every bare CR and every bare LF
// turned into CRLF (msg itself when it has none).
//
// What deliver sends must hold no bare CR or LF: the next hop may end
// lines (and so DATA) at either, which is how SMTP smuggling works
// (`<LF>.<LF>`, `<CR>.<CR>`, `<CR>.<CR><LF>` after a bare CR ...), and
// go-smtp's client turns a bare LF into CRLF but sends a bare CR as it is,
// without dot-stuffing the line after it. A held message can carry a bare
// CR (an MTA passes one to the milter inside a line). A line break is the
// reading every lenient reader gives either byte, so the text keeps its
// lines.
func NormalizeLineEnds(msg []byte) []byte {
	if BareLineEnd(msg) < 0 {
		return msg
	}
	out := make([]byte, 0, len(msg)+64)
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; {
		case c == '\r' && i+1 < len(msg) && msg[i+1] == '\n':
			out = append(out, '\r', '\n')
			i++
		case c == '\r' || c == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, c)
		}
	}
	return out
}

// BareLineEnd returns the offset of the first CR not followed by LF or LF
// not preceded by CR, or -1.
func BareLineEnd(b []byte) int {
	// The common case, none, by three vectorised counts.
	if n := bytes.Count(b, []byte("\r\n")); bytes.Count(b, []byte("\r")) == n && bytes.Count(b, []byte("\n")) == n {
		return -1
	}
	for i := 0; i < len(b); i++ {
		j := bytes.IndexAny(b[i:], "\r\n")
		if j < 0 {
			return -1
		}
		i += j
		if b[i] == '\n' {
			return i // a CR before it would have been consumed below
		}
		if i+1 >= len(b) || b[i+1] != '\n' {
			return i
		}
		i++ // CRLF
	}
	return -1
}
