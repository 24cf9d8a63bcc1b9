package gate

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// Names are judged here, in the filter: sandboxd never learns a file's name
// (only its extension), so the tricks that live in the name — a
// right-to-left override that turns "invoice<RLO>fdp.exe" into
// "invoiceexe.pdf" on screen, a decoy extension before the real one,
// padding that pushes ".exe" out of sight, a name that contradicts the
// content — can only be seen by the gate. Each trick is a finding with
// evidence; the findings are scored like sandboxd's (default scoring), and
// the resulting name verdict counts toward the message's verdict beside the
// sandbox's verdict for the bytes.

// nameAnalyzer names the findings, as an analyzer name does in sandboxd.
const nameAnalyzer = "name"

// bidiControls are the characters that reorder or re-embed text. Letters
// of right-to-left scripts (Arabic, Hebrew) are not among them: a name
// written in those scripts is fine; only the invisible controls that make
// a name display other than it is are findings.
var bidiControls = map[rune]string{
	'\u202A': "LEFT-TO-RIGHT EMBEDDING", '\u202B': "RIGHT-TO-LEFT EMBEDDING",
	'\u202C': "POP DIRECTIONAL FORMATTING", '\u202D': "LEFT-TO-RIGHT OVERRIDE",
	'\u202E': "RIGHT-TO-LEFT OVERRIDE", '\u2066': "LEFT-TO-RIGHT ISOLATE",
	'\u2067': "RIGHT-TO-LEFT ISOLATE", '\u2068': "FIRST STRONG ISOLATE",
	'\u2069': "POP DIRECTIONAL ISOLATE", '\u200E': "LEFT-TO-RIGHT MARK",
	'\u200F': "RIGHT-TO-LEFT MARK", '\u061C': "ARABIC LETTER MARK",
}

// decoyExts are extensions people open without a second thought: a name
// that shows one of them before an executable extension is a disguise.
var decoyExts = set(".pdf", ".doc", ".docx", ".docm", ".xls", ".xlsx", ".xlsm", ".ppt", ".pptx", ".rtf", ".odt",
	".ods", ".txt", ".csv", ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic",
	".mp3", ".mp4", ".wav", ".avi", ".mov", ".zip", ".rar", ".7z", ".eml", ".msg", ".htm", ".html", ".xml", ".json")

// archiveDecoyExts are names an archive hides behind. Zip-based document
// formats (docx, xlsx, odt, jar, …) are not among them: they are zips.
var archiveDecoyExts = set(".pdf", ".doc", ".xls", ".ppt", ".rtf", ".txt", ".csv", ".jpg", ".jpeg", ".png",
	".gif", ".bmp", ".tif", ".tiff", ".webp", ".heic", ".mp3", ".mp4", ".wav", ".avi", ".mov")

func set(s ...string) map[string]bool {
	m := make(map[string]bool, len(s))
	for _, e := range s {
		m[e] = true
	}
	return m
}

// longStem is how long (in characters) the part of a name before an
// executable extension may be before mail clients cut the display short
// of the extension.
const longStem = 60

// runsCode reports whether Windows runs a file with extension ext (an
// executable or a script, as extract's lists have it).
func runsCode(ext string) bool {
	c := extract.Categorize("", "x"+ext)
	return c == verdict.Executable || c == verdict.Script
}

