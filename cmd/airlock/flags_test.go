package main

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
)

// TestHelpEveryVerb: `airlock VERB --help`, `-h` and `airlock help VERB`
// print the synopsis, one example of that verb and the flags, on stdout,
// with exit 0.
func TestHelpEveryVerb(t *testing.T) {
	var verbs []string
	for n, c := range commands {
		if c.usage != "" {
			verbs = append(verbs, n)
		}
	}
	sort.Strings(verbs)
	if len(verbs) < 14 {
		t.Fatalf("only %d verbs have a usage: %v", len(verbs), verbs)
	}
	for _, verb := range verbs {
		t.Run(verb, func(t *testing.T) {
			code, out, errOut := runCmd(t, "", verb, "--help")
			if code != 0 || errOut != "" {
				t.Fatalf("--help: exit %d, stderr %q", code, errOut)
			}
			for _, want := range []string{"usage: airlock " + verb, "\nexample:\n  airlock " + verb + " ", "\nflags:\n  "} {
				if !strings.Contains(out, want) {
					t.Errorf("--help lacks %q:\n%s", want, out)
				}
			}
			// The example's flags exist: with --help at the end, parsing
			// reaches it only if every flag before it is known.
			ex := strings.Fields(commands[verb].example)[1:]
			if code, _, errOut := runCmd(t, "", append(ex, "--help")...); code != 0 {
				t.Errorf("the example %q does not parse: exit %d %s", commands[verb].example, code, errOut)
			}
			for _, args := range [][]string{{verb, "-h"}, {"help", verb}, {verb, "-help"}} {
				if code, o, _ := runCmd(t, "", args...); code != 0 || o != out {
					t.Errorf("%v: exit %d, output differs from --help:\n%s", args, code, o)
				}
			}
		})
	}
	// The internal verb is not listed.
	if _, out, _ := runCmd(t, "", "--help"); strings.Contains(out, "extract-worker") || !strings.Contains(out, "check-config") {
		t.Errorf("command list:\n%s", out)
	}
}

