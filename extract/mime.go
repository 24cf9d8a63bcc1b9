package extract

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// maxMultipartNesting bounds multipart-in-multipart recursion, which costs
// no container depth but could otherwise be made arbitrarily deep.
const maxMultipartNesting = 50

// message walks one RFC 5322 message (the top level, or a nested
// message/rfc822 part) whose parts are listed under at, at the given
// container depth. It returns the decoded subject.
func (w *walker) message(raw []byte, at string, depth int) string {
	h, body, problem := parseHeader(raw)
	if problem != "" {
		w.problem("%s: %s", orTop(at), problem)
	}
	w.entity(h, body, at, depth, 0, "text/plain", []int{})
	return decodeWords(h.get("subject"))
}

func orTop(at string) string {
	if at == "" {
		return "message"
	}
	return at
}

// entity walks one MIME entity (header already parsed). index is its
// position among its siblings, for naming parts that have no name.
func (w *walker) entity(h header, body []byte, at string, depth, nesting int, defaultType string, index []int) {
	if w.expired() {
		return
	}
	ct := h.get("content-type")
	mt, params := parseMediaType(ct)
	if mt == "" || !strings.Contains(mt, "/") {
		mt = defaultType
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if nesting >= maxMultipartNesting {
			w.problem("%s: multipart nested deeper than %d levels: rest not walked", orTop(at), maxMultipartNesting)
			w.listed(blobInfo{path: childPath(at, "multipart-"+partIndex(index)), depth: depth + 1, declared: mt},
				int64(len(body)), Flags{Limit: "depth"}, fmt.Sprintf("multipart nested deeper than %d levels", maxMultipartNesting))
			return
		}
		w.multipart(mt, params, body, at, depth, nesting, index)
		return
	case mt == "message/rfc822" || mt == "message/global":
		w.nestedMessage(h, params, body, at, depth, index)
		return
	case mt == "message/partial":
		// RFC 2046 §5.2.2: a fragment of a message split across several
		// mails. A sender can split an attachment to dodge scanning, and
		// one fragment cannot be judged: unscannable.
		w.listed(blobInfo{path: childPath(at, "partial-"+params["id"]+"-"+params["number"]), depth: depth + 1, declared: mt},
			int64(len(body)), Flags{Truncated: true}, fmt.Sprintf("message/partial fragment %s of %s: cannot be judged until reassembled", params["number"], params["total"]))
		return
	}

	name := filename(h, params)
	disp, _ := parseMediaType(h.get("content-disposition"))
	isText := strings.HasPrefix(mt, "text/") || mt == "message/delivery-status" || mt == "message/disposition-notification"
	isTNEF := mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat")
	if isText && name == "" && disp != "attachment" && !isTNEF {
		// A body, not a file. Old MUAs put uuencoded files inline in
		// plain-text bodies ("begin 644 name"): those are files.
		if mt == "text/plain" || mt == "text/html" {
			data, _, _ := decodeTransfer(h.get("content-transfer-encoding"), body)
			if mt == "text/plain" {
				w.inlineUU(data, at, depth)
			}
			w.noteBody(mt, params["charset"], data)
		}
		return
	}
	data, fl, problem := decodeTransfer(h.get("content-transfer-encoding"), body)
	if mt == "application/mac-binhex40" {
		if bn, bdata, err := decodeBinHex(data); err == nil {
			if name == "" || strings.HasSuffix(strings.ToLower(name), ".hqx") {
				name = bn
			}
			data = bdata
		} else {
			fl.Corrupt, problem = true, joinProblem(problem, "BinHex: "+err.Error())
		}
	}
	if name == "" {
		name = "part-" + partIndex(index)
	}
	w.total += int64(len(data))
	if w.total > int64(w.lim.MaxTotalBytes) {
		w.listed(blobInfo{path: childPath(at, safeName(name, "part")), name: name, declared: mt, depth: depth + 1},
			int64(len(data)), Flags{Limit: "total_bytes"}, fmt.Sprintf("message expanded past max_total_bytes (%s)", w.lim.MaxTotalBytes))
		return
	}
	if int64(len(data)) > int64(w.lim.MaxFileBytes) {
		w.listed(blobInfo{path: childPath(at, safeName(name, "part")), name: name, declared: mt, depth: depth + 1},
			int64(len(data)), Flags{Limit: "file_bytes"}, fmt.Sprintf("larger than max_file_bytes (%s)", w.lim.MaxFileBytes))
		return
	}
	w.blob(blobInfo{path: childPath(at, safeName(name, "part")), name: name, declared: mt, depth: depth + 1}, data, fl, problem)
}

