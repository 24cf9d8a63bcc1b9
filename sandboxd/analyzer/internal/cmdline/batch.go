package cmdline

import (
	"strconv"
	"strings"
)

// Lang names a script language Deobfuscate understands.
type Lang int

// The languages.
const (
	LangBatch Lang = iota
	LangPowerShell
	LangVBScript
)

// Bounds on deobfuscation output: variables doubling themselves
// (`set a=%a%%a%`) or nested decodes must not grow without limit.
const (
	maxOut      = 4 << 20  // bytes of deobfuscated text
	maxVarValue = 64 << 10 // bytes of one variable's value
	maxVars     = 4096
)

// Deobfuscate returns text as the interpreter of lang would see it: batch
// variables expanded and escapes removed, PowerShell strings folded and
// encoded layers decoded, VBScript string expressions evaluated. The
// result is for judging (Judge, the script patterns), not for running.
func Deobfuscate(lang Lang, text string) string {
	if len(text) > maxInput {
		text = text[:maxInput]
	}
	switch lang {
	case LangBatch:
		return deobfuscateBatch(text)
	case LangPowerShell:
		return deobfuscatePS(text, 0)
	case LangVBScript:
		return deobfuscateVBS(text, 0)
	}
	return text
}

// batchEnv is what cmd's environment holds on a typical machine; droppers
// cut letters out of these (%COMSPEC:~-7,1%) to spell commands.
var batchEnv = map[string]string{
	"comspec":                `C:\Windows\system32\cmd.exe`,
	"windir":                 `C:\Windows`,
	"systemroot":             `C:\Windows`,
	"systemdrive":            `C:`,
	"programfiles":           `C:\Program Files`,
	"programfiles(x86)":      `C:\Program Files (x86)`,
	"commonprogramfiles":     `C:\Program Files\Common Files`,
	"programdata":            `C:\ProgramData`,
	"allusersprofile":        `C:\ProgramData`,
	"public":                 `C:\Users\Public`,
	"userprofile":            `C:\Users\user`,
	"homedrive":              `C:`,
	"homepath":               `\Users\user`,
	"appdata":                `C:\Users\user\AppData\Roaming`,
	"localappdata":           `C:\Users\user\AppData\Local`,
	"temp":                   `C:\Users\user\AppData\Local\Temp`,
	"tmp":                    `C:\Users\user\AppData\Local\Temp`,
	"os":                     `Windows_NT`,
	"pathext":                `.COM;.EXE;.BAT;.CMD;.VBS;.VBE;.JS;.JSE;.WSF;.WSH;.MSC`,
	"processor_architecture": `AMD64`,
	"psmodulepath":           `C:\Program Files\WindowsPowerShell\Modules;C:\Windows\system32\WindowsPowerShell\v1.0\Modules`,
	"path":                   `C:\Windows\system32;C:\Windows;C:\Windows\System32\Wbem;C:\Windows\System32\WindowsPowerShell\v1.0\`,
}

// deobfuscateBatch expands a batch file line by line as cmd would:
// %var%, %var:~a,b% and %var:x=y% (and !var! for delayed expansion) from
// the `set` commands seen so far, then carets removed. Undefined
// variables expand to nothing, as they do in a batch file.
func deobfuscateBatch(text string) string {
	vars := map[string]string{}
	for k, v := range batchEnv {
		vars[k] = v
	}
	var out strings.Builder
	// Caret at the end of a line continues it.
	text = strings.ReplaceAll(text, "^\r\n", "")
	text = strings.ReplaceAll(text, "^\n", "")
	for _, line := range strings.Split(text, "\n") {
		if out.Len() >= maxOut {
			break
		}
		line = strings.TrimRight(line, "\r")
		x := expandPercent(line, vars, '%')
		if strings.Contains(x, "!") {
			x = expandDelayed(x, vars)
		}
		x = stripCarets(x)
		batchSet(x, vars)
		out.WriteString(x)
		out.WriteByte('\n')
	}
	s := out.String()
	if len(s) > maxOut {
		s = s[:maxOut]
	}
	return s
}

// expandDelayed expands !var! piece by piece along the & chain of a
// line, recording each set on the way: in `cmd /v /c "set a=pow&&set
// b=ershell&&!a!!b!"` the sets happen before the later pieces expand.
func expandDelayed(line string, vars map[string]string) string {
	pieces := strings.Split(line, "&")
	for i, p := range pieces {
		pieces[i] = expandPercent(p, vars, '!')
		x := stripCarets(pieces[i])
		if k := strings.Index(strings.ToLower(x), "set "); k >= 0 {
			before := strings.ToLower(strings.TrimRight(x[:k], `" (`))
			if before == "" || strings.HasSuffix(before, "/c") || strings.HasSuffix(before, "/k") || strings.HasSuffix(before, "/r") {
				batchSet(x[k:], vars)
			}
		}
	}
	return strings.Join(pieces, "&")
}

// stripCarets removes cmd's escape character outside double quotes.
func stripCarets(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	q := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			q = !q
		}
		if c == '^' && !q {
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// batchSet records `set name=value`, `set "name=value"` (and the forms
// behind `if`, `&`). `set /a` evaluates nothing; `set /p` reads input.
func batchSet(line string, vars map[string]string) {
	for _, seg := range strings.Split(line, "&") {
		s := strings.TrimSpace(seg)
		s = strings.TrimLeft(s, "@( ")
		l := strings.ToLower(s)
		if !strings.HasPrefix(l, "set ") && !strings.HasPrefix(l, "set\t") {
			continue
		}
		s = strings.TrimSpace(s[4:])
		if strings.HasPrefix(strings.ToLower(s), "/") {
			continue
		}
		if strings.HasPrefix(s, `"`) {
			s = s[1:]
			if i := strings.LastIndexByte(s, '"'); i >= 0 {
				s = s[:i]
			}
		}
		i := strings.IndexByte(s, '=')
		if i <= 0 {
			continue
		}
		name := strings.ToLower(strings.TrimSpace(s[:i]))
		val := s[i+1:]
		if len(val) > maxVarValue {
			val = val[:maxVarValue]
		}
		if _, ok := vars[name]; !ok && len(vars) >= maxVars {
			continue
		}
		if val == "" {
			delete(vars, name)
			continue
		}
		vars[name] = val
	}
}

// expandPercent expands %name%, %name:~a,b% and %name:x=y% (mark is '%'
// or '!'); %0-%9, %* and %~ forms and for-loop %%i stay as they are.
func expandPercent(s string, vars map[string]string, mark byte) string {
	if strings.IndexByte(s, mark) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if c != mark {
			b.WriteByte(c)
			i++
			continue
		}
		if mark == '%' && i+1 < len(s) {
			n := s[i+1]
			if n == '%' { // %% is a literal % (and %%i a loop variable)
				b.WriteString("%%")
				i += 2
				continue
			}
			if n >= '0' && n <= '9' || n == '*' || n == '~' {
				b.WriteByte(c)
				i++
				continue
			}
		}
		j := strings.IndexByte(s[i+1:], mark)
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		ref := s[i+1 : i+1+j]
		if ref == "" || strings.ContainsAny(ref, " \t") && !strings.Contains(ref, ":") {
			// Not a reference: keep the mark, go on after it.
			b.WriteByte(c)
			i++
			continue
		}
		v, ok := lookupRef(ref, vars)
		if !ok && mark == '!' {
			b.WriteString(s[i : i+2+j])
		} else {
			b.WriteString(v)
		}
		i += j + 2
		if b.Len() > maxOut {
			break
		}
	}
	return b.String()
}

// lookupRef resolves name, name:~a,b or name:x=y.
func lookupRef(ref string, vars map[string]string) (string, bool) {
	name, op, hasOp := strings.Cut(ref, ":")
	v, ok := vars[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	if !hasOp {
		return v, true
	}
	if strings.HasPrefix(op, "~") {
		return substring(v, op[1:]), true
	}
	from, to, ok2 := strings.Cut(op, "=")
	if !ok2 || from == "" {
		return v, true
	}
	if strings.HasPrefix(from, "*") {
		i := strings.Index(strings.ToLower(v), strings.ToLower(from[1:]))
		if i < 0 {
			return v, true
		}
		return to + v[i+len(from)-1:], true
	}
	return replaceFold(v, from, to), true
}

// substring is cmd's %v:~start,length% with its negative forms.
func substring(v, spec string) string {
	a, b, hasLen := strings.Cut(spec, ",")
	start, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return v
	}
	n := len(v)
	if start < 0 {
		start = max(0, n+start)
	}
	if start > n {
		return ""
	}
	end := n
	if hasLen {
		l, err := strconv.Atoi(strings.TrimSpace(b))
		if err != nil {
			return v
		}
		if l < 0 {
			end = max(start, n+l)
		} else {
			end = min(n, start+l)
		}
	}
	return v[start:end]
}

// replaceFold replaces every case-insensitive occurrence of from.
func replaceFold(v, from, to string) string {
	lv, lf := strings.ToLower(v), strings.ToLower(from)
	if len(lv) != len(v) {
		return strings.ReplaceAll(v, from, to)
	}
	var b strings.Builder
	for {
		i := strings.Index(lv, lf)
		if i < 0 {
			b.WriteString(v)
			return b.String()
		}
		b.WriteString(v[:i])
		b.WriteString(to)
		v, lv = v[i+len(from):], lv[i+len(from):]
		if b.Len() > maxVarValue {
			return b.String()
		}
	}
}
