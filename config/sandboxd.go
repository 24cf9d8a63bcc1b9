package config

// Sandboxd configures the sandbox daemon.
type Sandboxd struct {
	// Listen is the API address. Default 127.0.0.1:8025.
	Listen string `yaml:"listen"`
}

// DefaultSandboxd returns the daemon defaults.
func DefaultSandboxd() Sandboxd {
	return Sandboxd{Listen: "127.0.0.1:8025"}
}

// Validate checks the sandboxd section.
func (c *Sandboxd) Validate(path string, p *Problems) {
	if c.Listen == "" {
		p.Addf(path+".listen", "must be set")
	}
}
