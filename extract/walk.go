// Package extract opens every file a message carries — MIME leaves, nested
// mail, winmail.dat (TNEF), archives inside archives, disk images — and
// lists each with its path through the containers, sniffed type, category,
// size, SHA-256 and the flags that say what could not be read.
//
// It promises bounded cost whatever the input: nesting depth, file count,
// bytes expanded per file and in total, expansion ratio and wall time are
// all capped by config.Extract, a panic in a parser becomes a `corrupt`
// flag on the file being opened, and nothing is written to disk. A file
// that cannot be opened is still listed, with its reason: the caller treats
// it as unscannable, never as clean.
package extract

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/verdict"
)

// Options for one walk.
type Options struct {
	// Limits bound the walk; zero fields take the defaults.
	Limits config.Extract
	// KeepData keeps each whole file's bytes in File.Data (the gate needs
	// them to upload unknown files; inspect does not).
	KeepData bool
}

// Result is the walk of one message.
type Result struct {
	// Files in the order found: a container comes before its members.
	Files []File `json:"files"`
	// Subject of the top-level message, decoded (for the admin's lists).
	Subject string `json:"subject,omitempty"`
	// Problems found in the message's structure (missing boundaries, bad
	// headers, limits) for the admin; the files concerned carry flags too.
	Problems []string `json:"problems,omitempty"`
}

// Unscannable lists the files with a flag set.
func (r *Result) Unscannable() []File {
	var out []File
	for _, f := range r.Files {
		if f.Flags.Any() {
			out = append(out, f)
		}
	}
	return out
}

// walker is the state of one walk: the budgets left and the result.
type walker struct {
	ctx      context.Context
	lim      config.Extract
	keep     bool
	res      *Result
	total    int64 // bytes expanded so far, all files
	filesHit bool  // the file-count limit entry was recorded
	timeHit  bool
	// zipInside is where the members of the zip just opened keep their
	// data: an archive signature there is content, not a second stream.
	zipInside []span
	// Password-protected containers (passwords.go): the settings, the
	// message's text, the containers waiting for a password and the one
	// being tried.
	pw        *pwConfig
	texts     []string
	textBytes int
	locked    []locked
	password  string
	// iso, when set, walks third-party containers in child processes
	// (isolate.go); nil walks them here (in a child, or isolation off).
	iso *Isolator

	readings    int  // other readings taken (readings.go)
	readingsHit bool // the readings limit entry was recorded
	outer       int  // files set aside while another reading runs
}

type pwConfig struct {
	site         []string
	max, maxSlow int
}

// withDefaults fills the zero fields of lim from config.DefaultExtract.
func withDefaults(lim config.Extract) config.Extract {
	def := config.DefaultExtract()
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = def.MaxDepth
	}
	if lim.MaxFiles <= 0 {
		lim.MaxFiles = def.MaxFiles
	}
	if lim.MaxFileBytes <= 0 {
		lim.MaxFileBytes = def.MaxFileBytes
	}
	if lim.MaxTotalBytes <= 0 {
		lim.MaxTotalBytes = def.MaxTotalBytes
	}
	if lim.MaxRatio <= 0 {
		lim.MaxRatio = def.MaxRatio
	}
	if lim.Timeout <= 0 {
		lim.Timeout = def.Timeout
	}
	if p := lim.Passwords; !p.Enabled && p.MaxCandidates == 0 && p.Site == nil && p.MaxSlowAttempts == 0 {
		lim.Passwords = def.Passwords // not configured at all (a loaded config always has them)
	}
	return lim
}

func newWalker(ctx context.Context, opts Options) (*walker, context.CancelFunc) {
	lim := withDefaults(opts.Limits)
	ctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	w := &walker{ctx: ctx, lim: lim, keep: opts.KeepData, res: &Result{}}
	if p := lim.Passwords; p.Enabled {
		w.pw = &pwConfig{site: p.Site, max: p.MaxCandidates, maxSlow: p.MaxSlowAttempts}
	}
	return w, cancel
}

// Walk lists every file in the RFC 5322 message msg. It returns an error
// only when ctx was cancelled by the caller; everything wrong with the
// message itself is reported in the Result (flags and Problems).
func Walk(ctx context.Context, msg []byte, opts Options) (*Result, error) {
	w, cancel := newWalker(ctx, opts)
	defer cancel()
	return w.walkMessage(ctx, msg)
}

func (w *walker) walkMessage(ctx context.Context, msg []byte) (*Result, error) {
	w.guard("message", func() {
		w.res.Subject = w.message(msg, "", 0)
		w.texts = append([]string{w.res.Subject}, w.texts...)
		w.unlock()
	})
	if err := ctx.Err(); err != nil {
		return w.res, err
	}
	return w.res, nil
}

