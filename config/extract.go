package config

import (
	"strconv"
	"time"
)

// Extract bounds the walk through a message, its nested mail, TNEF and
// archives, so that any input costs at most these limits.
type Extract struct {
	// MaxDepth is how deep containers nest (message > zip > zip is 3).
	// Default 8.
	MaxDepth int `yaml:"max_depth"`
	// MaxFiles is how many files one message may yield. Default 1000.
	MaxFiles int `yaml:"max_files"`
	// MaxFileBytes is the most bytes one file may expand to (larger files
	// are listed, flagged limit, and unscannable). Default 64MiB.
	MaxFileBytes ByteSize `yaml:"max_file_bytes"`
	// MaxTotalBytes is the most bytes all files of one message may expand
	// to together. Default 256MiB.
	MaxTotalBytes ByteSize `yaml:"max_total_bytes"`
	// MaxRatio is the largest expansion ratio of an archive member
	// (expanded / compressed) before it counts as a bomb. Default 100.
	MaxRatio int `yaml:"max_ratio"`
	// Timeout bounds the walk of one message. Default 10s.
	Timeout time.Duration `yaml:"timeout"`
	// Isolate walks each message in a child process (`airlock
	// extract-worker`) with CPU-time and memory limits, so that a parser
	// loop cannot hurt the process that talks to the MTA. Costs a process
	// start (a few ms) per message with attachments. Default true.
	Isolate bool `yaml:"isolate"`
}

// DefaultExtract returns limits chosen for real mail.
func DefaultExtract() Extract {
	return Extract{
		MaxDepth:      8,
		MaxFiles:      1000,
		MaxFileBytes:  64 << 20,
		MaxTotalBytes: 256 << 20,
		MaxRatio:      100,
		Timeout:       10 * time.Second,
		Isolate:       true,
	}
}

// Validate checks the extract section.
func (c *Extract) Validate(path string, p *Problems) {
	if c.MaxDepth < 1 || c.MaxDepth > 64 {
		p.Addf(path+".max_depth", "must be between 1 and 64")
	}
	if c.MaxFiles < 1 {
		p.Addf(path+".max_files", "must be > 0")
	}
	if c.MaxFileBytes <= 0 {
		p.Addf(path+".max_file_bytes", "must be > 0")
	}
	if c.MaxTotalBytes <= 0 {
		p.Addf(path+".max_total_bytes", "must be > 0")
	}
	if c.MaxRatio < 1 {
		p.Addf(path+".max_ratio", "must be >= 1")
	}
	if c.Timeout <= 0 {
		p.Addf(path+".timeout", "must be > 0")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
