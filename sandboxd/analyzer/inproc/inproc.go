// Package inproc runs the analyzers on a file in the calling process, with
// no daemon: it is what `airlock analyze` and the detection corpus tests
// use to answer "why was this flagged". Like sandboxd's workers it recovers
// analyzer panics and bounds each analyzer with a deadline, and an analyzer
// that crashed or timed out makes its part of the verdict unscannable.
package inproc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// File builds the analyzer's view of a named file: hash, sniffed type,
// category and the lower-case extension (never the name itself).
func File(name string, data []byte) *analyzer.File {
	sum := sha256.Sum256(data)
	typ := extract.Sniff(data)
	return &analyzer.File{
		SHA256:   hex.EncodeToString(sum[:]),
		Data:     data,
		Category: extract.Categorize(typ, name),
		Type:     typ,
		Ext:      strings.ToLower(path.Ext(name)),
	}
}

// Report is the outcome for one file.
type Report struct {
	SHA256     string              `json:"sha256"`
	Type       string              `json:"type"`
	Category   verdict.Category    `json:"category"`
	Verdict    verdict.Verdict     `json:"verdict"`
	Score      int                 `json:"score"`
	Ran        []string            `json:"analyzers"`
	Findings   []verdict.Finding   `json:"findings"`
	Indicators []verdict.Indicator `json:"indicators,omitempty"`
	// Unscannable lists why analyzers could not look inside.
	Unscannable []string `json:"unscannable,omitempty"`
	// Errors lists analyzers that failed.
	Errors []string `json:"errors,omitempty"`
}

// Run runs every analyzer that accepts f, each under timeout, and scores
// the results.
func Run(ctx context.Context, as []analyzer.Analyzer, s analyzer.Scoring, f *analyzer.File, timeout time.Duration) Report {
	rep := Report{SHA256: f.SHA256, Type: f.Type, Category: f.Category}
	var results []analyzer.Result
	for _, a := range as {
		if !accepts(a, f) {
			continue
		}
		rep.Ran = append(rep.Ran, a.Name())
		r, err := runOne(ctx, a, f, timeout)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", a.Name(), err))
			r.Unscannable = fmt.Sprintf("%s: %v", a.Name(), err)
		}
		for i := range r.Findings {
			if r.Findings[i].Analyzer == "" {
				r.Findings[i].Analyzer = a.Name()
			}
		}
		if r.Unscannable != "" {
			rep.Unscannable = append(rep.Unscannable, r.Unscannable)
		}
		rep.Findings = append(rep.Findings, r.Findings...)
		rep.Indicators = append(rep.Indicators, r.Indicators...)
		results = append(results, r)
	}
	rep.Verdict, rep.Score = s.Score(results)
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].Severity > rep.Findings[j].Severity })
	return rep
}

func accepts(a analyzer.Analyzer, f *analyzer.File) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	return a.Accepts(f)
}

func runOne(ctx context.Context, a analyzer.Analyzer, f *analyzer.File, timeout time.Duration) (analyzer.Result, error) {
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type out struct {
		r   analyzer.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- out{err: fmt.Errorf("crashed: %v", r)}
			}
		}()
		r, err := a.Analyze(actx, f)
		ch <- out{r, err}
	}()
	select {
	case o := <-ch:
		return o.r, o.err
	case <-actx.Done():
		return analyzer.Result{}, fmt.Errorf("timed out after %s", timeout)
	}
}