// WalkFile lists one file and, when it is a container, everything in it.
// The first entry is the file itself, at depth 1.
func WalkFile(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	w, cancel := newWalker(ctx, opts)
	defer cancel()
	return w.walkFile(ctx, name, data)
}

func (w *walker) walkFile(ctx context.Context, name string, data []byte) (*Result, error) {
	w.guard(name, func() {
		w.blob(blobInfo{path: safeName(name, "file"), name: name, depth: 1}, data, Flags{}, "")
		w.unlock()
	})
	if err := ctx.Err(); err != nil {
		return w.res, err
	}
	return w.res, nil
}

// guard runs fn and turns a panic inside it into a returned message: a
// parser bug must cost one file's verdict, never the process that talks to
// the MTA.
func (w *walker) guard(what string, fn func()) (crashed string) {
	defer func() {
		if r := recover(); r != nil {
			crashed = fmt.Sprintf("parser crashed on %s: %v", what, r)
			w.problem("%s", crashed)
		}
	}()
	fn()
	return ""
}

func (w *walker) problem(format string, args ...any) {
	if len(w.res.Problems) < 100 {
		w.res.Problems = append(w.res.Problems, fmt.Sprintf(format, args...))
	}
}

// expired reports (once) that the walk's time is up.
func (w *walker) expired() bool {
	if w.ctx.Err() == nil {
		return false
	}
	if !w.timeHit {
		w.timeHit = true
		w.problem("walk stopped after %s: remaining parts not opened", w.lim.Timeout)
	}
	return true
}

// blobInfo is what a container knows about a member before reading it.
type blobInfo struct {
	path     string // full path including the member's own name
	name     string
	declared string   // declared content type, MIME parts only
	names    []string // other names clients could show (MIME parts only)
	depth    int
}

// room reports whether another file may be listed; when not, it lists one
// entry flagged limit=files standing for the rest, once.
func (w *walker) room(at string, depth int) bool {
	if len(w.res.Files)+w.outer < w.lim.MaxFiles {
		return true
	}
	if !w.filesHit {
		w.filesHit = true
		w.res.Files = append(w.res.Files, File{
			Path: at + "/…", Depth: depth, Category: verdict.Other,
			Flags:   Flags{Limit: "files"},
			Problem: fmt.Sprintf("more than max_files (%d) files: the rest are not listed", w.lim.MaxFiles),
		})
		w.problem("file limit (%d) reached", w.lim.MaxFiles)
	}
	return false
}

// listed adds a file that could not be read (flags say why) and returns it.
func (w *walker) listed(bi blobInfo, size int64, fl Flags, problem string) *File {
	if !w.room(parentOf(bi.path), bi.depth) {
		return nil
	}
	cat := Categorize("", bi.name)
	if cat == verdict.Other && fl.Encrypted {
		cat = verdict.Archive // something we could not look into
	}
	w.res.Files = append(w.res.Files, File{
		Path: bi.path, Name: bi.name, DeclaredType: bi.declared, Category: cat,
		Size: size, Depth: bi.depth, Flags: fl, Problem: problem,
	})
	return &w.res.Files[len(w.res.Files)-1]
}

