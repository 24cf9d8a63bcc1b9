package config

import "time"

// HoldQueue is the postpone queue and quarantine store.
type HoldQueue struct {
	// Backend is "embedded" (bbolt under data_dir) or "redis".
	Backend string `yaml:"backend"`
	// KeyFile holds the AES-256 key (64 hex digits) that seals held mail
	// at rest; created with a fresh key when missing. Relative to
	// data_dir. Every node sharing one Redis needs the same file.
	// Default holdqueue.key.
	KeyFile string `yaml:"key_file"`
	// Embedded configures the bbolt store (one node).
	Embedded EmbeddedStore `yaml:"embedded"`
	// Redis configures the shared store (several nodes).
	Redis RedisStore `yaml:"redis"`
	// Retention says how long finished entries stay listed before the
	// purge removes them.
	Retention Retention `yaml:"retention"`
}

// EmbeddedStore is the single-node bbolt store.
type EmbeddedStore struct {
	// Path of the bbolt file, relative to data_dir. Default holdqueue.db.
	Path string `yaml:"path"`
}

// RedisStore is the Redis connection of the shared store.
type RedisStore struct {
	// Addrs: one host:port for a standalone server, several for Cluster,
	// or the Sentinels when master_name is set.
	Addrs []string `yaml:"addrs"`
	// MasterName selects Sentinel mode.
	MasterName string `yaml:"master_name"`
	// Username for Redis ACLs (optional).
	Username string `yaml:"username"`
	// PasswordFile holds the password (optional; never put it in the file).
	PasswordFile string `yaml:"password_file"`
	// DB is the database number (standalone and Sentinel only).
	DB int `yaml:"db"`
	// TLS connects with TLS.
	TLS bool `yaml:"tls"`
	// Prefix starts every key. It is used as a {hash tag} so that every
	// key of the queue lives in one Cluster slot and the Lua scripts
	// may touch several keys. Default airlock.
	Prefix string `yaml:"prefix"`
	// WaitReplicas is how many replicas must acknowledge a hold (Redis
	// WAIT) before the sender is told yes. Default 0 (no replicas).
	WaitReplicas int `yaml:"wait_replicas"`
	// WaitTimeout bounds that wait; a hold not acknowledged in time is an
	// error (the sender retries). Default 2s.
	WaitTimeout time.Duration `yaml:"wait_timeout"`
	// AcceptNoFsync lets the store start on a Redis that does not fsync
	// every write (appendonly no or appendfsync != always). A crash then
	// loses mail that was acknowledged. Default false: refuse to start.
	AcceptNoFsync bool `yaml:"accept_no_fsync"`
	// FeedMaxLen bounds the change stream (approximate MAXLEN). Default 100000.
	FeedMaxLen int64 `yaml:"feed_max_len"`
	// Timeout bounds each Redis command. Default 5s.
	Timeout time.Duration `yaml:"timeout"`
}

// Retention says how long finished entries are kept.
type Retention struct {
	// Delivered entries are purged after this. Default 168h (7 days).
	Delivered time.Duration `yaml:"delivered"`
	// Deleted entries (their mail is gone at delete) are purged after this.
	// Default 24h.
	Deleted time.Duration `yaml:"deleted"`
}

// DefaultHoldQueue returns the store defaults.
func DefaultHoldQueue() HoldQueue {
	return HoldQueue{
		Backend:  "embedded",
		KeyFile:  "holdqueue.key",
		Embedded: EmbeddedStore{Path: "holdqueue.db"},
		Redis: RedisStore{
			Addrs:       []string{"127.0.0.1:6379"},
			Prefix:      "airlock",
			WaitTimeout: 2 * time.Second,
			FeedMaxLen:  100000,
			Timeout:     5 * time.Second,
		},
		Retention: Retention{Delivered: 7 * 24 * time.Hour, Deleted: 24 * time.Hour},
	}
}

// Validate checks the holdqueue section.
func (c *HoldQueue) Validate(path string, p *Problems) {
	switch c.Backend {
	case "embedded", "redis":
	default:
		p.Addf(path+".backend", "must be embedded or redis, not %q", c.Backend)
	}
	if c.KeyFile == "" {
		p.Addf(path+".key_file", "must be set")
	}
	if c.Backend == "embedded" && c.Embedded.Path == "" {
		p.Addf(path+".embedded.path", "must be set")
	}
	r := &c.Redis
	if c.Backend == "redis" && len(r.Addrs) == 0 {
		p.Addf(path+".redis.addrs", "must list at least one host:port")
	}
	if r.Prefix == "" {
		p.Addf(path+".redis.prefix", "must be set")
	}
	for _, ch := range r.Prefix {
		if ch == '{' || ch == '}' || ch == ' ' {
			p.Addf(path+".redis.prefix", "must not contain braces or spaces (it is used as a hash tag)")
			break
		}
	}
	if r.WaitReplicas < 0 {
		p.Addf(path+".redis.wait_replicas", "must be >= 0")
	}
	if r.WaitReplicas > 0 && r.WaitTimeout <= 0 {
		p.Addf(path+".redis.wait_timeout", "must be > 0 when wait_replicas is set")
	}
	if r.FeedMaxLen < 100 {
		p.Addf(path+".redis.feed_max_len", "must be >= 100")
	}
	if r.Timeout <= 0 {
		p.Addf(path+".redis.timeout", "must be > 0")
	}
	if c.Retention.Delivered <= 0 {
		p.Addf(path+".retention.delivered", "must be > 0")
	}
	if c.Retention.Deleted <= 0 {
		p.Addf(path+".retention.deleted", "must be > 0")
	}
}
