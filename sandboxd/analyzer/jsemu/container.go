package jsemu

import (
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

type lang int

const (
	langJS lang = iota
	langVBS
)

// part is one script of a file: all of a .js, or one <script> element of
// an HTA, HTML or WSF file.
type part struct {
	lang lang
	code string
	// src is the URL or path of <script src=...>; its code is not ours.
	src string
}

// maxParts bounds the script elements taken from one file.
const maxParts = 256

var (
	scriptTagRE = regexp.MustCompile(`(?is)<script\b([^>]*?)(/>|>(.*?)</script\s*>)`)
	attrRE      = regexp.MustCompile(`(?is)\b(language|type|src)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	cdataRE     = regexp.MustCompile(`(?s)^\s*<!\[CDATA\[(.*)\]\]>\s*$`)
)

// scriptParts returns the <script> elements of an HTML, HTA or WSF file in
// document order, each with its language. Elements of other types (JSON,
// templates) are left out; encoded ones (JScript.Encode) are decoded.
func scriptParts(doc string) []part {
	var out []part
	for _, m := range scriptTagRE.FindAllStringSubmatch(doc, maxParts) {
		attrs := map[string]string{}
		for _, a := range attrRE.FindAllStringSubmatch(m[1], -1) {
			attrs[strings.ToLower(a[1])] = strings.Trim(a[2], `"'`)
		}
		l := strings.ToLower(attrs["language"] + " " + attrs["type"])
		p := part{lang: langJS, src: attrs["src"]}
		switch {
		case strings.Contains(l, "vbs"):
			p.lang = langVBS
		case strings.TrimSpace(l) == "", strings.Contains(l, "javascript"), strings.Contains(l, "jscript"),
			strings.Contains(l, "ecmascript"), strings.Contains(l, "module"):
		default:
			continue
		}
		code := m[3]
		if c := cdataRE.FindStringSubmatch(code); c != nil {
			code = c[1]
		}
		if strings.Contains(code, "#@~^") {
			if dec, err := script.DecodeVBE([]byte(code)); err == nil {
				code = dec
			}
		}
		p.code = code
		out = append(out, p)
	}
	return out
}

// jsParts returns the JavaScript code of parts, in order.
func jsParts(parts []part) []string {
	var out []string
	for _, p := range parts {
		if p.lang == langJS && strings.TrimSpace(p.code) != "" {
			out = append(out, p.code)
		}
	}
	return out
}
