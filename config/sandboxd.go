package config

import (
	"strings"
	"time"
)

// Sandboxd configures the sandbox daemon.
type Sandboxd struct {
	// Listen is the API address. Default 127.0.0.1:8025.
	Listen string `yaml:"listen"`
	// TLS serves the API over HTTPS when both files are set (paths
	// relative to data_dir, like every other path in the file).
	TLS TLSFiles `yaml:"tls"`
	// TokensFile lists the bearer tokens, one per line:
	// "TOKEN TENANT [filter|web|admin]" (no role: filter, which is what a
	// tenant token could do before roles). A filter token may look up,
	// upload, read a file and follow events; a web token may list, read
	// and re-analyze; only an admin token may delete or see other
	// tenants. Created with one token of each role for tenant "default"
	// when missing. Default sandboxd/tokens (under data_dir).
	TokensFile string `yaml:"tokens_file"`
	// ClientTokenFile receives the filter token, for the filter's
	// sandbox.token_file and `airlock submit --token-file`. An older
	// install's file holds its single admin token: sandboxd then moves
	// that token to admin_token_file and writes a new filter token here
	// (the old token stays valid until its line is removed from the
	// tokens file). Default sandboxd/client.token.
	ClientTokenFile string `yaml:"client_token_file"`
	// WebTokenFile receives the web page's token (list, re-analyze).
	// Default sandboxd/web.token.
	WebTokenFile string `yaml:"web_token_file"`
	// AdminTokenFile receives the admin token (delete, every tenant), for
	// `airlock files --token-file`. Default sandboxd/admin.token.
	AdminTokenFile string `yaml:"admin_token_file"`
	// KeyFile holds the sample-encryption key (64 hex digits), created when
	// missing. Default sandboxd/sample.key.
	KeyFile string `yaml:"key_file"`
	// Store is "embedded" (bbolt and sealed sample files under data_dir)
	// or "redis".
	Store string `yaml:"store"`
	// Redis is used when store is redis.
	Redis Redis `yaml:"redis"`
	// MaxFileBytes is the largest sample accepted (413 above). Default
	// 64MiB.
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	// Workers is the number of files analyzed at once. Default 2.
	Workers int `yaml:"workers"`
	// AnalyzerTimeout bounds one analyzer on one file. Default 60s.
	AnalyzerTimeout time.Duration `yaml:"analyzer_timeout"`
	// ClaimTimeout is how long a job may go without its worker renewing
	// it before another worker (or process) takes it over. Default 2m.
	ClaimTimeout time.Duration `yaml:"claim_timeout"`
	// MaxAttempts is how often a file is tried before it is given up as
	// unscannable. Default 3.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBackoff is the wait before the first retry; it doubles on each
	// further one. Default 30s.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	// Keep is how long "30d" retention keeps a sample. Default 720h.
	Keep time.Duration `yaml:"keep"`
	// PurgeInterval is how often expired samples are deleted. Default 1m.
	PurgeInterval time.Duration `yaml:"purge_interval"`
	// EventsKept bounds the event history a reconnecting client can
	// resume from. Default 100000.
	EventsKept int `yaml:"events_kept"`
	// Reanalyze retained samples in the background when the engine
	// version changes. Default true.
	Reanalyze bool `yaml:"reanalyze"`
	// HashListFile is a list of known-bad SHA-256 hashes, one per line
	// (empty: none).
	HashListFile string `yaml:"hash_list_file"`
	// Scoring turns findings into verdicts.
	Scoring Scoring `yaml:"scoring"`
	// JSEmu detonates JavaScript (and the JScript parts of HTA/WSF) in a
	// fake Windows Script Host.
	JSEmu JSEmu `yaml:"jsemu"`
	// ClamAV asks clamd about every file when an address is set.
	ClamAV ClamAV `yaml:"clamav"`
}

// JSEmu bounds one detonation.
type JSEmu struct {
	// Enabled runs the emulator. Default true.
	Enabled bool `yaml:"enabled"`
	// Timeout is the wall-clock limit of one run. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
	// CPU is the CPU-time limit of one run. Default 3s.
	CPU time.Duration `yaml:"cpu"`
	// Memory is the heap growth one run may cause. Default 128MiB.
	Memory ByteSize `yaml:"memory"`
}

// ClamAV is clamd, reached over INSTREAM.
type ClamAV struct {
	// Address is "unix:/run/clamav/clamd.ctl" or "tcp:127.0.0.1:3310".
	// Empty: ClamAV is not used.
	Address string `yaml:"address"`
	// Timeout bounds one scan. Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// MaxStreamBytes must not exceed clamd's StreamMaxLength; larger
	// files are unscannable for this analyzer. Default 25MiB.
	MaxStreamBytes ByteSize `yaml:"max_stream_bytes"`
}

// TLSFiles names a certificate and its key (PEM).
type TLSFiles struct {
	// CertFile is the certificate chain.
	CertFile string `yaml:"cert_file"`
	// KeyFile is the private key.
	KeyFile string `yaml:"key_file"`
}

// Redis says how to reach Redis (standalone, Sentinel or Cluster through
// the universal client).
type Redis struct {
	// Addrs: one address for standalone, several for Cluster or Sentinel.
	Addrs []string `yaml:"addrs"`
	// MasterName selects Sentinel mode.
	MasterName string `yaml:"master_name"`
	// Username for Redis ACLs (optional).
	Username string `yaml:"username"`
	// PasswordFile holds the password (optional).
	PasswordFile string `yaml:"password_file"`
	// DB number (standalone and Sentinel only).
	DB int `yaml:"db"`
	// Prefix starts every key. With Cluster it must hold a {hash tag}, so
	// that all keys live in one slot (transactions span several keys).
	// Default "{airlock-sandboxd}:".
	Prefix string `yaml:"prefix"`
	// Timeout bounds one command. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
}

