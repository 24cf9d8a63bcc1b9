package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/verdict"
)

func TestAnalyzeCommand(t *testing.T) {
	const dir = "../../sandboxd/analyzer/testdata/corpus/"
	tests := []struct {
		file string
		want verdict.Verdict
		rule string
	}{
		{"autoopen-shell.doc", verdict.Malicious, "vba-autoexec-action"},
		{"eicar.zip", verdict.Malicious, "eicar"},
		{"clean-hello.exe", verdict.Clean, ""},
		{"js-openaction.pdf", verdict.HighlySuspicious, "javascript"},
	}
	args := []string{"analyze", "--json"}
	for _, tc := range tests {
		args = append(args, dir+tc.file)
	}
	var out, errb bytes.Buffer
	if code := run(args, &cmdEnv{stdout: &out, stderr: &errb}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	sc := bufio.NewScanner(&out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	i := 0
	for sc.Scan() {
		var got analyzeOutput
		if err := json.Unmarshal(sc.Bytes(), &got); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		tc := tests[i]
		if got.Verdict != tc.want {
			t.Errorf("%s: verdict %s, want %s", tc.file, got.Verdict, tc.want)
		}
		found := tc.rule == ""
		for _, f := range got.Findings {
			found = found || f.Rule == tc.rule
		}
		if !found {
			t.Errorf("%s: no finding %s in %+v", tc.file, tc.rule, got.Findings)
		}
		i++
	}
	if i != len(tests) {
		t.Fatalf("got %d reports, want %d", i, len(tests))
	}

	out.Reset()
	if code := run([]string{"analyze", dir + "dropper.js"}, &cmdEnv{stdout: &out, stderr: &errb}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if s := out.String(); !strings.Contains(s, "malicious") || !strings.Contains(s, "script/download-execute") {
		t.Errorf("text report lacks verdict or finding:\n%s", s)
	}
	if code := run([]string{"analyze", dir + "no-such-file"}, &cmdEnv{stdout: &out, stderr: &errb}); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
}
