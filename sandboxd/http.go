package sandboxd

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// Handler is the HTTP API (see package api for the wire format).
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, admin bool, h func(http.ResponseWriter, *http.Request, Principal)) {
		mux.HandleFunc(pattern, d.guard(admin, h))
	}
	route("POST /v1/lookup", false, d.handleLookup)
	route("PUT /v1/files/{sha256}", false, d.handleUpload)
	route("GET /v1/files/{sha256}", false, d.handleGet)
	route("GET /v1/events", false, d.handleEvents)
	route("GET /v1/health", false, d.handleHealth)
	route("GET /v1/admin/files", true, d.handleList)
	route("POST /v1/admin/files/{sha256}/reanalyze", true, d.handleReanalyze)
	route("DELETE /v1/admin/files/{sha256}", true, d.handleDelete)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// guard authenticates every call (401 without a valid token, 403 for a
// tenant token on an admin call) and recovers panics per request.
func (d *Daemon) guard(admin bool, h func(http.ResponseWriter, *http.Request, Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				d.panics.Add(1)
				d.log.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		p, ok := d.tokens.Authenticate(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock-sandboxd"`)
			writeError(w, http.StatusUnauthorized, "missing or unknown bearer token")
			return
		}
		if admin && !p.Admin {
			writeError(w, http.StatusForbidden, "this call needs an admin token")
			return
		}
		h(w, r, p)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, api.Error{Error: msg})
}

// normHash lower-cases a hex SHA-256, or returns "" when s is not one.
func normHash(s string) string {
	if len(s) != 64 {
		return ""
	}
	s = strings.ToLower(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return s
}

// view is what a caller may see of a record.
func view(r *store.Record) *api.File {
	f := r.File
	return &f
}

func visible(r *store.Record, p Principal) bool {
	return r != nil && (p.Admin || r.HasTenant(p.Tenant))
}

func (d *Daemon) handleLookup(w http.ResponseWriter, r *http.Request, p Principal) {
	var req api.LookupRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 256<<10)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "body must be {\"hashes\": [...]}: "+err.Error())
		return
	}
	if len(req.Hashes) > api.MaxLookup {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("at most %d hashes per lookup, got %d", api.MaxLookup, len(req.Hashes)))
		return
	}
	hashes := make([]string, len(req.Hashes))
	for i, h := range req.Hashes {
		if hashes[i] = normHash(h); hashes[i] == "" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("hashes[%d] is not a SHA-256 in hex: %q", i, truncate(h, 80)))
			return
		}
	}
	recs, err := d.store.GetMany(r.Context(), hashes)
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	// The answer is api.LookupResponse, written by hand from each file's
	// cached JSON: encoding is most of a lookup's cost otherwise.
	buf := bytes.NewBuffer(make([]byte, 0, 512*len(hashes)+64))
	buf.WriteString(`{"files":{`)
	var unknown []string
	n := 0
	for i, rec := range recs {
		if !visible(rec, p) {
			unknown = append(unknown, hashes[i])
			continue
		}
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		buf.WriteByte('"')
		buf.WriteString(hashes[i])
		buf.WriteString(`":`)
		buf.Write(d.views.get(rec))
	}
	buf.WriteString(`}`)
	if len(unknown) > 0 {
		buf.WriteString(`,"unknown":`)
		b, _ := json.Marshal(unknown)
		buf.Write(b)
	}
	buf.WriteString("}\n")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// viewCache keeps the JSON of api.File views by record. GetMany hands out
// the same *store.Record for unchanged stored bytes (its decode cache), so
// the pointer identifies the version exactly; a changed record is a new
// pointer and a miss.
type viewCache struct {
	mu sync.Mutex
	m  map[string]viewEntry
}

type viewEntry struct {
	rec  *store.Record
	json []byte
}

const viewCacheMax = 65536

