// Command airlock is the one binary of the Airlock mail sandbox gateway:
// `airlock all` runs everything in one process; the other verbs run one
// part, or act on a running installation as an admin.
//
// This package stays thin: flags, config load, wiring. Each verb lives in
// its own file and registers itself in commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// command is one verb of the binary.
type command struct {
	summary string
	// usage is the synopsis, "airlock VERB ..." (lines after the first
	// indented), printed on a usage error and by --help.
	usage string
	// example is one real invocation, printed by --help.
	example string
	run     func(ctx context.Context, env *cmdEnv, args []string) error
}

// cmdEnv is what a verb may touch of the process: its streams.
type cmdEnv struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// commands is filled by each verb's file in its init.
var commands = map[string]command{}

// exitError carries a specific exit status out of a verb.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: airlock COMMAND [args and flags, in any order]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if commands[n].usage == "" {
			continue // internal
		}
		fmt.Fprintf(w, "  %-14s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nairlock COMMAND --help (or airlock help COMMAND) shows its flags and an example.")
}

func main() {
	os.Exit(run(os.Args[1:], &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
}

func run(args []string, env *cmdEnv) int {
	if len(args) == 2 && args[0] == "help" {
		args = []string{args[1], "--help"}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" || args[0] == "help" {
		if len(args) == 0 {
			usage(env.stderr)
			return 2
		}
		usage(env.stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(env.stderr, "airlock: unknown command %q\n", args[0])
		usage(env.stderr)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := cmd.run(ctx, env, args[1:]); err != nil {
		if ee, ok := err.(*exitError); ok {
			if ee.msg != "" {
				fmt.Fprintln(env.stderr, ee.msg)
			}
			return ee.code
		}
		fmt.Fprintf(env.stderr, "airlock %s: %v\n", args[0], err)
		return 1
	}
	return 0
}
