package deploy

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v3"

	"github.com/airlockmail/airlock/metrics"
)

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// TestAlertRules checks docs/alerts.yml is a Prometheus rule file with the
// alerts the issue names, and that every airlock_* metric an expression
// reads is one the metrics package creates (a renamed metric would leave
// an alert that never fires).
func TestAlertRules(t *testing.T) {
	var rf ruleFile
	dec := yaml.NewDecoder(strings.NewReader(readFile(t, "docs/alerts.yml")))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("docs/alerts.yml: %v", err)
	}
	reg := prometheus.NewRegistry()
	s := metrics.New(reg)
	s.WatchQueue(func(context.Context) (int64, time.Time, error) { return 0, time.Time{}, nil }, nil)
	s.Delivery(metrics.ResultOK, "x:25")
	s.StoreError("hold")
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
	}
	seen := map[string]bool{}
	metricRef := regexp.MustCompile(`\bairlock_[a-z_]+`)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			seen[r.Alert] = true
			if r.Alert == "" || r.Expr == "" {
				t.Errorf("group %s: rule without alert or expr: %+v", g.Name, r)
			}
			if sev := r.Labels["severity"]; sev != "critical" && sev != "warning" {
				t.Errorf("%s: severity %q", r.Alert, sev)
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("%s: no summary", r.Alert)
			}
			if r.For != "" {
				if _, err := time.ParseDuration(r.For); err != nil {
					t.Errorf("%s: for %q: %v", r.Alert, r.For, err)
				}
			}
			if strings.Count(r.Expr, "(") != strings.Count(r.Expr, ")") {
				t.Errorf("%s: unbalanced parentheses in %q", r.Alert, r.Expr)
			}
			for _, name := range metricRef.FindAllString(r.Expr, -1) {
				if !known[name] {
					t.Errorf("%s reads %s, which no Airlock process exports", r.Alert, name)
				}
			}
		}
	}
	for _, want := range []string{"AirlockSandboxDown", "AirlockOldestHeldOverTimeout", "AirlockStoreNotDurable", "AirlockDeliveriesFailing", "AirlockPanics"} {
		if !seen[want] {
			t.Errorf("alert %s missing", want)
		}
	}
}
