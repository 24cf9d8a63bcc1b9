// Package onenote is the sandboxd analyzer for OneNote section files
// (.one, MS-ONESTORE): it finds the embedded file data blocks
// (FileDataStoreObject) by their GUID, names what each holds by content,
// and judges: programs, scripts, HTA and shortcuts embedded behind a
// "double-click to view" button are how OneNote droppers work; pictures
// and PDFs are what honest notebooks carry.
package onenote

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf16"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/lnk"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// Analyzer judges OneNote files.
type Analyzer struct{}

// New returns the OneNote analyzer.
func New() *Analyzer { return &Analyzer{} }

// Name implements analyzer.Analyzer.
func (*Analyzer) Name() string { return "onenote" }

// Version implements analyzer.Analyzer.
func (*Analyzer) Version() string { return "1" }

var (
	// {7B5C52E4-D88C-4DA7-AEB1-5378D02996D3}: a .one section file.
	sectionGUID = []byte{0xe4, 0x52, 0x5c, 0x7b, 0x8c, 0xd8, 0xa7, 0x4d, 0xae, 0xb1, 0x53, 0x78, 0xd0, 0x29, 0x96, 0xd3}
	// {43FF2FA1-EFD9-4C76-9EE2-10EA5722765F}: a .onetoc2 table of contents.
	tocGUID = []byte{0xa1, 0x2f, 0xff, 0x43, 0xd9, 0xef, 0x76, 0x4c, 0x9e, 0xe2, 0x10, 0xea, 0x57, 0x22, 0x76, 0x5f}
	// {BDE316E7-2665-4511-A4C4-8D4D0B7A9EAC}: FileDataStoreObject header.
	// Exported through FileDataHeader for the corpus generator.
	fileDataGUID = []byte{0xe7, 0x16, 0xe3, 0xbd, 0x65, 0x26, 0x11, 0x45, 0xa4, 0xc4, 0x8d, 0x4d, 0x0b, 0x7a, 0x9e, 0xac}
)

// SectionHeader and FileDataHeader are the GUIDs the generator writes.
func SectionHeader() []byte  { return append([]byte(nil), sectionGUID...) }
func FileDataHeader() []byte { return append([]byte(nil), fileDataGUID...) }

// Accepts takes OneNote files by GUID or extension.
func (*Analyzer) Accepts(f *analyzer.File) bool {
	return bytes.HasPrefix(f.Data, sectionGUID) || bytes.HasPrefix(f.Data, tocGUID) || rules.HasExt(f.Ext, ".one", ".onepkg")
}

const maxBlocks = 256

var exeNameRe = regexp.MustCompile(`(?i)[\w\- .()\[\]]{1,64}\.(exe|scr|com|pif|cpl|msi|dll|hta|js|jse|vbs|vbe|wsf|wsh|ps1|bat|cmd|lnk|chm|jar|iso|img|vhd)$`)

// Analyze implements analyzer.Analyzer.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	fs := &rules.Findings{Analyzer: a.Name()}
	d := f.Data
	blocks := 0
	var kinds []string
	for pos := 0; blocks < maxBlocks; blocks++ {
		if rules.Done(ctx) {
			return analyzer.Result{Findings: fs.List()}, ctx.Err()
		}
		i := bytes.Index(d[pos:], fileDataGUID)
		if i < 0 {
			break
		}
		start := pos + i + 16
		pos = start
		// cbLength (8), unused (4), reserved (8), then the data.
		if start+20 > len(d) {
			break
		}
		n := binary.LittleEndian.Uint64(d[start:])
		body := start + 20
		end := len(d)
		if n <= uint64(len(d)-body) {
			end = body + int(n)
		}
		data := d[body:end]
		pos = end
		k := blockKind(ctx, data, fs)
		kinds = append(kinds, k)
	}
	if blocks > 0 {
		fs.Add("embedded-files", rules.Info, fmt.Sprintf("carries %d embedded file(s)", blocks), strings.Join(kinds, ", "))
	}
	scan := d[:min(len(d), 32<<20)]
	names := utf16Names(scan)
	if len(scan) > 1 {
		names = append(names, utf16Names(scan[1:])...)
	}
	for _, n := range names {
		if exeNameRe.MatchString(n) {
			fs.Add("embedded-executable-name", rules.High, "names an embedded executable or script file", n)
			fs.NameFindings(n)
			break
		}
	}
	return analyzer.Result{Findings: fs.List()}, nil
}

// blockKind names one embedded file by content and records what it means.
func blockKind(ctx context.Context, b []byte, fs *rules.Findings) string {
	head := b[:min(len(b), 4096)]
	lower := rules.LowerASCII(head)
	if rules.ContainsEICAR(b[:min(len(b), 1<<20)]) {
		fs.AddEICAR("OneNote embedded file")
	}
	switch {
	case bytes.HasPrefix(b, []byte("MZ")):
		fs.Add("embedded-executable", rules.Critical, "embeds a Windows program behind the page", "MZ")
		return "executable"
	case lnk.IsLNK(b):
		fs.Add("embedded-shortcut", rules.Critical, "embeds a Windows shortcut behind the page", "LNK")
		lnk.Inspect(ctx, b, fs)
		return "shortcut"
	case bytes.Contains(lower, []byte("<hta:application")):
		fs.Add("embedded-hta", rules.Critical, "embeds an HTML application (HTA) behind the page", "HTA:APPLICATION")
		script.Scan(ctx, string(b[:min(len(b), 4<<20)]), fs)
		return "hta"
	case bytes.HasPrefix(b, []byte("%PDF")):
		return "pdf"
	case bytes.HasPrefix(b, []byte("\x89PNG")), bytes.HasPrefix(b, []byte("\xff\xd8\xff")), bytes.HasPrefix(b, []byte("GIF8")):
		return "image"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "zip/ooxml"
	case isText(head):
		t := script.Scan(ctx, string(b[:min(len(b), 4<<20)]), fs)
		if t.WSH || t.Shell || t.Exec || t.Download || bytes.Contains(lower, []byte("@echo off")) || bytes.Contains(lower, []byte("#@~^")) {
			fs.Add("embedded-script", rules.Critical, "embeds a script (batch, VBScript, JScript, PowerShell) behind the page", string(head[:min(len(head), 80)]))
			return "script"
		}
		return "text"
	}
	return "data"
}

func isText(b []byte) bool {
	if len(b) == 0 || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	ctrl := 0
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			ctrl++
		}
	}
	return ctrl*20 < len(b)
}

// utf16Names pulls UTF-16LE strings of 5..128 characters that look like
// file names out of b (embedded file names live in property sets).
func utf16Names(b []byte) []string {
	var out []string
	var cur []uint16
	flush := func() {
		if len(cur) >= 5 && len(cur) <= 128 {
			s := string(utf16.Decode(cur))
			if strings.Contains(s, ".") {
				out = append(out, s)
			}
		}
		cur = cur[:0]
	}
	for i := 0; i+1 < len(b) && len(out) < 4096; i += 2 {
		c := uint16(b[i]) | uint16(b[i+1])<<8
		if c >= 0x20 && c < 0xd800 && c != 0xfffe && c != 0xffff {
			cur = append(cur, c)
			if len(cur) > 128 {
				cur = cur[:0]
			}
			continue
		}
		flush()
	}
	flush()
	return out
}
