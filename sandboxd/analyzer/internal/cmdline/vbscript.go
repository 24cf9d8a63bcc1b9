package cmdline

import (
	"strconv"
	"strings"
)

// The VBScript evaluator runs the part of a script droppers build their
// commands with: string and number variables, Chr/ChrW arithmetic,
// StrReverse, Replace, Mid/Left/Right, Join(Array(…)), Unescape,
// concatenation, For loops over those, and Execute/ExecuteGlobal/Eval of
// the strings built. Objects, user functions and anything else it does
// not know make an expression unknown, never wrong: an unknown value is
// simply not folded.
//
// What it returns is the script followed by what it learned: every
// launched command (Run, Exec, ShellExecute, Shell, Create) and object
// (CreateObject, GetObject) with its arguments evaluated, and the code
// each Execute ran, deobfuscated in turn.

// Bounds of one evaluation.
const (
	maxVBSteps = 200000 // statements and loop iterations
	maxVBDepth = 4      // nested Execute
	maxVBExpr  = 200    // parser recursion
)

// vbValue is a VBScript value the evaluator knows: a string or a number.
type vbValue struct {
	s     string
	n     float64
	isNum bool
}

func (v vbValue) str() string {
	if v.isNum {
		if v.n == float64(int64(v.n)) {
			return strconv.FormatInt(int64(v.n), 10)
		}
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	}
	return v.s
}

