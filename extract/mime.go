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
// container depth. It returns the decoded subject. Every reading of an
// ambiguous header or line-break convention is walked (readings.go).
func (w *walker) message(raw []byte, at string, depth int) string {
	rs := headerReadings(raw)
	if rs[0].problem != "" {
		w.problem("%s: %s", orTop(at), rs[0].problem)
	}
	w.entity(rs[0].h, rs[0].body, at, depth, 0, "text/plain", []int{})
	for _, r := range rs[1:] {
		w.alternative(r.why, func() { w.entity(r.h, r.body, at, depth, 0, "text/plain", []int{}) })
	}
	crAsBreak, crlfOnly := lineBreakReadings(raw)
	if crAsBreak != nil {
		w.alternative("bare CR read as a line break", func() { w.message(crAsBreak, at, depth) })
	}
	if crlfOnly != nil {
		w.alternative("only CRLF read as a line break", func() { w.message(crlfOnly, at, depth) })
	}
	return decodeWords(rs[0].h.get("subject"))
}

func orTop(at string) string {
	if at == "" {
		return "message"
	}
	return at
}

// entity walks one MIME entity (header already parsed). index is its
// position among its siblings, for naming parts that have no name. A
// second Content-Type header is another reading: clients take the first or
// the last.
func (w *walker) entity(h header, body []byte, at string, depth, nesting int, defaultType string, index []int) {
	if w.expired() {
		return
	}
	cts := h.all("content-type")
	ct := ""
	if len(cts) > 0 {
		ct = cts[0]
	}
	w.entityAs(h, ct, body, at, depth, nesting, defaultType, index)
	for i := 1; i < len(cts); i++ {
		alt := cts[i]
		w.alternative("another Content-Type header", func() { w.entityAs(h, alt, body, at, depth, nesting, defaultType, index) })
	}
}

// entityAs walks an entity as if ct were its Content-Type.
func (w *walker) entityAs(h header, ct string, body []byte, at string, depth, nesting int, defaultType string, index []int) {
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
		w.multipart(mt, ct, params, h, body, at, depth, nesting, index)
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

	name, names := filenames(h, params)
	disp, _ := parseMediaType(h.get("content-disposition"))
	isText := strings.HasPrefix(mt, "text/") || mt == "message/delivery-status" || mt == "message/disposition-notification"
	isTNEF := mt == "application/ms-tnef" || mt == "application/vnd.ms-tnef" || strings.EqualFold(name, "winmail.dat")
	ds := decodings(h.all("content-transfer-encoding"), body)
	if isText && name == "" && disp != "attachment" && !isTNEF {
		// A body, not a file. Old MUAs put uuencoded files inline in
		// text bodies ("begin 644 name"): those are files. A body that
		// holds MIME parts is also read as those parts: for some reader
		// the header that declared them was cut off by a broken line.
		for i, d := range ds {
			text := func() { w.textBody(d.data, params["charset"], at, depth, nesting, index) }
			if i == 0 {
				text()
				if mt == "text/plain" || mt == "text/html" {
					w.noteBody(mt, params["charset"], d.data) // passwords for protected files
				}
			} else {
				w.alternative(d.why, text)
			}
		}
		return
	}
	for i, d := range ds {
		leaf := func() { w.leaf(d, mt, name, names, at, depth, index) }
		if i == 0 {
			leaf()
		} else {
			w.alternative(d.why, leaf)
		}
	}
}

// textBody lists what a text body hides: inline-encoded files, and MIME
// parts when it holds MIME structure.
func (w *walker) textBody(text []byte, charset, at string, depth, nesting int, index []int) {
	w.inlineFiles(text, charset, at, depth)
	if b := structureBoundary(text); b != "" && nesting < maxMultipartNesting {
		w.alternative("text body holding MIME parts", func() {
			w.splitWalk("multipart/mixed", b, text, at, depth, nesting, index, false)
		})
	}
}

