package office

import (
	"context"
	"regexp"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer/internal/rules"
	"github.com/airlockmail/airlock/sandboxd/analyzer/script"
)

// autoExecRe matches the procedures Office runs by itself: on open, on
// close, and the ActiveX events (Layout, Painted) that fire on display.
var autoExecRe = regexp.MustCompile(`(?i)\bsub\s+(auto_?open|autoexec|auto_?close|autonew|document_(open|close|new|beforeclose|contentcontrolonenter)|workbook_(open|activate|beforeclose|windowactivate)|app_(documentopen|workbookopen)|presentation_?open|\w+_(layout|painted|gotfocus))\b`)

// judgeVBA reports the macros and what they do. Auto-running alone is
// common in templates; running programs or downloading from an auto-run
// macro is what droppers do.
func judgeVBA(ctx context.Context, sources []string, fs *rules.Findings) {
	all := strings.Join(sources, "\n")
	var mods []string
	for _, s := range sources {
		first, _, _ := strings.Cut(s, "\n")
		mods = append(mods, strings.TrimPrefix(first, "' module "))
	}
	fs.Add("vba-macros", rules.Low, "contains VBA macros", strings.Join(mods, ", "))
	auto := autoExecRe.FindString(all)
	if auto != "" {
		fs.Add("vba-autoexec", rules.Medium, "a macro runs by itself when the document is opened or closed", auto)
	}
	if rules.ContainsEICAR([]byte(all)) {
		fs.AddEICAR("VBA source")
	}
	t := script.Scan(ctx, all, fs)
	if auto == "" {
		return
	}
	switch {
	case t.Exec || t.Shell || t.Download:
		fs.Add("vba-autoexec-action", rules.Critical, "a macro that runs on open starts programs or downloads files", auto)
	case t.Obfuscated:
		fs.Add("vba-autoexec-obfuscated", rules.High, "a macro that runs on open hides its code", auto)
	}
}
