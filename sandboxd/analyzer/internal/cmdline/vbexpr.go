package cmdline

import (
	"math"
	"strconv"
	"strings"
)

// vbParser evaluates one VBScript expression as it reads it.
type vbParser struct {
	e     *vbEnv
	src   string
	pos   int
	depth int
}

func (p *vbParser) space() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t') {
		p.pos++
	}
}

func (p *vbParser) peek() byte {
	p.space()
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *vbParser) atEnd() bool { p.space(); return p.pos >= len(p.src) }

// word reads an identifier (lower case) without consuming it when it is
// not there.
func (p *vbParser) ident() string {
	p.space()
	i := p.pos
	for i < len(p.src) && isIdentByte(p.src[i]) {
		i++
	}
	if i == p.pos || p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		return ""
	}
	w := strings.ToLower(p.src[p.pos:i])
	p.pos = i
	return w
}

// keyword consumes kw (a word operator such as "mod") if it is next.
func (p *vbParser) keyword(kw string) bool {
	p.space()
	end := p.pos + len(kw)
	if end <= len(p.src) && strings.EqualFold(p.src[p.pos:end], kw) && (end == len(p.src) || !isIdentByte(p.src[end])) {
		p.pos = end
		return true
	}
	return false
}

func str(s string) vbValue  { return vbValue{s: s} }
func num(n float64) vbValue { return vbValue{n: n, isNum: true} }
func bad() (vbValue, bool)  { return vbValue{}, false }
func okv(v vbValue) (vbValue, bool) {
	if len(v.s) > maxVarValue {
		return bad()
	}
	return v, true
}

// eval evaluates s as a whole expression.
func (e *vbEnv) eval(s string) (vbValue, bool) {
	p := &vbParser{e: e, src: s}
	p.space()
	paren := false
	v, ok := p.expr()
	if !ok {
		return bad()
	}
	_ = paren
	p.space()
	if !p.atEnd() {
		return bad()
	}
	return v, true
}

// comparison: expr (= <> < > <= >=) expr, for If conditions.
func (p *vbParser) comparison() (vbValue, bool) {
	a, ok := p.expr()
	if !ok {
		return bad()
	}
	p.space()
	for _, op := range []string{"<>", "<=", ">=", "=", "<", ">"} {
		if strings.HasPrefix(p.src[p.pos:], op) {
			p.pos += len(op)
			b, ok := p.expr()
			if !ok {
				return bad()
			}
			x, xn := a.num()
			y, yn := b.num()
			var r bool
			if xn && yn {
				r = op == "=" && x == y || op == "<>" && x != y || op == "<" && x < y || op == ">" && x > y || op == "<=" && x <= y || op == ">=" && x >= y
			} else {
				c := strings.Compare(a.str(), b.str())
				r = op == "=" && c == 0 || op == "<>" && c != 0 || op == "<" && c < 0 || op == ">" && c > 0 || op == "<=" && c <= 0 || op == ">=" && c >= 0
			}
			if r {
				return num(-1), true
			}
			return num(0), true
		}
	}
	return a, true
}

// expr is concatenation, VBScript's lowest-binding operator we fold.
func (p *vbParser) expr() (vbValue, bool) {
	if p.depth++; p.depth > maxVBExpr {
		return bad()
	}
	defer func() { p.depth-- }()
	a, ok := p.additive()
	if !ok {
		return bad()
	}
	// "&H41" is a hex number, not a concatenation.
	for p.peek() == '&' && !(p.pos+2 < len(p.src) && (p.src[p.pos+1] == 'h' || p.src[p.pos+1] == 'H') && isHex(p.src[p.pos+2])) {
		p.pos++
		b, ok := p.additive()
		if !ok {
			return bad()
		}
		a = str(a.str() + b.str())
		if len(a.s) > maxVarValue {
			return bad()
		}
	}
	return a, true
}

func (p *vbParser) additive() (vbValue, bool) {
	a, ok := p.term()
	if !ok {
		return bad()
	}
	for {
		c := p.peek()
		if c != '+' && c != '-' {
			return a, true
		}
		p.pos++
		b, ok := p.term()
		if !ok {
			return bad()
		}
		x, xn := a.num()
		y, yn := b.num()
		switch {
		case c == '+' && !a.isNum && !b.isNum:
			a = str(a.s + b.s) // + on two strings concatenates
		case xn && yn && c == '+':
			a = num(x + y)
		case xn && yn:
			a = num(x - y)
		default:
			return bad()
		}
		if len(a.s) > maxVarValue {
			return bad()
		}
	}
}

