package tnef

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds the TNEF samples copied from MimeKit (MIT), verdammelt/tnef
// (GPL-2.0+) and koodaamo/tnefparse (LGPL-3.0), each folder beside its
// license text (testdata/corpus/ATTRIBUTION.md). The MIME messages that
// carry winmail.dat are extract's corpus (mimeCorpus).
const (
	corpusDir  = "testdata/corpus"
	mimeCorpus = "../testdata/corpus"
)

// corpus returns the path of a corpus file by its path in the shared
// layout ("tnef/...", "mime/..."), failing (not skipping) the test when it
// is missing: a missing corpus must not pass as green.
func corpus(t *testing.T, rel string) string {
	t.Helper()
	dir := corpusDir
	if strings.HasPrefix(rel, "mime/") {
		dir = mimeCorpus
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("corpus file missing at %s: %v", p, err)
	}
	return p
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type wantAtt struct {
	name   string
	size   int
	method int
}

// The expected listings, from the table "TNEF: expected attachments" in
// the corpus's SOURCES.md (itself checked against each source repository's
// own expectations).
var corpusCases = []struct {
	path   string // in the corpus layout: "tnef/<source>/<file>"
	want   []wantAtt
	bodies []string // body kinds, in order
	// problem is a substring of the one expected problem; "" means the
	// stream must decode without any.
	problem string
}{
	{
		path: "tnef/mimekit/winmail.tnef",
		// OLE objects: the 16-byte IID_IStorage prefix is stripped, leaving
		// compound files of a whole number of 512-byte sectors.
		want:   []wantAtt{{"Untitled Attachment", 29184, 6}, {"Untitled Attachment", 68608, 6}},
		bodies: []string{"rtf"},
	},
	{
		path:    "tnef/mimekit/panic.tnef",
		want:    []wantAtt{{"image001.jpg", 11250, 1}, {"image002.jpg", 9583, 1}, {"image003.png", 7147, 1}},
		bodies:  []string{"html"},
		problem: "offset 49862: not an attribute",
	},
	{path: "tnef/verdammelt/two-files.tnef", want: []wantAtt{{"AUTHORS", 244, 1}, {"README", 893, 1}}},
	{path: "tnef/verdammelt/one-file.tnef", want: []wantAtt{{"AUTHORS", 244, 1}}},
	{
		path:   "tnef/verdammelt/data-before-name.tnef",
		want:   []wantAtt{{"AUTOEXEC.BAT", 0, 1}, {"CONFIG.SYS", 0, 1}, {"boot.ini", 289, 1}},
		bodies: []string{"rtf"},
	},
	{
		path:   "tnef/verdammelt/MAPI_ATTACH_DATA_OBJ.tnef",
		want:   []wantAtt{{"VIA_Nytt_1402.doc", 61952, 1}, {"VIA_Nytt_1402.pdf", 213685, 1}, {"VIA_Nytt_14021.htm", 68919, 1}},
		bodies: []string{"rtf"},
	},
	{
		path:   "tnef/verdammelt/MAPI_OBJECT.tnef",
		want:   []wantAtt{{"Untitled_Attachment", 628224, 6}},
		bodies: []string{"rtf"},
	},
	{
		path: "tnef/verdammelt/missing-filenames.tnef",
		want: []wantAtt{
			{"generpts.src", 61210, 1}, {"TechlibDEC99.doc", 33792, 1},
			{"TechlibDEC99-JAN00.doc", 34304, 1}, {"TechlibNOV99.doc", 33792, 1},
		},
		bodies: []string{"rtf"},
	},
	{
		path:   "tnef/verdammelt/long-filename.tnef",
		want:   []wantAtt{{"allproductsmar2000.dat", 279, 1}},
		bodies: []string{"rtf"},
	},
	{
		path:   "tnef/verdammelt/multi-value-attribute.tnef",
		want:   []wantAtt{{"208225__5_seconds__Voice_Mail.mp3", 10656, 1}},
		bodies: []string{"rtf"},
	},
	{
		path: "tnef/verdammelt/unicode-mapi-attr-name.tnef",
		want: []wantAtt{
			{"spaconsole2.cfg", 8387, 1}, {"image001.png", 3815, 1},
			{"image002.png", 3573, 1}, {"image003.png", 3792, 1},
		},
		bodies: []string{"html"},
	},
	// One stray '\n' after the last attribute: no attachment, no problem.
	{path: "tnef/verdammelt/garbage-at-end.tnef"},
	{path: "tnef/verdammelt/body.tnef", bodies: []string{"html"}},
	{
		path: "tnef/tnefparse/umlaut.tnef",
		want: []wantAtt{
			{"TBZ PARIV GmbH.jpg", 44764, 1}, {"image003.jpg", 1001, 1},
			{"UmlautAnhang-äüö.txt", 14, 1},
		},
		bodies: []string{"rtf"},
	},
	// Hand-made: no name anywhere and no attach method.
	{path: "tnef/tnefparse/minimal_attachment.tnef", want: []wantAtt{{"", 16, 0}}},
}

func casePath(t *testing.T, p string) string {
	t.Helper()
	return corpus(t, p)
}

func TestCorpusListings(t *testing.T) {
	// Every sample on disk must have a case: a new sample without an
	// expectation is a test gap, not a pass.
	onDisk, _ := filepath.Glob(filepath.Join(corpusDir, "tnef", "*", "*.tnef"))
	if len(onDisk) != len(corpusCases) {
		t.Errorf("corpus has %d TNEF samples, the table %d", len(onDisk), len(corpusCases))
	}
	for _, tc := range corpusCases {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			m, err := Decode(readFile(t, casePath(t, tc.path)), Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []wantAtt
			for _, a := range m.Attachments {
				got = append(got, wantAtt{a.Name, len(a.Data), a.Method})
				if a.Problem != "" || a.Limit != "" || a.Truncated {
					t.Errorf("%q: problem %q, limit %q, truncated %v", a.Name, a.Problem, a.Limit, a.Truncated)
				}
			}
			if !equalAtts(got, tc.want) {
				t.Errorf("attachments:\n got %v\nwant %v", got, tc.want)
			}
			var kinds []string
			for _, b := range m.Bodies {
				kinds = append(kinds, b.Kind)
			}
			if strings.Join(kinds, ",") != strings.Join(tc.bodies, ",") {
				t.Errorf("bodies %v, want %v", kinds, tc.bodies)
			}
			switch {
			case tc.problem == "" && len(m.Problems) > 0:
				t.Errorf("unexpected problems: %q", m.Problems)
			case tc.problem != "" && (len(m.Problems) != 1 || !strings.Contains(m.Problems[0], tc.problem)):
				t.Errorf("problems %q, want one containing %q", m.Problems, tc.problem)
			}
			checkList(t, tc.path, m)
		})
	}
}

