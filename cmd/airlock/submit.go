package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

func init() {
	commands["submit"] = command{
		summary: "send files to sandboxd (lookup first, upload the unknown) and print their verdicts",
		usage:   "airlock submit [--config FILE | --url URL --token-file FILE [--ca-file FILE]] [--retention R] [--wait D] [--json] FILE...",
		example: "airlock submit --url http://127.0.0.1:8025 --token-file /var/lib/airlock/sandboxd/client.token invoice.pdf",
		run:     runSubmit,
	}
}

// submitted is one file's line in the output.
type submitted struct {
	Path     string            `json:"path"`
	SHA256   string            `json:"sha256"`
	Uploaded bool              `json:"uploaded"`
	Verdict  string            `json:"verdict"`
	State    api.State         `json:"state,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Findings []verdict.Finding `json:"findings,omitempty"`
}

func runSubmit(ctx context.Context, env *cmdEnv, args []string) error {
	fs := newFlags("submit")
	url := fs.String("url", submitEnvOr("AIRLOCK_SANDBOX_URL", "http://127.0.0.1:8025"), "sandboxd URL (env AIRLOCK_SANDBOX_URL)")
	tokenFile := fs.String("token-file", os.Getenv("AIRLOCK_SANDBOX_TOKEN_FILE"), "file holding the bearer token (env AIRLOCK_SANDBOX_TOKEN_FILE; or the token itself in AIRLOCK_SANDBOX_TOKEN)")
	caFile := fs.String("ca-file", "", "PEM certificates to trust for https")
	retention := fs.String("retention", "30d", "what sandboxd may keep of the samples: immediately, 30d or never")
	asJSON := fs.Bool("json", false, "print JSON instead of text")
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for verdicts (0: do not wait)")
	cfgPath := fs.String("config", "", "find sandboxd and its token in this configuration file, as airlock files does (--url and --token-file still win)")
	if err := parseFlags(env, "submit", fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageError("submit", "")
	}
	if !api.Retention(*retention).Valid() {
		return &exitError{code: 2, msg: "--retention must be immediately, 30d or never"}
	}
	var c *client.Client
	if *cfgPath != "" {
		u := ""
		if fs.Changed("url") {
			u = *url
		}
		var err error
		if c, err = adminSandboxClient(ctx, *cfgPath, u, *tokenFile); err != nil {
			return err
		}
		return submitFiles(ctx, env, c, fs.Args(), *retention, *wait, *asJSON)
	}
	token := os.Getenv("AIRLOCK_SANDBOX_TOKEN")
	if *tokenFile != "" {
		t, err := client.ReadTokenFile(*tokenFile)
		if err != nil {
			return err
		}
		token = t
	}
	if token == "" {
		return &exitError{code: 2, msg: "no token: use --token-file (sandboxd prints where it wrote one) or AIRLOCK_SANDBOX_TOKEN"}
	}
	var tc *tls.Config
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s: no certificates", *caFile)
		}
		tc = &tls.Config{RootCAs: pool}
	}
	c, err := client.New(client.Config{URL: *url, Token: token, TLS: tc})
	if err != nil {
		return err
	}
	return submitFiles(ctx, env, c, fs.Args(), *retention, *wait, *asJSON)
}

// submitFiles looks paths up at sandboxd, uploads the unknown, waits up
// to wait for the verdicts and prints them.
func submitFiles(ctx context.Context, env *cmdEnv, c *client.Client, paths []string, retention string, wait time.Duration, asJSON bool) error {
	files := make([]*submitted, 0, len(paths))
	data := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		h := sha256.Sum256(b)
		f := &submitted{Path: p, SHA256: hex.EncodeToString(h[:])}
		files = append(files, f)
		data[f.SHA256] = b
	}
	hashes := make([]string, 0, len(data))
	for h := range data {
		hashes = append(hashes, h)
	}
	// Subscribe before uploading, so that no verdict slips by between the
	// upload and the subscription.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var stream *client.Stream
	if wait > 0 {
		stream = c.Events(sctx, "")
		for deadline := time.Now().Add(10 * time.Second); !stream.Connected() && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	known, err := c.Lookup(ctx, hashes)
	if err != nil {
		return err
	}
	results := map[string]*api.File{}
	for h, f := range known {
		results[h] = f
	}
	for _, f := range files {
		if results[f.SHA256] != nil {
			continue
		}
		up, err := c.Upload(ctx, f.SHA256, "", strings.ToLower(filepath.Ext(f.Path)), api.Retention(retention), bytes.NewReader(data[f.SHA256]))
		if err != nil {
			return fmt.Errorf("%s: %w", f.Path, err)
		}
		f.Uploaded = true
		results[f.SHA256] = up.File
	}
	if wait > 0 {
		waitVerdicts(ctx, c, stream, results, wait)
	}
	for _, f := range files {
		if r := results[f.SHA256]; r != nil {
			f.Verdict, f.State, f.Reason, f.Findings = r.Verdict.String(), r.State, r.Reason, r.Findings
		} else {
			f.Verdict = verdict.Unknown.String()
		}
	}
	if asJSON {
		enc := json.NewEncoder(env.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(files)
	}
	for _, f := range files {
		fmt.Fprintf(env.stdout, "%-17s %s  %s\n", f.Verdict, f.SHA256, f.Path)
		if f.Reason != "" {
			fmt.Fprintf(env.stdout, "    reason: %s\n", f.Reason)
		}
		for _, x := range f.Findings {
			fmt.Fprintf(env.stdout, "    %-8s %s/%s: %s", x.Severity, x.Analyzer, x.Rule, x.Description)
			if x.Evidence != "" {
				fmt.Fprintf(env.stdout, " [%s]", x.Evidence)
			}
			fmt.Fprintln(env.stdout)
		}
	}
	return nil
}

// waitVerdicts fills results as verdicts arrive on the stream, with a
// re-lookup every few seconds in case the stream is down.
func waitVerdicts(ctx context.Context, c *client.Client, stream *client.Stream, results map[string]*api.File, wait time.Duration) {
	pending := func() []string {
		var out []string
		for h, f := range results {
			if f == nil || f.State != api.StateDone || f.Verdict == verdict.Unknown {
				out = append(out, h)
			}
		}
		return out
	}
	timeout := time.After(wait)
	poll := time.NewTicker(3 * time.Second)
	defer poll.Stop()
	for len(pending()) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-timeout:
			return
		case ev, ok := <-stream.C:
			if !ok {
				return
			}
			if ev.Kind == api.EventGap {
				poll.Reset(time.Millisecond)
			}
			if _, mine := results[ev.SHA256]; mine && ev.File != nil {
				results[ev.SHA256] = ev.File
			}
		case <-poll.C:
			got, err := c.Lookup(ctx, pending())
			if err == nil {
				for h, f := range got {
					results[h] = f
				}
			}
			poll.Reset(3 * time.Second)
		}
	}
}

func submitEnvOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