// leaf lists one decoded MIME leaf as a file.
func (w *walker) leaf(d decoded, mt, name string, names []string, at string, depth int, index []int) {
	data, fl, problem := d.data, d.flags, d.problem
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
	bi := blobInfo{path: childPath(at, safeName(name, "part")), name: name, names: names, declared: mt, depth: depth + 1}
	w.total += int64(len(data))
	if w.total > int64(w.lim.MaxTotalBytes) {
		w.listed(bi, int64(len(data)), Flags{Limit: "total_bytes"}, fmt.Sprintf("message expanded past max_total_bytes (%s)", w.lim.MaxTotalBytes))
		return
	}
	if int64(len(data)) > int64(w.lim.MaxFileBytes) {
		w.listed(bi, int64(len(data)), Flags{Limit: "file_bytes"}, fmt.Sprintf("larger than max_file_bytes (%s)", w.lim.MaxFileBytes))
		return
	}
	w.blob(bi, data, fl, problem)
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
		if v = lastElement(strings.TrimSpace(v)); v != "" {
			return v
		}
	}
	return ""
}

// lastElement keeps the last element of a path: Windows paths
// ("C:\TEMP\nsmail.png") name the last element.
func lastElement(v string) string {
	if i := strings.LastIndexAny(v, `\/`); i >= 0 && i < len(v)-1 {
		v = v[i+1:]
	}
	return v
}

// filenames is filename plus every other name a client could show for the
// part (the other header, duplicates, raw and decoded forms): the file's
// category by name is the riskiest of them.
func filenames(h header, ctParams map[string]string) (string, []string) {
	name := filename(h, ctParams)
	var names []string
	add := func(vs []string) {
		for _, v := range vs {
			if v = lastElement(strings.TrimSpace(v)); v != "" && v != name {
				names = append(names, v)
			}
		}
	}
	for _, d := range h.all("content-disposition") {
		add(paramCandidates(d, "filename"))
		add(paramCandidates(d, "name"))
	}
	for _, c := range h.all("content-type") {
		add(paramCandidates(c, "name"))
		add(paramCandidates(c, "filename"))
	}
	return name, names
}

// multipart walks a multipart entity: with every boundary the header can
// be read to declare that the body uses, and, when the entity claims a
// transfer encoding (RFC 2045 §6.4 forbids one, some clients undo it
// anyway), with the body decoded too.
func (w *walker) multipart(mt, ct string, params map[string]string, h header, body []byte, at string, depth, nesting int, index []int) {
	w.multipartBody(mt, ct, params, body, at, depth, nesting, index)
	for _, cte := range h.all("content-transfer-encoding") {
		switch normalCTE(cte) {
		case "base64", "quoted-printable":
			d := decodings([]string{cte}, body)[0]
			w.alternative("multipart body decoded from "+normalCTE(cte), func() {
				w.multipartBody(mt, ct, params, d.data, at, depth, nesting, index)
			})
		}
	}
}

