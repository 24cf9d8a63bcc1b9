package extract

import (
	"bytes"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/airlockmail/airlock/verdict"
)

// Classify is the one place that turns bytes into a type and a category:
// the gate's walk, sandboxd's upload and `airlock analyze` all call it, so
// the same bytes get the same type, category and verdict everywhere. name
// may be a whole file name or only its extension (".js"); the content
// decides first, the extension only where the content says nothing risky.
func Classify(data []byte, name string) (typ string, cat verdict.Category) {
	typ = Sniff(data)
	return typ, Categorize(typ, name)
}

// Sniff returns the type of data by content: mimetype's detection, refined
// with checks it lacks (ISO 9660 at 0x8001, plain-text scripts by their
// markers, macro-enabled OOXML).
func Sniff(data []byte) string {
	if isISO9660(data) {
		return "application/x-iso9660-image"
	}
	if isUDFOrVHD(data) != "" {
		return isUDFOrVHD(data)
	}
	m := mimetype.Detect(data).String()
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	switch {
	case m == "application/zip" || strings.HasPrefix(m, "application/vnd.openxmlformats"):
		// A vbaProject.bin part makes any OOXML macro-enabled, whatever
		// the name says (mimetype calls a .docm a docx).
		if bytes.Contains(data, []byte("vbaProject.bin")) {
			return "application/vnd.ms-office.macroenabled"
		}
		// MSIX/APPX packages and bundles are installers, not archives. The
		// manifest is named in the first local headers or, when the
		// payload comes first, in the central directory at the end.
		for _, part := range [][]byte{data[:min(len(data), 1<<16)], data[max(0, len(data)-1<<16):]} {
			if bytes.Contains(part, []byte("AppxManifest.xml")) || bytes.Contains(part, []byte("AppxBundleManifest.xml")) {
				return "application/vnd.ms-appx"
			}
		}
	case m == "application/x-bzip2":
		// mimetype takes any "BZh" for bzip2; a real stream has a block
		// size digit and a block or end-of-stream magic after it.
		if len(data) < 10 || data[3] < '1' || data[3] > '9' ||
			string(data[4:10]) != "1AY&SY" && string(data[4:10]) != "\x17rE8P\x90" {
			if s := scriptMarker(data); s != "" {
				return s
			}
			return "text/plain"
		}
	case m == "text/html":
		if bytes.Contains(bytes.ToLower(data[:min(len(data), 8192)]), []byte("<hta:application")) {
			return "application/hta"
		}
	case m == "text/xml" || m == "application/xml":
		// An App Installer file makes Windows fetch and install a package.
		if bytes.Contains(data[:min(len(data), 4096)], []byte("schemas.microsoft.com/appx/appinstaller")) {
			return "application/appinstaller"
		}
	case m == "text/plain" || m == "application/octet-stream":
		if s := scriptMarker(data); s != "" {
			return s
		}
	}
	return m
}

// isISO9660 finds the "CD001" volume descriptor signature at the first
// descriptor slots (sector 16 of 2048-byte sectors); mimetype misses it.
func isISO9660(data []byte) bool {
	for _, off := range []int{0x8001, 0x8801, 0x9001} {
		if len(data) >= off+5 && string(data[off:off+5]) == "CD001" {
			return true
		}
	}
	return false
}

// isUDFOrVHD recognises disk images that are not ISO 9660.
func isUDFOrVHD(data []byte) string {
	switch {
	case len(data) >= 0x8006 && (string(data[0x8001:0x8006]) == "BEA01" || string(data[0x8001:0x8006]) == "NSR02" || string(data[0x8001:0x8006]) == "NSR03"):
		return "application/x-udf-image"
	case len(data) >= 8 && string(data[:8]) == "conectix":
		return "application/x-vhd" // dynamic VHD: footer copy at the start
	case len(data) >= 512 && string(data[len(data)-512:len(data)-504]) == "conectix":
		return "application/x-vhd"
	case len(data) >= 8 && string(data[:8]) == "vhdxfile":
		return "application/x-vhdx"
	case len(data) >= 512 && data[510] == 0x55 && data[511] == 0xAA &&
		(bytes.HasPrefix(data[54:], []byte("FAT")) || bytes.HasPrefix(data[82:], []byte("FAT32"))):
		return "application/x-fat-image"
	}
	return ""
}

// scriptMarker recognises plain-text scripts by content. Only strong
// markers count: a false "script" costs a sandbox upload, a missed one a
// dropper delivered unscanned when its name is innocent.
func scriptMarker(data []byte) string {
	head := data
	if len(head) > 8192 {
		head = head[:8192]
	}
	lower := bytes.ToLower(head)
	has := func(s string) bool { return bytes.Contains(lower, []byte(s)) }
	switch {
	case has("<hta:application"):
		return "application/hta"
	case has("<job") && has("<script"):
		return "text/x-wsf"
	case has("wscript.") || has("activexobject") || has("wscript.shell"):
		return "application/x-wsh-script"
	case has("createobject(") || has("\nsub ") || has("\nfunction ") && has("end function") || bytes.HasPrefix(lower, []byte("#@~^")):
		return "text/vbscript"
	case has("powershell") || has("invoke-expression") || has("iex(") || has("-encodedcommand") || has("[system.convert]::frombase64string"):
		return "text/x-powershell"
	case bytes.HasPrefix(lower, []byte("@echo off")) || has("\r\n@echo off") || has("%comspec%") || has("cmd.exe /c") || has("cmd /c"):
		return "text/x-msdos-batch"
	case has("<script") && (has("<html") || has("<body")):
		return "text/html"
	}
	return ""
}

