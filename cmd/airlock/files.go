package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

func init() {
	commands["files"] = command{
		summary: "list, show or re-analyze files known to sandboxd (ls|show|reanalyze)",
		usage: `airlock files ls [--verdict V] [--state S] [--category C] [--limit N] [--cursor C]
  airlock files show SHA256
  airlock files reanalyze SHA256
  every form also takes --config FILE, --url URL, --token-file FILE and --json, anywhere
  The token must be an admin token (sandboxd's generated client token is one).
  Without --url: sandbox.url, else the sandboxd of the airlock all running on
  the config's data dir, else the file's sandboxd.listen.`,
		example: "airlock files show 275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
		run:     runFiles,
	}
}

var filesFlags = map[string][]string{
	"ls":        {"verdict", "state", "category", "limit", "cursor"},
	"show":      nil,
	"reanalyze": nil,
}

func runFiles(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("files")
	cfgPath := fs.String("config", defaultConfig(), "configuration file, to find sandboxd and its token (default: $AIRLOCK_CONFIG when set)")
	url := fs.String("url", os.Getenv("AIRLOCK_SANDBOX_URL"), "sandboxd URL (env AIRLOCK_SANDBOX_URL; default from the config)")
	tokenFile := fs.String("token-file", os.Getenv("AIRLOCK_SANDBOX_TOKEN_FILE"), "admin token file (env AIRLOCK_SANDBOX_TOKEN_FILE; default from the config)")
	asJSON := fs.Bool("json", false, "print JSON for machines")
	v := fs.String("verdict", "", "ls: clean, suspicious, highly_suspicious, malicious or unscannable")
	st := fs.String("state", "", "ls: file state (queued, analyzing, done, ...)")
	cat := fs.String("category", "", "ls: executable, script, document, archive or other")
	var o client.ListOptions
	fs.StringVar(&o.Cursor, "cursor", "", "ls: continue from a previous page")
	fs.IntVar(&o.Limit, "limit", 50, "ls: page size")
	if err := parseFlags(env, "files", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("files", "")
	}
	verb, rest := fs.Arg(0), fs.Args()[1:]
	if _, ok := filesFlags[verb]; !ok {
		return usageError("files", fmt.Sprintf("unknown sub-command %q", verb))
	}
	if err := onlyFor("files", verb, fs, []string{"config", "url", "token-file", "json"}, filesFlags); err != nil {
		return err
	}
	if want := map[bool]int{true: 0, false: 1}[verb == "ls"]; len(rest) != want {
		return usageError("files", fmt.Sprintf("%s takes %d argument(s), got %d", verb, want, len(rest)))
	}
	sbx, err := adminSandboxClient(ctx, *cfgPath, *url, *tokenFile)
	if err != nil {
		return err
	}
	out := jsonOr(env.stdout, *asJSON)
	switch verb {
	case "ls":
		o.Verdict, o.State, o.Category = verdict.Verdict(*v), api.State(*st), verdict.Category(*cat)
		page, err := sbx.List(ctx, o)
		if err != nil {
			return fmt.Errorf("list files: %w", err)
		}
		return out(page, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SHA256\tCATEGORY\tTYPE\tSIZE\tSTATE\tVERDICT\tFIRST SEEN")
			for _, f := range page.Files {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", f.SHA256, f.Category, f.Type, f.Size, f.State,
					verdictOrPending(f.Verdict), f.FirstSeen.Local().Format(time.DateTime))
			}
			tw.Flush()
			if page.Next != "" {
				fmt.Fprintf(w, "more: --cursor %q\n", page.Next)
			}
		})
	case "show":
		f, err := sbx.Get(ctx, strings.ToLower(rest[0]))
		if err != nil {
			return fmt.Errorf("file %s: %w", rest[0], err)
		}
		return out(f, func(w io.Writer) {
			fmt.Fprintf(w, "sha256:     %s\ncategory:   %s\ntype:       %s\nsize:       %d\nstate:      %s\nverdict:    %s\n",
				f.SHA256, f.Category, f.Type, f.Size, f.State, verdictOrPending(f.Verdict))
			if f.Reason != "" {
				fmt.Fprintf(w, "reason:     %s\n", f.Reason)
			}
			fmt.Fprintf(w, "engine:     %s\nfirst seen: %s\n", f.Engine, f.FirstSeen.Local().Format(time.DateTime))
			if !f.AnalyzedAt.IsZero() {
				fmt.Fprintf(w, "analyzed:   %s\n", f.AnalyzedAt.Local().Format(time.DateTime))
			}
			fmt.Fprintf(w, "retained:   %v (%s)\n", f.Retained, f.Retention)
			if len(f.Findings) > 0 {
				fmt.Fprintln(w, "findings:")
				for _, x := range f.Findings {
					fmt.Fprintf(w, "  %-8s %s/%s: %s\n", x.Severity, x.Analyzer, x.Rule, x.Description)
				}
			}
		})
	default: // reanalyze
		sha := strings.ToLower(rest[0])
		if err := sbx.Reanalyze(ctx, sha); err != nil {
			return fmt.Errorf("reanalyze %s: %w", sha, err)
		}
		return out(map[string]string{"sha256": sha, "action": "reanalyze"}, func(w io.Writer) {
			fmt.Fprintf(w, "%s: queued for analysis\n", sha)
		})
	}
}