func (w *walker) multipartBody(mt, ct string, params map[string]string, body []byte, at string, depth, nesting int, index []int) {
	var found []string
	for _, c := range paramCandidates(ct, "boundary") {
		if indexDelimiter(body, []byte("--"+c)) >= 0 {
			found = append(found, c)
		}
	}
	if len(found) == 0 {
		declared := params["boundary"]
		structure := structureBoundary(body)
		guess := structure
		if guess == "" {
			guess = guessBoundary(body)
		}
		switch {
		case guess == "" && declared == "":
			w.problem("%s: %s without a boundary: walked as one part", orTop(at), mt)
			w.blob(blobInfo{path: childPath(at, "part-"+partIndex(index)), declared: mt, depth: depth + 1}, body, Flags{}, "")
		case guess == "":
			// Nothing in the body looks like a part: clients show it as
			// text, and text is scanned for what text can hide.
			w.problem("%s: boundary %q never found", orTop(at), declared)
			w.inlineEncoded(body, at, depth)
		case declared == "":
			w.problem("%s: %s without a boundary parameter; guessed %q", orTop(at), mt, guess)
			w.splitWalk(mt, guess, body, at, depth, nesting, index, false)
		case structure != "":
			// The declared boundary is never used, yet the body holds
			// parts under another: no reading is the settled one.
			w.problem("%s: boundary %q never found, but the body holds parts delimited by %q", orTop(at), declared, structure)
			w.listed(blobInfo{path: childPath(at, "mime-structure-"+partIndex(index)), declared: mt, depth: depth + 1}, int64(len(body)),
				Flags{Corrupt: true}, fmt.Sprintf("declared boundary %q never found while the body holds MIME parts (delimited by %q)", declared, structure))
			w.splitWalk(mt, structure, body, at, depth, nesting, index, false)
		default:
			w.problem("%s: boundary %q never found", orTop(at), declared)
			w.inlineEncoded(body, at, depth)
		}
		return
	}
	w.splitWalk(mt, found[0], body, at, depth, nesting, index, false)
	for _, b := range found[1:] {
		w.alternative(fmt.Sprintf("boundary read as %q", b), func() { w.splitWalk(mt, b, body, at, depth, nesting, index, false) })
	}
}

// splitWalk splits body at boundary and walks each part, then what the
// preamble and epilogue hide, then the other readings of the split.
func (w *walker) splitWalk(mt, boundary string, body []byte, at string, depth, nesting int, index []int, lenient bool) {
	sp := splitMultipart(body, boundary, lenient)
	w.walkParts(mt, sp.parts, at, depth, nesting, index)
	if !sp.closed {
		// Cosmetic when the last part is whole: clients show the parts
		// read so far, so the files listed are the files shown.
		w.problem("%s: final boundary %q missing", orTop(at), boundary)
	}
	for _, text := range [][]byte{sp.preamble, sp.epilogue} {
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		w.inlineEncoded(text, at, depth)
		if b := structureBoundary(text); b != "" && b != boundary && nesting < maxMultipartNesting {
			w.alternative("MIME parts in a preamble or epilogue", func() { w.splitWalk(mt, b, text, at, depth, nesting+1, index, false) })
		}
	}
	if len(sp.epilogue) > 0 && indexDelimiter(sp.epilogue, []byte("--"+boundary)) >= 0 {
		w.alternative("parts after the close delimiter", func() { w.splitWalk(mt, boundary, sp.epilogue, at, depth, nesting+1, index, lenient) })
	}
	if !lenient {
		if ls := splitMultipart(body, boundary, true); len(ls.parts) != len(sp.parts) || ls.closed != sp.closed {
			w.alternative("delimiter lines that only start with the boundary", func() {
				w.walkParts(mt, ls.parts, at, depth, nesting, index)
			})
		}
	}
}

// walkParts walks the parts of one split.
func (w *walker) walkParts(mt string, parts [][]byte, at string, depth, nesting int, index []int) {
	childDefault := "text/plain"
	if mt == "multipart/digest" {
		childDefault = "message/rfc822" // RFC 2046 §5.1.5
	}
	for i, p := range parts {
		if w.expired() {
			return
		}
		idx := append(append([]int(nil), index...), i)
		rs := headerReadings(p)
		ph, pbody := rs[0].h, rs[0].body
		if rs[0].problem != "" && len(ph) == 0 {
			// No header at all: RFC 2046 says the part is text/plain; its
			// bytes are the body.
			pbody = p
		}
		w.entity(ph, pbody, at, depth, nesting+1, childDefault, idx)
		for _, r := range rs[1:] {
			w.alternative(r.why, func() { w.entity(r.h, r.body, at, depth, nesting+1, childDefault, idx) })
		}
	}
}

// split is one way of cutting a multipart body.
type split struct {
	parts              [][]byte
	closed             bool
	preamble, epilogue []byte
}

