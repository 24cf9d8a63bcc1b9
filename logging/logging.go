// Package logging builds the process logger from the config's log section:
// log/slog, text or JSON, at the configured level, with a last line of
// defence that redacts attributes named like secrets or message content.
//
// It promises:
//   - New rejects an unknown format or level instead of guessing;
//   - an attribute whose key names a secret (password, token, secret, key,
//     authorization, cookie) or message content (body, data, raw) is
//     written as "[redacted]" whatever its value, in groups too. Parts log
//     ids, sizes and verdicts, never these; the redaction catches the
//     mistake before it reaches a log file that outlives the mail.
package logging

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/airlockmail/airlock/config"
)

// Redacted replaces the value of a sensitive attribute.
const Redacted = "[redacted]"

// sensitive are key names (compared lower-case, after the last '.' or '_'
// split) whose values are never logged.
var sensitive = map[string]bool{
	"password": true, "passwd": true, "pass": true, "token": true, "secret": true,
	"authorization": true, "cookie": true, "key": true, "body": true, "data": true, "raw": true,
	"hash_password": true, "bcrypt": true, "csrf": true,
}

// Sensitive reports whether an attribute key names a secret or message
// content: the whole key or any of its '_'-separated words ("web_password",
// "body_text", "api_token").
func Sensitive(key string) bool {
	k := strings.ToLower(key)
	if sensitive[k] {
		return true
	}
	for _, w := range strings.FieldsFunc(k, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if sensitive[w] {
			return true
		}
	}
	return false
}

// New builds the logger writing to w.
func New(w io.Writer, c config.Log) (*slog.Logger, error) {
	var level slog.Level
	if c.Level == "" {
		c.Level = "info"
	}
	if err := level.UnmarshalText([]byte(c.Level)); err != nil {
		return nil, fmt.Errorf("log.level %q: want debug, info, warn or error", c.Level)
	}
	o := &slog.HandlerOptions{Level: level, ReplaceAttr: redact}
	switch c.Format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("log.format %q: want text or json", c.Format)
}

// redact is the handlers' ReplaceAttr: it sees every attribute, nested
// group members included (slog calls it for each leaf).
func redact(groups []string, a slog.Attr) slog.Attr {
	if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey || a.Key == slog.SourceKey) {
		return a
	}
	if a.Value.Kind() != slog.KindGroup && Sensitive(a.Key) {
		return slog.String(a.Key, Redacted)
	}
	return a
}