func (c *viewCache) get(r *store.Record) []byte {
	c.mu.Lock()
	e, ok := c.m[r.SHA256]
	c.mu.Unlock()
	if ok && e.rec == r {
		return e.json
	}
	b, err := json.Marshal(view(r))
	if err != nil {
		return []byte("null")
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = make(map[string]viewEntry)
	}
	if len(c.m) >= viewCacheMax {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[r.SHA256] = viewEntry{rec: r, json: b}
	c.mu.Unlock()
	return b
}

func (d *Daemon) handleGet(w http.ResponseWriter, r *http.Request, p Principal) {
	sha := normHash(r.PathValue("sha256"))
	if sha == "" {
		writeError(w, http.StatusBadRequest, "the path must end in a SHA-256 in hex")
		return
	}
	rec, err := d.store.Get(r.Context(), sha)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !visible(&rec, p)) {
		writeError(w, http.StatusNotFound, "unknown file")
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, view(&rec))
}

// uploadTimeout bounds reading one upload's body.
const uploadTimeout = 5 * time.Minute

// extRE is what an extension may look like: a dot and a few letters or
// digits. Anything longer is (part of) a name, which sandboxd refuses to
// receive. The longest extensions Windows acts on are the shell places'
// (".searchconnector-ms", ".settingcontent-ms": 18 characters), so the
// bound leaves room for those and no more.
var extRE = regexp.MustCompile(`^\.[a-z0-9_\-]{1,23}$`)

func (d *Daemon) handleUpload(w http.ResponseWriter, r *http.Request, p Principal) {
	sha := normHash(r.PathValue("sha256"))
	if sha == "" {
		writeError(w, http.StatusBadRequest, "the path must end in a SHA-256 in hex")
		return
	}
	ext := strings.ToLower(strings.TrimSpace(r.Header.Get(api.HeaderExt)))
	if ext != "" && !extRE.MatchString(ext) {
		writeError(w, http.StatusBadRequest, api.HeaderExt+" must be only an extension such as .pdf (never a file name)")
		return
	}
	var declared verdict.Category
	if c := r.Header.Get(api.HeaderCategory); c != "" {
		declared = verdict.Category(strings.ToLower(c))
		if !declared.Valid() {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be one of executable, script, document, archive, other, not %q", api.HeaderCategory, truncate(c, 40)))
			return
		}
	}
	ret := api.Retention(r.Header.Get(api.HeaderRetention))
	if ret == "" {
		ret = api.Retain30d
	}
	if msg := checkRetention(ret, declared); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	limit := int64(d.cfg.MaxFileBytes)
	if r.ContentLength > limit {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file is %d bytes; this sandbox takes at most %d", r.ContentLength, limit))
		return
	}
	// The server has no global read timeout (the event stream must stay
	// open); an upload gets its own, so a client trickling bytes cannot
	// hold a connection for ever.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadTimeout))
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	h := sha256.New()
	_, err := io.Copy(io.MultiWriter(&buf, h), http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("file is larger than this sandbox takes (%d bytes)", limit))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha {
		writeJSON(w, http.StatusBadRequest, api.Error{Error: "the bytes do not hash to the name in the path", Expected: sha, Actual: got})
		return
	}
	data := buf.Bytes()
	typ, sniffed := Sniff(data, ext)
	cat := declared
	if cat == "" {
		cat = sniffed
	}
	// The content decides too: a "never" wish on something that is a
	// document by content is refused even if the client said otherwise.
	if msg := checkRetention(ret, sniffed); msg != "" {
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	now := d.now().UTC()
	rec := store.Record{
		File: api.File{SHA256: sha, Size: int64(len(data)), Category: cat, Type: typ, State: api.StateQueued,
			FirstSeen: now, Retention: ret, ExpiresAt: d.expiry(ret, now)},
		Tenants: []string{p.Tenant},
	}
	job := store.Job{SHA256: sha, Priority: store.PriorityNormal, Reason: "upload"}
	cur, created, err := d.store.Submit(r.Context(), rec, d.sealSample(sha, ext, data), job, func(old *store.Record) bool {
		changed := false
		if !old.HasTenant(p.Tenant) {
			old.Tenants = append(old.Tenants, p.Tenant)
			changed = true
		}
		if longer := old.Retention.Longer(ret); longer != old.Retention && !old.Verdict.AtLeast(verdict.Suspicious) {
			old.Retention = longer
			if old.Retained {
				old.ExpiresAt = d.expiry(longer, now)
			}
			changed = true
		}
		return changed
	})
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	writeJSON(w, http.StatusAccepted, api.UploadResponse{File: view(&cur), Created: created})
}

func (d *Daemon) handleHealth(w http.ResponseWriter, r *http.Request, p Principal) {
	h := d.health(r.Context())
	status := http.StatusOK
	if h.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}

func (d *Daemon) handleList(w http.ResponseWriter, r *http.Request, p Principal) {
	q := r.URL.Query()
	var f store.Filter
	var bad []string
	if v := q.Get("verdict"); v != "" {
		vv, err := verdict.ParseVerdict(v)
		if err != nil || vv == verdict.Unknown {
			bad = append(bad, "verdict: unknown verdict "+quote(v))
		}
		f.Verdict = vv
	}
	if v := q.Get("state"); v != "" {
		switch api.State(v) {
		case api.StateQueued, api.StateAnalyzing, api.StateDone, api.StateFailed:
			f.State = api.State(v)
		default:
			bad = append(bad, "state: must be queued, analyzing, done or failed")
		}
	}
	if v := q.Get("category"); v != "" {
		f.Category = verdict.Category(v)
		if !f.Category.Valid() {
			bad = append(bad, "category: unknown category "+quote(v))
		}
	}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				bad = append(bad, name+": want RFC 3339 time")
			}
			*dst = t
		}
	}
	f.Tenant = q.Get("tenant")
	limit := 100
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			bad = append(bad, "limit: must be 1..1000")
		}
		limit = n
	}
	if len(bad) > 0 {
		writeError(w, http.StatusBadRequest, strings.Join(bad, "; "))
		return
	}
	recs, next, err := d.store.List(r.Context(), f, q.Get("cursor"), limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, "list: "+err.Error())
		return
	}
	resp := api.ListResponse{Files: make([]*api.File, 0, len(recs)), Next: next}
	for i := range recs {
		resp.Files = append(resp.Files, view(&recs[i]))
	}
	writeJSON(w, http.StatusOK, resp)
}

