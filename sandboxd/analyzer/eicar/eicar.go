// Package eicar finds the EICAR anti-virus test string, so that anyone can
// check an Airlock installation end to end with a harmless file that every
// scanner reports as malicious.
package eicar

import (
	"bytes"
	"context"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// Signature is the 68-byte EICAR test string.
const Signature = `X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`

// Analyzer matches the EICAR string anywhere in the first MaxScan bytes.
// (The standard says at the start, followed only by whitespace, but mail
// scanners match it anywhere and so do users' tests.)
type Analyzer struct{}

// MaxScan bounds the search; EICAR test files are small.
const MaxScan = 1 << 20

// New returns the analyzer.
func New() *Analyzer { return &Analyzer{} }

func (*Analyzer) Name() string                { return "eicar" }
func (*Analyzer) Version() string             { return "1" }
func (*Analyzer) Accepts(*analyzer.File) bool { return true }

// Analyze reports a critical finding when the string is present.
func (*Analyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	data := f.Data
	if len(data) > MaxScan {
		data = data[:MaxScan]
	}
	if !bytes.Contains(data, []byte(Signature)) {
		return analyzer.Result{}, nil
	}
	return analyzer.Result{Findings: []verdict.Finding{{
		Analyzer:    "eicar",
		Rule:        "eicar-test-file",
		Severity:    verdict.Critical,
		Description: "EICAR anti-virus test file",
		Evidence:    Signature[:32] + "...",
	}}}, nil
}
