package office

// An RTF reader that undoes what droppers do to hide from byte patterns
// (Word reads RTF very tolerantly, and they lean on it): text written as
// \'hh or \uN escapes (with \ucN fallback characters), unknown control
// words and ignorable {\*\…} groups dropped into the middle of a URL or a
// class name, white space and line breaks anywhere, \binN raw data inside
// object data. It yields what Word would act on: the control words, the
// decoded text of the destinations that matter (\*\template, \fldinst,
// \objclass, \objdata) and the objects with their flags.
//
// Work is one pass over the input; nesting, object count and decoded
// sizes are bounded.

import "unicode/utf8"

const (
	maxRTFDepth      = 1024
	maxRTFDestText   = 64 << 10 // decoded text of one template/field/class
	maxRTFFields     = 4096
	maxRTFCtrlLetter = 64
)

// rtfObject is one \object group.
type rtfObject struct {
	flags map[string]bool // objupdate, objautlink, objlink, objemb, …
	class string          // decoded \*\objclass text
	data  []byte          // decoded \objdata bytes
	junk  bool            // \objdata interrupted by groups or control words
}

// rtfDoc is what Word would act on in an RTF file.
type rtfDoc struct {
	words     map[string]bool // every control word seen
	templates []string
	fields    []string
	objects   []*rtfObject
	escapes   int // \'hh and \uN in destinations that matter
}

// Destinations whose decoded text is kept.
const (
	destNone = iota
	destTemplate
	destFldinst
	destObjclass
	destObjdata
	destDropped // a destination whose text is not used
)

var keptDests = map[string]int{"template": destTemplate, "fldinst": destFldinst, "objclass": destObjclass, "objdata": destObjdata}

// droppedDests are destinations (other than the kept ones) whose text is
// not part of an enclosing destination.
var droppedDests = map[string]bool{"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true,
	"fldrslt": true, "result": true, "themedata": true, "colorschememapping": true, "datastore": true, "latentstyles": true,
	"listtable": true, "listoverridetable": true, "rsidtbl": true, "generator": true, "xmlnstbl": true, "header": true,
	"footer": true, "footnote": true, "annotation": true, "objname": true, "objalias": true, "objsect": true, "shppict": true,
	"nonshppict": true, "sp": true, "sn": true, "sv": true, "bkmkstart": true, "bkmkend": true, "object": true, "field": true}

type rtfGroup struct {
	dest      int
	buf       int // index into the pending text buffers, -1 when none
	obj       *rtfObject
	uc        int
	fresh     bool // no control word or text seen yet in this group
	starred   bool // \* seen at the start
	dataStart bool // this group opened \objdata
}

