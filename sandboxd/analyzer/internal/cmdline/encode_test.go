package cmdline

import (
	"encoding/base64"
	"unicode/utf16"
)

// encode is what powershell -EncodedCommand takes: base64 of UTF-16LE.
func encode(s string) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		b[2*i], b[2*i+1] = byte(c), byte(c>>8)
	}
	return base64.StdEncoding.EncodeToString(b)
}
