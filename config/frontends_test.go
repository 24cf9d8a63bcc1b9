package config

import (
	"strings"
	"testing"
)

func TestSplitMilterAddr(t *testing.T) {
	tests := []struct {
		in, network, addr string
		bad               bool
	}{
		{"inet:127.0.0.1:7357", "tcp", "127.0.0.1:7357", false},
		{"inet:7357@127.0.0.1", "tcp", "127.0.0.1:7357", false}, // Sendmail
		{"inet6:[::1]:7357", "tcp", "[::1]:7357", false},
		{"unix:/run/airlock/milter.sock", "unix", "/run/airlock/milter.sock", false},
		{"local:/run/x.sock", "unix", "/run/x.sock", false},
		{"127.0.0.1:7357", "tcp", "127.0.0.1:7357", false},
		{"unix:", "", "", true},
		{"inet:nonsense", "", "", true},
		{"7357", "", "", true},
	}
	for _, tc := range tests {
		n, a, err := SplitMilterAddr(tc.in)
		if (err != nil) != tc.bad || n != tc.network || a != tc.addr {
			t.Errorf("%q: got %q %q %v", tc.in, n, a, err)
		}
	}
}

func TestFrontendsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"proxy without upstream", func(c *Config) { c.Proxy.Listen = "127.0.0.1:2525" }, "proxy.upstream: must be set"},
		{"half a certificate", func(c *Config) { c.Proxy.TLS.CertFile = "x.pem" }, "proxy.tls: cert_file and key_file go together"},
		{"short lines", func(c *Config) { c.Proxy.MaxLineLength = 100 }, "proxy.max_line_length"},
		{"bad milter address", func(c *Config) { c.Milter.Listen = "inet:x" }, "milter.listen"},
		{"socket mode not octal", func(c *Config) { c.Milter.SocketMode = "rw-rw----" }, "milter.socket_mode"},
		{"socket mode too wide", func(c *Config) { c.Milter.SocketMode = "01777" }, "milter.socket_mode"},
		{"bad webhook", func(c *Config) { c.Web.AlertWebhook = "ftp://x" }, "web.alert_webhook"},
	}
	for _, tc := range tests {
		c := Default()
		tc.edit(&c)
		var p Problems
		c.Validate(&p)
		err := p.Err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want %q in %v", tc.name, tc.want, err)
		}
	}
}
