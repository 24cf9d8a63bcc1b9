// Package adminapi is the admin API of a running filter process on the
// embedded store. bbolt lets one process open a file, so while `airlock
// all` runs, the CLI's queue and exclusions verbs cannot open the hold
// queue or the allow list themselves: they ask the running process
// instead, through this API.
//
// It promises:
//   - every request carries the bearer token the process created at start
//     (random, 256 bits) and published with its address in
//     data_dir/admin.json, mode 0600: reading that file is the
//     authorization, the same as opening the stores directly would be;
//   - the default address is a free loopback port; the API is plain HTTP;
//   - answers keep the stores' errors: a missing message or hash is 404
//     and a forbidden transition 409, and Client turns them back into
//     holdqueue.ErrNotFound, exclusions.ErrNotFound and holdqueue.ErrState,
//     so a verb behaves the same through the API as on the store.
package adminapi

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// Queue is the part of the hold queue the admin verbs use: a
// holdqueue.Store has it, and so does Client.
type Queue interface {
	List(ctx context.Context, q holdqueue.Query) (*holdqueue.Page, error)
	Get(ctx context.Context, id string) (*holdqueue.Message, error)
	Release(ctx context.Context, id, actor, reason string) error
	Quarantine(ctx context.Context, id, actor, reason string) error
	Delete(ctx context.Context, id, actor, reason string) error
}

// Exclusions is the part of the allow list the admin verbs use: an
// exclusions.Store has it, and so does Client.
type Exclusions interface {
	Add(ctx context.Context, e exclusions.Exclusion) error
	Remove(ctx context.Context, sha256 string) error
	List(ctx context.Context) ([]exclusions.Exclusion, error)
}

// Info is what GET /v1/info says about the process.
type Info struct {
	PID  int    `json:"pid"`
	Node string `json:"node"`
}

// action is the body of a queue action.
type action struct {
	Actor  string `json:"actor"`
	Reason string `json:"reason,omitempty"`
}

// apiError is every error answer's body.
type apiError struct {
	Error string `json:"error"`
	// Code is not_found, state, bad_request or internal.
	Code string `json:"code"`
}

// maxBody bounds a request body: an action or an exclusion is a few
// hundred bytes.
const maxBody = 64 << 10

// NewHandler serves the API on q and ex for holders of token.
func NewHandler(q Queue, ex Exclusions, token string, info Info, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", func(w http.ResponseWriter, r *http.Request) { reply(w, info) })
	mux.HandleFunc("GET /v1/queue", func(w http.ResponseWriter, r *http.Request) {
		qy, err := parseQuery(r)
		if err != nil {
			fail(w, http.StatusBadRequest, "bad_request", err)
			return
		}
		p, err := q.List(r.Context(), qy)
		if err != nil {
			storeError(w, log, err)
			return
		}
		reply(w, p)
	})
	mux.HandleFunc("GET /v1/queue/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, err := q.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			storeError(w, log, err)
			return
		}
		reply(w, m)
	})
	mux.HandleFunc("POST /v1/queue/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		act := map[string]func(context.Context, string, string, string) error{
			"release": q.Release, "quarantine": q.Quarantine, "delete": q.Delete,
		}[r.PathValue("action")]
		if act == nil {
			fail(w, http.StatusNotFound, "bad_request", fmt.Errorf("no action %q", r.PathValue("action")))
			return
		}
		var a action
		if err := decode(r, &a); err != nil {
			fail(w, http.StatusBadRequest, "bad_request", err)
			return
		}
		if !strings.HasPrefix(a.Actor, "admin:") {
			fail(w, http.StatusBadRequest, "bad_request", errors.New(`actor must be "admin:NAME"`))
			return
		}
		id := r.PathValue("id")
		if err := act(r.Context(), id, a.Actor, a.Reason); err != nil {
			storeError(w, log, err)
			return
		}
		log.Info("admin action", "queue_id", id, "action", r.PathValue("action"), "actor", a.Actor)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /v1/exclusions", func(w http.ResponseWriter, r *http.Request) {
		list, err := ex.List(r.Context())
		if err != nil {
			storeError(w, log, err)
			return
		}
		if list == nil {
			list = []exclusions.Exclusion{}
		}
		reply(w, list)
	})
	mux.HandleFunc("PUT /v1/exclusions/{sha256}", func(w http.ResponseWriter, r *http.Request) {
		var e exclusions.Exclusion
		if err := decode(r, &e); err != nil {
			fail(w, http.StatusBadRequest, "bad_request", err)
			return
		}
		sha, err := exclusions.Normalize(r.PathValue("sha256"))
		if err != nil || e.SHA256 != sha || !strings.HasPrefix(e.Actor, "admin:") {
			fail(w, http.StatusBadRequest, "bad_request", errors.New(`want the path's SHA-256 in the body and actor "admin:NAME"`))
			return
		}
		if e.Added.IsZero() {
			e.Added = time.Now().UTC()
		}
		if err := ex.Add(r.Context(), e); err != nil {
			storeError(w, log, err)
			return
		}
		log.Info("admin action", "action", "exclude", "sha256", sha, "actor", e.Actor)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /v1/exclusions/{sha256}", func(w http.ResponseWriter, r *http.Request) {
		sha, err := exclusions.Normalize(r.PathValue("sha256"))
		if err != nil {
			fail(w, http.StatusBadRequest, "bad_request", err)
			return
		}
		if err := ex.Remove(r.Context(), sha); err != nil {
			storeError(w, log, err)
			return
		}
		log.Info("admin action", "action", "unexclude", "sha256", sha)
		w.WriteHeader(http.StatusNoContent)
	})
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="airlock admin"`)
			fail(w, http.StatusUnauthorized, "unauthorized", errors.New("missing or wrong token (data_dir/admin.json)"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	})
}

func parseQuery(r *http.Request) (holdqueue.Query, error) {
	v := r.URL.Query()
	q := holdqueue.Query{State: holdqueue.State(v.Get("state")), Sender: v.Get("sender"), Recipient: v.Get("recipient"),
		Subject: v.Get("subject"), Hash: v.Get("hash"), Cursor: v.Get("cursor")}
	if q.State != "" && !q.State.Valid() {
		return q, fmt.Errorf("unknown state %q", q.State)
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("limit: %w", err)
		}
		q.Limit = n
	}
	for name, dst := range map[string]*time.Time{"from": &q.From, "to": &q.To} {
		if s := v.Get(name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, fmt.Errorf("%s: %w", name, err)
			}
			*dst = t
		}
	}
	return q, nil
}

func decode(r *http.Request, v any) error {
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	return nil
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code string, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(apiError{Error: err.Error(), Code: code})
}

// storeError maps the stores' errors to statuses the Client maps back.
func storeError(w http.ResponseWriter, log *slog.Logger, err error) {
	switch {
	case errors.Is(err, holdqueue.ErrNotFound), errors.Is(err, exclusions.ErrNotFound):
		fail(w, http.StatusNotFound, "not_found", err)
	case errors.Is(err, holdqueue.ErrState):
		fail(w, http.StatusConflict, "state", err)
	default:
		log.Error("admin API: store error", "err", err)
		fail(w, http.StatusInternalServerError, "internal", err)
	}
}
