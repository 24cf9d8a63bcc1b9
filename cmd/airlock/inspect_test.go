package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &cmdEnv{stdin: strings.NewReader(stdin), stdout: &o, stderr: &e})
	return code, o.String(), e.String()
}

func TestCheckConfigReportsEveryMistake(t *testing.T) {
	f := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(f, []byte(`
policy:
  hold:
    timeout: -5m
  scan_categories: [executable, binaries]
extract:
  max_files: 0
`), 0o600)
	code, _, stderr := runCmd(t, "", "check-config", f)
	if code == 0 {
		t.Fatal("exit 0 for a bad config")
	}
	for _, want := range []string{"policy.hold.timeout", "policy.scan_categories[1]", "extract.max_files", "3 configuration problem(s)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("missing %q in:\n%s", want, stderr)
		}
	}
}

func TestCheckConfigExamples(t *testing.T) {
	files, _ := filepath.Glob("../../configs/*.yaml")
	if len(files) == 0 {
		t.Fatal("no example configs")
	}
	for _, f := range files {
		if code, out, errOut := runCmd(t, "", "check-config", f); code != 0 {
			t.Errorf("%s: exit %d\n%s%s", f, code, out, errOut)
		}
	}
}

func TestInspectTableAndJSON(t *testing.T) {
	msg := "From: a@example.net\r\nSubject: <b>hi</b>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n" +
		"--X\r\nContent-Type: text/plain\r\n\r\nhello\r\n" +
		"--X\r\nContent-Type: application/octet-stream; name=run.js\r\n\r\nWScript.Echo(1)\r\n" +
		"--X\r\nContent-Type: image/png; name=a.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==\r\n" +
		"--X--\r\n"
	code, out, errOut := runCmd(t, msg, "inspect", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"run.js", "script", "sandbox:", "a.png", "skip:", "2 file(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, msg, "inspect", "--json", "-")
	if code != 0 {
		t.Fatal("json exit", code)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if len(rep.Files) != 2 || rep.Files[0].Policy.Action != "sandbox" || rep.Files[1].Policy.Action != "skip" || rep.Subject != "<b>hi</b>" {
		t.Errorf("json report: %+v", rep)
	}
}

func TestInspectMissingFile(t *testing.T) {
	if code, _, errOut := runCmd(t, "", "inspect", "/nonexistent.eml"); code == 0 || !strings.Contains(errOut, "nonexistent") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}