func (v vbValue) num() (float64, bool) {
	if v.isNum {
		return v.n, true
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
	return f, err == nil
}

// vbEnv is the state of one evaluation.
type vbEnv struct {
	vars       map[string]vbValue
	steps      int
	out        []string // learned lines
	cmds       []string // launched command lines
	unresolved int      // launches whose command could not be evaluated
	depth      int
	outBytes   int // bytes in out, bounded by maxOut
}

// learn records a line of what the evaluator found, within the output
// budget.
func (e *vbEnv) learn(line string) bool {
	if e.outBytes+len(line) > maxOut {
		return false
	}
	e.outBytes += len(line) + 1
	e.out = append(e.out, line)
	return true
}

// VBS is what the VBScript evaluator learned from a script.
type VBS struct {
	// Text is the script followed by what was learned: launched commands,
	// created objects, and the code each Execute ran.
	Text string
	// Commands are the command lines the script launches, evaluated.
	Commands []string
	// Unresolved counts the launches whose command line depends on
	// something the evaluator does not know (an object, a function
	// argument, input): those commands are unknown, not harmless.
	Unresolved int
}

// VBSCommands deobfuscates a VBScript and evaluates the commands it
// launches.
func VBSCommands(text string) VBS {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	e := &vbEnv{vars: map[string]vbValue{}}
	e.run(text)
	out := text
	if len(e.out) > 0 {
		out += "\n" + strings.Join(e.out, "\n")
	}
	if len(out) > maxOut {
		out = out[:maxOut]
	}
	return VBS{Text: out, Commands: e.cmds, Unresolved: e.unresolved}
}

func deobfuscateVBS(text string, _ int) string {
	return VBSCommands(text).Text
}

// statements splits VBScript into statements: lines joined at " _"
// continuations, split at ':' outside strings, comments removed.
func vbStatements(text string) []string {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []string
	var b strings.Builder
	inStr := false
	flush := func() {
		if t := strings.TrimSpace(b.String()); t != "" {
			out = append(out, t)
		}
		b.Reset()
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if inStr {
			b.WriteByte(c)
			if c == '"' {
				inStr = false
			} else if c == '\n' {
				inStr = false
				flush()
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
			b.WriteByte(c)
		case '\'':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			flush()
		case '_':
			// "x _\n" continues the statement on the next line.
			j := i + 1
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
				j++
			}
			if (i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '&' || text[i-1] == ',') && j < len(text) && text[j] == '\n' {
				b.WriteByte(' ')
				i = j
				continue
			}
			b.WriteByte(c)
		case '\n', ':':
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return out
}

func firstWord(s string) string {
	i := strings.IndexAny(s, " \t(")
	if i < 0 {
		return strings.ToLower(s)
	}
	return strings.ToLower(s[:i])
}

// run interprets the statements of code.
func (e *vbEnv) run(code string) {
	e.block(vbStatements(code))
}

// block runs a list of statements; For loops, If blocks and procedure
// definitions are found by their first word.
func (e *vbEnv) block(st []string) {
	for i := 0; i < len(st); i++ {
		if e.steps++; e.steps > maxVBSteps || len(e.out) > 4096 {
			return
		}
		s := st[i]
		w := firstWord(s)
		switch w {
		case "rem":
			continue
		case "sub", "function", "private", "public":
			l := strings.ToLower(s)
			if w == "private" || w == "public" {
				rest := strings.TrimSpace(l[len(w):])
				if !strings.HasPrefix(rest, "sub ") && !strings.HasPrefix(rest, "function ") {
					e.statement(strings.TrimSpace(s[len(w):]))
					continue
				}
				w = firstWord(rest)
			}
			// Procedures are not called by the evaluator, but their
			// bodies are still read for the commands they launch.
			end := matchEnd(st, i, w)
			e.block(st[i+1 : end])
			i = end
			continue
		case "for":
			end := matchEnd(st, i, "for")
			e.forLoop(s, st[i+1:end])
			i = end
			continue
		case "if":
			if !strings.HasSuffix(strings.ToLower(s), "then") {
				// Single-line If: run the statement when the condition
				// holds or is unknown.
				l := strings.ToLower(s)
				if k := strings.Index(l, " then "); k > 0 {
					if c, ok := e.cond(s[3:k]); !ok || c {
						e.statement(strings.TrimSpace(s[k+6:]))
					}
				}
				continue
			}
			end := matchEnd(st, i, "if")
			c, ok := e.cond(s[3 : len(s)-4])
			thenPart, elsePart := splitElse(st[i+1 : end])
			if !ok || c {
				e.block(thenPart)
			}
			if !ok || !c {
				e.block(elsePart)
			}
			i = end
			continue
		case "do", "while", "with", "select":
			continue
		}
		e.statement(s)
	}
}

// matchEnd finds the statement that closes the block opened at st[i].
func matchEnd(st []string, i int, kind string) int {
	depth := 0
	for j := i; j < len(st); j++ {
		l := strings.ToLower(st[j])
		w := firstWord(l)
		switch {
		case kind == "for" && w == "for", kind == "if" && w == "if" && strings.HasSuffix(l, "then"),
			(kind == "sub" || kind == "function") && (w == kind || (w == "private" || w == "public") && strings.Contains(l, kind+" ")):
			depth++
		case kind == "for" && w == "next", kind == "if" && (l == "end if" || strings.HasPrefix(l, "end if")),
			kind != "for" && kind != "if" && strings.HasPrefix(l, "end "+kind):
			depth--
			if depth == 0 {
				return j
			}
		}
	}
	return len(st)
}

func splitElse(st []string) (a, b []string) {
	depth := 0
	for j, s := range st {
		l := strings.ToLower(s)
		w := firstWord(l)
		if w == "if" && strings.HasSuffix(l, "then") {
			depth++
		}
		if l == "end if" {
			depth--
		}
		if depth == 0 && (w == "else" || w == "elseif") {
			return st[:j], st[j+1:]
		}
	}
	return st, nil
}

// forLoop runs "For i = a To b [Step c]" over body.
func (e *vbEnv) forLoop(head string, body []string) {
	l := strings.ToLower(head)
	eq := strings.IndexByte(l, '=')
	to := strings.Index(l, " to ")
	if eq < 0 || to < eq {
		e.block(body)
		return
	}
	name := strings.TrimSpace(l[3:eq])
	stepAt := strings.Index(l, " step ")
	endExpr := head[to+4:]
	step := 1.0
	if stepAt > to {
		endExpr = head[to+4 : stepAt]
		if v, ok := e.eval(head[stepAt+6:]); ok {
			if n, ok := v.num(); ok && n != 0 {
				step = n
			}
		}
	}
	a, ok1 := e.eval(head[eq+1 : to])
	b, ok2 := e.eval(endExpr)
	x, okx := a.num()
	y, oky := b.num()
	if !ok1 || !ok2 || !okx || !oky {
		e.block(body)
		return
	}
	for i := x; step > 0 && i <= y || step < 0 && i >= y; i += step {
		if e.steps > maxVBSteps {
			return
		}
		e.vars[name] = vbValue{n: i, isNum: true}
		e.block(body)
	}
}

func (e *vbEnv) cond(s string) (bool, bool) {
	p := &vbParser{e: e, src: s}
	v, ok := p.comparison()
	if !ok || !p.atEnd() {
		return false, false
	}
	n, isNum := v.num()
	return isNum && n != 0, true
}

// launchers are the methods that start a command line.
var launchers = map[string]bool{"run": true, "exec": true, "shellexecute": true, "shell": true, "create": true}

// statement runs one simple statement.
func (e *vbEnv) statement(s string) {
	l := strings.ToLower(s)
	for _, kw := range []string{"dim ", "const ", "redim ", "call "} {
		if strings.HasPrefix(l, kw) {
			s = strings.TrimSpace(s[len(kw):])
			l = l[len(kw):]
			l = strings.TrimSpace(l)
			if kw == "dim " || kw == "redim " {
				return
			}
		}
	}
	if strings.HasPrefix(l, "set ") {
		s = strings.TrimSpace(s[4:])
		l = strings.TrimSpace(l[4:])
	}
	// Execute / ExecuteGlobal / Eval of a built string.
	for _, kw := range []string{"executeglobal", "execute", "eval"} {
		if strings.HasPrefix(l, kw) && len(l) > len(kw) && (l[len(kw)] == ' ' || l[len(kw)] == '(') {
			if v, ok := e.eval(s[len(kw):]); ok {
				e.execute(v.str())
			}
			return
		}
	}
	// Assignment: name = expr (a member assignment is left alone).
	if i := assignAt(s); i > 0 {
		name := strings.ToLower(strings.TrimSpace(s[:i]))
		rhs := s[i+1:]
		e.scanCalls(rhs)
		if isIdent(name) {
			if v, ok := e.eval(rhs); ok {
				if len(v.s) <= maxVarValue {
					e.vars[name] = v
				}
			} else {
				delete(e.vars, name)
			}
		}
		return
	}
	e.scanCalls(s)
}

// execute runs a string the script passed to Execute.
func (e *vbEnv) execute(code string) {
	if e.depth >= maxVBDepth || code == "" {
		return
	}
	if !e.learn("' Execute:\n" + code) {
		return
	}
	e.depth++
	e.run(code)
	e.depth--
}

// scanCalls finds launcher and object calls in s and records them with
// their arguments evaluated.
func (e *vbEnv) scanCalls(s string) {
	l := strings.ToLower(s)
	for _, name := range []string{"run", "exec", "shellexecute", "shell", "create", "createobject", "getobject", "open", "navigate", "execute", "executeglobal", "eval"} {
		for from := 0; from < len(l); {
			k := indexWord(l[from:], name)
			if k < 0 {
				break
			}
			k += from
			from = k + len(name)
			if strings.Count(l[:k], `"`)%2 == 1 {
				continue // inside a string literal
			}
			method := k > 0 && l[k-1] == '.'
			rest := s[from:]
			args := e.args(rest)
			if len(args) == 0 {
				if launchers[name] && (method || name == "shell" && strings.HasPrefix(strings.TrimSpace(rest), "(")) {
					e.unresolved++
				}
				continue
			}
			switch {
			case launchers[name]:
				cmd := args[0]
				if name == "shellexecute" && len(args) > 1 {
					cmd += " " + args[1]
				}
				if name == "shell" && k > 0 && l[k-1] == '.' {
					continue // .Shell is a property, not VBA's Shell()
				}
				if e.learn("' " + name + ": " + cmd) {
					e.cmds = append(e.cmds, cmd)
				}
			case name == "execute" || name == "executeglobal" || name == "eval":
				if k == 0 || l[k-1] != '.' {
					e.execute(args[0])
				}
			default:
				e.learn("' " + name + ": " + strings.Join(args, ", "))
			}
		}
	}
}

// indexWord finds name as a whole word (not part of an identifier).
func indexWord(l, name string) int {
	from := 0
	for {
		i := strings.Index(l[from:], name)
		if i < 0 {
			return -1
		}
		i += from
		before := i == 0 || !isIdentByte(l[i-1])
		after := i+len(name) >= len(l) || !isIdentByte(l[i+len(name)])
		if before && after {
			return i
		}
		from = i + 1
	}
}

func isIdentByte(c byte) bool { return c == '_' || isAlnum(c) }

func isIdent(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z' || s[0] >= 'A' && s[0] <= 'Z') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// assignAt returns the index of the '=' of an assignment statement, or -1.
func assignAt(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			return i
		}
		if !(isIdentByte(c) || c == ' ' || c == '\t' || c == '.' || c == '(' || c == ')') {
			return -1
		}
	}
	return -1
}

// args evaluates the argument list that follows a method name: either
// "(a, b)" or " a, b" to the end of the statement. Unknown arguments
// stop the list.
func (e *vbEnv) args(rest string) []string {
	p := &vbParser{e: e, src: rest}
	p.space()
	paren := p.peek() == '('
	if paren {
		p.pos++
	} else if p.pos == 0 || p.atEnd() {
		return nil
	}
	var out []string
	for {
		v, ok := p.expr()
		if !ok {
			return out
		}
		out = append(out, v.str())
		p.space()
		if p.peek() != ',' {
			return out
		}
		p.pos++
	}
}