func (p *vbParser) term() (vbValue, bool) {
	a, ok := p.unary()
	if !ok {
		return bad()
	}
	for {
		c := p.peek()
		op := ""
		switch {
		case c == '*' || c == '/' || c == '\\':
			op = string(c)
			p.pos++
		case p.keyword("mod"):
			op = "mod"
		case p.keyword("xor"):
			op = "xor"
		default:
			return a, true
		}
		b, ok := p.unary()
		if !ok {
			return bad()
		}
		x, xn := a.num()
		y, yn := b.num()
		if !xn || !yn {
			return bad()
		}
		switch op {
		case "*":
			a = num(x * y)
		case "/":
			if y == 0 {
				return bad()
			}
			a = num(x / y)
		case "\\", "mod":
			xi, yi := int64(math.Round(x)), int64(math.Round(y))
			if yi == 0 {
				return bad()
			}
			if op == "mod" {
				a = num(float64(xi % yi))
			} else {
				a = num(float64(xi / yi))
			}
		case "xor":
			a = num(float64(int64(x) ^ int64(y)))
		}
	}
}

func (p *vbParser) unary() (vbValue, bool) {
	if p.peek() == '-' {
		p.pos++
		v, ok := p.unary()
		n, isNum := v.num()
		if !ok || !isNum {
			return bad()
		}
		return num(-n), true
	}
	if p.peek() == '+' {
		p.pos++
		return p.unary()
	}
	return p.primary()
}

// vbConsts are the named constants droppers use.
var vbConsts = map[string]string{
	"vbcrlf": "\r\n", "vbcr": "\r", "vblf": "\n", "vbtab": "\t", "vbnullstring": "", "vbnullchar": "\x00",
	"vbnewline": "\r\n", "empty": "",
}

func (p *vbParser) primary() (vbValue, bool) {
	c := p.peek()
	switch {
	case c == '"':
		p.pos++
		var b strings.Builder
		for p.pos < len(p.src) {
			if p.src[p.pos] == '"' {
				if p.pos+1 < len(p.src) && p.src[p.pos+1] == '"' {
					b.WriteByte('"')
					p.pos += 2
					continue
				}
				p.pos++
				return str(b.String()), true
			}
			b.WriteByte(p.src[p.pos])
			p.pos++
		}
		return bad()
	case c == '(':
		p.pos++
		v, ok := p.expr()
		if !ok || p.peek() != ')' {
			return bad()
		}
		p.pos++
		return v, true
	case c == '&' || c >= '0' && c <= '9' || c == '.':
		return p.number()
	}
	name := p.ident()
	if name == "" {
		return bad()
	}
	if v, ok := vbConsts[name]; ok {
		return str(v), true
	}
	if name == "true" {
		return num(-1), true
	}
	if name == "false" {
		return num(0), true
	}
	if p.peek() == '.' {
		return bad() // a member of an object
	}
	// Function names may be written with a trailing $ (Chr$).
	if p.pos < len(p.src) && p.src[p.pos] == '$' {
		p.pos++
	}
	if p.peek() == '(' {
		if _, known := vbFuncs[name]; !known {
			return bad()
		}
		p.pos++
		var args []vbValue
		if p.peek() == ')' {
			p.pos++
		} else {
			for {
				v, ok := p.expr()
				if !ok {
					return bad()
				}
				args = append(args, v)
				if p.peek() == ',' {
					p.pos++
					continue
				}
				if p.peek() != ')' {
					return bad()
				}
				p.pos++
				break
			}
		}
		return vbCall(name, args)
	}
	if v, ok := p.e.vars[name]; ok {
		return v, true
	}
	return bad()
}

func (p *vbParser) number() (vbValue, bool) {
	p.space()
	s := p.src[p.pos:]
	if len(s) > 2 && s[0] == '&' && (s[1] == 'h' || s[1] == 'H' || s[1] == 'o' || s[1] == 'O') {
		base := 16
		if s[1] == 'o' || s[1] == 'O' {
			base = 8
		}
		i := 2
		for i < len(s) && isHex(s[i]) {
			i++
		}
		n, err := strconv.ParseInt(s[2:i], base, 64)
		if err != nil {
			return bad()
		}
		if i < len(s) && s[i] == '&' {
			i++ // &H41& (Long suffix)
		}
		p.pos += i
		return num(float64(n)), true
	}
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	f, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return bad()
	}
	p.pos += i
	return num(f), true
}

// vbFuncs are the built-in functions the evaluator knows ("array" makes
// a list that only Join takes).
var vbFuncs = map[string]bool{
	"chr": true, "chrw": true, "chrb": true, "asc": true, "ascw": true, "ascb": true, "strreverse": true, "replace": true,
	"mid": true, "left": true, "right": true, "lcase": true, "ucase": true, "trim": true, "ltrim": true, "rtrim": true,
	"len": true, "cstr": true, "cint": true, "clng": true, "cbyte": true, "cdbl": true, "int": true, "fix": true,
	"abs": true, "space": true, "string": true, "join": true, "array": true, "hex": true, "unescape": true,
	"instr": true, "split": true,
}

