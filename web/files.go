package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

var (
	errNoSandbox    = errors.New("web: no sandbox configured")
	errBadHash      = errors.New("web: not a SHA-256")
	errNoExclusions = errors.New("web: no exclusions store")
)

type filesView struct {
	Files    []*api.File
	Next     string
	First    bool
	Filter   client.ListOptions
	Excluded map[string]bool
	Err      string
}

// FilterURL keeps the filters and sets the cursor.
func (v *filesView) PageURL(cursor string) string {
	q := url.Values{}
	set := func(k, val string) {
		if val != "" {
			q.Set(k, val)
		}
	}
	set("verdict", string(v.Filter.Verdict))
	set("state", string(v.Filter.State))
	set("category", string(v.Filter.Category))
	set("cursor", cursor)
	if len(q) == 0 {
		return "/files"
	}
	return "/files?" + q.Encode()
}

func (s *Server) handleFiles(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	v := filesView{First: q.Get("cursor") == "", Excluded: s.excludedSet(ctx), Filter: client.ListOptions{
		Verdict:  verdict.Verdict(q.Get("verdict")),
		State:    api.State(q.Get("state")),
		Category: verdict.Category(q.Get("category")),
		Cursor:   q.Get("cursor"),
		Limit:    s.cfg.PageSize,
	}}
	if s.deps.Sandbox == nil {
		v.Err = "No sandbox is configured."
	} else if res, err := s.deps.Sandbox.List(ctx, v.Filter); err != nil {
		// The page still renders: the admin sees why the list is empty.
		v.Err = sandboxError(err)
	} else {
		v.Files, v.Next = res.Files, res.Next
	}
	s.render(w, r, http.StatusOK, "files", "Submitted files", v)
}

type fileDetailView struct {
	F        *api.File
	Excluded bool
	Messages []*holdqueue.Message
}

func (s *Server) handleFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sha, err := exclusions.Normalize(r.PathValue("sha"))
	if err != nil {
		s.fail(w, r, errBadHash)
		return
	}
	if s.deps.Sandbox == nil {
		s.fail(w, r, errNoSandbox)
		return
	}
	f, err := s.deps.Sandbox.Get(ctx, sha)
	if err != nil {
		if client.IsStatus(err, http.StatusNotFound) {
			s.fail(w, r, holdqueue.ErrNotFound)
			return
		}
		s.fail(w, r, err)
		return
	}
	v := fileDetailView{F: f, Excluded: s.excludedSet(ctx)[sha]}
	if page, err := s.deps.Store.List(ctx, holdqueue.Query{Hash: sha, Limit: 20}); err == nil {
		v.Messages = page.Messages
		for _, m := range v.Messages {
			m.Subject = decodeHeader(m.Subject)
		}
	}
	s.render(w, r, http.StatusOK, "file", "File "+sha[:12], v)
}

func (s *Server) handleReanalyze(w http.ResponseWriter, r *http.Request) {
	sha, err := exclusions.Normalize(r.PathValue("sha"))
	if err != nil {
		s.fail(w, r, errBadHash)
		return
	}
	if s.deps.Sandbox == nil {
		s.fail(w, r, errNoSandbox)
		return
	}
	if err := s.deps.Sandbox.Reanalyze(r.Context(), sha); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: re-analysis asked", "sha256", sha, "user", sessionOf(r).user)
	http.Redirect(w, r, addDone(s.back(r, "/files/"+sha), "reanalyze"), http.StatusSeeOther)
}

func (s *Server) handleExclude(w http.ResponseWriter, r *http.Request) {
	sha, err := exclusions.Normalize(r.PathValue("sha"))
	if err != nil {
		s.fail(w, r, errBadHash)
		return
	}
	if s.deps.Exclusions == nil {
		s.fail(w, r, errNoExclusions)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if len(reason) > 500 {
		reason = reason[:500]
	}
	user := sessionOf(r).user
	if err := s.deps.Exclusions.Add(r.Context(), exclusions.Exclusion{SHA256: sha, Actor: user, Reason: reason, Added: s.now().UTC()}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: exclusion added", "sha256", sha, "user", user)
	http.Redirect(w, r, addDone(s.back(r, "/exclusions"), "excluded"), http.StatusSeeOther)
}

type exclusionsView struct {
	List []exclusions.Exclusion
	Err  string
}

func (s *Server) handleExclusions(w http.ResponseWriter, r *http.Request) {
	var v exclusionsView
	if s.deps.Exclusions == nil {
		v.Err = "No exclusions store is configured."
	} else if l, err := s.deps.Exclusions.List(r.Context()); err != nil {
		v.Err = err.Error()
	} else {
		v.List = l
	}
	s.render(w, r, http.StatusOK, "exclusions", "Exclusions", v)
}

func (s *Server) handleUnexclude(w http.ResponseWriter, r *http.Request) {
	sha, err := exclusions.Normalize(r.PathValue("sha"))
	if err != nil {
		s.fail(w, r, errBadHash)
		return
	}
	if s.deps.Exclusions == nil {
		s.fail(w, r, errNoExclusions)
		return
	}
	if err := s.deps.Exclusions.Remove(r.Context(), sha); err != nil && !errors.Is(err, exclusions.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	s.log.Info("web: exclusion removed", "sha256", sha, "user", sessionOf(r).user)
	http.Redirect(w, r, addDone("/exclusions", "unexcluded"), http.StatusSeeOther)
}

// excludedSet is the current allow list, for marking files on pages.
func (s *Server) excludedSet(ctx context.Context) map[string]bool {
	out := map[string]bool{}
	if s.deps.Exclusions == nil {
		return out
	}
	l, err := s.deps.Exclusions.List(ctx)
	if err != nil {
		return out
	}
	for _, e := range l {
		out[e.SHA256] = true
	}
	return out
}

// back is the form's "back" target when it is a local path, else def.
func (s *Server) back(r *http.Request, def string) string {
	if b := safeNext(r.PostFormValue("back")); b != "/" {
		return b
	}
	return def
}

// sandboxError words a sandboxd failure for the page: the client's errors
// already name sandboxd ("sandboxd GET /v1/files: …"), others get the
// prefix once.
func sandboxError(err error) string {
	msg := err.Error()
	if strings.HasPrefix(msg, "sandboxd") {
		return msg
	}
	return "sandboxd: " + msg
}