func (d *Daemon) handleReanalyze(w http.ResponseWriter, r *http.Request, p Principal) {
	sha := normHash(r.PathValue("sha256"))
	rec, err := d.store.Get(r.Context(), sha)
	if errors.Is(err, store.ErrNotFound) || sha == "" {
		writeError(w, http.StatusNotFound, "unknown file")
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	if !rec.Retained {
		writeError(w, http.StatusConflict, "the sample is no longer kept; upload it again to analyze it")
		return
	}
	if err := d.store.Enqueue(r.Context(), store.Job{SHA256: sha, Priority: store.PriorityNormal, Reason: "admin", Force: true}); err != nil {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	d.log.Info("re-analysis requested by admin", "sha256", sha, "tenant", p.Tenant)
	writeJSON(w, http.StatusAccepted, view(&rec))
}

func (d *Daemon) handleDelete(w http.ResponseWriter, r *http.Request, p Principal) {
	sha := normHash(r.PathValue("sha256"))
	rec, err := d.store.Get(r.Context(), sha)
	if errors.Is(err, store.ErrNotFound) || sha == "" {
		writeError(w, http.StatusNotFound, "unknown file")
		return
	}
	if err == nil {
		err = d.store.Delete(r.Context(), sha)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusServiceUnavailable, "store: "+err.Error())
		return
	}
	if _, err := d.store.Publish(r.Context(), store.Event{Event: api.Event{Kind: api.EventDeleted, SHA256: sha,
		Previous: rec.Verdict, Time: d.now().UTC()}, Tenants: rec.Tenants}); err != nil {
		d.log.Warn("publish deletion", "sha256", sha, "err", err)
	}
	d.log.Info("file deleted by admin", "sha256", sha, "tenant", p.Tenant)
	w.WriteHeader(http.StatusNoContent)
}
