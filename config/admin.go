package config

import "net"

// Admin is the admin API of a filter process on the embedded store
// (`airlock all`, or milter/proxy with holdqueue.backend: embedded). The
// embedded store is one process's file, so while that process runs the
// CLI's `queue` and `exclusions` verbs go through this API; with Redis
// they use the store directly and no API is served.
type Admin struct {
	// Listen is host:port of the API, or "off". Default 127.0.0.1:0: a
	// free loopback port, published at each start with a new random token
	// in data_dir/admin.json (mode 0600), where the CLI finds both. The
	// API is plain HTTP guarded by that token only: keep it on loopback.
	Listen string `yaml:"listen"`
}

// DefaultAdmin returns the defaults.
func DefaultAdmin() Admin { return Admin{Listen: "127.0.0.1:0"} }

// Validate adds every problem under path.
func (c Admin) Validate(path string, p *Problems) {
	if c.Listen != "" && c.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			p.Addf(path+".listen", `must be host:port or "off", not %q`, c.Listen)
		}
	}
}