// vbArraySep separates the elements of an Array() value inside a string;
// only Join reads it.
const vbArraySep = "\x00\x01"

func vbCall(name string, a []vbValue) (vbValue, bool) {
	if len(a) == 0 {
		return bad() // every function known here takes an argument
	}
	argN := func(i int) (int, bool) {
		if i >= len(a) {
			return 0, false
		}
		n, ok := a[i].num()
		return int(math.Round(n)), ok && !math.IsNaN(n) && math.Abs(n) < 1e9
	}
	switch name {
	case "chr", "chrw", "chrb":
		n, ok := argN(0)
		if !ok || n < 0 || n > 0xffff {
			return bad()
		}
		return str(string(rune(n))), true
	case "asc", "ascw", "ascb":
		if len(a) != 1 || a[0].str() == "" {
			return bad()
		}
		return num(float64([]rune(a[0].str())[0])), true
	case "strreverse":
		if len(a) != 1 {
			return bad()
		}
		r := []rune(a[0].str())
		for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
			r[i], r[j] = r[j], r[i]
		}
		return str(string(r)), true
	case "replace":
		if len(a) < 3 || a[1].str() == "" {
			return bad()
		}
		return okv(str(replaceFold(a[0].str(), a[1].str(), a[2].str())))
	case "mid":
		s := []rune(a[0].str())
		start, ok := argN(1)
		if !ok || start < 1 {
			return bad()
		}
		if start > len(s) {
			return str(""), true
		}
		end := len(s)
		if l, ok := argN(2); ok {
			end = min(len(s), start-1+max(0, l))
		}
		return str(string(s[start-1 : end])), true
	case "left", "right":
		s := []rune(a[0].str())
		n, ok := argN(1)
		if !ok || n < 0 {
			return bad()
		}
		n = min(n, len(s))
		if name == "left" {
			return str(string(s[:n])), true
		}
		return str(string(s[len(s)-n:])), true
	case "lcase":
		return str(strings.ToLower(a[0].str())), len(a) == 1
	case "ucase":
		return str(strings.ToUpper(a[0].str())), len(a) == 1
	case "trim":
		return str(strings.Trim(a[0].str(), " ")), len(a) == 1
	case "ltrim":
		return str(strings.TrimLeft(a[0].str(), " ")), len(a) == 1
	case "rtrim":
		return str(strings.TrimRight(a[0].str(), " ")), len(a) == 1
	case "len":
		return num(float64(len([]rune(a[0].str())))), len(a) == 1
	case "cstr":
		return str(a[0].str()), len(a) == 1
	case "cint", "clng", "cbyte", "cdbl", "int", "fix", "abs":
		n, ok := a[0].num()
		if !ok {
			return bad()
		}
		switch name {
		case "cint", "clng", "cbyte":
			n = math.RoundToEven(n)
		case "int":
			n = math.Floor(n)
		case "fix":
			n = math.Trunc(n)
		case "abs":
			n = math.Abs(n)
		}
		return num(n), true
	case "space", "string":
		n, ok := argN(0)
		if !ok || n < 0 || n > maxVarValue {
			return bad()
		}
		ch := " "
		if name == "string" {
			if len(a) < 2 {
				return bad()
			}
			ch = a[1].str()
			if m, isNum := a[1].num(); a[1].isNum && isNum {
				ch = string(rune(int(m)))
			}
			if ch == "" {
				return bad()
			}
			ch = string([]rune(ch)[0])
		}
		return str(strings.Repeat(ch, n)), true
	case "array":
		parts := make([]string, len(a))
		for i, v := range a {
			parts[i] = v.str()
		}
		return okv(str(vbArraySep + strings.Join(parts, vbArraySep)))
	case "join":
		if len(a) < 1 || !strings.HasPrefix(a[0].s, vbArraySep) {
			return bad()
		}
		sep := " "
		if len(a) > 1 {
			sep = a[1].str()
		}
		return okv(str(strings.Join(strings.Split(a[0].s[len(vbArraySep):], vbArraySep), sep)))
	case "hex":
		n, ok := argN(0)
		if !ok {
			return bad()
		}
		return str(strings.ToUpper(strconv.FormatInt(int64(n), 16))), true
	case "unescape":
		return str(percentDecodeRaw(a[0].str())), len(a) == 1
	case "instr":
		if len(a) == 2 {
			return num(float64(strings.Index(a[0].str(), a[1].str()) + 1)), true
		}
		return bad()
	}
	return bad()
}

// percentDecodeRaw undoes %XX and %uXXXX escapes (JScript/VBScript
// Unescape) keeping the case of the text.
func percentDecodeRaw(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			if i+5 < len(s) && (s[i+1] == 'u' || s[i+1] == 'U') {
				if n, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
					b.WriteRune(rune(n))
					i += 5
					continue
				}
			}
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