// nameFindings lists the tricks in a file's name, judged against its
// sniffed content type.
func nameFindings(name, sniffed string) []verdict.Finding {
	if name == "" {
		return nil
	}
	var out []verdict.Finding
	add := func(rule string, sev verdict.Severity, desc, evidence string) {
		out = append(out, verdict.Finding{Analyzer: nameAnalyzer, Rule: rule, Severity: sev,
			Description: desc, Evidence: truncateRunes(evidence, 200)})
	}
	shown := visible(name)
	ext := extract.Ext(name)

	// Bidi controls: the name displays differently from what it is.
	var overrides, controls []string
	for _, r := range name {
		if n, ok := bidiControls[r]; ok {
			if r == '\u202D' || r == '\u202E' {
				overrides = append(overrides, n)
			} else {
				controls = append(controls, n)
			}
		}
	}
	if len(overrides) > 0 {
		add("bidi-override", verdict.High, "file name holds a bidi override that reverses how it displays ("+overrides[0]+")",
			shown+" (real extension "+orNone(ext)+")")
	} else if len(controls) > 0 {
		add("bidi-control", verdict.Medium, "file name holds invisible bidi control characters ("+controls[0]+")",
			shown+" (real extension "+orNone(ext)+")")
	}

	if ext != "" && runsCode(ext) {
		t := trimWindows(name)
		stem := t[:len(t)-len(path.Ext(strings.ReplaceAll(t, "\\", "/")))]
		// Padding: blanks or filler between the visible part and the
		// real extension push it out of sight. A short run of
		// underscores is a naming habit (__init__.py), not padding.
		inner := strings.TrimRightFunc(stem, func(r rune) bool { return isBlank(r) || r == '_' || r == '.' })
		run := stem[len(inner):]
		blanks := 0
		for _, r := range run {
			if isBlank(r) {
				blanks++
			}
		}
		if n := utf8.RuneCountInString(run); blanks >= 3 || n >= 10 {
			add("padded-extension", verdict.High, fmt.Sprintf("file name pads %d blank or filler characters before its real extension %s", n, ext), shown)
		}
		// Double extension: a decoy extension shown before the real one.
		if de := strings.ToLower(extOf(strings.TrimRight(inner, ". "))); de != "" && decoyExts[de] {
			add("double-extension", verdict.High, "file name shows "+de+" but ends in "+ext+", which runs code", shown)
		}
		if utf8.RuneCountInString(inner) >= longStem {
			add("long-name-executable", verdict.Medium,
				fmt.Sprintf("executable extension %s behind a %d-character name, likely cut off on display", ext, utf8.RuneCountInString(inner)), shown)
		}
	}

	// Content against name: only where the name promises something
	// harmless and the bytes are a program or an archive.
	if sniffed != "" && ext != "" && !runsCode(ext) {
		switch content := extract.Categorize(sniffed, ""); {
		case content == verdict.Executable && (decoyExts[ext] || extract.Categorize("", "x"+ext) != verdict.Other):
			add("content-mismatch", verdict.High, "file named "+ext+" is a program by content ("+sniffed+")", shown)
		case content == verdict.Archive && archiveDecoyExts[ext]:
			add("content-mismatch", verdict.Medium, "file named "+ext+" is an archive by content ("+sniffed+")", shown)
		}
	}
	return out
}

// nameVerdict scores name findings like sandboxd scores an analyzer's
// (default scoring); Unknown when there is nothing to say.
func nameVerdict(fs []verdict.Finding) verdict.Verdict {
	if len(fs) == 0 {
		return verdict.Unknown
	}
	v, _ := analyzer.DefaultScoring().Score([]analyzer.Result{{Findings: fs}})
	if v == verdict.Clean {
		return verdict.Unknown
	}
	return v
}

// isBlank is what fills a name without showing: spaces of every width
// and invisible format characters.
func isBlank(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Zs, r) || unicode.Is(unicode.Cf, r)
}

// trimWindows drops what Windows drops from the end of a name.
func trimWindows(name string) string {
	return strings.TrimRight(strings.TrimSpace(name), ". ")
}

// extOf is the last extension of s with its dot ("" when none).
func extOf(s string) string {
	i := strings.LastIndexAny(s, "./\\")
	if i < 0 || s[i] != '.' {
		return ""
	}
	return s[i:]
}

// visible writes a name with its invisible characters named, so that
// the evidence shows what the eye does not.
func visible(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case bidiControls[r] != "" || unicode.Is(unicode.Cf, r) || unicode.IsControl(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		case r != ' ' && unicode.IsSpace(r):
			fmt.Fprintf(&b, "<U+%04X>", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func orNone(ext string) string {
	if ext == "" {
		return "none"
	}
	return ext
}

func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