// Extension lists by category, for when the content says nothing risky.
// The name matters because Windows acts on it: a text file named .js runs
// in Windows Script Host.
var (
	execExt = set(".exe", ".com", ".scr", ".pif", ".cpl", ".dll", ".sys", ".ocx", ".msi", ".msp", ".msc",
		".lnk", ".jar", ".appx", ".msix", ".appxbundle", ".msixbundle", ".appinstaller", ".application", ".gadget", ".elf", ".bin", ".drv", ".xll", ".wll")
	scriptExt = set(".js", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".wsc", ".hta", ".ps1", ".psm1", ".psd1",
		".bat", ".cmd", ".sct", ".reg", ".url", ".scf", ".inf", ".vb", ".py", ".sh", ".html", ".htm", ".xhtml",
		".shtml", ".svg", ".mht", ".mhtml", ".chm", ".settingcontent-ms", ".library-ms", ".iqy", ".slk",
		".searchconnector-ms", ".search-ms", ".website")
	docExt = set(".pdf", ".doc", ".docx", ".docm", ".dot", ".dotm", ".dotx", ".xls", ".xlsx", ".xlsm", ".xlsb",
		".xlt", ".xltm", ".xla", ".xlam", ".ppt", ".pptx", ".pptm", ".pps", ".ppsm", ".potm", ".ppam", ".rtf",
		".odt", ".ods", ".odp", ".one", ".onepkg", ".pub", ".xps", ".msg", ".eml", ".wbk", ".csv")
	archiveExt = set(".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".tbz", ".xz", ".txz", ".zst",
		".lz", ".lz4", ".lzh", ".lha", ".cab", ".arj", ".ace", ".z", ".iso", ".img", ".vhd", ".vhdx", ".udf", ".dmg", ".r00", ".001", ".uue", ".xxe", ".ar", ".cpio")
)

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, e := range s {
		m[e] = true
	}
	return m
}

// Ext is the lower-cased last extension of a name, with the dot.
func Ext(name string) string {
	name = strings.TrimRight(strings.TrimSpace(name), ". ") // Windows drops trailing dots and spaces
	return strings.ToLower(path.Ext(strings.ReplaceAll(name, "\\", "/")))
}

// Categorize decides the category of a file by content first, name second:
// a PE named .pdf is an executable; a text file named .js is a script.
func Categorize(sniffed, name string) verdict.Category {
	if c := categoryOfType(sniffed); c != verdict.Other {
		return c
	}
	ext := Ext(name)
	switch {
	case execExt[ext]:
		return verdict.Executable
	case scriptExt[ext]:
		return verdict.Script
	case docExt[ext]:
		return verdict.Document
	case archiveExt[ext]:
		return verdict.Archive
	}
	return verdict.Other
}

func categoryOfType(t string) verdict.Category {
	switch t {
	case "application/vnd.microsoft.portable-executable", "application/x-msdownload", "application/x-dosexec",
		"application/x-elf", "application/x-executable", "application/x-sharedlib", "application/x-mach-binary",
		"application/x-ms-installer", "application/x-msi", "application/x-windows-installer", "application/x-ms-shortcut",
		"application/x-java-applet", "application/vnd.android.package-archive", "application/x-object",
		"application/java-archive", "application/jar", "application/x-java-archive",
		"application/vnd.ms-appx", "application/appinstaller":
		return verdict.Executable
	case "text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript", "application/javascript",
		"application/x-javascript", "application/hta", "text/x-wsf", "application/x-wsh-script", "text/vbscript",
		"text/x-powershell", "text/x-msdos-batch", "application/x-sh", "application/x-shellscript", "text/x-shellscript",
		"text/x-python", "application/x-python", "application/vnd.ms-htmlhelp", "text/x-perl", "text/x-php", "text/x-lua",
		"application/x-ruby", "application/x-tcl", "application/x-bytecode.python":
		return verdict.Script
	case "application/pdf", "application/x-pdf", "application/msword", "application/vnd.ms-word", "application/vnd.ms-excel",
		"application/msexcel", "application/vnd.ms-powerpoint", "application/mspowerpoint", "application/rtf", "text/rtf",
		"application/x-ole-storage", "application/vnd.ms-outlook", "application/onenote", "application/vnd.ms-publisher",
		"application/vnd.ms-office.macroenabled", "application/epub+zip", "application/vnd.ms-xpsdocument",
		"application/oxps", "application/vnd.ms-access", "application/x-msaccess", "application/vnd.visio",
		"application/postscript", "application/vnd.wordperfect", "application/x-mobipocket-ebook":
		return verdict.Document
	case "application/zip", "application/x-zip-compressed", "application/x-7z-compressed", "application/vnd.rar",
		"application/x-rar-compressed", "application/x-tar", "application/gzip", "application/x-gzip", "application/x-bzip2",
		"application/x-xz", "application/zstd", "application/x-lz4", "application/lzip", "application/x-lzip",
		"application/vnd.ms-cab-compressed", "application/x-iso9660-image", "application/x-udf-image", "application/x-vhd",
		"application/x-vhdx", "application/x-fat-image", "application/x-apple-diskimage", "application/x-archive",
		"application/x-unix-archive", "application/x-cpio", "application/x-xar", "application/x-rpm",
		"application/vnd.debian.binary-package", "application/zlib", "application/x-installshield", "application/x-chrome-extension":
		return verdict.Archive
	}
	if strings.HasPrefix(t, "application/vnd.openxmlformats-officedocument.") ||
		strings.HasPrefix(t, "application/vnd.oasis.opendocument.") || strings.HasPrefix(t, "application/x-vnd.oasis.opendocument.") ||
		strings.HasPrefix(t, "application/vnd.ms-") && strings.Contains(t, "macroenabled") {
		return verdict.Document
	}
	return verdict.Other
}
