package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/verdict"
)

// Regression tests for the library traps listed in docs/libraries.md, each
// first reproduced with a small program against the pinned version.

// go-message: mail.Reader.NextPart stops the walk at a part with an
// unknown transfer encoding, so a later evil.exe is never seen.
func TestTrapUnknownTransferEncodingDoesNotStopWalk(t *testing.T) {
	odd := mimePart{header: "Content-Type: application/octet-stream; name=odd.bin\r\nContent-Transfer-Encoding: x-something", body: "abc"}
	r := walk(t, message("x", odd, attach("evil.exe", "application/octet-stream", minimalPE())))
	if f := find(t, r, "odd.bin"); !f.Flags.Corrupt {
		t.Errorf("unknown CTE not flagged: %+v", f)
	}
	if f := find(t, r, "evil.exe"); f.Category != verdict.Executable {
		t.Errorf("evil.exe: %s", f.Category)
	}
}

// go-message: a header line without a colon ends the walk.
func TestTrapHeaderLineWithoutColon(t *testing.T) {
	bad := mimePart{header: "Content-Type: text/plain\r\nthis line has no colon", body: "x"}
	r := walk(t, message("x", bad, attach("evil.exe", "application/octet-stream", minimalPE())))
	find(t, r, "evil.exe")
}

// go-message: a duplicate filename parameter yields "".
func TestTrapDuplicateFilenameParameter(t *testing.T) {
	p := mimePart{
		header: "Content-Type: application/pdf; name=\"a.pdf\"; name=\"a.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.js\"; filename=\"invoice.js\"\r\nContent-Transfer-Encoding: base64",
		body:   b64([]byte("var x = 1;")),
	}
	r := walk(t, message("x", p))
	if f := find(t, r, "invoice.js"); f.Category != verdict.Script {
		t.Errorf("invoice.js: %s", f.Category)
	}
	// And the corpus sample that found it.
	r = walk(t, corpusFile(t, "mime/enmime/mail/mime-duplicate-param.raw"))
	if len(r.Files) != 1 || !strings.HasPrefix(r.Files[0].Name, "Invoice_") {
		t.Errorf("duplicate-param sample: %+v", r.Files)
	}
}

// go-message: message/rfc822 is not walked into, and 20k nested levels
// cost 1.8 GB when walked naively. Ours stops at max_depth.
func TestTrapDeeplyNestedMessages(t *testing.T) {
	msg := append(bytes.Repeat([]byte("Content-Type: message/rfc822\r\n\r\n"), 20000), "Subject: leaf\r\n\r\nleaf\r\n"...)
	start := time.Now()
	r := walk(t, msg)
	if len(r.Files) > 20 {
		t.Errorf("listed %d files for a nesting bomb", len(r.Files))
	}
	var limited bool
	for _, f := range r.Files {
		limited = limited || f.Flags.Limit == "depth"
	}
	if !limited {
		t.Error("nesting bomb not flagged limit=depth")
	}
	t.Logf("20k nested messages: %d files in %s", len(r.Files), time.Since(start))
}

// go-message: CharsetReader must stay out of attachment bytes: a text
// attachment in a legacy charset is hashed as sent.
func TestTrapCharsetDoesNotChangeAttachmentBytes(t *testing.T) {
	latin1 := []byte("Fr\xf6sche\r\n")
	p := mimePart{header: "Content-Type: text/plain; charset=iso-8859-1; name=f.txt\r\nContent-Disposition: attachment; filename=f.txt\r\nContent-Transfer-Encoding: base64", body: b64(latin1)}
	r := walk(t, message("x", p))
	if f := find(t, r, "f.txt"); f.SHA256 != sha256Hex(latin1) {
		t.Error("charset conversion changed the attachment's bytes")
	}
}

