package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
)

func init() {
	commands["queue"] = command{
		summary: "list, show, release, quarantine or delete held mail (ls|show|release|quarantine|delete)",
		run:     runQueue,
	}
}

const queueUsage = `usage: airlock queue [--config FILE] [--json] ls [--state S] [--sender A] [--recipient A] [--subject S] [--hash H] [--limit N] [--cursor C]
       airlock queue [--config FILE] [--json] show ID
       airlock queue [--config FILE] release|quarantine|delete [--reason TEXT] ID
The embedded store is locked by a running airlock; use the web page then, or the Redis backend.`

func runQueue(ctx context.Context, env *cmdEnv, args []string) error {
	fs := flag.NewFlagSet("queue", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	cfgPath := fs.String("config", "/etc/airlock/airlock.yaml", "configuration file")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	if err := fs.Parse(args); err != nil {
		return &exitError{code: 2}
	}
	if fs.NArg() == 0 {
		return &exitError{code: 2, msg: queueUsage}
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return &exitError{code: 1, msg: err.Error()}
	}
	store, err := holdqueue.Open(ctx, &cfg, slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return fmt.Errorf("open hold queue: %w", err)
	}
	defer store.Close()
	out := func(v any, text func()) error {
		if *asJSON {
			e := json.NewEncoder(env.stdout)
			e.SetIndent("", "  ")
			return e.Encode(v)
		}
		text()
		return nil
	}
	switch verb {
	case "ls":
		vf := flag.NewFlagSet("queue ls", flag.ContinueOnError)
		vf.SetOutput(env.stderr)
		var q holdqueue.Query
		state := vf.String("state", "", "held, releasing, delivered, quarantined, failed or deleted")
		vf.StringVar(&q.Sender, "sender", "", "sender address or domain")
		vf.StringVar(&q.Recipient, "recipient", "", "recipient address or domain")
		vf.StringVar(&q.Subject, "subject", "", "subject substring")
		vf.StringVar(&q.Hash, "hash", "", "file SHA-256")
		vf.StringVar(&q.Cursor, "cursor", "", "continue from a previous page")
		vf.IntVar(&q.Limit, "limit", 50, "page size")
		if err := vf.Parse(rest); err != nil {
			return &exitError{code: 2}
		}
		q.State = holdqueue.State(*state)
		if q.State != "" && !q.State.Valid() {
			return &exitError{code: 2, msg: fmt.Sprintf("unknown state %q", *state)}
		}
		p, err := store.List(ctx, q)
		if err != nil {
			return err
		}
		return out(p, func() {
			tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tHELD\tFROM\tTO\tSUBJECT\tVERDICT")
			for _, m := range p.Messages {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.Created.Local().Format(time.DateTime),
					m.Envelope.MailFrom, strings.Join(m.Envelope.RcptTo, ","), clip(m.Subject, 40), worst(m))
			}
			tw.Flush()
			if p.Next != "" {
				fmt.Fprintf(env.stdout, "more: --cursor %q\n", p.Next)
			}
		})
	case "show":
		if len(rest) != 1 {
			return &exitError{code: 2, msg: queueUsage}
		}
		m, err := store.Get(ctx, rest[0])
		if err != nil {
			return err
		}
		return out(m, func() {
			w := env.stdout
			fmt.Fprintf(w, "id:        %s\nstate:     %s\nheld:      %s (%s via %s)\ndeadline:  %s\n", m.ID, m.State,
				m.Created.Local().Format(time.DateTime), m.Node, m.Mode, m.Deadline.Local().Format(time.DateTime))
			fmt.Fprintf(w, "client:    %s (HELO %s)\nfrom:      %s\nto:        %s\nsubject:   %s\nsize:      %d\n",
				m.Envelope.ClientAddr, m.Envelope.Helo, m.Envelope.MailFrom, strings.Join(m.Envelope.RcptTo, ", "), m.Subject, m.Size)
			if m.LastReply != "" {
				fmt.Fprintf(w, "reply:     %s\n", m.LastReply)
			}
			fmt.Fprintln(w, "files:")
			for _, f := range m.Files {
				fmt.Fprintf(w, "  %s  %-10s %-12s %s %s\n", f.SHA256, f.Category, f.Verdict, f.Path, f.Summary)
			}
			fmt.Fprintln(w, "history:")
			for _, e := range m.History {
				fmt.Fprintf(w, "  %s  %-12s %-20s %s\n", e.At.Local().Format(time.DateTime), e.State, e.Actor, e.Reason)
			}
		})
	case "release", "quarantine", "delete":
		vf := flag.NewFlagSet("queue "+verb, flag.ContinueOnError)
		vf.SetOutput(env.stderr)
		reason := vf.String("reason", "", "why (kept in the history)")
		if err := vf.Parse(rest); err != nil {
			return &exitError{code: 2}
		}
		if vf.NArg() != 1 {
			return &exitError{code: 2, msg: queueUsage}
		}
		id := vf.Arg(0)
		actor := "admin:" + adminName()
		act := map[string]func(context.Context, string, string, string) error{
			"release": store.Release, "quarantine": store.Quarantine, "delete": store.Delete,
		}[verb]
		if err := act(ctx, id, actor, *reason); err != nil {
			return err
		}
		return out(map[string]string{"id": id, "action": verb, "actor": actor}, func() {
			fmt.Fprintf(env.stdout, "%s: %s by %s\n", id, verb, actor)
		})
	}
	return &exitError{code: 2, msg: queueUsage}
}

func worst(m *holdqueue.Message) string {
	if m.Pending() {
		return "pending"
	}
	return m.Worst().String()
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// adminName is the operator's login: the CLI's actor in histories.
func adminName() string {
	for _, k := range []string{"SUDO_USER", "USER", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "cli"
}
