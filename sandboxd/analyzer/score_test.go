package analyzer_test

import (
	"context"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/verdict"
)

func findings(sevs ...verdict.Severity) analyzer.Result {
	var r analyzer.Result
	for _, s := range sevs {
		r.Findings = append(r.Findings, verdict.Finding{Analyzer: "t", Rule: "r", Severity: s})
	}
	return r
}

func TestScore(t *testing.T) {
	sum := analyzer.DefaultScoring()
	mx := sum
	mx.Mode = "max"
	tests := []struct {
		name    string
		s       analyzer.Scoring
		results []analyzer.Result
		want    verdict.Verdict
	}{
		{"nothing", sum, nil, verdict.Clean},
		{"info only", sum, []analyzer.Result{findings(verdict.Info, verdict.Info)}, verdict.Clean},
		{"one low", sum, []analyzer.Result{findings(verdict.Low)}, verdict.Clean},
		{"one medium", sum, []analyzer.Result{findings(verdict.Medium)}, verdict.Suspicious},
		{"four lows add up", sum, []analyzer.Result{findings(verdict.Low, verdict.Low), findings(verdict.Low, verdict.Low)}, verdict.Suspicious},
		{"four lows under max", mx, []analyzer.Result{findings(verdict.Low, verdict.Low, verdict.Low, verdict.Low)}, verdict.Clean},
		{"one high", sum, []analyzer.Result{findings(verdict.High)}, verdict.HighlySuspicious},
		{"critical", sum, []analyzer.Result{findings(verdict.Critical)}, verdict.Malicious},
		{"critical under max", mx, []analyzer.Result{findings(verdict.Low, verdict.Critical)}, verdict.Malicious},
		{"unscannable, nothing found", sum, []analyzer.Result{{Unscannable: "encrypted"}}, verdict.Unscannable},
		{"unscannable with a low", sum, []analyzer.Result{{Unscannable: "encrypted"}, findings(verdict.Low)}, verdict.Unscannable},
		{"unscannable but high found", sum, []analyzer.Result{{Unscannable: "encrypted"}, findings(verdict.High)}, verdict.HighlySuspicious},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			got, score := tt.s.Score(tt.results)
			if got != tt.want {
				t.Errorf("Score = %s (score %d), want %s", got, score, tt.want)
			}
		})
	}
}

func TestEICARIsMalicious(t *testing.T) {
	a := eicar.New()
	f := &analyzer.File{Data: []byte(eicar.Signature + "\r\n")}
	if !a.Accepts(f) {
		t.Fatal("eicar does not accept the file")
	}
	r, err := a.Analyze(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := analyzer.DefaultScoring().Score([]analyzer.Result{r}); v != verdict.Malicious {
		t.Fatalf("EICAR scored %s, want malicious", v)
	}
}

func TestScoringValidate(t *testing.T) {
	bad := analyzer.DefaultScoring()
	bad.Suspicious = 20 // above highly_suspicious
	if bad.Validate() == nil {
		t.Error("thresholds out of order accepted")
	}
	bad = analyzer.DefaultScoring()
	bad.Mode = "avg"
	if bad.Validate() == nil {
		t.Error("mode avg accepted")
	}
}

type named struct{ name, version string }

func (n named) Name() string              { return n.name }
func (n named) Version() string           { return n.version }
func (named) Accepts(*analyzer.File) bool { return true }
func (named) Analyze(context.Context, *analyzer.File) (analyzer.Result, error) {
	return analyzer.Result{}, nil
}

func TestEngineVersion(t *testing.T) {
	s := analyzer.DefaultScoring()
	a := []analyzer.Analyzer{named{"a", "1"}, named{"b", "1"}}
	b := []analyzer.Analyzer{named{"b", "1"}, named{"a", "1"}}
	if analyzer.EngineVersion(a, s) != analyzer.EngineVersion(b, s) {
		t.Error("order of analyzers changes the engine version")
	}
	c := []analyzer.Analyzer{named{"a", "2"}, named{"b", "1"}}
	if analyzer.EngineVersion(a, s) == analyzer.EngineVersion(c, s) {
		t.Error("a new analyzer version keeps the engine version")
	}
	s2 := s
	s2.Malicious = 30
	if analyzer.EngineVersion(a, s) == analyzer.EngineVersion(a, s2) {
		t.Error("a new threshold keeps the engine version")
	}
}
