package cmdline

import "strings"

// Hand-written folds for the PowerShell shapes that are on nearly every
// line of real scripts (concatenation, the format operator, a literal in
// parentheses): regular expressions that must try every quote as a
// start cost more than the rest of the deobfuscation together.

// literalBefore returns the start of the single-quoted literal that ends
// just before end (after spaces), and its text.
func literalBefore(s string, end int) (start int, lit string, ok bool) {
	j := end - 1
	for j >= 0 && (s[j] == ' ' || s[j] == '\t') {
		j--
	}
	if j < 1 || s[j] != '\'' {
		return 0, "", false
	}
	k := strings.LastIndexByte(s[:j], '\'')
	if k < 0 || strings.ContainsRune(s[k+1:j], '\n') {
		return 0, "", false
	}
	return k, s[k+1 : j], true
}

// literalAfter returns the single-quoted literal that starts at from
// (after spaces): its text and the index after its closing quote.
func literalAfter(s string, from int) (lit string, end int, ok bool) {
	j := from
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	if j >= len(s) || s[j] != '\'' {
		return "", 0, false
	}
	k := strings.IndexByte(s[j+1:], '\'')
	if k < 0 || strings.ContainsRune(s[j+1:j+1+k], '\n') {
		return "", 0, false
	}
	return s[j+1 : j+1+k], j + 2 + k, true
}

// foldConcat joins 'a' + 'b' into 'ab', chains included.
func foldConcat(s string) string {
	if !strings.Contains(s, "+") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '+' {
			continue
		}
		start, left, ok := literalBefore(s, i)
		if !ok || start < last {
			continue
		}
		right, end, ok := literalAfter(s, i+1)
		if !ok {
			continue
		}
		joined := left + right
		// Keep folding to the right: 'a' + 'b' + 'c'.
		for {
			k := end
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k >= len(s) || s[k] != '+' {
				break
			}
			r, e, ok := literalAfter(s, k+1)
			if !ok {
				break
			}
			joined += r
			end = e
		}
		b.WriteString(s[last:start])
		b.WriteString(psQuote(joined))
		last = end
		i = end - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// foldFormat evaluates 'fmt {0}{1}' -f 'a', 'b'.
func foldFormat(s string) string {
	low := strings.ToLower(s)
	var b strings.Builder
	last := 0
	for from := 0; ; {
		i := strings.Index(low[from:], "-f")
		if i < 0 {
			break
		}
		i += from
		from = i + 2
		if i+2 < len(s) && isIdentByte(s[i+2]) {
			continue // -force, -filter …
		}
		start, f, ok := literalBefore(s, i)
		if !ok || start < last || !strings.Contains(f, "{") {
			continue
		}
		var args []string
		end := i + 2
		for {
			a, e, ok := literalAfter(s, end)
			if !ok {
				break
			}
			args = append(args, a)
			end = e
			k := end
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k >= len(s) || s[k] != ',' {
				break
			}
			end = k + 1
		}
		if len(args) == 0 {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(psQuote(format(f, args)))
		last = end
		from = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// foldParen turns ('a') into 'a' where the parentheses group (not where
// they call: .Method('a'), Func('a')).
func foldParen(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '(' {
			continue
		}
		if i > 0 {
			p := s[i-1]
			if isIdentByte(p) || p == ']' || p == ')' || p == '\'' || p == '.' || p == '$' {
				continue
			}
		}
		lit, end, ok := literalAfter(s, i+1)
		if !ok {
			continue
		}
		k := end
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		if k >= len(s) || s[k] != ')' {
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(psQuote(lit))
		last = k + 1
		i = k
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}
