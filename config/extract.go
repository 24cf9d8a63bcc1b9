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
	// Isolate opens containers read by third-party code (7z, RAR, tar,
	// compressed streams, ISO images, encrypted Office packages) in child
	// processes (`airlock extract-worker`) with a memory cap and a
	// wall-clock kill, so that a decompressor that loops or balloons cannot
	// hurt the process that talks to the MTA: the container is listed
	// limit=time or limit=memory and the message is unscannable. The
	// message itself, zip and TNEF are read in-process (the project's own
	// bounded code and the standard library). The children are a pool of
	// 2 × CPUs, started once and reused. Default true.
	Isolate bool `yaml:"isolate"`
	// Passwords opens password-protected archives with the passwords the
	// message itself carries ("Password: 4512").
	Passwords Passwords `yaml:"passwords"`
}

// Passwords says how the walk tries passwords on archives it cannot open.
// Candidates come from the subject, the plain and HTML bodies and small
// text attachments; they are never logged, stored or sent to sandboxd.
type Passwords struct {
	// Enabled turns the search on. Default true.
	Enabled bool `yaml:"enabled"`
	// MaxCandidates is how many candidates one message yields at most,
	// best first. Default 30.
	MaxCandidates int `yaml:"max_candidates"`
	// Site lists passwords tried on every protected archive after the
	// message's best candidates, e.g. "infected" (the convention for
	// exchanging malware samples). Default [infected].
	Site []string `yaml:"site"`
	// MaxSlowAttempts bounds the tries on an archive whose key derivation
	// is slow by design (7z AES: 2^19 SHA-256 rounds; Office: 100,000
	// SHA-512 rounds; tens of milliseconds a try). Default 8.
	MaxSlowAttempts int `yaml:"max_slow_attempts"`
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
		Passwords:     Passwords{Enabled: true, MaxCandidates: 30, Site: []string{"infected"}, MaxSlowAttempts: 8},
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
	if c.Passwords.MaxCandidates < 0 || c.Passwords.MaxCandidates > 1000 {
		p.Addf(path+".passwords.max_candidates", "must be between 0 and 1000")
	}
	if c.Passwords.MaxSlowAttempts < 0 {
		p.Addf(path+".passwords.max_slow_attempts", "must be >= 0")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