func equalAtts(a, b []wantAtt) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// checkList compares the decoded message with the source repository's own
// .list file, where one exists: the attachment names in order, and the
// bodies it saved ("X-body.rtf", "body.html"). verdammelt's lists for
// long-filename and missing-filenames name only the saved body (its test
// ran without writing attachments there), so names are compared only when
// the list has any.
func checkList(t *testing.T, tnefPath string, m *Message) {
	t.Helper()
	listPath := strings.TrimSuffix(casePath(t, tnefPath), ".tnef") + ".list"
	f, err := os.Open(listPath)
	if errors.Is(err, os.ErrNotExist) {
		return // the tnefparse samples come without one
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names, bodyKinds []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		base := strings.TrimSuffix(line, filepath.Ext(line))
		switch {
		case line == "":
		case base == "body" || strings.HasSuffix(base, "-body"):
			bodyKinds = append(bodyKinds, strings.TrimPrefix(filepath.Ext(line), "."))
		default:
			names = append(names, line)
		}
	}
	if len(names) > 0 {
		var got []string
		for _, a := range m.Attachments {
			got = append(got, a.Name)
		}
		if strings.Join(got, "\n") != strings.Join(names, "\n") {
			t.Errorf("names %q, %s says %q", got, filepath.Base(listPath), names)
		}
	}
	for _, k := range bodyKinds {
		found := false
		for _, b := range m.Bodies {
			found = found || b.Kind == k
		}
		if !found {
			t.Errorf("%s lists a %s body; decoded bodies: %v", filepath.Base(listPath), k, m.Bodies)
		}
	}
}

// TestCorpusBaselines checks extracted bytes against verdammelt/tnef's
// expected output: every baseline must match, by SHA-256, an attachment of
// the same name in some verdammelt sample.
func TestCorpusBaselines(t *testing.T) {
	baselines, _ := filepath.Glob(filepath.Join(corpus(t, "tnef/verdammelt/baselines"), "*.baseline"))
	if len(baselines) == 0 {
		t.Fatal("no baselines found")
	}
	samples, _ := filepath.Glob(filepath.Join(corpusDir, "tnef", "verdammelt", "*.tnef"))
	got := map[string][][32]byte{}
	for _, s := range samples {
		m, err := Decode(readFile(t, s), Limits{})
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		for _, a := range m.Attachments {
			got[a.Name] = append(got[a.Name], sha256.Sum256(a.Data))
		}
	}
	for _, b := range baselines {
		name := strings.TrimSuffix(filepath.Base(b), ".baseline")
		want := sha256.Sum256(readFile(t, b))
		hashes, ok := got[name]
		if !ok {
			t.Errorf("%s: no attachment of that name decoded", name)
			continue
		}
		for _, h := range hashes {
			if h != want {
				t.Errorf("%s: sha256 %x, baseline %x", name, h, want)
			}
		}
	}
}

// TestMinimalAttachmentBytes: the hand-made sample's whole payload.
func TestMinimalAttachmentBytes(t *testing.T) {
	m, err := Decode(readFile(t, corpus(t, "tnef/tnefparse/minimal_attachment.tnef")), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || string(m.Attachments[0].Data) != "this is a test\n\x00" {
		t.Fatalf("got %+v", m.Attachments)
	}
}

// TestOLEObjectsAreCompoundFiles: with the IID stripped, method-6 data
// starts with the compound file signature.
func TestOLEObjectsAreCompoundFiles(t *testing.T) {
	cfb := []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}
	for _, p := range []string{"tnef/mimekit/winmail.tnef", "tnef/verdammelt/MAPI_OBJECT.tnef"} {
		m, err := Decode(readFile(t, casePath(t, p)), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range m.Attachments {
			if !bytes.HasPrefix(a.Data, cfb) {
				t.Errorf("%s %q: data starts % x, want the CFB signature", p, a.Name, a.Data[:min(8, len(a.Data))])
			}
		}
	}
}

// BenchmarkDecodeCorpus decodes every corpus sample once per iteration;
// the bytes/s figure is over the samples' total size.
func BenchmarkDecodeCorpus(b *testing.B) {
	paths, _ := filepath.Glob(filepath.Join(corpusDir, "tnef", "*", "*.tnef"))
	if len(paths) == 0 {
		b.Fatalf("no corpus at %s", corpusDir)
	}
	var inputs [][]byte
	var total int64
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		inputs = append(inputs, data)
		total += int64(len(data))
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		for _, in := range inputs {
			if _, err := Decode(in, Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	}
}
