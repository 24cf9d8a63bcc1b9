// Package hashlist flags files whose SHA-256 is on a list of known-bad
// hashes kept in a file (one hex hash per line, optionally followed by a
// name; '#' starts a comment).
package hashlist

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// Analyzer looks f.SHA256 up in the list.
type Analyzer struct {
	bad     map[string]string // hash → label
	version string
}

// New builds the analyzer from a map of hash → label (label may be "").
func New(bad map[string]string) *Analyzer {
	a := &Analyzer{bad: map[string]string{}}
	keys := make([]string, 0, len(bad))
	for h, l := range bad {
		a.bad[strings.ToLower(h)] = l
		keys = append(keys, strings.ToLower(h))
	}
	// The version follows the list's content, so adding a hash re-analyzes
	// retained samples.
	sort.Strings(keys)
	d := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(d, "%s\n", k)
	}
	a.version = "1." + hex.EncodeToString(d.Sum(nil))[:12]
	return a
}

// Load reads the list file. An empty path gives an analyzer with an empty
// list; a missing file is an error (a typo would silently disable it).
func Load(path string) (*Analyzer, error) {
	if path == "" {
		return New(nil), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hash list: %w", err)
	}
	bad, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("hash list %s: %w", path, err)
	}
	return New(bad), nil
}

// Parse reads the list format.
func Parse(data []byte) (map[string]string, error) {
	bad := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	var errs []error
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		h := strings.ToLower(fields[0])
		if b, err := hex.DecodeString(h); err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("line %d: %q is not a SHA-256 in hex", n, fields[0]))
			continue
		}
		bad[h] = strings.Join(fields[1:], " ")
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return bad, errors.Join(errs...)
}

func (a *Analyzer) Name() string                { return "hashlist" }
func (a *Analyzer) Version() string             { return a.version }
func (a *Analyzer) Accepts(*analyzer.File) bool { return len(a.bad) > 0 }

// Analyze reports a critical finding for a listed hash.
func (a *Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	label, ok := a.bad[strings.ToLower(f.SHA256)]
	if !ok {
		return analyzer.Result{}, nil
	}
	ev := f.SHA256
	if label != "" {
		ev = label
	}
	return analyzer.Result{Findings: []verdict.Finding{{
		Analyzer:    "hashlist",
		Rule:        "known-bad-hash",
		Severity:    verdict.Critical,
		Description: "the file's SHA-256 is on the known-bad list",
		Evidence:    ev,
	}}}, nil
}
