// Package xll is the sandboxd analyzer for Excel add-ins (XLL): Windows
// DLLs that Excel loads on a double click. An XLL's xlAutoOpen export runs
// native code the moment the file opens — no macro warning, no Protected
// View — which is why mailed XLLs replaced macros for many droppers from
// 2021 on. The analyzer reads the export table (debug/pe for the headers,
// the export directory by hand) and judges xlAutoOpen and its siblings; a
// DLL named .xll without them still runs its DllMain when Excel loads it.
// Ordinary DLLs stay clean here (the pe analyzer judges their imports).
//
// It promises bounded work: at most maxNames export names are read, each
// under maxNameLen bytes, and debug/pe panics are recovered.
package xll

import (
	"bytes"
	"context"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// Analyzer judges Excel add-ins.
type Analyzer struct{}

// New returns the XLL analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "xll" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

const (
	maxNames   = 1 << 14
	maxNameLen = 256
)

// Accepts takes PE files flagged as DLLs (the characteristics word, read
// straight from the headers) and anything named .xll.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	d := f.Data
	if !bytes.HasPrefix(d, []byte("MZ")) || len(d) < 0x40 {
		return false
	}
	if rules.HasExt(f.Ext, ".xll") {
		return true
	}
	off := int(binary.LittleEndian.Uint32(d[0x3c:]))
	if off < 0 || off+24 > len(d) || string(d[off:off+4]) != "PE\x00\x00" {
		return false
	}
	return binary.LittleEndian.Uint16(d[off+22:])&0x2000 != 0 // IMAGE_FILE_DLL
}

// The Excel add-in callbacks: xlAutoOpen runs on load; the others are how
// Excel talks to an add-in and mark a real XLL.
var autoExports = []string{"xlAutoOpen", "xlAutoClose", "xlAutoAdd", "xlAutoRemove", "xlAutoRegister", "xlAutoRegister12", "xlAddInManagerInfo", "xlAddInManagerInfo12", "xlAutoFree", "xlAutoFree12"}

// Network and process-start APIs an add-in has no business importing
// beside xlAutoOpen.
var loaderImports = []string{"URLDownloadToFile", "InternetOpenUrl", "InternetReadFile", "WinHttpReceiveResponse", "WinHttpOpenRequest",
	"ShellExecute", "WinExec", "CreateProcess"}

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (res analyzer.Result, err error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	defer func() {
		if r := recover(); r != nil {
			res = analyzer.Result{Unscannable: fmt.Sprintf("xll: PE reader panicked: %v", r)}
			err = nil
		}
	}()
	p, err := pe.NewFile(bytes.NewReader(f.Data))
	if err != nil {
		if rules.HasExt(f.Ext, ".xll") {
			return analyzer.Result{Unscannable: "xll: " + err.Error()}, nil
		}
		return analyzer.Result{}, nil // not a PE: the pe analyzer says so
	}
	defer p.Close()
	names, err := Exports(p)
	if err != nil {
		fs.Add("malformed-exports", rules.Low, "the export table cannot be read", err.Error())
	}
	var auto []string
	open := false
	for _, n := range names {
		for _, x := range autoExports {
			if n == x {
				auto = append(auto, n)
				open = open || n == "xlAutoOpen"
			}
		}
	}
	imports, _ := p.ImportedSymbols()
	var loaders []string
	for _, imp := range imports {
		fn, _, _ := strings.Cut(imp, ":")
		for _, l := range loaderImports {
			if strings.HasPrefix(fn, l) {
				loaders = append(loaders, fn)
			}
		}
	}
	switch {
	case open:
		fs.Add("xll-autoopen", rules.High, "an Excel add-in (XLL) exporting xlAutoOpen: its code runs as soon as Excel opens the file, without a macro prompt", strings.Join(auto, ", "))
		if len(loaders) > 0 {
			fs.Add("xll-loader", rules.High, "the add-in that runs on open also imports download or process-start APIs", strings.Join(loaders[:min(len(loaders), 6)], ", "))
		}
	case len(auto) > 0:
		fs.Add("xll-exports", rules.Medium, "an Excel add-in (XLL): Excel loads it, and its DllMain runs, on a double click", strings.Join(auto, ", "))
	case rules.HasExt(f.Ext, ".xll") && p.Characteristics&pe.IMAGE_FILE_DLL != 0:
		fs.Add("xll-dll", rules.Medium, "a DLL sent as an Excel add-in (.xll): Excel loads it and its DllMain runs on a double click", fmt.Sprintf("%d export(s)", len(names)))
	}
	return analyzer.Result{Findings: fs.List()}, ctx.Err()
}

// Exports returns the names in a PE's export directory (IMAGE_EXPORT_
// DIRECTORY: NumberOfNames at +24, AddressOfNames at +32, an array of
// RVAs of NUL-terminated names).
func Exports(p *pe.File) ([]string, error) {
	var dir pe.DataDirectory
	switch oh := p.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		if oh.NumberOfRvaAndSizes < 1 {
			return nil, nil
		}
		dir = oh.DataDirectory[0]
	case *pe.OptionalHeader64:
		if oh.NumberOfRvaAndSizes < 1 {
			return nil, nil
		}
		dir = oh.DataDirectory[0]
	default:
		return nil, nil
	}
	if dir.VirtualAddress == 0 || dir.Size == 0 {
		return nil, nil
	}
	r := &rvaReader{p: p, cache: map[*pe.Section][]byte{}}
	ed, err := r.read(dir.VirtualAddress, 40)
	if err != nil {
		return nil, fmt.Errorf("export directory: %w", err)
	}
	n := binary.LittleEndian.Uint32(ed[24:])
	if n > maxNames {
		return nil, fmt.Errorf("export directory claims %d names, more than %d", n, maxNames)
	}
	arr, err := r.read(binary.LittleEndian.Uint32(ed[32:]), int(n)*4)
	if err != nil {
		return nil, fmt.Errorf("export names: %w", err)
	}
	out := make([]string, 0, n)
	for i := 0; i < int(n); i++ {
		b, err := r.read(binary.LittleEndian.Uint32(arr[4*i:]), 1)
		if err != nil {
			return out, fmt.Errorf("export name %d: %w", i, err)
		}
		b = b[:min(len(b), maxNameLen)]
		if j := bytes.IndexByte(b, 0); j >= 0 {
			b = b[:j]
		}
		out = append(out, string(b))
	}
	return out, nil
}

// rvaReader reads by RVA, each section's data read once (an export table
// of thousands of names would otherwise copy its section thousands of
// times).
type rvaReader struct {
	p     *pe.File
	cache map[*pe.Section][]byte
}

// read returns at least n bytes of the section holding rva, from rva to
// the end of the section's raw data.
func (r *rvaReader) read(rva uint32, n int) ([]byte, error) {
	for _, s := range r.p.Sections {
		size := max(s.VirtualSize, s.Size)
		if rva < s.VirtualAddress || rva-s.VirtualAddress >= size {
			continue
		}
		data, ok := r.cache[s]
		if !ok {
			var err error
			if data, err = s.Data(); err != nil {
				return nil, err
			}
			r.cache[s] = data
		}
		off := int(rva - s.VirtualAddress)
		if off+n > len(data) {
			return nil, fmt.Errorf("rva %#x+%d runs past section %s", rva, n, s.Name)
		}
		return data[off:], nil
	}
	return nil, fmt.Errorf("rva %#x is in no section", rva)
}