func TestLongSingleDash(t *testing.T) {
	fs := newFlags("t")
	fs.String("config", "", "")
	fs.String("reason", "", "")
	fs.Bool("json", false, "")
	fs.BoolP("quiet", "q", false, "")
	for _, tc := range []struct{ in, want []string }{
		{[]string{"-config", "f", "ls"}, []string{"--config", "f", "ls"}},
		{[]string{"-config=f", "-json"}, []string{"--config=f", "--json"}},
		{[]string{"--config", "-json"}, []string{"--config", "-json"}},           // a value stays as given
		{[]string{"-reason", "-config"}, []string{"--reason", "-config"}},        // idem after a rewritten flag
		{[]string{"-json", "-config", "f"}, []string{"--json", "--config", "f"}}, // a bool takes no value
		{[]string{"-q", "-x", "-", "-help"}, []string{"-q", "-x", "-", "--help"}},
		{[]string{"--", "-config"}, []string{"--", "-config"}},
		{[]string{"-unknown", "x"}, []string{"-unknown", "x"}}, // left for pflag to refuse
	} {
		if got := longSingleDash(fs, tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q -> %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFlagsAnywhere: flags before or after the positional arguments,
// --config in any position, one dash or two; a flag that does not belong
// is an error (exit 2), never ignored.
func TestFlagsAnywhere(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("data_dir: "+dir+"\n"), 0o600)
	msg := string(gatetest.Mail("a@example.net", "b@example.org", "flags", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	missing := filepath.Join(dir, "missing.yaml")
	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		out   string // in stdout
		err   string // in stderr
		stdin string
	}{
		{"check-config FILE", []string{"check-config", good}, 0, good + ": ok", "", ""},
		{"check-config --config FILE", []string{"check-config", "--config", good}, 0, good + ": ok", "", ""},
		{"check-config -config FILE", []string{"check-config", "-config", good}, 0, good + ": ok", "", ""},
		{"check-config FILE --print", []string{"check-config", good, "--print"}, 0, "data_dir: " + dir, "", ""},
		{"check-config two files", []string{"check-config", good, "--config", missing}, 2, "", "one file", ""},
		{"inspect - --json", []string{"inspect", "-", "--json"}, 0, `"sha256"`, "", msg},
		{"queue ls --config missing", []string{"queue", "ls", "--config", missing}, 1, "", missing, ""},
		{"queue --config missing ls", []string{"queue", "--config", missing, "ls"}, 1, "", missing, ""},
		{"exclusions ls -config missing", []string{"exclusions", "ls", "-config", missing}, 1, "", missing, ""},
		{"files ls --config missing", []string{"files", "ls", "--config", missing}, 1, "", missing, ""},
		{"web --config missing", []string{"web", "--config", missing}, 1, "", missing, ""},
		{"queue show --state", []string{"queue", "show", "X", "--state", "held", "--config", good}, 2, "", "--state: not a flag of queue show", ""},
		{"exclusions rm --reason", []string{"exclusions", "rm", strings.Repeat("a", 64), "--reason", "x"}, 2, "", "--reason: not a flag of exclusions rm", ""},
		{"unknown flag", []string{"analyze", "--frobnicate", "x"}, 2, "", "unknown flag: --frobnicate", ""},
		{"unknown sub-command", []string{"queue", "frob", "--config", good}, 2, "", `unknown sub-command "frob"`, ""},
		{"missing argument", []string{"queue", "release", "--reason", "x", "--config", good}, 2, "", "release takes 1 argument(s), got 0", ""},
		{"all: stray argument", []string{"all", "extra", "--config", good}, 2, "", "unexpected arguments: extra", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCmd(t, tc.stdin, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errOut, tc.err) {
				t.Errorf("exit %d (want %d)\nstdout: %s\nstderr: %s\nwant %q in stdout, %q in stderr", code, tc.code, out, errOut, tc.out, tc.err)
			}
		})
	}
}

// TestHealthcheckConfig: `healthcheck --config F` probes the file's
// ops.listen (wildcard as loopback); --ready asks /readyz.
func TestHealthcheckConfig(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ready")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	dir := t.TempDir()
	f := filepath.Join(dir, "a.yaml")
	os.WriteFile(f, []byte("data_dir: "+dir+"\nops: {listen: \"0.0.0.0:"+port+"\"}\n"), 0o600)
	t.Setenv("AIRLOCK_OPS_LISTEN", "")
	if code, out, errOut := runCmd(t, "", "healthcheck", "--config", f, "--ready"); code != 0 || out != "ready" {
		t.Errorf("--ready: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, "", "healthcheck", "--config", f); code != 1 || !strings.Contains(errOut, "/healthz") {
		t.Errorf("/healthz answering 503: %d %s", code, errOut)
	}
}

// TestConfigFromEnvironment: the admin verbs' default file is
// $AIRLOCK_CONFIG when set.
func TestConfigFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "env.yaml")
	os.WriteFile(f, []byte("data_dir: "+dir+"\n"), 0o600)
	t.Setenv("AIRLOCK_CONFIG", f)
	if code, out, errOut := runCmd(t, "", "check-config"); code != 0 || !strings.Contains(out, f+": ok") {
		t.Errorf("check-config with AIRLOCK_CONFIG: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "", "exclusions", "ls", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("exclusions ls with AIRLOCK_CONFIG: %d %s %s", code, out, errOut)
	}
}

// TestOpsListenOverrides: --ops-listen wins over AIRLOCK_OPS_LISTEN,
// which wins over ops.listen.
func TestOpsListenOverrides(t *testing.T) {
	for _, tc := range []struct{ flag, env, file, want string }{
		{"", "", "127.0.0.1:9357", "127.0.0.1:9357"},
		{"", "127.0.0.1:9358", "127.0.0.1:9357", "127.0.0.1:9358"},
		{"127.0.0.1:9400", "127.0.0.1:9358", "127.0.0.1:9357", "127.0.0.1:9400"},
		{"off", "127.0.0.1:9358", "127.0.0.1:9357", "off"},
	} {
		t.Setenv("AIRLOCK_OPS_LISTEN", tc.env)
		c := config.Default()
		c.Ops.Listen = tc.file
		setOpsListen(&c, tc.flag)
		if got := opsListen(&c); got != tc.want {
			t.Errorf("flag %q env %q file %q: %q, want %q", tc.flag, tc.env, tc.file, got, tc.want)
		}
	}
	// The flag exists on every verb that serves the ops endpoints.
	for _, verb := range []string{"all", "milter", "proxy", "sandboxd", "web"} {
		if _, out, _ := runCmd(t, "", verb, "--help"); !strings.Contains(out, "--ops-listen") {
			t.Errorf("%s has no --ops-listen", verb)
		}
	}
}
