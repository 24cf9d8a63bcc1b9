package config

import "net"

// Ops is where a process serves its operations endpoints: /metrics
// (Prometheus), /healthz (alive) and /readyz (can take mail now).
type Ops struct {
	// Listen is host:port for /metrics, /healthz and /readyz. Empty: not
	// served. Processes sharing one host and one file set a different
	// address each with --ops-listen (the systemd units do). Default
	// 127.0.0.1:9357. No authentication: keep it on loopback or a
	// monitoring network.
	Listen string `yaml:"listen"`
}

// DefaultOps returns the defaults.
func DefaultOps() Ops { return Ops{Listen: "127.0.0.1:9357"} }

// Validate adds every problem under path.
func (c Ops) Validate(path string, p *Problems) {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			p.Addf(path+".listen", "must be host:port, not %q", c.Listen)
		}
	}
}
