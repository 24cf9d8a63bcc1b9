package tnef

import (
	"bytes"
	"errors"
	"runtime"
	"strings"
	"testing"
)

func TestNotTNEF(t *testing.T) {
	for name, in := range map[string][]byte{
		"nil":           nil,
		"short":         {0x78, 0x9f, 0x3e},
		"png":           []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
		"big-endian":    {0x22, 0x3e, 0x9f, 0x78, 0x01, 0x00},
		"text":          []byte("winmail.dat\r\n"),
		"signature-off": cat([]byte{0}, stream()),
	} {
		t.Run(name, func(t *testing.T) {
			m, err := Decode(in, Limits{})
			if !errors.Is(err, ErrNotTNEF) || m != nil {
				t.Fatalf("Decode = %v, %v; want nil, ErrNotTNEF", m, err)
			}
			if IsTNEF(in) {
				t.Error("IsTNEF = true")
			}
		})
	}
}

// TestDecodeEdgeCases covers tolerated damage and the name and code page
// rules with hand-made streams.
func TestDecodeEdgeCases(t *testing.T) {
	payload := []byte("MZ\x90\x00payload")
	badSum := attr(levelAttachment, idAttData, payload)
	badSum[len(badSum)-1] ^= 0xFF
	badRend := rendData()
	badRend[len(badRend)-1] ^= 0xFF
	hugeAttr := cat([]byte{levelAttachment}, le32(idAttData), le32(0xFFFFFFFF), []byte("tiny"))
	truncData := cat([]byte{levelAttachment}, le32(idAttData), le32(100), []byte("0123456789"))
	hugeValue := cat(le16(ptBinary), le16(prAttachData), le32(1), le32(0xFFFFFFF0), []byte("abcd"))
	hugeCount := cat(le16(ptI4|mvFlag), le16(0x3000), le32(0x40000000), le32(7))
	unknownType := cat(le16(0x0099), le16(0x3000), le32(0))
	namedString := cat(le16(ptI4), le16(0x8001), make([]byte, 16), le32(namedKindString),
		le32(6), []byte{'a', 0, 'b', 0, 0, 0}, []byte{0, 0}, le32(42))
	namedID := cat(le16(ptBoolean), le16(0x8002), make([]byte, 16), le32(namedKindID), le32(0x8510), le32(1))
	mvStrings := cat(le16(ptUnicode|mvFlag), le16(0x3000), le32(2),
		le32(4), []byte{'x', 0, 0, 0}, le32(2), []byte{'y', 0, 0, 0})

	tests := []struct {
		name     string
		in       []byte
		want     []wantAtt
		problem  string // substring of Message.Problems, "" for none
		attProb  string // substring of the first attachment's Problem
		truncate bool
		check    func(t *testing.T, m *Message)
	}{
		{
			name: "signature only",
			in:   stream(),
			check: func(t *testing.T, m *Message) {
				if !IsTNEF(stream()) {
					t.Error("IsTNEF = false")
				}
			},
		},
		{
			name: "two files",
			in:   stream(flatten(fileAttachment("a.txt", []byte("A")), fileAttachment("b.exe", payload))...),
			want: []wantAtt{{"a.txt", 1, 1}, {"b.exe", len(payload), 1}},
		},
		{
			name:    "bad checksum keeps the data",
			in:      stream(rendData(), attr(levelAttachment, idTitle, []byte("x.exe\x00")), badSum),
			want:    []wantAtt{{"x.exe", len(payload), 0}},
			attProb: "checksum",
			check: func(t *testing.T, m *Message) {
				if !bytes.Equal(m.Attachments[0].Data, payload) {
					t.Errorf("data %q", m.Attachments[0].Data)
				}
			},
		},
		{
			name: "bad checksum on attAttachRendData is blamed on the attachment it starts",
			in: stream(append(fileAttachment("a", []byte("a")),
				badRend, attr(levelAttachment, idTitle, []byte("b\x00")))...),
			want: []wantAtt{{"a", 1, 1}, {"b", 0, 0}},
			check: func(t *testing.T, m *Message) {
				if !strings.Contains(m.Attachments[1].Problem, "checksum") {
					t.Errorf("second attachment problem %q", m.Attachments[1].Problem)
				}
			},
		},
		{
			name:    "attribute claims 4 GiB",
			in:      stream(append(fileAttachment("first.bin", []byte("1")), hugeAttr)...),
			want:    []wantAtt{{"first.bin", 1, 1}},
			problem: "claims 4294967295 bytes",
		},
		{
			name:     "stream ends inside attachment data",
			in:       stream(rendData(), attr(levelAttachment, idTitle, []byte("cut.doc\x00")), truncData),
			want:     []wantAtt{{"cut.doc", 10, 0}},
			problem:  "truncated",
			truncate: true,
		},
		{
			name: "junk level byte stops the walk",
			in: stream(append(fileAttachment("kept.txt", []byte("k")),
				bytes.Repeat([]byte("QUJDRA=="), 64))...),
			want:    []wantAtt{{"kept.txt", 1, 1}},
			problem: "not an attribute (level byte 0x51)",
		},
		{
			name: "short stray bytes after the last attribute",
			in:   cat(stream(fileAttachment("a", []byte("a"))...), []byte("\r\n")),
			want: []wantAtt{{"a", 1, 1}},
		},
		{
			name: "property value claims 4 GiB",
			in: stream(rendData(), attr(levelAttachment, idTitle, []byte("t.bin\x00")),
				attr(levelAttachment, idAttProps, cat(le32(2), propI4(prAttachMethod, 1), hugeValue))),
			want:    []wantAtt{{"t.bin", 0, 1}},
			attProb: "value length 4294967280 exceeds",
		},
		{
			name: "multi-value count lie",
			in: stream(rendData(), attr(levelAttachment, idAttProps,
				cat(le32(2), propUnicode(prAttachLongName, "mv.txt"), hugeCount))),
			want:    []wantAtt{{"mv.txt", 0, 0}},
			attProb: "value count 1073741824 exceeds",
		},
		{
			name: "property count lie",
			in: stream(rendData(), attr(levelAttachment, idAttProps,
				cat(le32(0xFFFFFFFF), propUnicode(prAttachLongName, "pc.txt")))),
			want:    []wantAtt{{"pc.txt", 0, 0}},
			attProb: "truncated property tag",
		},
		{
			name: "unsupported property type keeps what came before",
			in: stream(rendData(), attr(levelAttachment, idAttProps,
				cat(le32(3), propUnicode(prAttachLongName, "before.txt"), unknownType, propI4(prAttachMethod, 1)))),
			want:    []wantAtt{{"before.txt", 0, 0}},
			attProb: "unsupported property type 0x0099",
		},
		{
			name: "named and multi-valued properties are skipped correctly",
			in: stream(rendData(), attr(levelAttachment, idAttProps, props(
				namedString, namedID, mvStrings,
				propUnicode(prAttachLongName, "after-named.txt"),
				propBinary(prAttachData, []byte("data")),
				propI4(prAttachMethod, 1)))),
			want: []wantAtt{{"after-named.txt", 4, 1}},
		},
		{
			name: "long name wins over file name and title",
			in: stream(rendData(), attr(levelAttachment, idTitle, []byte("INVOIC~1.EXE\x00")),
				attr(levelAttachment, idAttProps, props(
					propString8(prAttachFilename, []byte("invoice.pdf.exe")),
					propUnicode(prAttachLongName, "invoice 2026.pdf.exe"),
					propString8(prAttachMIMETag, []byte("application/pdf"))))),
			want: []wantAtt{{"invoice 2026.pdf.exe", 0, 0}},
			check: func(t *testing.T, m *Message) {
				if a := m.Attachments[0]; a.Title != "INVOIC~1.EXE" || a.MIMEType != "application/pdf" {
					t.Errorf("title %q, MIME type %q", a.Title, a.MIMEType)
				}
			},
		},
		{
			name: "file name when there is no long name",
			in: stream(rendData(), attr(levelAttachment, idTitle, []byte("T\x00")),
				attr(levelAttachment, idAttProps, props(propString8(prAttachFilename, []byte("f.js"))))),
			want: []wantAtt{{"f.js", 0, 0}},
		},
		{
			name: "transport file name as the last resort",
			in:   stream(rendData(), attr(levelAttachment, idTransport, []byte("run.hta\x00"))),
			want: []wantAtt{{"run.hta", 0, 0}},
		},
		{
			name: "property data wins over attAttachData",
			in: stream(rendData(), attr(levelAttachment, idAttData, []byte("attribute")),
				attr(levelAttachment, idAttProps, props(propBinary(prAttachData, []byte("property"))))),
			want: []wantAtt{{"", 8, 0}},
		},
		{
			name: "code page 1251 title",
			in: stream(attr(levelMessage, idCodepage, cat(le32(1251), le32(0))),
				rendData(), attr(levelAttachment, idTitle, []byte("\xd1\xf7\xe5\xf2.doc\x00"))),
			want: []wantAtt{{"Счет.doc", 0, 0}},
		},
		{
			name: "OEM code page 437 title",
			in: stream(attr(levelMessage, idCodepage, cat(le32(437), le32(0))),
				rendData(), attr(levelAttachment, idTitle, []byte("\x81bung.txt\x00"))),
			want: []wantAtt{{"übung.txt", 0, 0}},
		},
		{
			name: "no code page means Windows-1252",
			in:   stream(rendData(), attr(levelAttachment, idTitle, []byte("Gr\xfc\xdfe \x80.txt\x00"))),
			want: []wantAtt{{"Grüße €.txt", 0, 0}},
		},
		{
			name: "unknown code page falls back to Windows-1252",
			in: stream(attr(levelMessage, idCodepage, cat(le32(12345), le32(0))),
				rendData(), attr(levelAttachment, idTitle, []byte("\xe4.txt\x00"))),
			want:    []wantAtt{{"ä.txt", 0, 0}},
			problem: "unknown code page 12345",
		},
		{
			name: "code page declared after the title still applies",
			in: stream(rendData(), attr(levelAttachment, idTitle, []byte("\xe0.txt\x00")),
				attr(levelMessage, idCodepage, cat(le32(1251), le32(0)))),
			want: []wantAtt{{"а.txt", 0, 0}},
		},
		{
			name:    "attachment attributes before attAttachRendData",
			in:      stream(attr(levelAttachment, idTitle, []byte("early.vbs\x00")), attr(levelAttachment, idAttData, []byte("x"))),
			want:    []wantAtt{{"early.vbs", 1, 0}},
			attProb: "before attAttachRendData",
		},
		{
			name: "method 5 whose data is not TNEF",
			in: stream(rendData(), attr(levelAttachment, idAttProps, props(
				propBinary(prAttachData, []byte("plain")), propI4(prAttachMethod, MethodEmbedded)))),
			want:    []wantAtt{{"", 5, 5}},
			attProb: "not a TNEF stream",
		},
		{
			name: "embedded message object that is not TNEF",
			in: stream(rendData(), attr(levelAttachment, idAttProps, props(
				propObject(prAttachData, iidIMessage, []byte("garbage!")), propI4(prAttachMethod, MethodEmbedded)))),
			want:    []wantAtt{{"", 8, 5}},
			attProb: "embedded message: tnef: not a TNEF stream",
		},
		{
			name: "object shorter than its IID",
			in: stream(rendData(), attr(levelAttachment, idAttProps, props(
				propVar(ptObject, prAttachData, []byte("short"))))),
			want:    []wantAtt{{"", 0, 0}},
			attProb: "has no interface id",
		},
		{
			name: "message class from the properties wins",
			in: stream(attr(levelMessage, idMsgClass, []byte("IPM.Microsoft Mail.Note\x00")),
				attr(levelMessage, idMsgProps, props(propUnicode(prMessageClass, "IPM.Note.SMIME")))),
			check: func(t *testing.T, m *Message) {
				if m.Class != "IPM.Note.SMIME" {
					t.Errorf("class %q", m.Class)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Decode(tc.in, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			var got []wantAtt
			for _, a := range m.Attachments {
				got = append(got, wantAtt{a.Name, len(a.Data), a.Method})
			}
			if !equalAtts(got, tc.want) {
				t.Errorf("attachments:\n got %v\nwant %v", got, tc.want)
			}
			joined := strings.Join(m.Problems, "\n")
			if (tc.problem == "") != (joined == "") || !strings.Contains(joined, tc.problem) {
				t.Errorf("problems %q, want %q", m.Problems, tc.problem)
			}
			if len(m.Attachments) > 0 {
				a := m.Attachments[0]
				if (tc.attProb == "") != (a.Problem == "") || !strings.Contains(a.Problem, tc.attProb) {
					t.Errorf("attachment problem %q, want %q", a.Problem, tc.attProb)
				}
				if a.Truncated != tc.truncate {
					t.Errorf("truncated %v, want %v", a.Truncated, tc.truncate)
				}
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

// TestEmbeddedNesting: embedded messages are decoded recursively, with the
// IID stripped, and their attachments listed under Embedded.
func TestEmbeddedNesting(t *testing.T) {
	inner := stream(fileAttachment("inner.exe", []byte("MZ"))...)
	outer := stream(flatten(fileAttachment("outer.txt", []byte("o")), embedded("Fwd: invoice", inner))...)
	m, err := Decode(outer, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 2 || len(m.Problems) != 0 {
		t.Fatalf("attachments %+v, problems %q", m.Attachments, m.Problems)
	}
	e := m.Attachments[1]
	if e.Name != "Fwd: invoice" || e.Method != MethodEmbedded || !bytes.Equal(e.Data, inner) || e.Embedded == nil {
		t.Fatalf("embedded attachment %+v", e)
	}
	if got := e.Embedded.Attachments; len(got) != 1 || got[0].Name != "inner.exe" || string(got[0].Data) != "MZ" {
		t.Fatalf("inner attachments %+v", got)
	}
}

// nest wraps a message with one file in n levels of embedded messages.
func nest(n int) []byte {
	s := stream(fileAttachment("deep.exe", []byte("MZ"))...)
	for i := 0; i < n; i++ {
		s = stream(embedded("level", s)...)
	}
	return s
}

func TestLimits(t *testing.T) {
	threeFiles := stream(flatten(
		fileAttachment("1", bytes.Repeat([]byte("a"), 100)),
		fileAttachment("2", bytes.Repeat([]byte("b"), 100)),
		fileAttachment("3", bytes.Repeat([]byte("c"), 100)))...)

	t.Run("attachments", func(t *testing.T) {
		m, err := Decode(threeFiles, Limits{MaxAttachments: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Attachments) != 2 || m.Limit != "files" {
			t.Fatalf("%d attachments, limit %q", len(m.Attachments), m.Limit)
		}
	})
	t.Run("attachments across embedded messages", func(t *testing.T) {
		in := stream(flatten(fileAttachment("outer", []byte("o")), embedded("e", threeFiles))...)
		m, err := Decode(in, Limits{MaxAttachments: 3})
		if err != nil {
			t.Fatal(err)
		}
		inner := m.Attachments[1].Embedded
		if len(m.Attachments) != 2 || inner == nil || len(inner.Attachments) != 1 || inner.Limit != "files" {
			t.Fatalf("outer %d attachments, inner %+v", len(m.Attachments), inner)
		}
	})
	t.Run("total bytes", func(t *testing.T) {
		m, err := Decode(threeFiles, Limits{MaxBytes: 250})
		if err != nil {
			t.Fatal(err)
		}
		var limited []string
		for _, a := range m.Attachments {
			if a.Limit != "" {
				limited = append(limited, a.Name+":"+a.Limit)
				if a.Data != nil {
					t.Errorf("%s: data kept past the limit", a.Name)
				}
			}
		}
		if strings.Join(limited, ",") != "3:total_bytes" {
			t.Fatalf("limited %v", limited)
		}
	})
	t.Run("depth", func(t *testing.T) {
		m, err := Decode(nest(10), Limits{MaxDepth: 3})
		if err != nil {
			t.Fatal(err)
		}
		depth := 0
		for {
			a := m.Attachments[0]
			if a.Embedded == nil {
				if a.Limit != "depth" || depth != 3 {
					t.Fatalf("stopped at depth %d with limit %q (%s)", depth, a.Limit, a.Problem)
				}
				break
			}
			m, depth = a.Embedded, depth+1
		}
	})
	t.Run("default depth", func(t *testing.T) {
		m, err := Decode(nest(500), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		depth := 0
		for m.Attachments[0].Embedded != nil {
			m, depth = m.Attachments[0].Embedded, depth+1
		}
		if depth != DefaultLimits().MaxDepth || m.Attachments[0].Limit != "depth" {
			t.Fatalf("depth %d, limit %q", depth, m.Attachments[0].Limit)
		}
	})
}

// TestLiesCostNothing: lengths and counts that claim gigabytes are checked
// before anything is allocated, so a few bytes of input cost a few bytes.
func TestLiesCostNothing(t *testing.T) {
	lies := stream(
		attr(levelAttachment, idAttProps, cat(le32(1),
			le16(ptBinary|mvFlag), le16(prAttachData), le32(0x7FFFFFFF), le32(0xFFFFFFFF))),
		cat([]byte{levelAttachment}, le32(idAttData), le32(0xFFFFFFF0), make([]byte, 8)),
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := 0; i < 100; i++ {
		if _, err := Decode(lies, Limits{}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
		t.Fatalf("100 decodes of a %d-byte lie allocated %d bytes", len(lies), d)
	}
}

// TestProblemsCapped: junk that fails every checksum cannot grow the
// problem lists without bound.
func TestProblemsCapped(t *testing.T) {
	bad := func(level byte, id uint32) []byte {
		a := attr(level, id, []byte("x"))
		a[len(a)-1] ^= 0xFF
		return a
	}
	var attrs [][]byte
	for i := 0; i < 200; i++ {
		attrs = append(attrs, bad(levelMessage, idMsgClass))
	}
	attrs = append(attrs, rendData())
	for i := 0; i < 200; i++ {
		attrs = append(attrs, bad(levelAttachment, idAttData))
	}
	m, err := Decode(stream(attrs...), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Problems) != maxProblems+1 || m.Problems[maxProblems] != "more problems not recorded" {
		t.Errorf("%d message problems, last %q", len(m.Problems), m.Problems[len(m.Problems)-1])
	}
	a := m.Attachments[0]
	if n := strings.Count(a.Problem, "checksum"); n != maxProblems || !strings.HasSuffix(a.Problem, "more problems not recorded") {
		t.Errorf("%d attachment checksum problems: %.200q", n, a.Problem)
	}
}
