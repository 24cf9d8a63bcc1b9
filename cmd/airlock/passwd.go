package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/airlockmail/airlock/web"
)

func init() {
	commands["passwd"] = command{
		summary: "read a password and print its bcrypt hash for web.users",
		usage:   "airlock passwd [--user NAME]\n  (asks twice on a terminal; otherwise reads one line from stdin)",
		example: "airlock passwd --user alice",
		run:     runPasswd,
	}
}

// runPasswd prints a hash for config web.users. On a terminal it asks
// twice with echo off; otherwise it reads one line from stdin (scripts).
func runPasswd(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("passwd")
	user := fs.String("user", "", "print a whole web.users entry for this user name")
	if err := parseFlags(env, "passwd", fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError("passwd", "unexpected arguments: "+strings.Join(fs.Args(), " "))
	}
	in := bufio.NewReader(env.stdin)
	tty := isTerminal(env.stdin)
	read := func(prompt string) (string, error) {
		if tty {
			fmt.Fprint(env.stderr, prompt)
			defer fmt.Fprintln(env.stderr)
			if restore := echoOff(); restore != nil {
				defer restore()
			}
		}
		line, err := in.ReadString('\n')
		if err != nil && !(errors.Is(err, io.EOF) && line != "") {
			return "", fmt.Errorf("read password: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	pw, err := read("Password: ")
	if err != nil {
		return err
	}
	if tty {
		again, err := read("Again: ")
		if err != nil {
			return err
		}
		if again != pw {
			return &exitError{code: 1, msg: "airlock passwd: the two passwords differ"}
		}
	}
	h, err := web.HashPassword(pw)
	if err != nil {
		return &exitError{code: 1, msg: "airlock passwd: " + err.Error()}
	}
	if *user != "" {
		fmt.Fprintf(env.stdout, "  - name: %s\n    password_hash: %q\n", *user, h)
		return nil
	}
	fmt.Fprintln(env.stdout, h)
	return nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// echoOff turns terminal echo off with stty (no terminal library needed)
// and returns what turns it on again; nil when it could not.
func echoOff() func() {
	off := exec.Command("stty", "-echo")
	off.Stdin = os.Stdin
	if off.Run() != nil {
		return nil
	}
	return func() {
		on := exec.Command("stty", "echo")
		on.Stdin = os.Stdin
		on.Run()
	}
}
