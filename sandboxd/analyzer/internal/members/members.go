// Package members judges what a container holds, for the archive, disk
// image and OneNote analyzers: member names (double extensions, the
// right-to-left override, padding), executables and scripts hidden among
// documents, encrypted members, the EICAR test file at any depth, and the
// content of shortcuts and scripts found inside.
//
// The walk itself is extract.WalkFile, with its limits; this package adds
// no unbounded work: member content is looked at only up to maxMemberScan
// bytes each and maxTotalScan in all.
package members

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/lnk"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
	"github.com/airlockmail/airlock/verdict"
)

const (
	// smallContainer is the most members a container may have and still
	// be judged as a delivery vehicle (see Judge).
	smallContainer = 20
	maxMemberScan  = 4 << 20
	maxTotalScan   = 32 << 20
)

// Summary is what the walk found, beyond findings.
type Summary struct {
	Files       int
	Opened      bool   // the walk opened the file as a container
	Unscannable string // set when members could not be read
}

// Walk opens data (named ".ext" for the walk's sniffing) with
// extract.WalkFile and judges the members.
func Walk(ctx context.Context, ext string, data []byte, fs *rules.Findings) (Summary, error) {
	lim := config.DefaultExtract()
	lim.MaxFiles = 2000
	res, err := extract.WalkFile(ctx, "container"+ext, data, extract.Options{Limits: lim, KeepData: true})
	if res == nil {
		return Summary{}, err
	}
	return Judge(ctx, res.Files, fs), err
}

// Judge records the findings for the files of a walk (the first entry is
// the container itself and is skipped).
func Judge(ctx context.Context, files []extract.File, fs *rules.Findings) Summary {
	var s Summary
	var execs, docs, scripts, disguised []string
	var encrypted, limited []string
	scanned := 0
	for i, f := range files {
		if i == 0 && f.Depth <= 1 {
			s.Opened = f.Container
			if f.Flags.Any() {
				s.Unscannable = f.Problem
			}
			continue
		}
		if rules.Done(ctx) {
			break
		}
		s.Files++
		name := f.Name
		if name == "" {
			name = path.Base(f.Path)
		}
		fs.NameFindings(name)
		ext := strings.ToLower(path.Ext(name))
		switch {
		case f.Flags.Encrypted:
			encrypted = append(encrypted, name)
		case f.Flags.Any():
			limited = append(limited, name+": "+f.Problem)
		}
		// What Windows runs on a double click: by content (a program)
		// or by name. Shell scripts and sources in a tarball are not.
		exeContent := isProgram(f.SniffedType)
		isExe := exeContent || rules.IsExecutableName(name)
		isScript := windowsScriptExt[ext]
		if strings.EqualFold(name, "autorun.inf") {
			// Judged by the disk image analyzer, with what it opens.
			isScript, isExe = false, false
		}
		switch {
		case isScript:
			scripts = append(scripts, name)
		case isExe:
			execs = append(execs, name)
		case f.Category == verdict.Document || rules.HasExt(ext, ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".txt", ".jpg", ".png"):
			docs = append(docs, name)
		}
		if exeContent && strings.Contains(f.SniffedType, "portable-executable") && !rules.IsExecutableName(name) && ext != "" {
			disguised = append(disguised, name)
		}
		d := f.Data
		if len(d) == 0 || scanned >= maxTotalScan {
			continue
		}
		d = d[:min(len(d), maxMemberScan)]
		scanned += len(d)
		if rules.ContainsEICAR(d) {
			fs.AddEICAR(f.Path)
		}
		switch {
		case lnk.IsLNK(d):
			lnk.Inspect(ctx, d, fs)
		case isScript && !bytes.Contains(d[:min(len(d), 512)], []byte{0}):
			script.Scan(ctx, string(d), fs)
		}
	}
	// Droppers come in small containers (one to a few files); a source
	// tree or an SDK holds scripts and programs among hundreds of files.
	// Those are listed, at low severity; the content checks above still
	// judge what the scripts do.
	large := s.Files > smallContainer
	if len(scripts) > 0 {
		if large {
			fs.Add("script-inside", rules.Low, "a large archive holds scripts or shortcuts among many files", list(scripts))
		} else {
			fs.Add("script-inside", rules.High, "holds scripts or shortcuts that run on a double click", list(scripts))
		}
	}
	if len(disguised) > 0 {
		sev := rules.High
		if large {
			sev = rules.Low
		}
		fs.Add("disguised-executable", sev, "a Windows program inside carries a non-executable name", list(disguised))
	}
	if len(execs) > 0 {
		sev, desc := rules.Medium, "holds executable programs"
		switch {
		case large:
			sev, desc = rules.Low, "a large archive holds executable programs among many files"
		case len(docs) > 0:
			sev, desc = rules.High, "hides executable programs among documents"
		}
		fs.Add("executable-inside", sev, desc, list(execs))
	}
	if len(encrypted) > 0 {
		fs.Add("encrypted-members", rules.Info, "members are encrypted and could not be checked", list(encrypted))
		if s.Unscannable == "" {
			s.Unscannable = fmt.Sprintf("%d encrypted member(s)", len(encrypted))
		}
	}
	if len(limited) > 0 && s.Unscannable == "" {
		s.Unscannable = "members could not be read whole: " + list(limited)
	}
	return s
}

func list(names []string) string {
	if len(names) > 8 {
		return strings.Join(names[:8], ", ") + fmt.Sprintf(" and %d more", len(names)-8)
	}
	return strings.Join(names, ", ")
}

// windowsScriptExt are the script and shortcut types Windows runs on a
// double click.
var windowsScriptExt = map[string]bool{
	".js": true, ".jse": true, ".vbs": true, ".vbe": true, ".wsf": true, ".wsh": true, ".hta": true,
	".ps1": true, ".bat": true, ".cmd": true, ".lnk": true, ".url": true, ".sct": true, ".chm": true,
}

// isProgram reports a sniffed type that is a native program or installer.
func isProgram(t string) bool {
	for _, p := range []string{"portable-executable", "msdownload", "x-dosexec", "x-executable", "x-elf", "x-mach-binary", "x-sharedlib", "x-msi", "x-ms-installer"} {
		if strings.Contains(t, p) {
			return true
		}
	}
	return false
}