func partIndex(index []int) string {
	if len(index) == 0 {
		return "1"
	}
	s := make([]string, len(index))
	for i, n := range index {
		s[i] = strconv.Itoa(n + 1)
	}
	return strings.Join(s, ".")
}

// filename is the declared name: Content-Disposition filename, else
// Content-Type name (RFC 2231 and 2047 decoded by parseMediaType).
func filename(h header, ctParams map[string]string) string {
	_, dp := parseMediaType(h.get("content-disposition"))
	for _, v := range []string{dp["filename"], ctParams["name"], dp["name"], ctParams["filename"]} {
		if v = strings.TrimSpace(v); v != "" {
			// Windows paths ("C:\TEMP\nsmail.png") name the last element.
			if i := strings.LastIndexAny(v, `\/`); i >= 0 && i < len(v)-1 {
				v = v[i+1:]
			}
			return v
		}
	}
	return ""
}

// multipart splits body at the boundary and walks each part. A missing
// final boundary keeps every part found and flags the last one truncated.
func (w *walker) multipart(mt string, params map[string]string, body []byte, at string, depth, nesting int, index []int) {
	boundary := params["boundary"]
	if boundary == "" {
		boundary = guessBoundary(body)
		if boundary == "" {
			w.problem("%s: %s without a boundary: walked as one part", orTop(at), mt)
			w.blob(blobInfo{path: childPath(at, "part-"+partIndex(index)), declared: mt, depth: depth + 1}, body, Flags{}, "")
			return
		}
		w.problem("%s: %s without a boundary parameter; guessed %q", orTop(at), mt, boundary)
	}
	parts, closed := splitMultipart(body, boundary)
	childDefault := "text/plain"
	if mt == "multipart/digest" {
		childDefault = "message/rfc822" // RFC 2046 §5.1.5
	}
	for i, p := range parts {
		if w.expired() {
			return
		}
		ph, pbody, problem := parseHeader(p)
		if problem != "" && len(ph) == 0 {
			// No header at all: RFC 2046 says the part is text/plain; its
			// bytes are the body.
			pbody = p
		}
		before := len(w.res.Files)
		w.entity(ph, pbody, at, depth, nesting+1, childDefault, append(append([]int(nil), index...), i))
		if !closed && i == len(parts)-1 {
			for j := before; j < len(w.res.Files); j++ {
				f := &w.res.Files[j]
				f.Flags.Truncated = true
				f.Problem = joinProblem(f.Problem, "final MIME boundary missing: may be cut short")
				f.SHA256, f.Data = "", nil
			}
		}
	}
	if !closed {
		w.problem("%s: final boundary %q missing", orTop(at), boundary)
	}
}

// splitMultipart returns the parts between delimiter lines ("--boundary",
// RFC 2046 §5.1.1) and whether the close delimiter was seen. The CRLF
// before a delimiter belongs to the delimiter.
func splitMultipart(body []byte, boundary string) (parts [][]byte, closed bool) {
	delim := []byte("--" + boundary)
	start := -1 // start of the current part's content
	pos := 0
	for pos <= len(body) {
		i := indexDelimiter(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		lineEnd := bytes.IndexByte(body[i:], '\n')
		var rest []byte
		next := len(body)
		if lineEnd >= 0 {
			rest = body[i+len(delim) : i+lineEnd]
			next = i + lineEnd + 1
		} else {
			rest = body[i+len(delim):]
		}
		rest = bytes.TrimRight(rest, " \t\r")
		isClose := bytes.Equal(rest, []byte("--"))
		if len(rest) != 0 && !isClose {
			// "--boundaryX": a longer boundary, not ours.
			pos = i + len(delim)
			continue
		}
		if start >= 0 {
			end := i
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
		}
		if isClose {
			return parts, true
		}
		start = next
		pos = next
		if len(parts) > 100000 {
			break
		}
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, false
}

// indexDelimiter finds delim at the start of a line.
func indexDelimiter(b, delim []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], delim)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || b[i-1] == '\n' {
			return i
		}
		off = i + 1
	}
}

