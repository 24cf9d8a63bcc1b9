package pe

// Programs that carry other programs: a second PE in the resources or
// data (droppers, loaders, "crypters"), the same XOR-ed with a one-byte
// key or written as base64 (plain or reversed, ASCII or UTF-16) so that a
// scanner looking for "MZ" misses it, and images whose bulk is one
// encrypted blob that a small stub unpacks at run time.

import (
	"bytes"
	"context"
	"debug/pe"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

// maxEmbeddedScan bounds the bytes searched for hidden executables.
const maxEmbeddedScan = 64 << 20

// dosStub is the text every linker puts in the DOS stub; its XOR
// differences do not depend on the key.
var dosStub = []byte("This program cannot be run in DOS mode")

// maxB64Candidates bounds the base64 runs decoded per file.
const maxB64Candidates = 256

// embedded looks for executables inside the image (outside its own
// headers; the overlay has its own rule) and for encoded ones anywhere.
func embedded(ctx context.Context, f *pe.File, d []byte, lastEnd int64, fs *rules.Findings) {
	scan := d[:min(len(d), maxEmbeddedScan)]
	where := func(off int) string {
		for _, s := range f.Sections {
			if int64(off) >= int64(s.Offset) && int64(off) < int64(s.Offset)+int64(s.Size) {
				return fmt.Sprintf("in section %s at 0x%x", strings.TrimRight(s.Name, "\x00"), off)
			}
		}
		return fmt.Sprintf("at 0x%x", off)
	}
	inImage := scan
	if lastEnd > 0 && lastEnd < int64(len(inImage)) {
		inImage = inImage[:lastEnd]
	}
	if off := findPE(inImage, 1); off > 0 {
		fs.Add("embedded-executable", rules.Medium, "carries another Windows executable inside its image (a dropper's payload)", where(off))
	}
	if rules.Done(ctx) {
		return
	}
	if off, key := findXORStub(scan); off >= 0 {
		fs.Add("xor-executable", rules.High, "carries a Windows executable hidden with a one-byte XOR key", fmt.Sprintf("key 0x%02x, %s", key, where(off)))
	}
	if m, off := findB64PE(scan); off >= 0 {
		fs.Add("base64-executable", rules.High, "carries a Windows executable written as base64 text", m+" "+where(off))
	}
}

// findPE returns the offset of the first "MZ" at or after from whose
// e_lfanew points at a "PE\0\0" signature inside b, or -1.
func findPE(b []byte, from int) int {
	for off := from; off < len(b); {
		i := bytes.Index(b[off:], []byte("MZ"))
		if i < 0 {
			return -1
		}
		at := off + i
		if at+0x40 <= len(b) {
			lfa := int(binary.LittleEndian.Uint32(b[at+0x3c:]))
			if lfa >= 0x40 && lfa <= 0x1000 && at+lfa+4 <= len(b) && bytes.Equal(b[at+lfa:at+lfa+4], []byte("PE\x00\x00")) {
				return at
			}
		}
		off = at + 1
	}
	return -1
}

// findXORStub finds the DOS stub text XOR-ed with a non-zero byte: the
// XOR of neighbouring bytes is the same whatever the key, so one search
// over the difference stream finds every key at once.
func findXORStub(b []byte) (int, byte) {
	if len(b) < len(dosStub)+1 {
		return -1, 0
	}
	want := make([]byte, len(dosStub)-1)
	for i := range want {
		want[i] = dosStub[i] ^ dosStub[i+1]
	}
	diff := make([]byte, len(b)-1)
	for i := range diff {
		diff[i] = b[i] ^ b[i+1]
	}
	for off := 0; off < len(diff); {
		i := bytes.Index(diff[off:], want)
		if i < 0 {
			return -1, 0
		}
		at := off + i
		if key := b[at] ^ dosStub[0]; key != 0 {
			return at, key
		}
		off = at + 1
	}
	return -1, 0
}

// findB64PE finds a base64-encoded PE, plain or reversed, in ASCII or
// UTF-16LE text: every run that starts like base64 of "MZ" ("TVo" to
// "TVr") is decoded far enough to check for the PE signature.
func findB64PE(b []byte) (string, int) {
	budget := maxB64Candidates
	for _, v := range []struct {
		step     int
		reversed bool
		what     string
	}{{1, false, "base64"}, {1, true, "reversed base64"}, {2, false, "base64 (UTF-16)"}, {2, true, "reversed base64 (UTF-16)"}} {
		for _, third := range "opqr" {
			pat := []byte{'T', 'V', byte(third)}
			if v.reversed {
				pat = []byte{byte(third), 'V', 'T'}
			}
			if v.step == 2 {
				pat = utf16le(string(pat))
			}
			for off := 0; off < len(b) && budget > 0; budget-- {
				i := bytes.Index(b[off:], pat)
				if i < 0 {
					break
				}
				at := off + i
				off = at + 1
				var run []byte
				if v.reversed {
					run = b64Run(b, at+len(pat)-v.step, -v.step)
				} else {
					run = b64Run(b, at, v.step)
				}
				dec, _ := base64.StdEncoding.DecodeString(string(run[:len(run)&^3]))
				if len(dec) >= 0x40 && findPE(dec, 0) == 0 {
					return v.what + " " + string(run[:min(len(run), 12)]) + "…", at
				}
			}
		}
	}
	return "", -1
}

// b64Run collects up to 8 KiB of base64 characters from b starting at
// start and walking by step (negative: backwards, giving the reversed
// text), one character per step (UTF-16LE when |step| is 2).
func b64Run(b []byte, start, step int) []byte {
	var out []byte
	for i := start; i >= 0 && i < len(b) && len(out) < 8<<10; i += step {
		c := b[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/') {
			break
		}
		if step == 2 && (i+1 >= len(b) || b[i+1] != 0) || step == -2 && (i+1 >= len(b) || b[i+1] != 0) {
			break
		}
		out = append(out, c)
	}
	return out
}

func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		out = append(out, s[i], 0)
	}
	return out
}

// packedData flags an image that is mostly one encrypted blob in a data
// section beside a small stub: the code it runs is not the code it shows.
// Resources and debug data are left out (pictures and compressed debug
// information are high-entropy in honest programs).
func packedData(f *pe.File, d []byte, fs *rules.Findings) {
	var code uint32
	for _, s := range f.Sections {
		if s.Characteristics&(scnCode|scnExecute) != 0 {
			code += s.Size
		}
	}
	for _, s := range f.Sections {
		name := strings.TrimRight(s.Name, "\x00")
		if s.Characteristics&(scnCode|scnExecute) != 0 || name == ".rsrc" || strings.Contains(name, "debug") || s.Size < 32<<10 {
			continue
		}
		end := int64(s.Offset) + int64(s.Size)
		if end > int64(len(d)) || int64(s.Size)*2 < int64(len(d)) || s.Size < 4*code {
			continue
		}
		if e := rules.Entropy(d[s.Offset:end][:min(int(s.Size), 1<<20)]); e > 7.6 {
			fs.Add("packed-payload", rules.Medium, "most of the program is one encrypted or compressed blob beside a small stub (unpacked at run time)", fmt.Sprintf("%s %.2f bits/byte, %d of %d bytes", name, e, s.Size, len(d)))
		}
	}
}
