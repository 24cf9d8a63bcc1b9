package rules

import (
	"path"
	"strings"

	"github.com/airlockmail/airlock/verdict"
)

// Executable extensions: files Windows runs (or hands to a script host) on a
// double click.
var execExts = map[string]bool{
	".exe": true, ".scr": true, ".com": true, ".pif": true, ".cpl": true, ".msi": true,
	".dll": true, ".sys": true, ".msc": true, ".jar": true, ".appx": true, ".msix": true,
	".application": true, ".gadget": true, ".hta": true, ".lnk": true, ".url": true,
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".wsh": true,
	".ps1": true, ".psm1": true, ".bat": true, ".cmd": true, ".reg": true, ".chm": true,
	".iso": true, ".img": true, ".vhd": true, ".vhdx": true, ".one": true, ".xll": true,
	".sct": true, ".inf": true, ".scf": true, ".settingcontent-ms": true,
}

// Decoy extensions: what a victim expects to open.
var decoyExts = map[string]bool{
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true,
	".pptx": true, ".txt": true, ".jpg": true, ".jpeg": true, ".png": true, ".gif": true,
	".rtf": true, ".csv": true, ".odt": true, ".mp3": true, ".mp4": true, ".zip": true,
	".htm": true, ".html": true,
}

// IsExecutableName reports whether the name's last extension runs code.
func IsExecutableName(name string) bool {
	return execExts[strings.ToLower(path.Ext(name))]
}

// NameFindings records the tricks a member name can play: the right-to-left
// override that reverses how the end of the name is shown, a decoy
// extension in front of an executable one, and white-space padding that
// pushes the real extension out of view.
func (f *Findings) NameFindings(name string) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if strings.ContainsAny(base, "\u202e\u202d\u200f\u2066\u2067\u2068") {
		f.Add("name-rtlo", High, "a file name contains a right-to-left override character that disguises its real extension", base)
	}
	lower := strings.ToLower(base)
	ext := path.Ext(lower)
	if execExts[ext] {
		inner := path.Ext(strings.TrimRight(strings.TrimSuffix(lower, ext), " ._"))
		if decoyExts[inner] {
			f.Add("double-extension", High, "a file name hides an executable extension behind a document one", base)
		}
		if strings.Contains(lower, "     ") {
			f.Add("padded-name", High, "a file name pads with spaces to push its executable extension out of view", base)
		}
	}
}

// Short aliases for the severities, so rule tables read as tables.
const (
	Info     = verdict.Info
	Low      = verdict.Low
	Medium   = verdict.Medium
	High     = verdict.High
	Critical = verdict.Critical
)
