package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
)

func init() {
	commands["queue"] = command{
		summary: "list, show, release, quarantine or delete held mail (ls|show|release|quarantine|delete)",
		usage: `airlock queue ls [--state S] [--sender A] [--recipient A] [--subject S] [--hash H] [--limit N] [--cursor C]
  airlock queue show ID
  airlock queue release|quarantine|delete ID [--reason TEXT]
  every form also takes --config FILE, --data-dir DIR and --json, anywhere
  With the embedded store the verbs go through a running airlock's admin API
  (found in data_dir/admin.json), else they open the store directly.`,
		example: `airlock queue release 01JD8XKQ4R2V7N0M3B5C6T9WYZ --reason "checked by hand"`,
		run:     runQueue,
	}
}

// queueFlags are the flags of each queue sub-verb (besides adminCommon).
var queueFlags = map[string][]string{
	"ls":         {"state", "sender", "recipient", "subject", "hash", "limit", "cursor"},
	"release":    {"reason"},
	"quarantine": {"reason"},
	"delete":     {"reason"},
}

func runQueue(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("queue")
	af := addAdminFlags(fs)
	var q holdqueue.Query
	state := fs.String("state", "", "ls: held, releasing, delivered, quarantined, failed or deleted")
	fs.StringVar(&q.Sender, "sender", "", "ls: sender address or domain")
	fs.StringVar(&q.Recipient, "recipient", "", "ls: recipient address or domain")
	fs.StringVar(&q.Subject, "subject", "", "ls: subject substring")
	fs.StringVar(&q.Hash, "hash", "", "ls: file SHA-256")
	fs.StringVar(&q.Cursor, "cursor", "", "ls: continue from a previous page")
	fs.IntVar(&q.Limit, "limit", 50, "ls: page size")
	reason := fs.String("reason", "", "release, quarantine, delete: why (kept in the history)")
	if err := parseFlags(env, "queue", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("queue", "")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	if _, ok := queueFlags[verb]; !ok && verb != "show" {
		return usageError("queue", fmt.Sprintf("unknown sub-command %q", verb))
	}
	if err := onlyFor("queue", verb, fs, adminCommon, queueFlags); err != nil {
		return err
	}
	if want := map[bool]int{true: 0, false: 1}[verb == "ls"]; len(rest) != want {
		return usageError("queue", fmt.Sprintf("%s takes %d argument(s), got %d", verb, want, len(rest)))
	}
	q.State = holdqueue.State(*state)
	if q.State != "" && !q.State.Valid() {
		return &exitError{code: 2, msg: fmt.Sprintf("unknown state %q", *state)}
	}
	cfg, err := af.load()
	if err != nil {
		return err
	}
	store, closeStore, err := openQueue(ctx, env, &cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	out := jsonOr(env.stdout, *af.asJSON)
	switch verb {
	case "ls":
		p, err := store.List(ctx, q)
		if err != nil {
			return err
		}
		return out(p, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATE\tHELD\tFROM\tTO\tSUBJECT\tVERDICT")
			for _, m := range p.Messages {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.State, m.Created.Local().Format(time.DateTime),
					m.Envelope.MailFrom, strings.Join(m.Envelope.RcptTo, ","), clip(m.Subject, 40), worst(m))
			}
			tw.Flush()
			if p.Next != "" {
				fmt.Fprintf(w, "more: --cursor %q\n", p.Next)
			}
		})
	case "show":
		m, err := store.Get(ctx, rest[0])
		if err != nil {
			return err
		}
		return out(m, func(w io.Writer) {
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
	default: // release, quarantine, delete
		id := rest[0]
		actor := "admin:" + adminName()
		act := map[string]func(context.Context, string, string, string) error{
			"release": store.Release, "quarantine": store.Quarantine, "delete": store.Delete,
		}[verb]
		if err := act(ctx, id, actor, *reason); err != nil {
			return err
		}
		return out(map[string]string{"id": id, "action": verb, "actor": actor}, func(w io.Writer) {
			fmt.Fprintf(w, "%s: %s by %s\n", id, verb, actor)
		})
	}
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
