package jsemu

// maxNesting bounds how deeply brackets may nest in code given to the
// engine and in JSON given to JSON.parse. goja's parser and JSON.parse
// recurse on the Go stack, and a Go stack overflow is a fatal error that
// no recover catches: "(".repeat(2e6) handed to eval kills the process.
// Real code (minified libraries included) nests a few dozen levels.
const maxNesting = 1000

// nestingDepth returns the deepest bracket nesting of code ( ( [ { ),
// skipping string literals, template literals and comments well enough
// for a bound: regular-expression literals are not recognised, so
// brackets inside them count, which can only overestimate.
func nestingDepth(code string) int {
	depth, deepest := 0, 0
	for i := 0; i < len(code); i++ {
		switch c := code[i]; c {
		case '(', '[', '{':
			depth++
			if depth > deepest {
				deepest = depth
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '"', '\'', '`':
			for i++; i < len(code) && code[i] != c; i++ {
				if code[i] == '\\' {
					i++
				} else if code[i] == '\n' && c != '`' {
					break
				}
			}
		case '/':
			if i+1 < len(code) && code[i+1] == '/' {
				for i < len(code) && code[i] != '\n' {
					i++
				}
			} else if i+1 < len(code) && code[i+1] == '*' {
				i += 2
				for i+1 < len(code) && !(code[i] == '*' && code[i+1] == '/') {
					i++
				}
				i++
			}
		}
	}
	return deepest
}

// tooDeep reports whether code nests past maxNesting.
func tooDeep(code string) bool { return nestingDepth(code) > maxNesting }
