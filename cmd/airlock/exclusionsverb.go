package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"text/tabwriter"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/policy/exclusions"
)

func init() {
	commands["exclusions"] = command{
		summary: "list, add or remove allowed file hashes shared by every node (ls|add|rm)",
		run:     runExclusions,
	}
}

const exclusionsUsage = `usage: airlock exclusions [--config FILE] [--json] ls
       airlock exclusions [--config FILE] [--json] add [--reason TEXT] SHA256
       airlock exclusions [--config FILE] [--json] rm SHA256
Changes reach every running node at once (Redis) or the running airlock all
(embedded store) within its re-read period; no restart.`

func runExclusions(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("exclusions", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfgPath := fs.String("config", "/etc/airlock/airlock.yaml", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, msg: exclusionsUsage}
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	c, err := config.Load(*cfgPath)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	store, err := openExclusions(&c, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fmt.Errorf("open exclusions: %w", err)
	}
	defer store.Close()
	out := jsonOr(env.stdout, *asJSON)
	switch verb {
	case "ls":
		if len(rest) != 0 {
			return &exitError{code: 2, msg: exclusionsUsage}
		}
		list, err := store.List(ctx)
		if err != nil {
			return fmt.Errorf("list exclusions: %w", err)
		}
		if list == nil {
			list = []exclusions.Exclusion{}
		}
		return out(list, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SHA256\tADDED\tBY\tREASON")
			for _, e := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.SHA256, e.Added.Local().Format(time.DateTime), e.Actor, e.Reason)
			}
			tw.Flush()
		})
	case "add":
		vf := flag.NewFlagSet("exclusions add", flag.ContinueOnError)
		vf.SetOutput(env.stderr)
		reason := vf.String("reason", "", "why this file is allowed (kept with the entry)")
		if err := vf.Parse(rest); err != nil || vf.NArg() != 1 {
			return &exitError{code: 2, msg: exclusionsUsage}
		}
		sha, err := exclusions.Normalize(vf.Arg(0))
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		e := exclusions.Exclusion{SHA256: sha, Actor: "admin:" + adminName(), Reason: *reason, Added: time.Now().UTC()}
		if err := store.Add(ctx, e); err != nil {
			return fmt.Errorf("add exclusion: %w", err)
		}
		return out(e, func(w io.Writer) { fmt.Fprintf(w, "%s: allowed by %s\n", sha, e.Actor) })
	case "rm":
		if len(rest) != 1 {
			return &exitError{code: 2, msg: exclusionsUsage}
		}
		sha, err := exclusions.Normalize(rest[0])
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		if err := store.Remove(ctx, sha); err != nil {
			if errors.Is(err, exclusions.ErrNotFound) {
				return &exitError{code: 1, msg: sha + ": not excluded"}
			}
			return fmt.Errorf("remove exclusion: %w", err)
		}
		return out(map[string]string{"sha256": sha, "action": "removed"}, func(w io.Writer) { fmt.Fprintf(w, "%s: removed\n", sha) })
	}
	return &exitError{code: 2, msg: exclusionsUsage}
}
