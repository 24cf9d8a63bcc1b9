package config

// Milter is the milter server for Postfix and Sendmail.
type Milter struct {
	// Listen is "inet:host:port" or "unix:/path". Empty: no milter.
	Listen string `yaml:"listen"`
}

// DefaultMilter returns the milter defaults.
func DefaultMilter() Milter { return Milter{Listen: "inet:127.0.0.1:7357"} }

// Validate checks the milter section.
func (c *Milter) Validate(path string, p *Problems) {}

// Proxy is the SMTP proxy in front of Exchange.
type Proxy struct {
	// Listen is host:port. Empty: no proxy.
	Listen string `yaml:"listen"`
}

// DefaultProxy returns the proxy defaults.
func DefaultProxy() Proxy { return Proxy{} }

// Validate checks the proxy section.
func (c *Proxy) Validate(path string, p *Problems) {}

// Web is the admin page.
type Web struct {
	// Listen is host:port. Empty: no web page.
	Listen string `yaml:"listen"`
}

// DefaultWeb returns the web defaults.
func DefaultWeb() Web { return Web{Listen: "127.0.0.1:8080"} }

// Validate checks the web section.
func (c *Web) Validate(path string, p *Problems) {}
