// Package archive is the sandboxd analyzer for archives (zip, 7z, rar, tar
// and the single-file compressors): it walks them with extract.WalkFile,
// under its limits, and judges the members: encrypted entries, executables
// and scripts hidden among documents, double extensions, the right-to-left
// override in names, shortcuts and scripts inside, the EICAR test file at
// any depth.
package archive

import (
	"bytes"
	"context"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/diskimage"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/members"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/msix"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer judges archives.
type Analyzer struct{}

// New returns the archive analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "archive" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

var magics = [][]byte{
	[]byte("7z\xbc\xaf\x27\x1c"), []byte("Rar!\x1a\x07"), {0x1f, 0x8b}, []byte("BZh"), []byte("\xfd7zXZ\x00"),
	{0x28, 0xb5, 0x2f, 0xfd}, []byte("MSCF"),
}

// Accepts takes archives by magic; zips that are Office packages belong to
// the office analyzer.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	if diskimage.New().Accepts(f) {
		return false // disk images have their own analyzer
	}
	d := f.Data
	if msix.IsPackage(d) {
		return false // an installer package, judged by the msix analyzer
	}
	if bytes.HasPrefix(d, []byte("PK\x03\x04")) || bytes.HasPrefix(d, []byte("PK\x05\x06")) {
		head := d[:min(len(d), 1<<16)]
		return !bytes.Contains(head, []byte("[Content_Types].xml"))
	}
	for _, m := range magics {
		if bytes.HasPrefix(d, m) {
			return true
		}
	}
	if len(d) > 262 && string(d[257:262]) == "ustar" {
		return true
	}
	return f.Category == verdict.Archive && !strings.Contains(f.Type, "officedocument") && !strings.Contains(f.Type, "iso9660")
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	sum, err := members.Walk(ctx, f.Ext, f.Data, fs)
	if err != nil && ctx.Err() != nil {
		return analyzer.Result{Findings: fs.List()}, ctx.Err()
	}
	return analyzer.Result{Findings: fs.List(), Unscannable: sum.Unscannable}, nil
}
