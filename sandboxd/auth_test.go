package sandboxd

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/verdict"
)

// call makes one raw API request with a bearer token over real HTTP.
func call(t *testing.T, e *env, token, method, path string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// Least privilege over real HTTP: a filter token looks up, uploads, reads
// and follows events and nothing more; a web token lists and re-analyzes
// (its own tenant's files only) and cannot delete; only admin deletes and
// sees every tenant.
func TestTokenScopes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st store.Store, _ func() store.Store) {
		e := startEnv(t, st, envOptions{})
		mine := []byte("tenant a's sample, BAD")
		theirs := []byte("tenant b's sample")
		e.upload(e.client(filterAToken), mine, verdict.Other, "", api.Retain30d)
		e.upload(e.b, theirs, verdict.Other, "", api.Retain30d)
		e.waitDone(e.admin, sha(mine))
		e.waitDone(e.admin, sha(theirs))
		lookup, _ := json.Marshal(api.LookupRequest{Hashes: []string{sha(mine)}})
		fresh := []byte("a new sample")

		type req struct{ method, path string }
		var (
			health    = req{"GET", "/v1/health"}
			look      = req{"POST", "/v1/lookup"}
			upload    = req{"PUT", "/v1/files/" + sha(fresh)}
			get       = req{"GET", "/v1/files/" + sha(mine)}
			list      = req{"GET", "/v1/admin/files"}
			listB     = req{"GET", "/v1/admin/files?tenant=b"}
			reanalyze = req{"POST", "/v1/admin/files/" + sha(mine) + "/reanalyze"}
			reTheirs  = req{"POST", "/v1/admin/files/" + sha(theirs) + "/reanalyze"}
			del       = req{"DELETE", "/v1/admin/files/" + sha(theirs)}
		)
		cases := []struct {
			who   string
			token string
			r     req
			want  int
		}{
			{"filter", filterAToken, health, 200},
			{"filter", filterAToken, look, 200},
			{"filter", filterAToken, upload, 202},
			{"filter", filterAToken, get, 200},
			{"filter", filterAToken, list, 403},
			{"filter", filterAToken, listB, 403},
			{"filter", filterAToken, reanalyze, 403},
			{"filter", filterAToken, del, 403},
			{"web", webAToken, health, 200},
			{"web", webAToken, get, 200},
			{"web", webAToken, list, 200},
			{"web", webAToken, reanalyze, 202},
			{"web", webAToken, look, 403},
			{"web", webAToken, upload, 403},
			{"web", webAToken, del, 403},
			{"web", webAToken, listB, 403},    // another tenant
			{"web", webAToken, reTheirs, 404}, // not visible to tenant a
			{"nobody", "not-a-token-zzzzzzzzzzzzzzzzzzz", health, 401},
			{"admin", adminToken, listB, 200},
			{"admin", adminToken, reTheirs, 202},
			{"admin", adminToken, del, 204},
		}
		for _, c := range cases {
			var body []byte
			switch c.r {
			case look:
				body = lookup
			case upload:
				body = fresh
			}
			code, resp := call(t, e, c.token, c.r.method, c.r.path, body)
			if code != c.want {
				t.Errorf("%s %s %s: %d, want %d (%s)", c.who, c.r.method, c.r.path, code, c.want, bytes.TrimSpace(resp))
			}
		}
		// A web token lists its own tenant's files only.
		code, resp := call(t, e, webBToken, "GET", "/v1/admin/files", nil)
		var page api.ListResponse
		if err := json.Unmarshal(resp, &page); code != 200 || err != nil {
			t.Fatalf("web b list: %d %v", code, err)
		}
		for _, f := range page.Files {
			if f.SHA256 == sha(mine) {
				t.Error("tenant b's web token lists tenant a's file")
			}
		}
		// The filter's event stream is open to it (the stream answers
		// 200 and stays open: only the status is checked here).
		hreq, _ := http.NewRequest("GET", e.url+"/v1/events", nil)
		hreq.Header.Set("Authorization", "Bearer "+filterAToken)
		r, err := http.DefaultClient.Do(hreq)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Errorf("filter events: %d", r.StatusCode)
		}
	})
}

