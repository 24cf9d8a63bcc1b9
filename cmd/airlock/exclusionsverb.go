package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/airlockmail/airlock/policy/exclusions"
)

func init() {
	commands["exclusions"] = command{
		summary: "list, add or remove allowed file hashes shared by every node (ls|add|rm)",
		usage: `airlock exclusions ls
  airlock exclusions add SHA256 [--reason TEXT]
  airlock exclusions rm SHA256
  every form also takes --config FILE, --data-dir DIR and --json, anywhere
  Changes reach every running node at once (Redis) or the running airlock all
  (embedded store: through its admin API) within its re-read period; no restart.`,
		example: `airlock exclusions add 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f --reason "vendor tool"`,
		run:     runExclusions,
	}
}

var exclusionsFlags = map[string][]string{"ls": nil, "add": {"reason"}, "rm": nil}

func runExclusions(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("exclusions")
	af := addAdminFlags(fs)
	reason := fs.String("reason", "", "add: why this file is allowed (kept with the entry)")
	if err := parseFlags(env, "exclusions", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("exclusions", "")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	if _, ok := exclusionsFlags[verb]; !ok {
		return usageError("exclusions", fmt.Sprintf("unknown sub-command %q", verb))
	}
	if err := onlyFor("exclusions", verb, fs, adminCommon, exclusionsFlags); err != nil {
		return err
	}
	if want := map[bool]int{true: 0, false: 1}[verb == "ls"]; len(rest) != want {
		return usageError("exclusions", fmt.Sprintf("%s takes %d argument(s), got %d", verb, want, len(rest)))
	}
	var sha string
	if verb != "ls" {
		var err error
		if sha, err = exclusions.Normalize(rest[0]); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	}
	c, err := af.load()
	if err != nil {
		return err
	}
	store, closeStore, err := openAllowList(ctx, env, &c)
	if err != nil {
		return err
	}
	defer closeStore()
	out := jsonOr(env.stdout, *af.asJSON)
	switch verb {
	case "ls":
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
		e := exclusions.Exclusion{SHA256: sha, Actor: "admin:" + adminName(), Reason: *reason, Added: time.Now().UTC()}
		if err := store.Add(ctx, e); err != nil {
			return fmt.Errorf("add exclusion: %w", err)
		}
		return out(e, func(w io.Writer) { fmt.Fprintf(w, "%s: allowed by %s\n", sha, e.Actor) })
	default: // rm
		if err := store.Remove(ctx, sha); err != nil {
			if errors.Is(err, exclusions.ErrNotFound) {
				return &exitError{code: 1, msg: sha + ": not excluded"}
			}
			return fmt.Errorf("remove exclusion: %w", err)
		}
		return out(map[string]string{"sha256": sha, "action": "removed"}, func(w io.Writer) { fmt.Fprintf(w, "%s: removed\n", sha) })
	}
}
