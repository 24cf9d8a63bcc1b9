package pe

import (
	"bytes"
	"debug/pe"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer/corpus"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// readMeta parses an assembly the way Analyze does.
func readMeta(t *testing.T, b []byte) *clrMeta {
	t.Helper()
	f, err := pe.NewFile(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	oh := f.OptionalHeader.(*pe.OptionalHeader32)
	m, err := readCLR(b, f, oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_COM_DESCRIPTOR])
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestReadCLR(t *testing.T) {
	asm := "System.Reflection.Assembly"
	b := corpus.DotNet{Name: "T.exe",
		PInvokes: []string{"kernel32.dll!VirtualAlloc", "ntdll.dll!NtQueueApcThread"},
		Members: []corpus.DNMember{
			{Type: asm, Name: "Load", Ret: asm, Params: []string{"byte[]"}},
			{Type: asm, Name: "LoadFrom", Ret: asm, Params: []string{"string"}},
			{Type: "System.Net.WebClient", Name: "DownloadData", Instance: true, Ret: "byte[]", Params: []string{"string"}},
		},
		UserStrings: []string{"hello", "ünïcode ✓"},
		Resources:   []corpus.ZipEntry{{Name: "T.res", Data: []byte("x")}},
	}.Bytes()
	m := readMeta(t, b)
	if m.Version != "v4.0.30319" {
		t.Errorf("version %q", m.Version)
	}
	want := []clrImport{{"kernel32.dll", "VirtualAlloc"}, {"ntdll.dll", "NtQueueApcThread"}}
	if len(m.PInvokes) != 2 || m.PInvokes[0] != want[0] || m.PInvokes[1] != want[1] {
		t.Errorf("P/Invokes %+v, want %+v", m.PInvokes, want)
	}
	if len(m.MemberRefs) != 3 {
		t.Fatalf("member refs %+v", m.MemberRefs)
	}
	tests := []struct {
		i          int
		parent     string
		name       string
		loadsBytes bool
	}{{0, asm, "Load", true}, {1, asm, "LoadFrom", false}, {2, "System.Net.WebClient", "DownloadData", false}}
	for _, tc := range tests {
		mr := m.MemberRefs[tc.i]
		if mr.Parent != tc.parent || mr.Name != tc.name || loadsBytes(mr.Sig) != tc.loadsBytes {
			t.Errorf("member %d: %s::%s bytes=%v, want %s::%s bytes=%v", tc.i, mr.Parent, mr.Name, loadsBytes(mr.Sig), tc.parent, tc.name, tc.loadsBytes)
		}
	}
	if strings.Join(m.UserStrings, "|") != "hello|ünïcode ✓" {
		t.Errorf("user strings %q", m.UserStrings)
	}
	if len(m.Resources) != 1 || m.Resources[0] != "T.res" || len(m.AssemblyRefs) != 1 || m.AssemblyRefs[0] != "mscorlib" {
		t.Errorf("resources %q, assembly refs %q", m.Resources, m.AssemblyRefs)
	}
}

// Hostile metadata: every cut and every corrupted count must give an error
// or a partial result, never a panic or an unbounded allocation.
func TestParseMetadataTruncated(t *testing.T) {
	b := corpus.DotNet{Name: "T.exe", PInvokes: []string{"kernel32.dll!WinExec"}, UserStrings: []string{"a b c"}}.Bytes()
	i := bytes.Index(b, []byte("BSJB"))
	md := b[i:]
	for n := 0; n < len(md); n += 7 {
		parseMetadata(md[:n])
	}
	// A row count of 2^32-1 in the first table.
	bad := append([]byte(nil), md...)
	j := bytes.Index(bad, []byte("#~"))
	off := int(bad[j-8]) | int(bad[j-7])<<8
	copy(bad[off+24:], []byte{0xff, 0xff, 0xff, 0xff})
	if _, err := parseMetadata(bad); err == nil {
		t.Error("a table past the end of the stream was accepted")
	}
}

func TestJudgeAPIs(t *testing.T) {
	tests := []struct {
		names []string
		want  string // rule, "" for none
	}{
		{[]string{"VirtualAllocEx", "WriteProcessMemory", "CreateRemoteThread"}, "process-injection"},
		{[]string{"VirtualAlloc", "WriteProcessMemory", "QueueUserAPC"}, "process-injection"},
		{[]string{"VirtualAlloc", "WriteProcessMemory", "SetThreadContext"}, ""},
		{[]string{"NtUnmapViewOfSection", "WriteProcessMemory", "ResumeThread"}, "process-hollowing"},
		{[]string{"CreateProcessW", "WriteProcessMemory", "Wow64SetThreadContext", "ResumeThread"}, "process-hollowing"},
		{[]string{"URLDownloadToFileA", "WinExec"}, "download-execute"},
		{[]string{"InternetOpenUrlW", "InternetReadFile", "VirtualAlloc", "EnumSystemLocalesA"}, "download-run-memory"},
		{[]string{"WinHttpOpen", "WinHttpReadData"}, ""},
		{[]string{"CreateProcessW", "ShellExecuteExW", "VirtualAlloc", "CreateThread"}, ""},
	}
	for _, tc := range tests {
		s := apiSet{}
		for _, n := range tc.names {
			s[n] = true
		}
		fs := &rules.Findings{Analyzer: "pe"}
		judgeAPIs(s, "imports", fs)
		got := ""
		for _, f := range fs.List() {
			if f.Severity >= rules.Medium {
				got = f.Rule
				if f.Evidence == "" {
					t.Errorf("%v: %s without evidence", tc.names, f.Rule)
				}
			}
		}
		if got != tc.want {
			t.Errorf("%v: rule %q, want %q (%+v)", tc.names, got, tc.want, fs.List())
		}
	}
}

func TestHiddenExecutables(t *testing.T) {
	payload := corpus.HelloPE()
	xor := make([]byte, len(payload))
	for i, c := range payload {
		xor[i] = c ^ 0x37
	}
	b64 := base64.StdEncoding.EncodeToString(payload)
	rev := []byte(b64)
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	utf16 := func(s string) []byte {
		var out []byte
		for i := 0; i < len(s); i++ {
			out = append(out, s[i], 0)
		}
		return out
	}
	pad := bytes.Repeat([]byte("padding "), 64)
	tests := []struct {
		name string
		data []byte
		b64  string
		key  int
	}{
		{"xor", append(append([]byte(nil), pad...), xor...), "", 0x37},
		{"plain base64", append([]byte("x = \""), b64...), "base64", -1},
		{"reversed base64", append([]byte("x = \""), rev...), "reversed base64", -1},
		{"UTF-16 base64", utf16("s=" + b64), "base64 (UTF-16)", -1},
		{"text only", pad, "", -1},
		{"base64 of text", []byte(base64.StdEncoding.EncodeToString(pad)), "", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _ := findB64PE(tc.data)
			if !strings.HasPrefix(m, tc.b64) || (tc.b64 == "") != (m == "") {
				t.Errorf("findB64PE = %q, want %q", m, tc.b64)
			}
			off, key := findXORStub(tc.data)
			if tc.key < 0 && off >= 0 || tc.key >= 0 && int(key) != tc.key {
				t.Errorf("findXORStub = %d, 0x%x; want key %d", off, key, tc.key)
			}
		})
	}
}

// FuzzCLRMetadata feeds metadata roots (from the corpus assemblies, then
// mutated) to the reader: no panic, and what it returns is bounded by
// what it was given.
func FuzzCLRMetadata(f *testing.F) {
	ents, _ := os.ReadDir("../testdata/corpus")
	for _, e := range ents {
		b, _ := os.ReadFile(filepath.Join("../testdata/corpus", e.Name()))
		if i := bytes.Index(b, []byte("BSJB")); i >= 0 {
			f.Add(b[i:])
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := parseMetadata(data)
		if m == nil {
			return
		}
		n := 0
		for _, s := range m.UserStrings {
			n += len(s)
		}
		if n > 3*len(data) || len(m.MemberRefs) > maxRowsKept || len(m.PInvokes) > maxRowsKept {
			t.Fatalf("output out of proportion: %d bytes of strings, %d members from %d bytes", n, len(m.MemberRefs), len(data))
		}
		for _, mr := range m.MemberRefs {
			loadsBytes(mr.Sig)
		}
	})
}

func TestLooksLikeURI(t *testing.T) {
	for s, want := range map[string]bool{
		"https://www.example.org/x": true, "ms-msdt:/id pcwdiagnostic": true, `\\host\share`: true,
		"file://": false, "file: {0}{1}": false, "error: not found": false, "c:\\windows": false, "http:": false,
	} {
		if got := looksLikeURI(s); got != want {
			t.Errorf("looksLikeURI(%q) = %v, want %v", s, got, want)
		}
	}
}