// mholt/archives: Identify trusts a name match ("invoice.zip.exe" → zip).
// We sniff by content only: a PE named .zip.exe is an executable, and a
// zip named .pdf is opened as a zip.
func TestTrapNameIsNotTrusted(t *testing.T) {
	z := zipOf(t, zipEntry{"run.js", []byte("WScript.Echo(1)")})
	r := walk(t, message("x",
		attach("invoice.zip.exe", "application/zip", minimalPE()),
		attach("invoice.pdf", "application/pdf", z)))
	if f := find(t, r, "invoice.zip.exe"); f.Category != verdict.Executable || f.Container {
		t.Errorf("PE named .zip.exe: %+v", f)
	}
	if f := find(t, r, "invoice.pdf/run.js"); f.Category != verdict.Script {
		t.Errorf("zip named .pdf not opened: %+v", f)
	}
}

// mholt/archives: plain text starting "BZh" or "x^" made Identify return
// an error instead of "no match". Such text is just text.
func TestTrapTextLookingLikeCompression(t *testing.T) {
	for _, s := range []string{"BZh is how this note starts", "x^ also text"} {
		r, err := WalkFile(context.Background(), "note.txt", []byte(s), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Files) != 1 || r.Files[0].Category != verdict.Other {
			t.Errorf("%q: %+v", s, r.Files)
		}
	}
}

// rardecode v2.2.0 panicked on a 16-byte RAR (fixed in v2.4.6). Whatever
// the version, a short RAR is flagged, never a crash.
func TestTrapShortRar(t *testing.T) {
	for _, data := range [][]byte{
		[]byte("Rar!\x1a\x07\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		[]byte("Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00\x0d\x00\x00\x00"),
	} {
		r, err := WalkFile(context.Background(), "a.rar", data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f := r.Files[0]; !f.Flags.Any() {
			t.Errorf("short rar not flagged: %+v", f)
		}
	}
}

// mholt Tar with ContinueOnError loops forever on truncated input. We do
// not set it, and the walk has a deadline besides.
func TestTrapTruncatedTar(t *testing.T) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "a.exe", Mode: 0o644, Size: 4096, Typeflag: tar.TypeReg})
	tw.Write(minimalPE())
	data := b.Bytes()[:1024]
	done := make(chan *Result)
	go func() {
		r, _ := WalkFile(context.Background(), "t.tar", data, Options{})
		done <- r
	}()
	select {
	case r := <-done:
		f := find(t, r, "t.tar/a.exe")
		if !f.Flags.Any() {
			t.Errorf("truncated member not flagged: %+v", f)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("walk of a truncated tar did not end")
	}
}

// mholt/archives: zip and 7z need io.ReaderAt; prefixed (self-extracting)
// archives are found only when the format is called directly.
func TestTrapPrefixedZip(t *testing.T) {
	z := zipOf(t, zipEntry{"payload.vbs", []byte("CreateObject(\"WScript.Shell\").Run \"calc\"")})
	sfx := append(bytes.Repeat([]byte("junk junk junk\n"), 100), z...)
	r, err := WalkFile(context.Background(), "setup.bin", sfx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := find(t, r, "setup.bin/payload.vbs"); f.Category != verdict.Script {
		t.Errorf("payload in prefixed zip: %+v", f)
	}
}

// mimetype: plain-text scripts come out as text, .docm as docx, ISO is
// missed. Our own checks add them.
func TestTrapMimetypeGaps(t *testing.T) {
	iso := isoOf(t, map[string][]byte{"a.txt": []byte("x")})
	docm := zipOf(t, zipEntry{"[Content_Types].xml", []byte("<Types/>")}, zipEntry{"word/document.xml", []byte("<w:document/>")}, zipEntry{"word/vbaProject.bin", []byte("x")})
	for _, c := range []struct {
		data []byte
		want string
	}{
		{[]byte("var s = new ActiveXObject('WScript.Shell');"), "application/x-wsh-script"},
		{[]byte("<html><head><HTA:APPLICATION ID=x></head></html>"), "application/hta"},
		{[]byte("powershell -nop -w hidden -enc SQBFAFgA"), "text/x-powershell"},
		{[]byte("@echo off\r\ndel x\r\n"), "text/x-msdos-batch"},
		{iso, "application/x-iso9660-image"},
		{docm, "application/vnd.ms-office.macroenabled"},
	} {
		if got := Sniff(c.data); got != c.want {
			t.Errorf("Sniff(%.30q) = %s, want %s", c.data, got, c.want)
		}
	}
}
