package gate

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/verdict"
)

// Sandbox is what the gate needs of sandboxd; *client.Client is one.
type Sandbox interface {
	Lookup(ctx context.Context, hashes []string) (map[string]*api.File, error)
	Upload(ctx context.Context, sha string, category verdict.Category, ext string, retention api.Retention, r io.Reader) (*api.UploadResponse, error)
	Events(ctx context.Context, lastEventID string) *client.Stream
}

// HoldStore is what the gate needs of the hold queue; holdqueue.Store is one.
type HoldStore interface {
	Hold(ctx context.Context, m *holdqueue.NewMessage) (string, error)
	ApplyVerdict(ctx context.Context, sha string, v verdict.Verdict, summary string) (int, error)
	Quarantine(ctx context.Context, id, actor, reason string) error
	List(ctx context.Context, q holdqueue.Query) (*holdqueue.Page, error)
	Body(ctx context.Context, id string) ([]byte, error)
	Get(ctx context.Context, id string) (*holdqueue.Message, error)
	Note(ctx context.Context, id, actor, reason, once string) (bool, error)
	Subscribe(ctx context.Context) (<-chan holdqueue.Change, error)
}

// judged is one hash's verdict and where it came from.
type judged struct {
	sha     string
	v       verdict.Verdict
	source  string
	summary string
}

// judge finds verdicts for hashes: cache, then one batched lookup, then an
// upload of the files sandboxd has never seen.
func (g *Gate) judge(ctx context.Context, hashes []string, files map[string]*extract.File, log *slog.Logger) map[string]judged {
	out := map[string]judged{}
	var ask []string
	for _, h := range hashes {
		if j, ok := g.cache.get(h, g.now()); ok {
			j.source = "cache"
			out[h] = j
			continue
		}
		ask = append(ask, h)
	}
	if len(ask) == 0 || g.sbx == nil {
		return out
	}
	found, err := g.sbx.Lookup(ctx, ask)
	if err != nil {
		log.Warn("sandbox lookup failed; files stay pending", "err", err, "hashes", len(ask))
		return out
	}
	for _, h := range ask {
		f, ok := found[h]
		if ok {
			if f.Verdict != verdict.Unknown {
				j := judged{sha: h, v: f.Verdict, source: "lookup", summary: summarize(f)}
				g.cache.put(j, g.now())
				out[h] = j
			}
			continue
		}
		ef := files[h]
		if ef == nil || ef.Data == nil {
			continue
		}
		up, err := g.sbx.Upload(ctx, h, ef.Category, extract.Ext(ef.Name), uploadRetention(g.cfg.Retention, ef), bytes.NewReader(ef.Data))
		if err != nil {
			log.Warn("upload failed; file stays pending", "sha256", h, "err", err)
			continue
		}
		if up.File != nil && up.File.Verdict != verdict.Unknown {
			j := judged{sha: h, v: up.File.Verdict, source: "upload", summary: summarize(up.File)}
			g.cache.put(j, g.now())
			out[h] = j
		}
	}
	return out
}

// uploadRetention is the retention one upload asks for. Documents are
// never kept for ever (they may hold personal data, and sandboxd refuses
// "never" for them, which would leave the mail waiting for the whole hold
// and then pass it unjudged): "never" becomes 30d for a document, by
// category or by content.
func uploadRetention(want api.Retention, f *extract.File) api.Retention {
	if want == api.RetainNever && (f.Category == verdict.Document || extract.Categorize(f.SniffedType, "") == verdict.Document) {
		return api.Retain30d
	}
	return want
}

// lookup asks sandboxd for hashes and returns the final verdicts only.
func (g *Gate) lookup(ctx context.Context, hashes []string, source string) map[string]judged {
	out := map[string]judged{}
	if g.sbx == nil || len(hashes) == 0 {
		return out
	}
	found, err := g.sbx.Lookup(ctx, hashes)
	if err != nil {
		return out
	}
	for h, f := range found {
		if f != nil && f.Verdict != verdict.Unknown {
			j := judged{sha: h, v: f.Verdict, source: source, summary: summarize(f)}
			g.cache.put(j, g.now())
			out[h] = j
		}
	}
	return out
}

// summarize puts a file's findings in one line.
func summarize(f *api.File) string {
	if f == nil {
		return ""
	}
	var parts []string
	for _, x := range f.Findings {
		if x.Severity >= verdict.Medium {
			parts = append(parts, x.Analyzer+"/"+x.Rule)
		}
		if len(parts) == 3 {
			break
		}
	}
	if len(parts) == 0 && f.Verdict == verdict.Unscannable {
		// No finding of weight: name the others (an unscannable file's
		// rules say why; events carry no reason text, sandboxd keeps
		// what quotes the file out of them).
		for _, x := range f.Findings {
			parts = append(parts, x.Analyzer+"/"+x.Rule)
			if len(parts) == 3 {
				break
			}
		}
	}
	if len(parts) == 0 && f.Reason != "" {
		return oneLine(f.Reason)
	}
	return oneLine(strings.Join(parts, ", "))
}

// cache keeps final verdicts for a while: at most max hashes, the least
// recently used dropped first (hashicorp/golang-lru), each trusted for ttl.
type cache struct {
	ttl time.Duration
	lru *lru.Cache[string, cacheEntry]
}

type cacheEntry struct {
	j   judged
	exp time.Time
}

func newCache(max int, ttl time.Duration) *cache {
	l, err := lru.New[string, cacheEntry](max)
	if err != nil { // only for max <= 0, which Config's default rules out
		l, _ = lru.New[string, cacheEntry](1)
	}
	return &cache{ttl: ttl, lru: l}
}

func (c *cache) get(sha string, now time.Time) (judged, bool) {
	e, ok := c.lru.Get(sha)
	if !ok || now.After(e.exp) {
		return judged{}, false
	}
	return e.j, true
}

func (c *cache) put(j judged, now time.Time) {
	c.lru.Add(j.sha, cacheEntry{j: j, exp: now.Add(c.ttl)})
}

// waiters hands verdict events to the messages waiting inline for them.
type waiters struct {
	mu sync.Mutex
	m  map[string]map[chan judged]struct{}
}

func newWaiters() *waiters { return &waiters{m: map[string]map[chan judged]struct{}{}} }

func (w *waiters) add(hashes []string) (chan judged, func()) {
	// A copy: the caller's slice changes as verdicts come in.
	hashes = append([]string(nil), hashes...)
	ch := make(chan judged, len(hashes)+1)
	w.mu.Lock()
	for _, h := range hashes {
		if w.m[h] == nil {
			w.m[h] = map[chan judged]struct{}{}
		}
		w.m[h][ch] = struct{}{}
	}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		for _, h := range hashes {
			delete(w.m[h], ch)
			if len(w.m[h]) == 0 {
				delete(w.m, h)
			}
		}
		w.mu.Unlock()
	}
}

func (w *waiters) notify(j judged) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.m[j.sha] {
		select {
		case ch <- j:
		default: // the buffer holds one per hash; a second is redundant
		}
	}
}