// splitMultipart returns the parts between delimiter lines ("--boundary",
// RFC 2046 §5.1.1), whether the close delimiter was seen, and the text
// before the first and after the close delimiter. The CRLF before a
// delimiter belongs to the delimiter. lenient takes any line that starts
// with the delimiter, after white space, as one (naive parsers do: a
// boundary that prefixes another then cuts the other's parts).
func splitMultipart(body []byte, boundary string, lenient bool) split {
	var sp split
	delim := []byte("--" + boundary)
	start := -1 // start of the current part's content
	pos := 0
	for pos <= len(body) {
		var i int
		if lenient {
			i = indexDelimiterLenient(body[pos:], delim)
		} else {
			i = indexDelimiter(body[pos:], delim)
		}
		if i < 0 {
			break
		}
		i += pos
		lineStart := i
		for lineStart > 0 && (body[lineStart-1] == ' ' || body[lineStart-1] == '\t') {
			lineStart--
		}
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
		isClose := bytes.HasPrefix(rest, []byte("--")) && (lenient || len(rest) == 2)
		if len(rest) != 0 && !isClose && !lenient {
			// "--boundaryX": a longer boundary, not ours.
			pos = i + len(delim)
			continue
		}
		end := lineStart
		if end > 0 && body[end-1] == '\n' {
			end--
			if end > 0 && body[end-1] == '\r' {
				end--
			}
		}
		if start >= 0 {
			if end < start {
				end = start
			}
			sp.parts = append(sp.parts, body[start:end])
		} else {
			sp.preamble = body[:end]
		}
		if isClose {
			sp.closed = true
			sp.epilogue = body[next:]
			return sp
		}
		start = next
		pos = next
		if len(sp.parts) > 100000 {
			break
		}
	}
	if start >= 0 && start <= len(body) {
		sp.parts = append(sp.parts, body[start:])
	}
	return sp
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

// indexDelimiterLenient finds delim at the start of a line after optional
// spaces or tabs.
func indexDelimiterLenient(b, delim []byte) int {
	off := 0
	for {
		i := bytes.Index(b[off:], delim)
		if i < 0 {
			return -1
		}
		i += off
		j := i
		for j > 0 && (b[j-1] == ' ' || b[j-1] == '\t') {
			j--
		}
		if j == 0 || b[j-1] == '\n' {
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

// decoded is one reading of a part's transfer encoding.
type decoded struct {
	data    []byte
	flags   Flags
	problem string
	why     string // empty for the first reading
}

// normalCTE is a Content-Transfer-Encoding value as clients compare it:
// comments and quotes dropped, case folded.
func normalCTE(cte string) string {
	return strings.Trim(strings.ToLower(strings.TrimSpace(stripComments(cte))), "\" \t")
}

// decodings returns every reading of a part's transfer encoding: one per
// distinct Content-Transfer-Encoding header (clients take the first or the
// last), the readings an ambiguous encoding allows (base64 that goes on
// after its padding), and, for a value no client knows, the raw bytes
// (flagged) then the encodings it is a misspelling of.
func decodings(ctes []string, body []byte) []decoded {
	if len(ctes) == 0 {
		ctes = []string{""}
	}
	var out []decoded
	for i, cte := range ctes {
		why := ""
		if i > 0 {
			why = "another Content-Transfer-Encoding header"
		}
		for _, d := range decodeTransferAll(cte, body) {
			if d.why == "" {
				d.why = why
			} else if why != "" {
				d.why = why + "; " + d.why
			}
			out = append(out, d)
		}
	}
	if len(out) > 0 && out[0].why != "" {
		out[0].why = ""
	}
	return out
}

// decodeTransfer undoes the Content-Transfer-Encoding: its first reading.
func decodeTransfer(cte string, body []byte) ([]byte, Flags, string) {
	d := decodeTransferAll(cte, body)[0]
	return d.data, d.flags, d.problem
}

// decodeTransferAll undoes the Content-Transfer-Encoding. Bad encodings
// keep what could be decoded and flag the file corrupt; an unknown
// encoding keeps the raw bytes, flagged (go-message would stop the whole
// walk), and adds the readings of the encodings its name resembles.
func decodeTransferAll(cte string, body []byte) []decoded {
	n := normalCTE(cte)
	switch n {
	case "", "7bit", "8bit", "binary":
		return []decoded{{data: body}}
	case "base64":
		return base64Readings(body)
	case "quoted-printable":
		return []decoded{{data: decodeQP(body)}}
	case "uuencode", "x-uuencode", "x-uue", "uue":
		return []decoded{decodeUUPart(body)}
	}
	out := []decoded{{data: body, flags: Flags{Corrupt: true}, problem: fmt.Sprintf("unknown Content-Transfer-Encoding %q: raw bytes kept", cte)}}
	switch {
	case strings.Contains(n, "64"):
		for _, d := range base64Readings(body) {
			d.why = joinProblem("unknown encoding "+strconv.Quote(n)+" read as base64", d.why)
			out = append(out, d)
		}
	case strings.Contains(n, "quoted") || strings.Contains(n, "printable") || n == "qp":
		out = append(out, decoded{data: decodeQP(body), why: "unknown encoding " + strconv.Quote(n) + " read as quoted-printable"})
	case strings.Contains(n, "uu"):
		d := decodeUUPart(body)
		d.why = "unknown encoding " + strconv.Quote(n) + " read as uuencode"
		out = append(out, d)
	}
	return out
}

func decodeUUPart(body []byte) decoded {
	if len(bytes.TrimSpace(body)) == 0 {
		return decoded{} // an empty file, nothing to decode
	}
	_, data, err := decodeUU(body)
	if err != nil {
		return decoded{data: data, flags: Flags{Corrupt: true}, problem: "uuencode: " + err.Error()}
	}
	return decoded{data: data}
}

// base64Readings decodes base64. Junk outside the alphabet is dropped, as
// every client does, and flags the file corrupt. Base64 that goes on after
// its padding ("QQ==QkM=") has two readings: Python and others stop at the
// padding, others decode each padded chunk and join them.
func base64Readings(body []byte) []decoded {
	data, junk, stop := decodeBase64(body)
	d := decoded{data: data}
	if junk {
		d.flags, d.problem = Flags{Corrupt: true}, "base64 contains characters outside its alphabet"
	}
	out := []decoded{d}
	if stop != nil {
		s := d
		s.data, s.why = stop, "base64 read up to its first padding"
		out = append(out, s)
	}
	return out
}

// decodeBase64 decodes; the fast path is the standard decoder (which skips
// CR and LF). On failure, every character outside the alphabet is dropped
// and junk is reported; when data goes on after padding, data is the
// padded chunks decoded one by one and stop is the decoding up to the
// first padding.
func decodeBase64(body []byte) (data []byte, junk bool, stop []byte) {
	dst := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(dst, body)
	if err == nil {
		return dst[:n], false, nil
	}
	clean := make([]byte, 0, len(body))
	for _, c := range body {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '+', c == '/', c == '=':
			clean = append(clean, c)
		case c == '\r' || c == '\n' || c == ' ' || c == '\t':
		default:
			junk = true
		}
	}
	chunks := bytes.FieldsFunc(clean, func(r rune) bool { return r == '=' })
	// Unpadded chunks decode to at most 3/4 of their length: len(clean)
	// always has room (the padded estimate above may not).
	dst = make([]byte, len(clean))
	out := dst[:0]
	for i, ch := range chunks {
		if len(ch)%4 == 1 {
			ch, junk = ch[:len(ch)-1], true
		}
		m, err := base64.RawStdEncoding.Decode(dst[len(out):], ch)
		if err != nil {
			junk = true
		}
		out = dst[:len(out)+m]
		if i == 0 && len(chunks) > 1 {
			stop = append([]byte(nil), out...)
		}
	}
	return out, junk, stop
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
