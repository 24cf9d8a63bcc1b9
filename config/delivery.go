package config

import "time"

// Release applies verdicts and deadlines to held mail.
type Release struct {
	// Workers is how many messages one node delivers at once. Default 8.
	Workers int `yaml:"workers"`
	// Lease is how long a claimed message belongs to this node; it is
	// renewed while delivering, and when the node dies another node
	// takes the message after it runs out. Default 30s.
	Lease time.Duration `yaml:"lease"`
	// Poll is the fallback interval to look for ready messages when no
	// change event woke the loop (deadlines, retries). Default 1s.
	Poll time.Duration `yaml:"poll"`
	// RetryMin is the first wait after a temporary (4xx) failure; it
	// doubles up to RetryMax. Defaults 30s and 15m.
	RetryMin time.Duration `yaml:"retry_min"`
	RetryMax time.Duration `yaml:"retry_max"`
	// GiveUpAfter turns a message that still fails temporarily this long
	// after it was held into failed (the admin decides). Default 72h.
	GiveUpAfter time.Duration `yaml:"give_up_after"`
}

// DefaultRelease returns the release-loop defaults.
func DefaultRelease() Release {
	return Release{
		Workers:     8,
		Lease:       30 * time.Second,
		Poll:        time.Second,
		RetryMin:    30 * time.Second,
		RetryMax:    15 * time.Minute,
		GiveUpAfter: 72 * time.Hour,
	}
}

// Validate checks the release section.
func (c *Release) Validate(path string, p *Problems) {
	if c.Workers < 1 || c.Workers > 1024 {
		p.Addf(path+".workers", "must be between 1 and 1024")
	}
	if c.Lease < time.Second {
		p.Addf(path+".lease", "must be >= 1s")
	}
	if c.Poll <= 0 {
		p.Addf(path+".poll", "must be > 0")
	}
	if c.RetryMin <= 0 {
		p.Addf(path+".retry_min", "must be > 0")
	}
	if c.RetryMax < c.RetryMin {
		p.Addf(path+".retry_max", "must be >= retry_min")
	}
	if c.GiveUpAfter <= 0 {
		p.Addf(path+".give_up_after", "must be > 0")
	}
}

// StartTLS modes of the delivery client.
const (
	StartTLSRequired      = "required"
	StartTLSOpportunistic = "opportunistic"
	StartTLSNone          = "none"
)

// Deliver is the SMTP client to the next hop.
type Deliver struct {
	// NextHop is host:port of the MTA's re-injection port (milter mode)
	// or the upstream (proxy mode). Default 127.0.0.1:10026.
	NextHop string `yaml:"next_hop"`
	// StartTLS is required (fail, temporarily, without it), opportunistic
	// (use it when offered) or none. Default opportunistic.
	StartTLS string `yaml:"starttls"`
	// TLSServerName is the name checked in the next hop's certificate
	// (default: the host of next_hop).
	TLSServerName string `yaml:"tls_server_name"`
	// TLSInsecure skips certificate checks (a self-signed local MTA).
	TLSInsecure bool `yaml:"tls_insecure"`
	// HeloName is the name this node gives in EHLO (default: node name).
	HeloName string `yaml:"helo_name"`
	// ReleaseKeyFile holds the secret of the release header (64 hex
	// digits), shared with the milter nodes; created when missing.
	// Relative to data_dir. Default release.key.
	ReleaseKeyFile string `yaml:"release_key_file"`
	// ReleaseTTL is how long a release header is valid after delivery.
	// Default 1h.
	ReleaseTTL time.Duration `yaml:"release_ttl"`
	// Timeout bounds connecting and each command. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// DataTimeout bounds the whole DATA upload (go-smtp sets no write
	// deadline of its own). Default 5m.
	DataTimeout time.Duration `yaml:"data_timeout"`
	// MaxConns bounds open connections to the next hop; idle ones are
	// reused. Default 8.
	MaxConns int `yaml:"max_conns"`
	// IdleTimeout closes a pooled connection unused this long. Default 30s.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// DefaultDeliver returns the delivery defaults.
func DefaultDeliver() Deliver {
	return Deliver{
		NextHop:        "127.0.0.1:10026",
		StartTLS:       StartTLSOpportunistic,
		ReleaseKeyFile: "release.key",
		ReleaseTTL:     time.Hour,
		Timeout:        30 * time.Second,
		DataTimeout:    5 * time.Minute,
		MaxConns:       8,
		IdleTimeout:    30 * time.Second,
	}
}

// Validate checks the deliver section.
func (c *Deliver) Validate(path string, p *Problems) {
	if c.NextHop == "" {
		p.Addf(path+".next_hop", "must be set")
	}
	switch c.StartTLS {
	case StartTLSRequired, StartTLSOpportunistic, StartTLSNone:
	default:
		p.Addf(path+".starttls", "must be required, opportunistic or none, not %q", c.StartTLS)
	}
	if c.ReleaseKeyFile == "" {
		p.Addf(path+".release_key_file", "must be set")
	}
	if c.ReleaseTTL <= 0 {
		p.Addf(path+".release_ttl", "must be > 0")
	}
	if c.Timeout <= 0 {
		p.Addf(path+".timeout", "must be > 0")
	}
	if c.DataTimeout <= 0 {
		p.Addf(path+".data_timeout", "must be > 0")
	}
	if c.MaxConns < 1 {
		p.Addf(path+".max_conns", "must be >= 1")
	}
	if c.IdleTimeout <= 0 {
		p.Addf(path+".idle_timeout", "must be > 0")
	}
}
