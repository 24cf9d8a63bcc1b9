package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/verdict"
)

var wordDecoder = mime.WordDecoder{}

// decodeHeader decodes RFC 2047 encoded words for display; what cannot be
// decoded is shown as it came (the template escapes it either way).
func decodeHeader(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// listView is the postponed-mail and quarantine pages.
type listView struct {
	State    holdqueue.State
	Path     string
	Query    holdqueue.Query
	Rows     []*holdqueue.Message
	Next     string
	First    bool
	Sparse   bool
	Scanned  int
	Total    int64
	Searched bool
	Elapsed  time.Duration
}

func (s *Server) handleHeld(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, holdqueue.Held, "/held", "Postponed mail")
}

func (s *Server) handleQuarantine(w http.ResponseWriter, r *http.Request) {
	s.list(w, r, holdqueue.Quarantined, "/quarantine", "Quarantine")
}

// listQuery reads the search form. Sender and recipient match an address
// or, without "@", a domain (exact, through the store's keyed index);
// subject is a substring; hash a file SHA-256.
func (s *Server) listQuery(r *http.Request, st holdqueue.State) holdqueue.Query {
	v := r.URL.Query()
	return holdqueue.Query{
		State:     st,
		Sender:    strings.TrimSpace(v.Get("sender")),
		Recipient: strings.TrimSpace(v.Get("rcpt")),
		Subject:   strings.TrimSpace(v.Get("subject")),
		Hash:      strings.ToLower(strings.TrimSpace(v.Get("hash"))),
		Cursor:    v.Get("cursor"),
		Limit:     s.cfg.PageSize,
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request, st holdqueue.State, path, title string) {
	start := time.Now()
	view, err := s.listPage(r.Context(), s.listQuery(r, st), path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Elapsed = time.Since(start)
	s.render(w, r, http.StatusOK, "list", title, view)
}

// listPage is the work of one list page (benchmarked on its own).
func (s *Server) listPage(ctx context.Context, q holdqueue.Query, path string) (*listView, error) {
	page, err := s.deps.Store.List(ctx, q)
	if err != nil {
		return nil, err
	}
	c, err := s.deps.Store.Counts(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range page.Messages {
		m.Subject = decodeHeader(m.Subject)
	}
	return &listView{
		State: q.State, Path: path, Query: q, Rows: page.Messages, Next: page.Next,
		First: q.Cursor == "", Scanned: page.Scanned, Total: c.ByState[q.State],
		Sparse:   page.Next != "" && len(page.Messages) < q.Limit,
		Searched: q.Sender != "" || q.Recipient != "" || q.Subject != "" || q.Hash != "",
	}, nil
}

// pageURL keeps the search fields and sets the cursor.
func (v *listView) PageURL(cursor string) string {
	q := url.Values{}
	set := func(k, val string) {
		if val != "" {
			q.Set(k, val)
		}
	}
	set("sender", v.Query.Sender)
	set("rcpt", v.Query.Recipient)
	set("subject", v.Query.Subject)
	set("hash", v.Query.Hash)
	set("cursor", cursor)
	if len(q) == 0 {
		return v.Path
	}
	return v.Path + "?" + q.Encode()
}

// fileView is one file of a message with what sandboxd says of it.
type fileView struct {
	holdqueue.File
	Info *api.File
}

type messageView struct {
	M        *holdqueue.Message
	Files    []fileView
	Headers  []string
	HeadErr  string
	CanAct   map[string]bool
	Excluded map[string]bool
}

func (s *Server) handleMessage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	m, err := s.deps.Store.Get(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	m.Subject = decodeHeader(m.Subject)
	v := messageView{M: m, CanAct: allowed(m.State), Excluded: s.excludedSet(ctx)}
	if body, err := s.deps.Store.Body(ctx, id); err == nil {
		v.Headers = headerLines(body, 64<<10)
	} else if !errors.Is(err, holdqueue.ErrNotFound) {
		v.HeadErr = err.Error()
	}
	v.Files = s.fileInfo(ctx, m.Files)
	s.render(w, r, http.StatusOK, "message", "Message "+id, v)
}

// fileInfo asks sandboxd for each file's findings (bounded: a message
// with hundreds of files shows the first 100 in detail).
func (s *Server) fileInfo(ctx context.Context, files []holdqueue.File) []fileView {
	out := make([]fileView, len(files))
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for i, f := range files {
		out[i].File = f
		if s.deps.Sandbox == nil || i >= 100 || f.SHA256 == "" || ctx.Err() != nil {
			continue
		}
		if info, err := s.deps.Sandbox.Get(ctx, f.SHA256); err == nil {
			out[i].Info = info
		}
	}
	return out
}

// allowed says which admin actions the state permits (the store checks
// again; this only hides buttons that would fail).
func allowed(st holdqueue.State) map[string]bool {
	switch st {
	case holdqueue.Held:
		return map[string]bool{"release": true, "quarantine": true, "delete": true}
	case holdqueue.Quarantined, holdqueue.Failed:
		return map[string]bool{"release": true, "delete": true}
	case holdqueue.Releasing:
		return map[string]bool{"delete": true}
	case holdqueue.Delivered:
		return map[string]bool{"delete": true}
	}
	return map[string]bool{}
}

// headerLines returns the message's header as lines (continuations
// joined), at most max bytes of it.
func headerLines(data []byte, max int) []string {
	if len(data) > max {
		data = data[:max]
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), max+1)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += " " + strings.TrimSpace(line)
			continue
		}
		out = append(out, line)
	}
	return out
}