// Scoring: each finding is worth points by severity; the score (sum or
// max) is cut into verdicts by the thresholds.
type Scoring struct {
	// Mode is sum or max. Default sum.
	Mode string `yaml:"mode"`
	// Points for info, low, medium, high, critical. Default [0,1,4,10,25].
	Points []int `yaml:"points"`
	// Suspicious threshold. Default 4.
	Suspicious int `yaml:"suspicious"`
	// HighlySuspicious threshold. Default 10.
	HighlySuspicious int `yaml:"highly_suspicious"`
	// Malicious threshold. Default 25.
	Malicious int `yaml:"malicious"`
}

// DefaultSandboxd returns the daemon defaults.
func DefaultSandboxd() Sandboxd {
	return Sandboxd{
		Listen:          "127.0.0.1:8025",
		TokensFile:      "sandboxd/tokens",
		ClientTokenFile: "sandboxd/client.token",
		WebTokenFile:    "sandboxd/web.token",
		AdminTokenFile:  "sandboxd/admin.token",
		KeyFile:         "sandboxd/sample.key",
		Store:           "embedded",
		Redis:           Redis{Prefix: "{airlock-sandboxd}:", Timeout: 5 * time.Second},
		MaxFileBytes:    64 << 20,
		Workers:         2,
		AnalyzerTimeout: 60 * time.Second,
		ClaimTimeout:    2 * time.Minute,
		MaxAttempts:     3,
		RetryBackoff:    30 * time.Second,
		Keep:            30 * 24 * time.Hour,
		PurgeInterval:   time.Minute,
		EventsKept:      100000,
		Reanalyze:       true,
		Scoring: Scoring{
			Mode: "sum", Points: []int{0, 1, 4, 10, 25},
			Suspicious: 4, HighlySuspicious: 10, Malicious: 25,
		},
		JSEmu:  JSEmu{Enabled: true, Timeout: 5 * time.Second, CPU: 3 * time.Second, Memory: 128 << 20},
		ClamAV: ClamAV{Timeout: 30 * time.Second, MaxStreamBytes: 25 << 20},
	}
}

// Validate checks the sandboxd section.
func (c *Sandboxd) Validate(path string, p *Problems) {
	if c.JSEmu.Enabled && (c.JSEmu.Timeout <= 0 || c.JSEmu.CPU <= 0 || c.JSEmu.Memory <= 0) {
		p.Addf(path+".jsemu", "timeout, cpu and memory must be > 0")
	}
	if c.ClamAV.Address != "" && (c.ClamAV.Timeout <= 0 || c.ClamAV.MaxStreamBytes <= 0) {
		p.Addf(path+".clamav", "timeout and max_stream_bytes must be > 0")
	}
	if c.Listen == "" {
		p.Addf(path+".listen", "must be set")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		p.Addf(path+".tls", "cert_file and key_file must be set together")
	}
	if c.TokensFile == "" {
		p.Addf(path+".tokens_file", "must be set")
	}
	if c.KeyFile == "" {
		p.Addf(path+".key_file", "must be set")
	}
	switch c.Store {
	case "embedded":
	case "redis":
		if len(c.Redis.Addrs) == 0 {
			p.Addf(path+".redis.addrs", "must list at least one address when store is redis")
		}
	default:
		p.Addf(path+".store", "must be embedded or redis, not %q", c.Store)
	}
	if c.Redis.Prefix == "" {
		p.Addf(path+".redis.prefix", "must be set")
	} else if c.Store == "redis" && len(c.Redis.Addrs) > 1 && c.Redis.MasterName == "" &&
		!strings.Contains(c.Redis.Prefix, "{") {
		p.Addf(path+".redis.prefix", "must hold a {hash tag} with Redis Cluster (several addrs), e.g. \"{airlock-sandboxd}:\"")
	}
	if c.Redis.Timeout <= 0 {
		p.Addf(path+".redis.timeout", "must be > 0")
	}
	if c.MaxFileBytes <= 0 {
		p.Addf(path+".max_file_bytes", "must be > 0")
	}
	if c.Workers < 1 || c.Workers > 256 {
		p.Addf(path+".workers", "must be between 1 and 256")
	}
	for name, d := range map[string]time.Duration{
		"analyzer_timeout": c.AnalyzerTimeout, "claim_timeout": c.ClaimTimeout,
		"retry_backoff": c.RetryBackoff, "keep": c.Keep, "purge_interval": c.PurgeInterval,
	} {
		if d <= 0 {
			p.Addf(path+"."+name, "must be > 0")
		}
	}
	if c.ClaimTimeout > 0 && c.ClaimTimeout < 3*time.Second {
		p.Addf(path+".claim_timeout", "must be at least 3s (workers renew every third of it)")
	}
	if c.MaxAttempts < 1 {
		p.Addf(path+".max_attempts", "must be >= 1")
	}
	if c.EventsKept < 100 {
		p.Addf(path+".events_kept", "must be >= 100")
	}
	s := c.Scoring
	if s.Mode != "sum" && s.Mode != "max" {
		p.Addf(path+".scoring.mode", "must be sum or max, not %q", s.Mode)
	}
	if len(s.Points) != 5 {
		p.Addf(path+".scoring.points", "must list 5 numbers (info, low, medium, high, critical)")
	}
	for i, v := range s.Points {
		if v < 0 {
			p.Addf(path+".scoring.points", "entry %d must be >= 0", i)
		}
	}
	if !(0 < s.Suspicious && s.Suspicious <= s.HighlySuspicious && s.HighlySuspicious <= s.Malicious) {
		p.Addf(path+".scoring", "thresholds must satisfy 0 < suspicious <= highly_suspicious <= malicious")
	}
}
