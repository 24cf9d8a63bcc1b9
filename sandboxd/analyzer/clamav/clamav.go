// Package clamav is the sandboxd analyzer that asks a running clamd about
// each file through the INSTREAM command (over TCP or a Unix socket).
//
// It promises: the file's bytes go to clamd only over the configured
// socket and never touch the disk here; a signature match becomes a
// finding named after the signature; clamd down, slow or answering with an
// error makes Analyze return an error (so sandboxd records that this
// analyzer failed and the other analyzers still decide), never a silent
// "clean"; a file larger than the stream limit is reported unscannable by
// this analyzer instead of being cut short.
package clamav

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// Config says how to reach clamd.
type Config struct {
	// Address is clamd's socket: "unix:/run/clamav/clamd.ctl",
	// "tcp:127.0.0.1:3310", or without a scheme a path (starts with "/")
	// or host:port.
	Address string
	// Timeout bounds one scan, connection included. Default 30s.
	Timeout time.Duration
	// MaxStreamSize must not exceed clamd's StreamMaxLength (clamd's
	// default is 25 MB): larger files are reported unscannable here rather
	// than having clamd close the stream halfway. Default 25 MiB.
	MaxStreamSize int64
	// ChunkSize is the INSTREAM chunk length. Default 64 KiB.
	ChunkSize int
}

// DefaultConfig returns the defaults with no address (not configured).
func DefaultConfig() Config {
	return Config{Timeout: 30 * time.Second, MaxStreamSize: 25 << 20, ChunkSize: 64 << 10}
}

// Validate reports every problem in c.
func (c Config) Validate() error {
	var errs []error
	if _, _, err := splitAddress(c.Address); err != nil {
		errs = append(errs, err)
	}
	if c.Timeout <= 0 {
		errs = append(errs, errors.New("clamav timeout must be > 0"))
	}
	if c.MaxStreamSize <= 0 {
		errs = append(errs, errors.New("clamav max stream size must be > 0"))
	}
	if c.ChunkSize <= 0 || c.ChunkSize > 1<<30 {
		errs = append(errs, errors.New("clamav chunk size must be in (0, 1 GiB]"))
	}
	return errors.Join(errs...)
}

// splitAddress turns Config.Address into a net.Dial network and address.
func splitAddress(a string) (network, addr string, err error) {
	switch {
	case strings.HasPrefix(a, "unix:"):
		network, addr = "unix", strings.TrimPrefix(a, "unix:")
	case strings.HasPrefix(a, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(a, "tcp:")
	case strings.HasPrefix(a, "/"):
		network, addr = "unix", a
	default:
		network, addr = "tcp", a
	}
	if addr == "" {
		return "", "", fmt.Errorf("clamav address %q: empty", a)
	}
	if network == "tcp" {
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return "", "", fmt.Errorf("clamav address %q: %w", a, err)
		}
	}
	return network, addr, nil
}

// Analyzer scans files with clamd.
type Analyzer struct {
	cfg     Config
	network string
	addr    string
	log     *slog.Logger

	mu sync.Mutex
	// engine is the last "ClamAV x/db/date" answer to VERSION; it is part
	// of Version so that a signature update re-analyzes retained samples.
	engine   string
	engineAt time.Time
}

// New checks cfg and returns the analyzer. It does not contact clamd: a
// clamd that starts after sandboxd is fine.
func New(cfg Config, log *slog.Logger) (*Analyzer, error) {
	d := DefaultConfig()
	if cfg.Timeout == 0 {
		cfg.Timeout = d.Timeout
	}
	if cfg.MaxStreamSize == 0 {
		cfg.MaxStreamSize = d.MaxStreamSize
	}
	if cfg.ChunkSize == 0 {
		cfg.ChunkSize = d.ChunkSize
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	network, addr, _ := splitAddress(cfg.Address)
	return &Analyzer{cfg: cfg, network: network, addr: addr, log: log}, nil
}

// Name implements analyzer.Analyzer.
func (a *Analyzer) Name() string { return "clamav" }

// Version is this package's rule version plus the signature database
// version clamd last reported (empty before the first contact).
func (a *Analyzer) Version() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return "1;" + a.engine
}

// Accepts takes every non-empty file: clamd has signatures for all types.
func (a *Analyzer) Accepts(f *analyzer.File) bool { return len(f.Data) > 0 }

// Analyze streams f to clamd and turns its answer into findings.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	if int64(len(f.Data)) > a.cfg.MaxStreamSize {
		return analyzer.Result{Unscannable: fmt.Sprintf("clamav: %d bytes is over the %d byte stream limit", len(f.Data), a.cfg.MaxStreamSize)}, nil
	}
	reply, err := a.instream(ctx, f.Data)
	if err != nil {
		return analyzer.Result{}, err
	}
	a.noteEngine(ctx)
	sig, found, err := parseReply(reply)
	if err != nil {
		return analyzer.Result{}, err
	}
	if !found {
		return analyzer.Result{}, nil
	}
	return analyzer.Result{Findings: []verdict.Finding{{
		Analyzer:    a.Name(),
		Rule:        "clamav-signature",
		Severity:    severity(sig),
		Description: "ClamAV signature " + sig + " matched",
		Evidence:    sig,
	}}}, nil
}

// severity grades a signature by its name: heuristics and potentially
// unwanted applications are hints; a named signature is a detection.
func severity(sig string) verdict.Severity {
	switch {
	case strings.HasPrefix(sig, "Heuristics."), strings.HasPrefix(sig, "PUA."):
		return verdict.Medium
	}
	return verdict.Critical
}

// parseReply reads clamd's answer to zINSTREAM: "stream: OK",
// "stream: Name FOUND", or "... ERROR" (e.g. "INSTREAM size limit
// exceeded. ERROR").
func parseReply(reply string) (sig string, found bool, err error) {
	r := strings.TrimRight(reply, "\x00\r\n")
	switch {
	case strings.HasSuffix(r, " FOUND"):
		body := strings.TrimSuffix(r, " FOUND")
		if i := strings.Index(body, ": "); i >= 0 {
			body = body[i+2:]
		}
		if body == "" || strings.HasSuffix(body, ":") {
			return "", false, fmt.Errorf("clamd: malformed reply %q", r)
		}
		return body, true, nil
	case strings.HasSuffix(r, ": OK"):
		return "", false, nil
	case strings.HasSuffix(r, " ERROR"):
		return "", false, fmt.Errorf("clamd: %s", r)
	}
	return "", false, fmt.Errorf("clamd: unexpected reply %q", r)
}