// blob adds a file whose bytes were read (whole, unless fl says otherwise)
// and opens it when it is a container.
func (w *walker) blob(bi blobInfo, data []byte, fl Flags, problem string) {
	if !w.room(parentOf(bi.path), bi.depth) {
		return
	}
	f := File{
		Path: bi.path, Name: bi.name, DeclaredType: bi.declared, Size: int64(len(data)),
		Depth: bi.depth, Flags: fl, Problem: problem,
	}
	f.SniffedType = Sniff(data)
	f.Category = Categorize(f.SniffedType, bi.name)
	if bytes.HasPrefix(data, cfbMagic) && !isEncryptedOffice(data) && !fl.Any() {
		if reason := legacyEncryption(data); reason != "" {
			f.Flags.Encrypted, f.Problem = true, joinProblem(f.Problem, reason)
		}
	}
	if f.SniffedType == "application/pdf" && !fl.Any() {
		if protected, _ := pdfUserPassword(data, ""); protected {
			f.Flags.Encrypted, f.Problem = true, joinProblem(f.Problem, "PDF needs a password to open: its content cannot be read")
		}
	}
	for _, n := range bi.names {
		// The riskiest name decides: the client may show any of them.
		if c := Categorize(f.SniffedType, n); riskRank(c) > riskRank(f.Category) {
			f.Category = c
		}
	}
	if !fl.Truncated && fl.Limit == "" {
		sum := sha256.Sum256(data)
		f.SHA256 = hex.EncodeToString(sum[:])
		if w.keep {
			f.Data = data
		}
	}
	w.res.Files = append(w.res.Files, f)
	idx := len(w.res.Files) - 1
	if fl.Any() {
		return
	}
	if len(data) <= 16<<10 && strings.HasPrefix(f.SniffedType, "text/plain") {
		w.noteText(string(data)) // a "password.txt" beside the archive
	}
	open := w.opener(f.SniffedType, bi.name, bi.declared, data)
	var streams []embeddedArchive
	if scansStreams(f.SniffedType, data) {
		streams = embeddedArchives(data)
	}
	if open == nil && len(streams) == 0 {
		return
	}
	if bi.depth >= w.lim.MaxDepth {
		w.res.Files[idx].Flags.Limit = "depth"
		w.res.Files[idx].Problem = fmt.Sprintf("container nested deeper than max_depth (%d): not opened", w.lim.MaxDepth)
		return
	}
	if w.expired() {
		w.res.Files[idx].Flags.Limit = "time"
		w.res.Files[idx].Problem = "walk time limit reached before this container was opened"
		return
	}
	w.res.Files[idx].Container = true
	var fail containerFailure
	w.zipInside = nil
	if open != nil {
		if crashed := w.guard(bi.path, func() { fail = open(w, bi.path, bi.depth, data) }); crashed != "" {
			fail = containerFailure{problem: crashed, flags: Flags{Corrupt: true}}
		}
	}
	inside := w.zipInside
	for _, s := range streams {
		if inSpans(inside, int64(s.at)) || w.expired() {
			continue
		}
		fail.note = joinProblem(fail.note, fmt.Sprintf("a %s archive starts at offset %d: its members are listed too", s.kind, s.at))
		var sf containerFailure
		if crashed := w.guard(bi.path, func() { sf = w.third(openMholt(s.kind))(w, bi.path, bi.depth, data[s.at:]) }); crashed != "" {
			sf = containerFailure{problem: crashed, flags: Flags{Corrupt: true}}
		}
		// A self-extractor's stub is judged as the executable it is; a
		// stream in anything else that checks out but cannot be read may
		// hide what 7-Zip or WinRAR would show.
		if f.Category != verdict.Executable || sf.flags.Encrypted || sf.flags.Limit != "" {
			fail = fail.and(sf)
		}
	}
	cf := &w.res.Files[idx]
	if fail.note != "" {
		cf.Problem = joinProblem(cf.Problem, fail.note)
	}
	if fail.flags.Encrypted && open != nil && w.password == "" {
		w.locked = append(w.locked, locked{idx: idx, bi: bi, data: data, open: open})
	}
	if fail.problem != "" {
		// The container's own entry carries the flag: whatever could not
		// be listed inside it makes it unscannable.
		cf.Problem = joinProblem(cf.Problem, fail.problem)
		if fail.flags.Encrypted {
			cf.Flags.Encrypted = true
		}
		if fail.flags.Corrupt {
			cf.Flags.Corrupt = true
		}
		if fail.flags.Truncated {
			cf.Flags.Truncated = true
		}
		if fail.flags.Limit != "" {
			cf.Flags.Limit = fail.flags.Limit
		}
	}
}

// containerFailure says why (part of) a container could not be listed;
// note says something worth knowing that is no failure (a second archive
// in the same bytes).
type containerFailure struct {
	problem string
	flags   Flags
	note    string
}

// and joins two failures of one container: both problems, every flag.
func (a containerFailure) and(b containerFailure) containerFailure {
	a.problem = joinProblem(a.problem, b.problem)
	a.note = joinProblem(a.note, b.note)
	a.flags.Encrypted = a.flags.Encrypted || b.flags.Encrypted
	a.flags.Corrupt = a.flags.Corrupt || b.flags.Corrupt
	a.flags.Truncated = a.flags.Truncated || b.flags.Truncated
	if a.flags.Limit == "" || b.flags.Limit == "time" {
		a.flags.Limit = b.flags.Limit
	}
	return a
}

// opener is a function that lists a container's members.
type opener func(w *walker, at string, depth int, data []byte) containerFailure

// errLimit is returned by read when a budget ran out.
type errLimit struct {
	limit  string
	detail string
}

func (e *errLimit) Error() string { return e.detail }

