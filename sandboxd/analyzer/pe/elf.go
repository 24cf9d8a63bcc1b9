package pe

import (
	"bytes"
	"context"
	"debug/elf"
	"debug/macho"
	"fmt"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
)

func analyzeELF(ctx context.Context, d []byte, fs *rules.Findings) {
	f, err := elf.NewFile(bytes.NewReader(d))
	if err != nil {
		fs.Add("malformed", rules.Medium, "starts like an ELF executable but its headers are malformed", err.Error())
		return
	}
	defer f.Close()
	if bytes.Contains(d[:min(len(d), 4096)], []byte("UPX!")) {
		fs.Add("packer", rules.Medium, "packed with UPX (the real code is hidden until it runs)", "UPX!")
	}
	if len(f.Sections) == 0 {
		fs.Add("no-sections", rules.Low, "has no section headers (stripped to hinder analysis)", "")
	}
	for _, p := range f.Progs {
		if rules.Done(ctx) {
			return
		}
		if p.Type != elf.PT_LOAD || p.Flags&elf.PF_X == 0 || p.Filesz < 4096 || p.Off+p.Filesz > uint64(len(d)) {
			continue
		}
		if e := rules.Entropy(d[p.Off : p.Off+p.Filesz]); e > 7.2 {
			fs.Add("high-entropy", rules.Medium, "an executable segment looks compressed or encrypted", fmt.Sprintf("%.2f bits/byte", e))
			break
		}
	}
}

func analyzeMachO(ctx context.Context, d []byte, fs *rules.Findings) {
	f, err := macho.NewFile(bytes.NewReader(d))
	if err != nil {
		fs.Add("malformed", rules.Medium, "starts like a Mach-O executable but its headers are malformed", err.Error())
		return
	}
	defer f.Close()
	if bytes.Contains(d[:min(len(d), 8192)], []byte("UPX!")) {
		fs.Add("packer", rules.Medium, "packed with UPX (the real code is hidden until it runs)", "UPX!")
	}
	signed := false
	for _, l := range f.Loads {
		if raw := l.Raw(); len(raw) >= 4 && f.ByteOrder.Uint32(raw) == 0x1d { // LC_CODE_SIGNATURE
			signed = true
		}
	}
	if !signed {
		fs.Add("unsigned", rules.Info, "a Mach-O program without a code signature", "")
	}
	for _, s := range f.Sections {
		if rules.Done(ctx) {
			return
		}
		if s.Seg == "__TEXT" && s.Size >= 4096 && uint64(s.Offset)+s.Size <= uint64(len(d)) {
			if e := rules.Entropy(d[s.Offset : uint64(s.Offset)+s.Size]); e > 7.2 {
				fs.Add("high-entropy", rules.Medium, "a code section looks compressed or encrypted", fmt.Sprintf("%s %.2f", s.Name, e))
				break
			}
		}
	}
}
