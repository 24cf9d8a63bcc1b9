package config

import (
	"net/url"
	"time"
)

// Sandbox is how the filter reaches sandboxd.
type Sandbox struct {
	// URL of sandboxd's API, e.g. https://sandbox.example.net:8443.
	// Empty in `airlock all`: the in-process sandboxd is used.
	URL string `yaml:"url"`
	// TokenFile holds the bearer token naming this tenant.
	TokenFile string `yaml:"token_file"`
	// CAFile is a PEM bundle to trust for sandboxd's certificate (empty:
	// the system roots).
	CAFile string `yaml:"ca_file"`
	// Timeout bounds one API call. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Retention is what the filter asks sandboxd to keep of uploaded
	// samples: immediately, 30d or never. Default 30d. Documents are
	// never kept for ever (they may hold personal data): with "never",
	// documents are uploaded with 30d.
	Retention string `yaml:"retention"`
}

// DefaultSandbox returns the client defaults.
func DefaultSandbox() Sandbox {
	return Sandbox{Timeout: 10 * time.Second, Retention: "30d"}
}

// Validate checks the sandbox (client) section.
func (c *Sandbox) Validate(path string, p *Problems) {
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Addf(path+".url", "must be an http or https URL, not %q", c.URL)
		}
	}
	if c.Timeout <= 0 {
		p.Addf(path+".timeout", "must be > 0")
	}
	switch c.Retention {
	case "immediately", "30d", "never":
	default:
		p.Addf(path+".retention", "must be immediately, 30d or never, not %q", c.Retention)
	}
}

// Warnings are settings that are valid but do not do all they seem to.
func (c *Sandbox) Warnings(path string) []string {
	var w []string
	if c.Retention == "never" {
		w = append(w, path+".retention: never applies to executables, scripts and archives; documents are kept 30d (they may hold personal data)")
	}
	return w
}
