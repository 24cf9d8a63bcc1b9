// Package diskimage is the sandboxd analyzer for disk images sent by mail:
// ISO 9660 (and IMG files that are ISO inside), whose files it lists with
// extract.WalkFile and judges like an archive's members (plus autorun.inf),
// and VHD/VHDX, whose file systems it does not mount: it says what the
// footer declares and searches the raw bytes for executables and the EICAR
// test file. Disk images matter because their contents escape
// Mark-of-the-Web: a program inside runs without the "downloaded from the
// internet" warning.
package diskimage

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/members"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Analyzer judges disk images.
type Analyzer struct{}

// New returns the disk image analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "diskimage" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

// maxRawScan bounds the raw search of an image we cannot mount.
const maxRawScan = 256 << 20

// IsISO reports an ISO 9660 volume descriptor at one of the places readers
// look for it.
func IsISO(d []byte) bool {
	for _, off := range []int{0x8001, 0x8801, 0x9001} {
		if len(d) >= off+5 && string(d[off:off+5]) == "CD001" {
			return true
		}
	}
	return false
}

func vhdKind(d []byte) string {
	switch {
	case bytes.HasPrefix(d, []byte("vhdxfile")):
		return "VHDX"
	case bytes.HasPrefix(d, []byte("conectix")):
		return "VHD"
	case len(d) >= 512 && string(d[len(d)-512:len(d)-504]) == "conectix":
		return "VHD"
	}
	return ""
}

func isUDF(d []byte) bool {
	return len(d) >= 0x8006 && (string(d[0x8001:0x8006]) == "BEA01" || string(d[0x8001:0x8006]) == "NSR02" || string(d[0x8001:0x8006]) == "NSR03")
}

// Accepts takes ISO, UDF, VHD and VHDX images, and files named .iso, .img,
// .vhd or .vhdx.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	return IsISO(f.Data) || isUDF(f.Data) || vhdKind(f.Data) != "" || rules.HasExt(f.Ext, ".iso", ".img", ".vhd", ".vhdx", ".udf")
}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	var res analyzer.Result
	d := f.Data
	switch {
	case IsISO(d):
		fs.Add("disk-image", rules.Low, "an ISO disk image (its files escape Mark-of-the-Web)", "ISO 9660")
		sum, err := members.Walk(ctx, ".iso", d, fs)
		if err != nil && ctx.Err() != nil {
			return analyzer.Result{Findings: fs.List()}, ctx.Err()
		}
		autorun(ctx, d, fs)
		res.Unscannable = sum.Unscannable
		switch {
		case !sum.Opened && res.Unscannable == "":
			res.Unscannable = "the ISO image could not be read"
		case sum.Files == 0 && sum.Unscannable == "":
			fs.Add("empty-image", rules.Info, "the image lists no files", "")
		}
	case vhdKind(d) != "":
		k := vhdKind(d)
		fs.Add("virtual-disk", rules.Medium, "a virtual hard disk ("+k+"): mounts on a double click and its files escape Mark-of-the-Web; its file system is not inspected", vhdFooter(d))
		raw(ctx, d, fs)
		res.Unscannable = "the " + k + " file system is not inspected"
	case isUDF(d):
		fs.Add("disk-image", rules.Low, "a UDF disk image (its files escape Mark-of-the-Web)", "UDF")
		raw(ctx, d, fs)
		res.Unscannable = "UDF images are not read"
	default:
		fs.Add("disk-image", rules.Low, "named like a disk image but in no format read here", f.Ext)
		raw(ctx, d, fs)
		res.Unscannable = "unknown disk image format"
	}
	res.Findings = fs.List()
	return res, ctx.Err()
}

// autorun finds autorun.inf in the root of an ISO by its directory record
// name, and reads what it would open.
func autorun(ctx context.Context, d []byte, fs *rules.Findings) {
	if !bytes.Contains(rules.LowerASCII(d[:min(len(d), 1<<20)]), []byte("autorun.inf")) {
		return
	}
	ev := "autorun.inf"
	if j := bytes.Index(rules.LowerASCII(d[:min(len(d), 64<<20)]), []byte("open=")); j >= 0 {
		ev = string(d[j:min(len(d), j+80)])
		if k := bytes.IndexAny([]byte(ev), "\r\n"); k > 0 {
			ev = ev[:k]
		}
	}
	fs.Add("autorun", rules.Medium, "carries an autorun.inf that names a program to start", ev)
}

// vhdFooter describes a VHD footer: disk type and size.
func vhdFooter(d []byte) string {
	var foot []byte
	switch {
	case len(d) >= 512 && string(d[len(d)-512:len(d)-504]) == "conectix":
		foot = d[len(d)-512:]
	case bytes.HasPrefix(d, []byte("conectix")) && len(d) >= 512:
		foot = d[:512]
	default:
		return "VHDX"
	}
	size := binary.BigEndian.Uint64(foot[48:])
	typ := map[uint32]string{2: "fixed", 3: "dynamic", 4: "differencing"}[binary.BigEndian.Uint32(foot[60:])]
	if typ == "" {
		typ = "unknown type"
	}
	return fmt.Sprintf("%s disk of %d MiB", typ, size>>20)
}

// raw searches an image we cannot mount for programs and the EICAR file.
func raw(ctx context.Context, d []byte, fs *rules.Findings) {
	d = d[:min(len(d), maxRawScan)]
	if rules.Done(ctx) {
		return
	}
	if rules.ContainsEICAR(d) {
		fs.AddEICAR("disk image contents")
	}
	if bytes.Contains(d, []byte("This program cannot be run in DOS mode")) {
		fs.Add("executable-inside", rules.High, "the image holds a Windows executable", "MZ … This program cannot be run in DOS mode")
	}
	low := rules.LowerASCII(d[:min(len(d), 64<<20)])
	for _, ext := range []string{".lnk", ".hta", ".vbs", ".js\x00", ".bat", ".cmd"} {
		if bytes.Contains(low, []byte(ext)) || bytes.Contains(low, utf16le(ext)) {
			fs.Add("script-name-inside", rules.Medium, "the image's file system names a shortcut or script", strings.Trim(ext, "\x00"))
			break
		}
	}
}

func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}
