// Package inproc is the one analyzer runner: sandboxd's workers and
// `airlock analyze` (and the detection corpus tests) run analyzers on a
// file through it, so the same bytes get the same verdict and findings
// wherever they are judged.
//
// It runs every analyzer that accepts the file, each under its own deadline
// and panic fence, and scores the union of findings. An analyzer that
// failed — returned an error, crashed or overran its deadline — makes its
// part of the verdict unscannable: "nothing found" by a parser that did not
// finish is not "clean". Findings carry their analyzer's name and evidence
// bounded to 200 bytes, worst first.
package inproc

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

// File builds the analyzer's view of a named file: hash, sniffed type,
// category (extract.Classify, the sniffer the gate and sandboxd use) and
// the lower-case extension (never the name itself).
func File(name string, data []byte) *analyzer.File {
	sum := sha256.Sum256(data)
	typ, cat := extract.Classify(data, name)
	return &analyzer.File{
		SHA256:   hex.EncodeToString(sum[:]),
		Data:     data,
		Category: cat,
		Type:     typ,
		Ext:      extract.Ext(name),
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
	// Errors lists analyzers that failed (error, crash or deadline).
	Errors []string `json:"errors,omitempty"`
	// Results are the per-analyzer results that were scored.
	Results []analyzer.Result `json:"-"`
	// Retry says that running again may give another answer: an analyzer
	// returned an error (a resource it needs may be back later), or every
	// analyzer that accepted the file failed. sandboxd retries such a file
	// up to max_attempts before it keeps the report.
	Retry bool `json:"-"`
}

// Runner runs analyzers on files. The zero Timeout means one minute.
type Runner struct {
	Analyzers []analyzer.Analyzer
	Scoring   analyzer.Scoring
	// Timeout bounds one analyzer on one file.
	Timeout time.Duration
	// Log receives crashes and analyzers that ignore their deadline (nil:
	// discarded).
	Log *slog.Logger
	// Panicked, when set, is called for each analyzer panic (a metric).
	Panicked func(analyzer string)
}

// Run runs every analyzer in as that accepts f, each under timeout, and
// scores the results. It is Runner.Run for callers with no logger.
func Run(ctx context.Context, as []analyzer.Analyzer, s analyzer.Scoring, f *analyzer.File, timeout time.Duration) Report {
	return (&Runner{Analyzers: as, Scoring: s, Timeout: timeout}).Run(ctx, f)
}

// maxEvidence bounds a finding's evidence (bytes, plus an ellipsis).
const maxEvidence = 200

var (
	errTimeout = errors.New("timed out")
	errPanic   = errors.New("crashed")
)

// Run judges f.
func (r *Runner) Run(ctx context.Context, f *analyzer.File) Report {
	rep := Report{SHA256: f.SHA256, Type: f.Type, Category: f.Category}
	failures, plainErr := 0, false
	for _, a := range r.Analyzers {
		if !r.accepts(a, f) {
			continue
		}
		rep.Ran = append(rep.Ran, a.Name())
		res, err := r.runOne(ctx, a, f)
		if err != nil {
			failures++
			if !errors.Is(err, errTimeout) && !errors.Is(err, errPanic) {
				plainErr = true
			}
			msg := fmt.Sprintf("%s: %v", a.Name(), err)
			rep.Errors = append(rep.Errors, truncate(msg, maxEvidence))
			res = analyzer.Result{Unscannable: truncate(msg, maxEvidence)}
		}
		for i := range res.Findings {
			if res.Findings[i].Analyzer == "" {
				res.Findings[i].Analyzer = a.Name()
			}
			res.Findings[i].Evidence = truncate(res.Findings[i].Evidence, maxEvidence)
		}
		if res.Unscannable != "" {
			rep.Unscannable = append(rep.Unscannable, res.Unscannable)
		}
		rep.Findings = append(rep.Findings, res.Findings...)
		rep.Indicators = append(rep.Indicators, res.Indicators...)
		rep.Results = append(rep.Results, res)
	}
	rep.Verdict, rep.Score = r.Scoring.Score(rep.Results)
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].Severity > rep.Findings[j].Severity })
	rep.Retry = plainErr || (failures > 0 && failures == len(rep.Ran))
	return rep
}

func (r *Runner) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

func (r *Runner) panicked(name string, v any, sha string) {
	r.log().Error("analyzer panicked", "analyzer", name, "sha256", sha, "panic", fmt.Sprint(v))
	if r.Panicked != nil {
		r.Panicked(name)
	}
}

// accepts asks a; one that panics in Accepts does not look at the file.
func (r *Runner) accepts(a analyzer.Analyzer, f *analyzer.File) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			r.panicked(a.Name(), v, f.SHA256)
			ok = false
		}
	}()
	return a.Accepts(f)
}

// runOne runs one analyzer in its own goroutine so that one that ignores
// its context cannot wedge the caller: after the deadline (and a second's
// grace) the goroutine is abandoned and logged.
func (r *Runner) runOne(ctx context.Context, a analyzer.Analyzer, f *analyzer.File) (analyzer.Result, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	type out struct {
		r   analyzer.Result
		err error
	}
	ch := make(chan out, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				r.panicked(a.Name(), v, f.SHA256)
				ch <- out{err: fmt.Errorf("%w: %v", errPanic, v)}
			}
		}()
		res, err := a.Analyze(actx, f)
		ch <- out{res, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil && actx.Err() != nil && ctx.Err() == nil {
			return analyzer.Result{}, fmt.Errorf("%w after %s", errTimeout, timeout)
		}
		return o.r, o.err
	case <-actx.Done():
		select {
		case o := <-ch:
			if o.err == nil && ctx.Err() == nil {
				return o.r, nil
			}
		case <-time.After(time.Second):
			r.log().Error("analyzer ignores its deadline; abandoned", "analyzer", a.Name(), "sha256", f.SHA256)
		}
		return analyzer.Result{}, fmt.Errorf("%w after %s", errTimeout, timeout)
	}
}

// truncate cuts s to n bytes on a rune boundary and marks the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
