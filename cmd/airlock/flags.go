package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// Flags follow the Go-tool and GNU conventions people expect: long flags
// with two dashes, accepted before or after the positional arguments
// (pflag, interspersed), "--" ends them, and --help prints the verb's
// usage with an example on stdout. One dash still works for long flags
// ("-config F"): Go's flag package accepted it, and scripts written for
// it must not break.

// defaultConfig is the admin verbs' configuration file: $AIRLOCK_CONFIG,
// else the packaged path.
func defaultConfig() string {
	if v := os.Getenv("AIRLOCK_CONFIG"); v != "" {
		return v
	}
	return "/etc/airlock/airlock.yaml"
}

// newFlags returns an empty flag set for verb; parseFlags reports errors
// and help, so the set itself prints nothing.
func newFlags(verb string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(verb, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {}
	return fs
}

// parseFlags parses args into fs. --help (or -h) prints the verb's help
// on stdout and ends the verb with exit 0; a bad flag ends it with exit 2,
// the error and the synopsis on stderr.
func parseFlags(env *cmdEnv, verb string, fs *pflag.FlagSet, args []string) error {
	err := fs.Parse(longSingleDash(fs, args))
	if errors.Is(err, pflag.ErrHelp) {
		printHelp(env.stdout, verb, fs)
		return &exitError{code: 0}
	}
	if err != nil {
		return usageError(verb, err.Error())
	}
	return nil
}

// usageError ends a verb with exit 2: what was wrong, then the synopsis.
func usageError(verb, msg string) error {
	c := commands[verb]
	text := "usage: " + c.usage
	if msg != "" {
		text = "airlock " + verb + ": " + msg + "\n" + text
	}
	return &exitError{code: 2, msg: text + "\n(airlock " + verb + " --help shows the flags and an example)"}
}

// printHelp is `airlock VERB --help`.
func printHelp(w io.Writer, verb string, fs *pflag.FlagSet) {
	c := commands[verb]
	fmt.Fprintf(w, "usage: %s\n\n%s\n", c.usage, c.summary)
	if c.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", strings.ReplaceAll(c.example, "\n", "\n  "))
	}
	if fs != nil && fs.HasFlags() {
		fmt.Fprintf(w, "\nflags:\n%s", fs.FlagUsages())
	}
}

// longSingleDash rewrites "-name" and "-name=v" to "--name…" when name is
// a long flag of fs (or "help"). The value after a flag that takes one is
// copied unchanged, so `--reason -x` keeps its "-x"; "--" ends the flags.
func longSingleDash(fs *pflag.FlagSet, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		var name string
		var hasValue bool
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, hasValue = strings.Cut(a[2:], "=")
		case len(a) > 2 && a[0] == '-':
			n, _, hv := strings.Cut(a[1:], "=")
			if n == "help" || len(n) > 1 && fs.Lookup(n) != nil {
				a, name, hasValue = "-"+a, n, hv
			}
		}
		out = append(out, a)
		if f := fs.Lookup(name); name != "" && f != nil && !hasValue && f.NoOptDefVal == "" && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// onlyFor checks that the flags given on the command line (other than
// the verb's common ones) belong to the sub-verb: one flag set holds
// every sub-verb's flags so they may come anywhere, and this keeps
// `queue show --state held` an error rather than a silently ignored flag.
func onlyFor(verb, sub string, fs *pflag.FlagSet, common []string, allowed map[string][]string) error {
	ok := map[string]bool{}
	for _, n := range common {
		ok[n] = true
	}
	for _, n := range allowed[sub] {
		ok[n] = true
	}
	var bad []string
	fs.Visit(func(f *pflag.Flag) {
		if !ok[f.Name] {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return usageError(verb, fmt.Sprintf("%s: not a flag of %s %s", strings.Join(bad, ", "), verb, sub))
	}
	return nil
}
