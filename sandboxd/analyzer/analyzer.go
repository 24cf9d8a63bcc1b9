// Package analyzer is the one small interface every sandboxd analyzer
// implements, and the scoring that turns findings into a verdict.
//
// Adding an analyzer is a new folder under sandboxd/analyzer/ with a type
// that implements Analyzer; sandboxd runs every analyzer that Accepts a
// file, each under its own deadline, and scores the union of findings.
package analyzer

import (
	"context"

	"github.com/airlockmail/airlock/verdict"
)

// File is one sample as an analyzer sees it. Analyzers never see a sender,
// a recipient, a subject or a file name: only the extension (lower case,
// with the dot, possibly empty) that the submitter chose to send.
type File struct {
	SHA256   string
	Data     []byte
	Category verdict.Category
	// Type is the content type sniffed by sandboxd (mimetype), e.g.
	// "application/vnd.microsoft.portable-executable".
	Type string
	// Ext is the declared extension, e.g. ".js"; may be empty.
	Ext string
}

// Result is what one analyzer found in one file.
type Result struct {
	Findings   []verdict.Finding
	Indicators []verdict.Indicator
	// Unscannable is set (with the reason) when the analyzer could not
	// look inside the file at all: encrypted, truncated, over a limit.
	Unscannable string
}

// Analyzer judges files of the types it accepts.
type Analyzer interface {
	// Name is short and stable ("pe", "office", "eicar").
	Name() string
	// Version changes whenever the analyzer or its rules change in a way
	// that may change a verdict; sandboxd re-analyzes retained samples
	// when the combined engine version changes.
	Version() string
	// Accepts reports whether the analyzer wants to look at f. It must be
	// cheap (type, extension, magic bytes).
	Accepts(f *File) bool
	// Analyze looks at f and reports findings. It must honour ctx: return
	// promptly once ctx is done. An error means the analyzer failed (not
	// that the file is bad); sandboxd records it and the others decide.
	Analyze(ctx context.Context, f *File) (Result, error)
}
