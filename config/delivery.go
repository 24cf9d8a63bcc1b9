package config

// Release applies verdicts and deadlines to held mail.
type Release struct{}

// DefaultRelease returns the release-loop defaults.
func DefaultRelease() Release { return Release{} }

// Validate checks the release section.
func (c *Release) Validate(path string, p *Problems) {}

// Deliver is the SMTP client to the next hop.
type Deliver struct {
	// NextHop is host:port of the MTA's re-injection port (milter mode)
	// or the upstream (proxy mode). Default 127.0.0.1:10026.
	NextHop string `yaml:"next_hop"`
}

// DefaultDeliver returns the delivery defaults.
func DefaultDeliver() Deliver { return Deliver{NextHop: "127.0.0.1:10026"} }

// Validate checks the deliver section.
func (c *Deliver) Validate(path string, p *Problems) {
	if c.NextHop == "" {
		p.Addf(path+".next_hop", "must be set")
	}
}