// handleRaw sends the exact message as a download, never inline: the
// bytes are attacker-made and must not be rendered by the browser.
func (s *Server) handleRaw(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := s.deps.Store.Body(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: raw message downloaded", "id", id, "user", sessionOf(r).user)
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": safeFileName(id) + ".eml"}))
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(body)
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}

type action int

const (
	actRelease action = iota
	actQuarantine
	actDelete
)

func (s *Server) handleAction(a action) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		user := sessionOf(r).user
		reason := strings.TrimSpace(r.PostFormValue("reason"))
		if len(reason) > 500 {
			reason = reason[:500]
		}
		var err error
		var done string
		switch a {
		case actRelease:
			if reason == "" {
				reason = "released by an admin on the web page"
			}
			err, done = s.deps.Store.Release(ctx, id, user, reason), "released"
		case actQuarantine:
			if reason == "" {
				reason = "quarantined by an admin on the web page"
			}
			err, done = s.deps.Store.Quarantine(ctx, id, user, reason), "quarantined"
		case actDelete:
			if reason == "" {
				reason = "deleted by an admin on the web page"
			}
			err, done = s.deps.Store.Delete(ctx, id, user, reason), "deleted"
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.log.Info("web: admin action", "id", id, "user", user, "action", done)
		back := safeNext(r.PostFormValue("back"))
		if back == "/" {
			back = "/messages/" + url.PathEscape(id)
		}
		http.Redirect(w, r, addDone(back, done), http.StatusSeeOther)
	}
}

// addDone appends the flash key (one of a fixed set, looked up in the
// template) to a redirect target.
func addDone(target, done string) string {
	sep := "?"
	if strings.Contains(target, "?") {
		sep = "&"
	}
	return target + sep + "done=" + done
}

// flashText maps the fixed flash keys to text; anything else shows
// nothing, so a crafted link cannot put words on the page.
var flashText = map[string]string{
	"released":    "Released: the message is being delivered.",
	"quarantined": "Moved to quarantine.",
	"deleted":     "Deleted.",
	"reanalyze":   "Queued for analysis again.",
	"excluded":    "Added to the exclusions: every node now lets this file through.",
	"unexcluded":  "Removed from the exclusions.",
}

// fail answers an error with the right status and a page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusInternalServerError
	msg := "Something went wrong; the log has details."
	switch {
	case errors.Is(err, holdqueue.ErrNotFound):
		status, msg = http.StatusNotFound, "No such message."
	case errors.Is(err, holdqueue.ErrState):
		status, msg = http.StatusConflict, "Not allowed in the message's current state (it may have changed meanwhile)."
	case errors.Is(err, errNoSandbox):
		status, msg = http.StatusServiceUnavailable, "No sandbox is configured."
	case errors.Is(err, errBadHash):
		status, msg = http.StatusBadRequest, "That is not a SHA-256."
	case errors.Is(err, context.Canceled):
		return
	default:
		s.log.Error("web: request failed", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, "error", "Error", errorView{Status: status, Msg: msg})
}

type errorView struct {
	Status int
	Msg    string
}

func verdictWord(v verdict.Verdict) string {
	if v == verdict.Unknown {
		return "pending"
	}
	return string(v)
}

func (s *Server) timeLeft(m *holdqueue.Message) string {
	if m.Deadline.IsZero() {
		return ""
	}
	return age(m.Deadline.Sub(s.now()))
}
