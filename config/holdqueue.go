package config

// HoldQueue is the postpone queue and quarantine store.
type HoldQueue struct {
	// Backend is "embedded" (bbolt under data_dir) or "redis".
	Backend string `yaml:"backend"`
}

// DefaultHoldQueue returns the store defaults.
func DefaultHoldQueue() HoldQueue { return HoldQueue{Backend: "embedded"} }

// Validate checks the holdqueue section.
func (c *HoldQueue) Validate(path string, p *Problems) {
	switch c.Backend {
	case "embedded", "redis":
	default:
		p.Addf(path+".backend", "must be embedded or redis, not %q", c.Backend)
	}
}