func TestParseTokenRoles(t *testing.T) {
	data := []byte("# comment\n" +
		"old-tenant-token-aaaaaaaaaaaaaa acme\n" + // before roles: a filter token
		"old-admin-token-bbbbbbbbbbbbbbb default admin\n" +
		"web-token-ccccccccccccccccccccc acme web\n")
	toks, err := ParseTokens(data)
	if err != nil {
		t.Fatal(err)
	}
	for tok, want := range map[string]Principal{
		"old-tenant-token-aaaaaaaaaaaaaa": {"acme", RoleFilter},
		"old-admin-token-bbbbbbbbbbbbbbb": {"default", RoleAdmin},
		"web-token-ccccccccccccccccccccc": {"acme", RoleWeb},
	} {
		if p, ok := toks.Lookup(tok); !ok || p != want {
			t.Errorf("%s: %+v %v, want %+v", tok, p, ok, want)
		}
	}
	if _, err := ParseTokens([]byte("some-token-ddddddddddddddddddd t root\n")); err == nil || !strings.Contains(err.Error(), "filter, web or admin") {
		t.Errorf("unknown role: %v", err)
	}
}

func TestCreateTokensOnePerRole(t *testing.T) {
	dir := t.TempDir()
	files := TokenFiles{Filter: filepath.Join(dir, "client.token"), Web: filepath.Join(dir, "web.token"), Admin: filepath.Join(dir, "admin.token")}
	toks, _, err := LoadOrCreateTokens(filepath.Join(dir, "tokens"), files)
	if err != nil {
		t.Fatal(err)
	}
	for path, role := range map[string]Role{files.Filter: RoleFilter, files.Web: RoleWeb, files.Admin: RoleAdmin} {
		tok, err := readToken(path)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := toks.Lookup(tok); !ok || p.Role != role || p.Tenant != "default" {
			t.Errorf("%s: %+v %v, want %s", path, p, ok, role)
		}
	}
	// A restart reads the same tokens and changes nothing.
	again, notes, err := LoadOrCreateTokens(filepath.Join(dir, "tokens"), files)
	if err != nil || len(notes) != 0 {
		t.Fatalf("second start: %v %q", err, notes)
	}
	tok, _ := readToken(files.Filter)
	if p, _ := again.Lookup(tok); p.Role != RoleFilter {
		t.Errorf("after restart the filter token is %+v", p)
	}
}

// An install from before roles has a tokens file with one admin token,
// also in client.token. Upgrading keeps that token valid (copies on other
// nodes keep working), moves it to admin.token, and gives client.token a
// filter token of the same tenant; a web token is added.
func TestMigrateSingleAdminToken(t *testing.T) {
	dir := t.TempDir()
	old := NewToken()
	path := filepath.Join(dir, "tokens")
	os.WriteFile(path, []byte("# TOKEN TENANT [admin]\n"+old+" default admin\n"), 0o600)
	files := TokenFiles{Filter: filepath.Join(dir, "client.token"), Web: filepath.Join(dir, "web.token"), Admin: filepath.Join(dir, "admin.token")}
	os.WriteFile(files.Filter, []byte(old+"\n"), 0o600)

	toks, notes, err := LoadOrCreateTokens(path, files)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 {
		t.Error("migration left no note for the operator")
	}
	if p, ok := toks.Lookup(old); !ok || p.Role != RoleAdmin {
		t.Errorf("old admin token: %+v %v", p, ok)
	}
	for path, role := range map[string]Role{files.Filter: RoleFilter, files.Web: RoleWeb, files.Admin: RoleAdmin} {
		tok, err := readToken(path)
		if err != nil {
			t.Fatal(err)
		}
		if p, ok := toks.Lookup(tok); !ok || p.Role != role || p.Tenant != "default" {
			t.Errorf("%s: %+v %v, want %s", path, p, ok, role)
		}
	}
	if tok, _ := readToken(files.Admin); tok != old {
		t.Error("admin.token is not the old admin token")
	}
	// The file on disk says the same after a restart.
	reread, notes, err := LoadOrCreateTokens(path, files)
	if err != nil || len(notes) != 0 {
		t.Fatalf("restart after migration: %v %q", err, notes)
	}
	tok, _ := readToken(files.Filter)
	if p, _ := reread.Lookup(tok); p.Role != RoleFilter {
		t.Errorf("filter token after restart: %+v", p)
	}
}
