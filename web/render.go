package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/verdict"
)

// pageData wraps every page's own data with what the layout needs.
type pageData struct {
	Title  string
	Page   string
	User   string
	CSRF   string
	Flash  string
	Path   string
	Now    time.Time
	Data   any
	server *Server
}

// Left is the time to a message's deadline.
func (p *pageData) Left(m *holdqueue.Message) string { return p.server.timeLeft(m) }

// Ago is how long ago t was.
func (p *pageData) Ago(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return age(p.Now.Sub(t))
}

var funcs = template.FuncMap{
	"ftime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": strings.Join,
	// mediatype drops parameters ("text/plain; charset=utf-8"), which
	// records typed before sandboxd shared the filter's sniffer carry.
	"mediatype": func(t string) string {
		base, _, _ := strings.Cut(t, ";")
		return strings.TrimSpace(base)
	},
	"vword": verdictWord,
	"vclass": func(v verdict.Verdict) string {
		switch v {
		case verdict.Clean:
			return "v-clean"
		case verdict.Suspicious, verdict.Unscannable:
			return "v-warn"
		case verdict.HighlySuspicious, verdict.Malicious:
			return "v-bad"
		}
		return "v-pending"
	},
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12] + "…"
		}
		return s
	},
	"size": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
		}
		return fmt.Sprintf("%d B", n)
	},
	"ms":     func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) },
	"states": func() []holdqueue.State { return holdqueue.States },
	"field":  func(m map[string]string, k string) string { return m[k] },
	"list":   func(s ...string) []string { return s },
}

// parseTemplates builds one template set per page: the layout plus the
// page's own file, which defines "content".
func parseTemplates() (map[string]*template.Template, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any) {
	t := s.tmpl[page]
	if t == nil {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	pd := &pageData{Title: title, Page: page, Path: r.URL.Path, Now: s.now(), Data: data, server: s,
		Flash: flashText[r.URL.Query().Get("done")]}
	if sess := sessionOf(r); sess != nil {
		pd.User, pd.CSRF = sess.user, sess.csrf
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.log.Error("web: render", "page", page, "err", err)
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
