package sandboxd

import (
	"strings"

	"github.com/gabriel-vasile/mimetype"

	"github.com/airlockmail/airlock/verdict"
)

// Sniff names a file's type by content and gives its category, content
// first, the extension only where content cannot tell (plain-text scripts
// come out of mimetype as text/plain).
//
// The filter sends its own category (extract/ knows more: containers,
// names); this is the fallback for uploads without one and for `airlock
// submit`.
func Sniff(data []byte, ext string) (typ string, cat verdict.Category) {
	m := mimetype.Detect(data)
	typ = m.String()
	ext = strings.ToLower(ext)
	for p := m; p != nil; p = p.Parent() {
		if c, ok := categoryOfType(p.String()); ok {
			if c == verdict.Other && scriptExt[ext] {
				return typ, verdict.Script
			}
			return typ, c
		}
	}
	if scriptExt[ext] {
		return typ, verdict.Script
	}
	return typ, verdict.Other
}

var scriptExt = map[string]bool{
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".ps1": true, ".psm1": true,
	".bat": true, ".cmd": true, ".hta": true, ".wsf": true, ".wsh": true, ".sct": true,
	".sh": true, ".py": true, ".pl": true, ".php": true,
	// Shell places and shortcuts: text that Explorer acts on.
	".url": true, ".website": true, ".scf": true, ".library-ms": true, ".searchconnector-ms": true,
	".search-ms": true, ".settingcontent-ms": true,
}

func categoryOfType(t string) (verdict.Category, bool) {
	base, _, _ := strings.Cut(t, ";")
	switch {
	case strings.Contains(base, "portable-executable"), strings.Contains(base, "msdownload"),
		strings.Contains(base, "x-executable"), strings.Contains(base, "x-elf"),
		strings.Contains(base, "x-mach-binary"), strings.Contains(base, "x-sharedlib"),
		base == "application/x-ms-installer", base == "application/x-msi",
		base == "application/jar", base == "application/java-archive", base == "application/vnd.android.package-archive",
		base == "application/x-ms-shortcut":
		return verdict.Executable, true
	case base == "text/javascript", base == "application/javascript", base == "text/x-shellscript",
		base == "text/x-python", base == "text/x-php", base == "text/x-perl", base == "text/html",
		base == "application/x-shockwave-flash":
		return verdict.Script, true
	case base == "application/pdf", strings.HasPrefix(base, "application/vnd.openxmlformats"),
		strings.HasPrefix(base, "application/vnd.ms-"), base == "application/msword",
		base == "text/rtf", base == "application/rtf", strings.HasPrefix(base, "application/vnd.oasis.opendocument"),
		base == "application/onenote", base == "application/x-ole-storage", base == "application/vnd.ms-outlook":
		return verdict.Document, true
	case base == "application/zip", base == "application/x-rar-compressed", base == "application/x-7z-compressed",
		base == "application/gzip", base == "application/x-tar", base == "application/x-bzip2",
		base == "application/x-xz", base == "application/x-iso9660-image", base == "application/vnd.ms-cab-compressed",
		base == "application/zstd", base == "application/x-lzip", base == "application/x-cpio":
		return verdict.Archive, true
	case base == "text/plain", strings.HasPrefix(base, "image/"), strings.HasPrefix(base, "audio/"),
		strings.HasPrefix(base, "video/"), base == "application/octet-stream":
		return verdict.Other, true
	}
	return "", false
}