func verdictOrPending(v verdict.Verdict) string {
	if v == verdict.Unknown {
		return "pending"
	}
	return string(v)
}

// jsonOr returns the printer of an admin verb: indented JSON of v with
// --json, the text form otherwise.
func jsonOr(w io.Writer, asJSON bool) func(v any, text func(io.Writer)) error {
	return func(v any, text func(io.Writer)) error {
		if asJSON {
			e := json.NewEncoder(w)
			e.SetIndent("", "  ")
			return e.Encode(v)
		}
		text(w)
		return nil
	}
}

// adminSandboxClient finds sandboxd and an admin token: flags first, then
// the config's sandbox section (a filter node), then its sandboxd section
// (the node that runs sandboxd, e.g. airlock all): the address the running
// airlock all published (its sandboxd may listen on a port chosen at
// start), else sandboxd.listen.
func adminSandboxClient(ctx context.Context, cfgPath, url, tokenFile string) (*client.Client, error) {
	var c config.Config
	haveCfg := false
	if url == "" || tokenFile == "" {
		var err error
		if c, err = config.Load(cfgPath); err != nil {
			return nil, &exitError{code: 1, msg: err.Error() + "\n(or give --url and --token-file)"}
		}
		haveCfg = true
	}
	var tc *tls.Config
	if url == "" {
		switch {
		case c.Sandbox.URL != "":
			url = c.Sandbox.URL
			if c.Sandbox.CAFile != "" {
				pem, err := os.ReadFile(c.Path(c.Sandbox.CAFile))
				if err != nil {
					return nil, fmt.Errorf("sandbox CA file: %w", err)
				}
				pool := x509.NewCertPool()
				pool.AppendCertsFromPEM(pem)
				tc = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
			}
		case c.Sandboxd.TLS.CertFile != "":
			// Our own sandboxd's certificate, reached on its listen
			// address (often a wildcard): trust that certificate only.
			pem, err := os.ReadFile(c.Path(c.Sandboxd.TLS.CertFile))
			if err != nil {
				return nil, fmt.Errorf("sandboxd certificate: %w", err)
			}
			pool := x509.NewCertPool()
			pool.AppendCertsFromPEM(pem)
			url, tc = "https://"+c.Sandboxd.Listen, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		default:
			url = "http://" + c.Sandboxd.Listen
		}
		if c.Sandbox.URL == "" {
			if _, ep, err := runningProcess(ctx, &c); err == nil && ep != nil && ep.SandboxURL != "" {
				url = ep.SandboxURL
			}
		}
	}
	token := os.Getenv("AIRLOCK_SANDBOX_TOKEN")
	if tokenFile == "" && token == "" && haveCfg {
		// Listing and deleting need the admin token (sandboxd roles);
		// sandbox.token_file is a filter node's and is refused.
		tokenFile = c.Path(c.Sandboxd.AdminTokenFile)
		if _, err := os.Stat(tokenFile); err != nil && c.Sandbox.TokenFile != "" {
			tokenFile = c.Path(c.Sandbox.TokenFile)
		}
	}
	if tokenFile != "" {
		t, err := client.ReadTokenFile(tokenFile)
		if err != nil {
			return nil, err
		}
		token = t
	}
	return client.New(client.Config{URL: url, Token: token, TLS: tc, Timeout: 30 * time.Second})
}
