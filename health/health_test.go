package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestReadyz(t *testing.T) {
	ok := func(context.Context) error { return nil }
	down := func(context.Context) error { return errors.New("connection refused") }
	// stuck ignores its context: the probe must still answer.
	stuck := func(context.Context) error { time.Sleep(time.Hour); return nil }
	tests := []struct {
		name   string
		checks []Check
		code   int
		status map[string]string
	}{
		{"all ok", []Check{{Name: "store", Fn: ok}, {Name: "sandbox", Fn: ok, Degradable: true}}, 200,
			map[string]string{"store": StatusOK, "sandbox": StatusOK}},
		{"store down", []Check{{Name: "store", Fn: down}, {Name: "sandbox", Fn: ok, Degradable: true}}, 503,
			map[string]string{"store": StatusFailing, "sandbox": StatusOK}},
		{"sandbox down under the timeout policy", []Check{{Name: "store", Fn: ok}, {Name: "sandbox", Fn: down, Degradable: true}}, 200,
			map[string]string{"store": StatusOK, "sandbox": StatusDegraded}},
		{"sandbox down without a timeout policy", []Check{{Name: "store", Fn: ok}, {Name: "sandbox", Fn: down}}, 503,
			map[string]string{"store": StatusOK, "sandbox": StatusFailing}},
		{"stuck check times out", []Check{{Name: "store", Fn: stuck}}, 503,
			map[string]string{"store": StatusFailing}},
		{"no checks", nil, 200, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(Mux(New(50*time.Millisecond, tc.checks...), nil))
			defer srv.Close()
			code, body := get(t, srv.URL+"/readyz")
			if code != tc.code {
				t.Errorf("status %d, want %d: %s", code, tc.code, body)
			}
			var rep Report
			if err := json.Unmarshal([]byte(body), &rep); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if rep.Ready != (tc.code == 200) {
				t.Errorf("ready = %v with status %d", rep.Ready, code)
			}
			if len(rep.Checks) != len(tc.status) {
				t.Errorf("%d checks reported, want %d", len(rep.Checks), len(tc.status))
			}
			for _, r := range rep.Checks {
				if r.Status != tc.status[r.Name] {
					t.Errorf("check %s: %s, want %s", r.Name, r.Status, tc.status[r.Name])
				}
				if r.Status != StatusOK && r.Error == "" {
					t.Errorf("check %s failed without saying why", r.Name)
				}
			}
		})
	}
}

func TestHealthzRunsNoCheck(t *testing.T) {
	called := make(chan struct{}, 1)
	c := New(time.Second, Check{Name: "store", Fn: func(context.Context) error { called <- struct{}{}; return errors.New("down") }})
	srv := httptest.NewServer(Mux(c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics here") })))
	defer srv.Close()
	code, body := get(t, srv.URL+"/healthz")
	if code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q, want 200 ok", code, body)
	}
	select {
	case <-called:
		t.Error("/healthz ran a readiness check")
	default:
	}
	if code, body := get(t, srv.URL+"/metrics"); code != 200 || body != "metrics here" {
		t.Errorf("/metrics = %d %q", code, body)
	}
}
