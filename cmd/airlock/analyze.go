package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/all"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
)

func init() {
	commands["analyze"] = command{
		summary: "run the sandbox analyzers on files in this process and print verdicts and findings",
		usage:   "airlock analyze [--json] [--config FILE] [--timeout D] FILE...",
		example: "airlock analyze invoice.pdf",
		run:     runAnalyze,
	}
}

// analyzeOutput is one file's line of `airlock analyze --json`.
type analyzeOutput struct {
	File string `json:"file"`
	inproc.Report
}

func runAnalyze(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("analyze")
	asJSON := fs.Bool("json", false, "print one JSON object per file")
	cfgPath := fs.String("config", "", "configuration file (scoring, hash list); default: built-in defaults")
	timeout := fs.Duration("timeout", 60*time.Second, "deadline of each analyzer on each file")
	if err := parseFlags(env, "analyze", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("analyze", "")
	}
	c := config.Default()
	if *cfgPath != "" {
		var err error
		if c, err = config.Load(*cfgPath); err != nil {
			return &exitError{code: 1, msg: err.Error()}
		}
	}
	as, err := all.Analyzers(all.Env{Config: c, Logger: slog.New(slog.NewTextHandler(env.stderr, nil))})
	if err != nil {
		return err
	}
	scoring := sandboxd.ScoringFromConfig(c.Sandboxd.Scoring)
	if err := scoring.Validate(); err != nil {
		return err
	}
	enc := json.NewEncoder(env.stdout)
	failed := false
	for _, name := range fs.Args() {
		data, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(env.stderr, "airlock analyze: %v\n", err)
			failed = true
			continue
		}
		rep := inproc.Run(ctx, as, scoring, inproc.File(name, data), *timeout)
		if *asJSON {
			if err := enc.Encode(analyzeOutput{File: name, Report: rep}); err != nil {
				return err
			}
			continue
		}
		printReport(env, name, rep, scoring)
	}
	if failed {
		return &exitError{code: 1}
	}
	return nil
}

func printReport(env *cmdEnv, name string, r inproc.Report, s analyzer.Scoring) {
	fmt.Fprintf(env.stdout, "%s: %s (score %d; thresholds %d/%d/%d)\n", name, r.Verdict, r.Score, s.Suspicious, s.HighlySuspicious, s.Malicious)
	fmt.Fprintf(env.stdout, "  type %s, category %s, sha256 %s\n", r.Type, r.Category, r.SHA256)
	fmt.Fprintf(env.stdout, "  analyzers: %v\n", r.Ran)
	for _, f := range r.Findings {
		ev := ""
		if f.Evidence != "" {
			ev = "  [" + f.Evidence + "]"
		}
		fmt.Fprintf(env.stdout, "  %-8s %s/%s: %s%s\n", f.Severity, f.Analyzer, f.Rule, f.Description, ev)
	}
	for _, u := range r.Unscannable {
		fmt.Fprintf(env.stdout, "  unscannable: %s\n", u)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(env.stdout, "  error: %s\n", e)
	}
}
