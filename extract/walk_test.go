package extract

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/verdict"
)

func walk(t testing.TB, msg []byte) *Result {
	t.Helper()
	r, err := Walk(context.Background(), msg, Options{KeepData: true})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The "Done when" messages of the inspection issue, one by one.

func TestNestedForwardZipInZip(t *testing.T) {
	inner := zipOf(t, zipEntry{"eicar.com", []byte(eicar)})
	outer := zipOf(t, zipEntry{"docs/report.zip", inner}, zipEntry{"readme.txt", []byte("hello")})
	fwd := message("invoice", textPart("see attached"), attach("bundle.zip", "application/zip", outer))
	r := walk(t, message("Fwd: invoice", textPart("fyi"), forwarded("fwd.eml", fwd)))

	want := []struct {
		path  string
		cat   verdict.Category
		depth int
	}{
		{"fwd.eml", verdict.Other, 1},
		{"fwd.eml/bundle.zip", verdict.Archive, 2},
		{"fwd.eml/bundle.zip/docs/report.zip", verdict.Archive, 3},
		{"fwd.eml/bundle.zip/docs/report.zip/eicar.com", verdict.Executable, 4},
		{"fwd.eml/bundle.zip/readme.txt", verdict.Other, 3},
	}
	if len(r.Files) != len(want) {
		t.Fatalf("got %d files, want %d: %+v", len(r.Files), len(want), r.Files)
	}
	for _, w := range want {
		f := find(t, r, w.path)
		if f.Category != w.cat || f.Depth != w.depth || f.Flags.Any() {
			t.Errorf("%s: category %s depth %d flags %+v; want %s depth %d no flags", w.path, f.Category, f.Depth, f.Flags, w.cat, w.depth)
		}
	}
	e := find(t, r, "fwd.eml/bundle.zip/docs/report.zip/eicar.com")
	if e.SHA256 != sha256Hex([]byte(eicar)) || string(e.Data) != eicar {
		t.Errorf("eicar bytes/hash wrong: %s", e.SHA256)
	}
}

func TestRFC2231DisguisedPE(t *testing.T) {
	pe := minimalPE()
	if !isPE(pe) {
		t.Fatal("test PE is not a PE")
	}
	p := mimePart{
		header: "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n filename*0*=utf-8''Rechnung%20M%C3%A4rz;\r\n filename*1*=.pdf.exe\r\nContent-Transfer-Encoding: base64",
		body:   wrap76(b64(pe)),
	}
	plain := attach("invoice.pdf", "application/pdf", pe) // a PE named .pdf
	r := walk(t, message("invoice", p, plain))
	f := find(t, r, "Rechnung März.pdf.exe")
	if f.Category != verdict.Executable || f.SniffedType != "application/vnd.microsoft.portable-executable" {
		t.Errorf("disguised PE: %s %s", f.Category, f.SniffedType)
	}
	if f.DeclaredType != "application/pdf" {
		t.Errorf("declared type %q", f.DeclaredType)
	}
	if g := find(t, r, "invoice.pdf"); g.Category != verdict.Executable {
		t.Errorf("PE named .pdf: category %s", g.Category)
	}
}

func TestPasswordProtectedZip(t *testing.T) {
	r := walk(t, message("secret", attach("protected.zip", "application/zip", encryptedZip(t, "invoice.exe"))))
	c := find(t, r, "protected.zip")
	m := find(t, r, "protected.zip/invoice.exe")
	if !c.Flags.Encrypted || !m.Flags.Encrypted || m.SHA256 != "" {
		t.Errorf("encrypted flags: container %+v member %+v", c.Flags, m.Flags)
	}
	if m.Category != verdict.Executable {
		t.Errorf("member category by name: %s", m.Category)
	}
}

func TestZipBomb(t *testing.T) {
	bomb, err := os.ReadFile("testdata/bomb-1g.zip")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := walk(t, message("bomb", attach("bomb.zip", "application/zip", bomb)))
	f := find(t, r, "bomb.zip/invoice.pdf")
	if f.Flags.Limit == "" || f.SHA256 != "" || f.Data != nil {
		t.Errorf("bomb member not stopped by a limit: %+v", f)
	}
	t.Logf("bomb: %s in %s", f.Problem, time.Since(start))
}

// A bomb whose header does not tell its size (gzip) is stopped by the
// ratio while reading, not after.
func TestGzipBombStoppedByRatio(t *testing.T) {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(make([]byte, 20<<20))
	zw.Close()
	lim := config.DefaultExtract()
	lim.MaxRatio = 10
	r, err := Walk(context.Background(), message("gz", attach("logs.txt.gz", "application/gzip", b.Bytes())), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	f := find(t, r, "logs.txt.gz/logs.txt")
	if f.Flags.Limit != "ratio" {
		t.Errorf("want ratio limit, got %+v %s", f.Flags, f.Problem)
	}
}

func TestMissingBoundaryAndJunkBase64(t *testing.T) {
	doc := bytes.Repeat([]byte("%PDF-1.4\n"), 50)
	enc := wrap76(b64(doc))
	junk := enc[:100] + "!!*junk*!!" + enc[100:]
	msg := "From: a@example.net\r\nSubject: broken\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n" +
		"--XX\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + junk + "\r\n" +
		"--XX\r\nContent-Type: application/pdf; name=b.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + enc + "\r\n"
	r := walk(t, []byte(msg))
	a := find(t, r, "a.pdf")
	if !a.Flags.Corrupt || a.Category != verdict.Document {
		t.Errorf("junk base64: %+v %s", a.Flags, a.Category)
	}
	// A missing final boundary after a whole last part is cosmetic (legit
	// mail has it): the part is what every client shows, hashed as such.
	b := find(t, r, "b.pdf")
	if b.Flags.Any() || b.Size != int64(len(doc)) || b.SHA256 != sha256Hex(doc) {
		t.Errorf("last part before missing boundary: %+v size %d", b.Flags, b.Size)
	}
	if len(r.Problems) == 0 {
		t.Error("missing boundary not reported")
	}
}

func TestTwoThousandParts(t *testing.T) {
	parts := make([]mimePart, 2000)
	for i := range parts {
		parts[i] = attach(fmt.Sprintf("f%04d.txt", i), "text/plain", []byte(fmt.Sprintf("file %d", i)))
	}
	r := walk(t, message("many", parts...))
	lim := config.DefaultExtract()
	if len(r.Files) != lim.MaxFiles+1 {
		t.Fatalf("got %d files, want %d listed + 1 limit entry", len(r.Files), lim.MaxFiles)
	}
	last := r.Files[len(r.Files)-1]
	if last.Flags.Limit != "files" {
		t.Errorf("last entry: %+v", last)
	}
}

func TestWinmailTwoAttachments(t *testing.T) {
	tn := corpusFile(t, "tnef/verdammelt/two-files.tnef")
	r := walk(t, message("rtf", textPart("body"), attach("winmail.dat", "application/ms-tnef", tn)))
	w := find(t, r, "winmail.dat")
	if !w.Container || w.Flags.Any() {
		t.Errorf("winmail.dat: %+v", w)
	}
	a := find(t, r, "winmail.dat/AUTHORS")
	b := find(t, r, "winmail.dat/README")
	if a.Size != 244 || b.Size != 893 {
		t.Errorf("sizes %d %d", a.Size, b.Size)
	}
	if a.SHA256 != sha256Hex(corpusFile(t, "tnef/verdammelt/baselines/AUTHORS.baseline")) {
		t.Error("AUTHORS bytes differ from the baseline")
	}
}

func TestDepthLimit(t *testing.T) {
	data := zipOf(t, zipEntry{"payload.js", []byte("WScript.Echo(1)")})
	for i := 0; i < 12; i++ {
		data = zipOf(t, zipEntry{fmt.Sprintf("level%d.zip", i), data})
	}
	r := walk(t, message("deep", attach("deep.zip", "application/zip", data)))
	var limited bool
	for _, f := range r.Files {
		if f.Depth > config.DefaultExtract().MaxDepth {
			t.Errorf("file deeper than max_depth listed: %s (%d)", f.Path, f.Depth)
		}
		if f.Flags.Limit == "depth" {
			limited = true
		}
	}
	if !limited {
		t.Error("no file flagged limit=depth")
	}
}

func TestTimeLimit(t *testing.T) {
	lim := config.DefaultExtract()
	lim.Timeout = time.Nanosecond
	parts := []mimePart{attach("a.zip", "application/zip", zipOf(t, zipEntry{"x.exe", minimalPE()}))}
	r, err := Walk(context.Background(), message("slow", parts...), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) == 0 || !strings.Contains(strings.Join(r.Problems, " "), "walk stopped") {
		t.Errorf("time limit not reported: %q", r.Problems)
	}
	for _, f := range r.Files {
		if !f.Flags.Any() {
			t.Errorf("file listed as readable after the deadline: %+v", f)
		}
	}
}

func TestCallerCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Walk(ctx, message("x", textPart("y")), Options{}); err == nil {
		t.Fatal("cancelled walk returned no error")
	}
}

func TestISOImage(t *testing.T) {
	iso := isoOf(t, map[string][]byte{"autorun.inf": []byte("[autorun]\r\nopen=setup.exe\r\n"), "setup.exe": minimalPE()})
	for _, name := range []string{"invoice.iso", "invoice.img", "invoice.pdf"} {
		r := walk(t, message("iso", attach(name, "application/octet-stream", iso)))
		c := find(t, r, name)
		if c.Category != verdict.Archive || !c.Container {
			t.Errorf("%s: %s container=%v", name, c.Category, c.Container)
		}
		if f := find(t, r, name+"/setup.exe"); f.Category != verdict.Executable {
			t.Errorf("%s/setup.exe: %s", name, f.Category)
		}
		find(t, r, name+"/autorun.inf")
	}
}

func TestScriptsByNameAndContent(t *testing.T) {
	r := walk(t, message("scripts",
		attach("invoice.js", "text/plain", []byte("var a = 1;")),
		attach("notes.txt", "text/plain", []byte("var x = new ActiveXObject('WScript.Shell'); x.Run('calc');")),
		attach("page.html", "text/html", []byte("<html><body>hi</body></html>")),
		attach("photo.jpg", "image/jpeg", []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")),
		attach("tool.com", "application/octet-stream", []byte("plain text but a .com")),
	))
	for path, want := range map[string]verdict.Category{
		"invoice.js": verdict.Script, "notes.txt": verdict.Script, "page.html": verdict.Script,
		"photo.jpg": verdict.Other, "tool.com": verdict.Executable,
	} {
		if f := find(t, r, path); f.Category != want {
			t.Errorf("%s: %s, want %s (sniffed %s)", path, f.Category, want, f.SniffedType)
		}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
