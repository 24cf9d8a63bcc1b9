package config

import "net"

// Ops is where a process serves its operations endpoints: /metrics
// (Prometheus), /healthz (alive) and /readyz (can take mail now).
type Ops struct {
	// Listen is host:port for /metrics, /healthz and /readyz. Empty or
	// "off": not served. Processes sharing one host and one file set a
	// different address each with the flag --ops-listen or the
	// environment variable AIRLOCK_OPS_LISTEN (the systemd units use the
	// variable); the flag wins over the variable, the variable over this
	// key. Default 127.0.0.1:9357. No authentication: keep it on loopback
	// or a monitoring network.
	Listen string `yaml:"listen"`
}

// DefaultOps returns the defaults.
func DefaultOps() Ops { return Ops{Listen: "127.0.0.1:9357"} }

// Validate adds every problem under path.
func (c Ops) Validate(path string, p *Problems) {
	if c.Listen != "" && c.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			p.Addf(path+".listen", "must be host:port, not %q", c.Listen)
		}
	}
}
