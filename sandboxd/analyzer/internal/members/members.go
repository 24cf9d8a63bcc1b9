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
	maxMemberScan = 4 << 20
	maxTotalScan  = 32 << 20
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
	var execs, docs, scripts []string
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
		isExe := f.Category == verdict.Executable || rules.IsExecutableName(name)
		isScript := f.Category == verdict.Script || rules.HasExt(ext, ".js", ".jse", ".vbs", ".vbe", ".wsf", ".hta", ".ps1", ".bat", ".cmd", ".lnk", ".url")
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
		if isExe && !rules.IsExecutableName(name) && f.Category == verdict.Executable && ext != "" && ext != ".bin" && ext != ".dat" {
			fs.Add("disguised-executable", rules.High, "an executable program inside carries a non-executable name", name)
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
	if len(scripts) > 0 {
		fs.Add("script-inside", rules.High, "holds scripts or shortcuts that run on a double click", list(scripts))
	}
	if len(execs) > 0 {
		sev, desc := rules.Medium, "holds executable programs"
		if len(docs) > 0 {
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