// read reads a member whole, within the per-file and total budgets, the
// expansion ratio against compressed (when known, > 0) and the walk's
// deadline. sizeHint preallocates (capped) so large files are not copied
// over and over while growing.
func (w *walker) read(r io.Reader, sizeHint, compressed int64) ([]byte, error) {
	max := int64(w.lim.MaxFileBytes)
	if left := int64(w.lim.MaxTotalBytes) - w.total; left < max {
		max = left
	}
	if max <= 0 {
		return nil, &errLimit{"total_bytes", fmt.Sprintf("message expanded past max_total_bytes (%s)", w.lim.MaxTotalBytes)}
	}
	if sizeHint > max {
		return nil, w.sizeLimit(max)
	}
	ratioCap := int64(-1)
	if compressed > 0 {
		ratioCap = compressed*int64(w.lim.MaxRatio) + 1<<20 // small files compress well: allow 1 MiB regardless
	}
	capHint := sizeHint
	if capHint <= 0 || capHint > 64<<20 {
		capHint = 32 << 10
	}
	buf := make([]byte, 0, capHint+1)
	for {
		if err := w.ctx.Err(); err != nil {
			return nil, &errLimit{"time", fmt.Sprintf("walk time limit (%s) reached while reading", w.lim.Timeout)}
		}
		if len(buf) == cap(buf) {
			grow := cap(buf)
			if grow > 16<<20 {
				grow = 16 << 20
			}
			buf = append(buf, make([]byte, grow)...)[:len(buf)]
		}
		chunk := buf[len(buf):cap(buf)]
		if int64(len(chunk)) > max+1-int64(len(buf)) {
			chunk = chunk[:max+1-int64(len(buf))]
		}
		n, err := r.Read(chunk)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > max {
			w.total += int64(len(buf))
			return nil, w.sizeLimit(max)
		}
		if ratioCap > 0 && int64(len(buf)) > ratioCap {
			w.total += int64(len(buf))
			return nil, &errLimit{"ratio", fmt.Sprintf("expands more than max_ratio (%d×) its compressed size (%d bytes): a bomb?", w.lim.MaxRatio, compressed)}
		}
		if err == io.EOF {
			w.total += int64(len(buf))
			return buf, nil
		}
		if err != nil {
			w.total += int64(len(buf))
			return buf, err
		}
	}
}

func (w *walker) sizeLimit(max int64) error {
	if max < int64(w.lim.MaxFileBytes) {
		return &errLimit{"total_bytes", fmt.Sprintf("message expanded past max_total_bytes (%s)", w.lim.MaxTotalBytes)}
	}
	return &errLimit{"file_bytes", fmt.Sprintf("larger than max_file_bytes (%s)", w.lim.MaxFileBytes)}
}

// member reads one member of a container and lists it: whole, or flagged
// with why it could not be read.
func (w *walker) member(bi blobInfo, r io.Reader, sizeHint, compressed int64) {
	if w.expired() {
		w.listed(bi, sizeHint, Flags{Limit: "time"}, "walk time limit reached before this file was read")
		return
	}
	data, err := w.read(r, sizeHint, compressed)
	var el *errLimit
	switch {
	case err == nil:
		w.blob(bi, data, Flags{}, "")
	case errors.As(err, &el):
		w.listed(bi, sizeHint, Flags{Limit: el.limit}, el.detail)
	case isEncryptionError(err):
		w.listed(bi, sizeHint, Flags{Encrypted: true}, "cannot decrypt: "+err.Error())
	case strings.Contains(err.Error(), "multi-volume") || errors.Is(err, io.ErrUnexpectedEOF):
		w.blob(bi, data, Flags{Truncated: true}, "cut short: "+err.Error())
	default:
		// Keep what was read: its type still says something, and the
		// flag makes it unscannable.
		w.blob(bi, data, Flags{Corrupt: true}, "read error: "+err.Error())
	}
}

func isEncryptionError(err error) bool {
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "password") || strings.Contains(s, "encrypt") || strings.Contains(s, "aes")
}

func joinProblem(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// safeName turns a declared name into one path element: no slashes, no
// control characters, bounded length; fallback when empty.
func safeName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' {
			return '_'
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		return fallback
	}
	return name
}

// childPath joins a container's path and a member's name.
func childPath(at, name string) string {
	if at == "" {
		return name
	}
	return at + "/" + name
}

// riskRank orders categories by what a wrong call costs.
func riskRank(c verdict.Category) int {
	switch c {
	case verdict.Executable:
		return 4
	case verdict.Script:
		return 3
	case verdict.Document:
		return 2
	case verdict.Archive:
		return 1
	}
	return 0
}
