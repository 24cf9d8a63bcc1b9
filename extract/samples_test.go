package extract

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var samplesDir = flag.String("samples", "", "write the inspection sample messages to this directory (bench/inspect.sh measures airlock inspect on them)")

// inspectSamples are the messages the inspection issue names, built here
// so the benchmark script and the tests use the same bytes.
func inspectSamples(t testing.TB) map[string][]byte {
	inner := zipOf(t, zipEntry{"eicar.com", []byte(eicar)})
	outer := zipOf(t, zipEntry{"docs/report.zip", inner})
	fwd := message("invoice", attach("bundle.zip", "application/zip", outer))
	bomb, err := os.ReadFile("testdata/bomb-1g.zip")
	if err != nil {
		t.Fatal(err)
	}
	pe := mimePart{
		header: "Content-Type: application/pdf\r\nContent-Disposition: attachment; filename*=utf-8''Rechnung%20M%C3%A4rz.pdf.exe\r\nContent-Transfer-Encoding: base64",
		body:   wrap76(b64(minimalPE())),
	}
	doc := wrap76(b64([]byte("%PDF-1.4\n% a document\n")))
	broken := "From: a@example.net\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + doc[:10] + "#junk#" + doc[10:] + "\r\n"
	parts := make([]mimePart, 2000)
	for i := range parts {
		parts[i] = attach(fmt.Sprintf("f%04d.txt", i), "text/plain", []byte(fmt.Sprintf("file %d", i)))
	}
	return map[string][]byte{
		"nested-forward-zip-in-zip.eml": message("Fwd: invoice", forwarded("fwd.eml", fwd)),
		"rfc2231-disguised-pe.eml":      message("invoice", pe),
		"password-zip.eml":              message("secret", attach("protected.zip", "application/zip", encryptedZip(t, "invoice.exe"))),
		"zip-bomb-1g.eml":               message("bomb", attach("bomb.zip", "application/zip", bomb)),
		"missing-boundary-junk-b64.eml": []byte(broken),
		"2000-parts.eml":                message("many", parts...),
		"winmail-two-files.eml":         message("rtf", attach("winmail.dat", "application/ms-tnef", corpusFile(t, "tnef/verdammelt/two-files.tnef"))),
	}
}

// TestInspectSamples walks every sample and checks the one property each
// exists for; with -samples DIR it also writes them out.
func TestInspectSamples(t *testing.T) {
	want := map[string]func(*Result) bool{
		"nested-forward-zip-in-zip.eml": func(r *Result) bool { return has(r, "fwd.eml/bundle.zip/docs/report.zip/eicar.com", "") },
		"rfc2231-disguised-pe.eml":      func(r *Result) bool { return r.Files[0].Category == "executable" },
		"password-zip.eml":              func(r *Result) bool { return has(r, "protected.zip/invoice.exe", "encrypted") },
		"zip-bomb-1g.eml":               func(r *Result) bool { return has(r, "bomb.zip/invoice.pdf", "limit=file_bytes") },
		"missing-boundary-junk-b64.eml": func(r *Result) bool { return has(r, "a.pdf", "corrupt") }, // a missing final boundary alone hides nothing
		"2000-parts.eml":                func(r *Result) bool { return len(r.Files) == 1001 },
		"winmail-two-files.eml":         func(r *Result) bool { return has(r, "winmail.dat/AUTHORS", "") && has(r, "winmail.dat/README", "") },
	}
	for name, msg := range inspectSamples(t) {
		r, err := Walk(context.Background(), msg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !want[name](r) {
			t.Errorf("%s: unexpected listing %+v", name, r.Files)
		}
		if *samplesDir != "" {
			if err := os.WriteFile(filepath.Join(*samplesDir, name), msg, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func has(r *Result, path, flags string) bool {
	for _, f := range r.Files {
		if f.Path == path && f.Flags.String() == flags {
			return true
		}
	}
	return false
}
