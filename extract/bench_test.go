package extract

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// BenchmarkAttachment10MiB: a message with a 10 MiB base64 attachment,
// parsed, decoded, sniffed and hashed; Baseline is plain base64 decode +
// SHA-256 of the same bytes, in the same run. The target is the
// walk at no less than 60% of the baseline's speed.
func BenchmarkAttachment10MiB(b *testing.B) {
	data := make([]byte, 10<<20)
	rand.Read(data)
	enc := wrap76(base64.StdEncoding.EncodeToString(data))
	msg := message("big", textPart("see attached"), mimePart{
		header: "Content-Type: application/octet-stream; name=big.bin\r\nContent-Disposition: attachment; filename=big.bin\r\nContent-Transfer-Encoding: base64",
		body:   enc,
	})
	b.Run("Walk", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			r, err := Walk(context.Background(), msg, Options{})
			if err != nil || len(r.Files) != 1 || r.Files[0].Size != int64(len(data)) {
				b.Fatalf("walk: %v %+v", err, r)
			}
		}
	})
	b.Run("Baseline", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		src := []byte(enc)
		dst := make([]byte, base64.StdEncoding.DecodedLen(len(src)))
		for b.Loop() {
			n, err := base64.StdEncoding.Decode(dst, src)
			if err != nil || n != len(data) {
				b.Fatal(err)
			}
			sha256.Sum256(dst[:n])
		}
	})
}

// BenchmarkNestedZip: a forwarded message with a zip inside a zip, the
// common shape of a phishing lure.
func BenchmarkNestedZip(b *testing.B) {
	inner := zipOf(b, zipEntry{"invoice.js", bytes.Repeat([]byte("var a = 1;\n"), 10000)})
	outer := zipOf(b, zipEntry{"docs/inner.zip", inner})
	msg := message("fwd", forwarded("f.eml", message("x", attach("a.zip", "application/zip", outer))))
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Walk(context.Background(), msg, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
