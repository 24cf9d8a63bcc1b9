package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The example files are loaded by the tests so that they cannot rot.
func TestExampleConfigsLoad(t *testing.T) {
	files, err := filepath.Glob("../configs/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example configs found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDefaultsValid(t *testing.T) {
	c := Default()
	var p Problems
	c.Validate(&p)
	if err := p.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestEveryProblemReportedWithPath(t *testing.T) {
	in := `
policy:
  hold:
    timeout: 0s
  scan_categories: [executable, binaries]
  internal_domains: [example.org, alice@example.org]
  exclusoins: {}
extract:
  max_depth: 0
`
	_, err := Parse([]byte(in))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *Error, got %v", err)
	}
	want := []string{
		"policy.hold.timeout: must be > 0",
		`policy.scan_categories[1]: unknown category "binaries"`,
		`policy.internal_domains[1]: must be a domain such as example.org, not "alice@example.org"`,
		"policy.exclusoins: unknown key (line 7",
		"extract.max_depth: must be between 1 and 64",
	}
	for _, w := range want {
		found := false
		for _, p := range ce.Problems {
			if strings.HasPrefix(p, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("missing problem %q in:\n%s", w, err)
		}
	}
	if len(ce.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(ce.Problems), len(want), err)
	}
}

func TestTypeErrorsReported(t *testing.T) {
	_, err := Parse([]byte("policy:\n  hold:\n    timeout: soon\nextract:\n  max_files: many\n"))
	if err == nil || !strings.Contains(err.Error(), "soon") || !strings.Contains(err.Error(), "many") {
		t.Fatalf("want both bad values reported, got %v", err)
	}
}

func TestValuesDecoded(t *testing.T) {
	c, err := Parse([]byte("extract:\n  max_file_bytes: 10MiB\npolicy:\n  hold:\n    timeout: 90s\n    inline_wait: 2s\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Extract.MaxFileBytes != 10<<20 {
		t.Errorf("max_file_bytes = %d", c.Extract.MaxFileBytes)
	}
	if c.Policy.Hold.Timeout != 90*time.Second {
		t.Errorf("timeout = %s", c.Policy.Hold.Timeout)
	}
	// Untouched sections keep their defaults.
	if c.Extract.MaxDepth != 8 || c.Policy.Actions.Malicious != ActionReject {
		t.Errorf("defaults lost: %+v", c.Extract)
	}
}

func TestRelativeDataDir(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "a.yaml")
	if err := os.WriteFile(f, []byte("data_dir: state\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != filepath.Join(dir, "state") {
		t.Errorf("data_dir = %s", c.DataDir)
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]ByteSize{"1000": 1000, "10MiB": 10 << 20, "512K": 512 << 10, "1GiB": 1 << 30, "2MB": 2e6} {
		got, err := ParseByteSize(in)
		if err != nil || got != want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "ten", "5XB"} {
		if _, err := ParseByteSize(in); err == nil {
			t.Errorf("ParseByteSize(%q) accepted", in)
		}
	}
}

func TestSenderAuthSection(t *testing.T) {
	c := Default()
	if sa := c.Policy.SenderAuth; sa.Timeout != 5*time.Second || sa.DKIMAlignment != "relaxed" || sa.Resolver != "" || len(sa.TrustedAuthservIDs) != 0 {
		t.Errorf("defaults: %+v", sa)
	}
	for _, tc := range []struct {
		yaml string
		want string // problem prefix, "" for none
		addr string // ResolverAddr when valid
	}{
		{"resolver: 127.0.0.1:5353", "", "127.0.0.1:5353"},
		{"resolver: 10.0.0.53", "", "10.0.0.53:53"},
		{"resolver: \"::1\"", "", "[::1]:53"},
		{"resolver: \"[::1]:5353\"", "", "[::1]:5353"},
		{"timeout: 0s", "policy.sender_auth.timeout: must be > 0", ""},
		{"dkim_alignment: loose", "policy.sender_auth.dkim_alignment: must be relaxed or strict", ""},
		{"trusted_authserv_ids: [\"mx.example.org; x\"]", "policy.sender_auth.trusted_authserv_ids[0]:", ""},
		{"resolvr: 1.1.1.1", "policy.sender_auth.resolvr: unknown key", ""},
	} {
		c, err := Parse([]byte("policy:\n  sender_auth:\n    " + tc.yaml + "\n"))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.yaml, err)
		case tc.want == "" && c.Policy.SenderAuth.ResolverAddr() != tc.addr:
			t.Errorf("%s: resolver address %q, want %q", tc.yaml, c.Policy.SenderAuth.ResolverAddr(), tc.addr)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestSandboxdTokenFilesDefault(t *testing.T) {
	s := DefaultSandboxd()
	if s.ClientTokenFile != "sandboxd/client.token" || s.WebTokenFile != "sandboxd/web.token" || s.AdminTokenFile != "sandboxd/admin.token" {
		t.Errorf("token files: %q %q %q", s.ClientTokenFile, s.WebTokenFile, s.AdminTokenFile)
	}
}
func TestWarnings(t *testing.T) {
	for _, c := range []struct {
		retention string
		want      int
	}{{"never", 1}, {"30d", 0}, {"immediately", 0}} {
		cfg, err := Parse([]byte("sandbox:\n  retention: " + c.retention + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		w := cfg.Warnings()
		if len(w) != c.want {
			t.Errorf("retention %s: warnings %q, want %d", c.retention, w, c.want)
		}
		for _, s := range w {
			if !strings.HasPrefix(s, "sandbox.retention: ") || !strings.Contains(s, "documents are kept 30d") {
				t.Errorf("retention %s: warning %q", c.retention, s)
			}
		}
	}
}