// guessBoundary takes the first line that looks like a delimiter.
func guessBoundary(body []byte) string {
	for _, line := range bytes.SplitN(body, []byte("\n"), 200) {
		line = bytes.TrimRight(line, "\r \t")
		if len(line) > 2 && len(line) < 200 && bytes.HasPrefix(line, []byte("--")) && !bytes.HasSuffix(line, []byte("--")) {
			return string(line[2:])
		}
	}
	return ""
}

// nestedMessage lists a message/rfc822 part as a container and walks it
// one level deeper.
func (w *walker) nestedMessage(h header, params map[string]string, body []byte, at string, depth int, index []int) {
	data, fl, problem := decodeTransfer(h.get("content-transfer-encoding"), body)
	name := filename(h, params)
	if name == "" {
		name = "message-" + partIndex(index) + ".eml"
	}
	bi := blobInfo{path: childPath(at, safeName(name, "message.eml")), name: name, declared: "message/rfc822", depth: depth + 1}
	if !w.room(at, bi.depth) {
		return
	}
	f := File{Path: bi.path, Name: name, DeclaredType: bi.declared, SniffedType: "message/rfc822",
		Category: "other", Size: int64(len(data)), Depth: bi.depth, Flags: fl, Problem: problem}
	f.SHA256 = sha256Hex(data)
	w.res.Files = append(w.res.Files, f)
	idx := len(w.res.Files) - 1
	if bi.depth >= w.lim.MaxDepth {
		w.res.Files[idx].Flags.Limit = "depth"
		w.res.Files[idx].Problem = fmt.Sprintf("nested message deeper than max_depth (%d): not opened", w.lim.MaxDepth)
		return
	}
	w.res.Files[idx].Container = true
	w.message(data, bi.path, bi.depth)
}

// decodeTransfer undoes the Content-Transfer-Encoding. Bad encodings keep
// what could be decoded and flag the file corrupt; an unknown encoding
// keeps the raw bytes, flagged (go-message would stop the whole walk).
func decodeTransfer(cte string, body []byte) ([]byte, Flags, string) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
		return body, Flags{}, ""
	case "base64":
		data, junk := decodeBase64(body)
		if junk {
			return data, Flags{Corrupt: true}, "base64 contains characters outside its alphabet"
		}
		return data, Flags{}, ""
	case "quoted-printable":
		return decodeQP(body), Flags{}, ""
	case "uuencode", "x-uuencode", "x-uue", "uue":
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, Flags{}, "" // an empty file, nothing to decode
		}
		_, data, err := decodeUU(body)
		if err != nil {
			return data, Flags{Corrupt: true}, "uuencode: " + err.Error()
		}
		return data, Flags{}, ""
	}
	return body, Flags{Corrupt: true}, fmt.Sprintf("unknown Content-Transfer-Encoding %q: raw bytes kept", cte)
}

// decodeBase64 decodes; the fast path is the standard decoder (which skips
// CR and LF). On failure, every character outside the alphabet is dropped
// and junk is reported.
func decodeBase64(body []byte) (data []byte, junk bool) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(dst, body)
	if err == nil {
		return dst[:n], false
	}
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/':
			clean = append(clean, c)
		case c == '=' || c == '\r' || c == '\n' || c == ' ' || c == '\t':
		default:
			junk = true
		}
	}
	if len(clean)%4 == 1 {
		clean, junk = clean[:len(clean)-1], true
	}
	n, err = base64.RawStdEncoding.Decode(dst, clean)
	if err != nil {
		junk = true
	}
	return dst[:n], junk
}

// decodeQP decodes quoted-printable leniently: an "=" not followed by two
// hex digits or a line break is kept as is, as MUAs do.
func decodeQP(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '=' {
			out = append(out, c)
			continue
		}
		if i+1 < len(b) && b[i+1] == '\n' {
			i++
			continue
		}
		if i+2 < len(b) && b[i+1] == '\r' && b[i+2] == '\n' {
			i += 2
			continue
		}
		if i+2 < len(b) && isHex(b[i+1]) && isHex(b[i+2]) {
			v, _ := strconv.ParseUint(string(b[i+1:i+3]), 16, 8)
			out = append(out, byte(v))
			i += 2
			continue
		}
		// Soft break with trailing whitespace ("=  \r\n").
		j := i + 1
		for j < len(b) && (b[j] == ' ' || b[j] == '\t') {
			j++
		}
		if j < len(b) && (b[j] == '\n' || b[j] == '\r') {
			if b[j] == '\r' && j+1 < len(b) && b[j+1] == '\n' {
				j++
			}
			i = j
			continue
		}
		out = append(out, c)
	}
	return out
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
