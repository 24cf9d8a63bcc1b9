package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/policy"
)

func init() {
	commands["inspect"] = command{
		summary: "list every file a message carries and what policy would do with each",
		usage:   "airlock inspect [--config FILE] [--json] FILE.eml|- ...",
		example: "airlock inspect --config /etc/airlock/airlock.yaml fwd.eml",
		run:     runInspect,
	}
}

// inspectFile is one row of `airlock inspect --json`.
type inspectFile struct {
	extract.File
	Policy policy.FileDecision `json:"policy"`
}

type inspectReport struct {
	Message  string        `json:"message"`
	Subject  string        `json:"subject,omitempty"`
	Files    []inspectFile `json:"files"`
	Problems []string      `json:"problems,omitempty"`
}

func runInspect(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("inspect")
	cfgPath := fs.String("config", "", "configuration file (default: built-in defaults)")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	if err := parseFlags(env, "inspect", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("inspect", "")
	}
	cfg := config.Default()
	if *cfgPath != "" {
		var err error
		if cfg, err = config.Load(*cfgPath); err != nil {
			return &exitError{code: 1, msg: err.Error()}
		}
	}
	pol, err := policy.New(cfg.Policy)
	if err != nil {
		return err
	}
	var reports []inspectReport
	for _, name := range fs.Args() {
		var msg []byte
		if name == "-" {
			msg, err = io.ReadAll(env.stdin)
		} else {
			msg, err = os.ReadFile(name)
		}
		if err != nil {
			return err
		}
		res, err := extract.Walk(ctx, msg, extract.Options{Limits: cfg.Extract})
		if err != nil {
			return err
		}
		rep := inspectReport{Message: name, Subject: res.Subject, Problems: res.Problems, Files: []inspectFile{}}
		for i := range res.Files {
			rep.Files = append(rep.Files, inspectFile{File: res.Files[i], Policy: pol.File(&res.Files[i])})
		}
		reports = append(reports, rep)
	}
	if *asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		if len(reports) == 1 {
			return enc.Encode(reports[0])
		}
		return enc.Encode(reports)
	}
	for _, r := range reports {
		printInspect(env.stdout, r)
	}
	return nil
}

func printInspect(w io.Writer, r inspectReport) {
	fmt.Fprintf(w, "%s", r.Message)
	if r.Subject != "" {
		fmt.Fprintf(w, "  (subject: %s)", strings.Map(printable, r.Subject))
	}
	fmt.Fprintf(w, "\n%d file(s)\n", len(r.Files))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tCATEGORY\tTYPE\tSIZE\tSHA-256\tFLAGS\tPOLICY")
	for _, f := range r.Files {
		sum := f.SHA256
		if len(sum) > 16 {
			sum = sum[:16]
		}
		if sum == "" {
			sum = "-"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%d\t%s\t%s\t%s: %s\n",
			strings.Repeat("  ", max(f.Depth-1, 0)), strings.Map(printable, f.Path), f.Category, f.SniffedType,
			f.Size, sum, flagString(f.Flags), f.Policy.Action, strings.Map(printable, f.Policy.Reason))
	}
	tw.Flush()
	for _, p := range r.Problems {
		fmt.Fprintf(w, "problem: %s\n", strings.Map(printable, p))
	}
	fmt.Fprintln(w)
}

func flagString(f extract.Flags) string {
	if s := f.String(); s != "" {
		return s
	}
	return "-"
}

// printable keeps terminal control characters from a hostile message out
// of the admin's terminal.
func printable(r rune) rune {
	if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == 0x202e || r == 0x202d {
		return '?'
	}
	return r
}
