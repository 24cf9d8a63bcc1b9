package logging

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/config"
)

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config.Log
		wantErr bool
		json    bool
		debug   bool
	}{
		{"defaults", config.Log{}, false, false, false},
		{"text info", config.Log{Format: "text", Level: "info"}, false, false, false},
		{"json debug", config.Log{Format: "json", Level: "debug"}, false, true, true},
		{"bad format", config.Log{Format: "xml"}, true, false, false},
		{"bad level", config.Log{Level: "loud"}, true, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			log.Debug("dbg")
			log.Info("held", "queue_id", "Q1")
			out := buf.String()
			if got := strings.Contains(out, "dbg"); got != tc.debug {
				t.Errorf("debug line written = %v, want %v:\n%s", got, tc.debug, out)
			}
			if tc.json {
				line := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil || m["queue_id"] != "Q1" {
					t.Errorf("not a JSON line with queue_id: %q (%v)", line, err)
				}
			} else if !strings.Contains(out, "queue_id=Q1") {
				t.Errorf("text line lacks queue_id=Q1: %q", out)
			}
		})
	}
}

func TestSecretsAndBodiesNeverWritten(t *testing.T) {
	const body = "Dear Bob, the merger closes on Friday"
	const password = "correct horse battery staple"
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, config.Log{Format: format, Level: "debug"})
			if err != nil {
				t.Fatal(err)
			}
			// Mistakes a part could make: each must come out redacted.
			log.Info("decision", "queue_id", "Q1", "body", body, "action", "hold")
			log.Info("login", "user", "admin", "password", password)
			log.Info("login", "web_password", password)
			log.With("Authorization", "Bearer "+password).Info("sandbox call")
			log.Info("msg", slog.Group("message", "body_text", body, "size", 42))
			log.Info("upload", "data", []byte(body))
			log.Info("rotate", "key", password)
			out := buf.String()
			for _, secret := range []string{body, password, "merger", "horse"} {
				if strings.Contains(out, secret) {
					t.Errorf("log carries %q:\n%s", secret, out)
				}
			}
			for _, kept := range []string{"Q1", "hold", "admin", "42"} {
				if !strings.Contains(out, kept) {
					t.Errorf("log lost the harmless %q:\n%s", kept, out)
				}
			}
			if n := strings.Count(out, Redacted); n != 7 {
				t.Errorf("%d redactions, want 7:\n%s", n, out)
			}
		})
	}
}

func TestSensitive(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "web_password": true, "Body": true, "api_token": true, "release-key": true,
		"queue_id": false, "sha256": false, "verdict": false, "from": false, "size": false, "keys_count": false,
	} {
		if got := Sensitive(key); got != want {
			t.Errorf("Sensitive(%q) = %v, want %v", key, got, want)
		}
	}
}
