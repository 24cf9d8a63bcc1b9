package corpus

import (
	"context"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/inproc"
	"github.com/airlockmail/airlock/verdict"
)

// TestFamilies45 is the confusion matrix of issue families 4 (executables
// on their merits) and 5 (Office and RTF links): every risky sample
// suspicious or worse, every clean look-alike clean, every finding that
// counts with evidence (go test -v -run TestFamilies45 prints it).
func TestFamilies45(t *testing.T) {
	as := analyzers(t)
	sc := analyzer.DefaultScoring()
	for _, fam := range []struct {
		name    string
		samples []Sample
	}{{"family 4 (executables)", executableSamples2()}, {"family 5 (Office/RTF links)", append(linkSamples(), linkSamples2()...)}} {
		var res []judged
		risky, clean := 0, 0
		for _, s := range fam.samples {
			rep := inproc.Run(context.Background(), as, sc, inproc.File(s.Name, s.Data), 30*time.Second)
			res = append(res, judged{s, rep})
			if s.Want == verdict.Clean {
				clean++
				if rep.Verdict != verdict.Clean {
					t.Errorf("%s: clean look-alike judged %s\n%s", s.Name, rep.Verdict, findings(rep))
				}
			} else {
				risky++
				if rep.Verdict == verdict.Clean || rep.Verdict == verdict.Unscannable {
					t.Errorf("%s: risky sample judged %s\n%s", s.Name, rep.Verdict, findings(rep))
				}
			}
			for _, f := range rep.Findings {
				if f.Severity >= verdict.Low && f.Evidence == "" {
					t.Errorf("%s: finding %s/%s has no evidence", s.Name, f.Analyzer, f.Rule)
				}
			}
		}
		if risky < 8 || clean < 4 {
			t.Errorf("%s: %d risky and %d clean samples, want at least 8 and 4", fam.name, risky, clean)
		}
		t.Logf("%s: %d risky, %d clean look-alikes\n%s", fam.name, risky, clean, Matrix(res))
	}
}