// parseRTF reads d. It never fails: what it cannot read it skips, as
// Word does.
func parseRTF(d []byte) *rtfDoc {
	doc := &rtfDoc{words: map[string]bool{}}
	type textBuf struct {
		dest int
		b    []byte
		obj  *rtfObject
	}
	var bufs []*textBuf
	stack := []rtfGroup{{dest: destNone, buf: -1, uc: 1}}
	cur := func() *rtfGroup { return &stack[len(stack)-1] }
	var half byte
	halfSet := false
	emit := func(c byte) {
		g := cur()
		g.fresh = false
		if g.buf < 0 {
			return
		}
		tb := bufs[g.buf]
		if tb.dest == destObjdata {
			if v, ok := hexNibble(c); ok && len(tb.obj.data) < maxObjdata {
				if halfSet {
					tb.obj.data = append(tb.obj.data, half<<4|v)
				} else {
					half = v
				}
				halfSet = !halfSet
			}
			return
		}
		if len(tb.b) < maxRTFDestText {
			tb.b = append(tb.b, c)
		}
	}
	emitRune := func(r rune) {
		if r < 0x80 {
			emit(byte(r))
			return
		}
		var enc [4]byte
		n := utf8.EncodeRune(enc[:], r)
		for _, c := range enc[:n] {
			emit(c)
		}
	}
	finish := func(g rtfGroup) {
		if g.buf < 0 || g.buf >= len(bufs) {
			return
		}
		tb := bufs[g.buf]
		if len(stack) > 0 && cur().buf == g.buf {
			return // still open in the parent
		}
		switch tb.dest {
		case destTemplate:
			if len(doc.templates) < maxRTFFields {
				doc.templates = append(doc.templates, string(tb.b))
			}
		case destFldinst:
			if len(doc.fields) < maxRTFFields {
				doc.fields = append(doc.fields, string(tb.b))
			}
		case destObjclass:
			if tb.obj != nil && tb.obj.class == "" {
				tb.obj.class = string(tb.b)
			}
		}
	}
	skip := 0 // \uN fallback characters still to skip
	for i := 0; i < len(d); i++ {
		c := d[i]
		switch c {
		case '{':
			if len(stack) >= maxRTFDepth {
				continue
			}
			g := *cur()
			g.fresh, g.starred, g.dataStart = true, false, false
			if g.buf >= 0 && bufs[g.buf].dest == destObjdata {
				bufs[g.buf].obj.junk = true
			}
			stack = append(stack, g)
			skip = 0
		case '}':
			if len(stack) > 1 {
				g := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				finish(g)
			}
			skip = 0
		case '\r', '\n':
			// Raw line breaks mean nothing in RTF.
		case '\\':
			if i+1 >= len(d) {
				break
			}
			n := d[i+1]
			switch {
			case isLetter(n):
				j := i + 1
				for j < len(d) && isLetter(d[j]) && j-i-1 < maxRTFCtrlLetter {
					j++
				}
				for j < len(d) && isLetter(d[j]) { // over-long: still one word
					j++
				}
				word := string(d[i+1 : min(j, i+1+maxRTFCtrlLetter)])
				param, hasParam := 0, false
				k := j
				neg := k < len(d) && d[k] == '-'
				if neg {
					k++
				}
				for k < len(d) && d[k] >= '0' && d[k] <= '9' && k-j < 11 {
					param = param*10 + int(d[k]-'0')
					hasParam = true
					k++
				}
				if neg {
					param = -param
				}
				if !hasParam {
					k = j
				}
				if k < len(d) && d[k] == ' ' {
					k++ // the delimiting space belongs to the word
				}
				i = k - 1
				doc.words[word] = true
				g := cur()
				switch word {
				case "u":
					if hasParam {
						if param < 0 {
							param += 65536
						}
						if g.buf >= 0 {
							doc.escapes++
						}
						emitRune(rune(param))
						skip = g.uc
					}
					continue
				case "uc":
					if hasParam && param >= 0 && param < 16 {
						g.uc = param
					}
				case "bin":
					if hasParam && param > 0 {
						end := min(len(d), i+1+param)
						if g.buf >= 0 && bufs[g.buf].dest == destObjdata {
							obj := bufs[g.buf].obj
							obj.data = append(obj.data, d[i+1:min(end, i+1+maxObjdata-len(obj.data))]...)
						}
						i = end - 1
					}
				case "par", "line", "tab", "cell", "row", "sect", "page":
					emit(' ')
				case "object":
					obj := &rtfObject{flags: map[string]bool{}}
					if len(doc.objects) < maxObjects {
						doc.objects = append(doc.objects, obj)
					}
					g.obj = obj
				}
				if g.obj != nil && len(word) > 3 && word[:3] == "obj" {
					g.obj.flags[word] = true
				}
				if g.buf >= 0 && bufs[g.buf].dest == destObjdata && word != "bin" {
					bufs[g.buf].obj.junk = true
				}
				if g.fresh || g.starred {
					g.fresh = false
					starred := g.starred
					g.starred = false
					if dest, ok := keptDests[word]; ok {
						g.dest = dest
						bufs = append(bufs, &textBuf{dest: dest, obj: g.obj})
						g.buf = len(bufs) - 1
						if dest == destObjdata {
							halfSet = false
							if g.obj == nil { // \objdata outside \object
								g.obj = &rtfObject{flags: map[string]bool{}}
								if len(doc.objects) < maxObjects {
									doc.objects = append(doc.objects, g.obj)
								}
								bufs[g.buf].obj = g.obj
							}
						}
					} else if starred || droppedDests[word] {
						g.dest, g.buf = destDropped, -1
					}
				}
				skip = 0
				continue
			case n == '\'':
				if i+3 < len(d) {
					hi, ok1 := hexNibble(d[i+2])
					lo, ok2 := hexNibble(d[i+3])
					i += 3
					if ok1 && ok2 {
						if skip > 0 {
							skip--
							continue
						}
						if cur().buf >= 0 {
							doc.escapes++
						}
						b := hi<<4 | lo
						if b < 0x80 {
							emit(b)
						} else {
							emitRune(rune(b)) // Latin-1: enough for URLs and names
						}
					}
					continue
				}
				i = len(d)
			case n == '*':
				cur().starred = true
				i++
			case n == '\r' || n == '\n':
				emit(' ') // \<newline> is \par
				i++
			case n == '~':
				emit(' ')
				i++
			case n == '-' || n == '_' || n == ':' || n == '|':
				i++ // optional hyphen and other marks: no text
			default:
				// \\ \{ \} and other symbols stand for themselves.
				if skip > 0 {
					skip--
				} else {
					emit(n)
				}
				i++
			}
		default:
			if skip > 0 {
				skip--
				continue
			}
			emit(c)
		}
	}
	for len(stack) > 1 { // unterminated groups still count
		g := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		finish(g)
	}
	return doc
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func hexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
