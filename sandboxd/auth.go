package sandboxd

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

// Role is what a token may do. Each part of Airlock gets the least it
// needs:
//
//	filter: look files up, upload them, read one file, follow the event
//	        stream (a filter node: milter, proxy, `airlock submit`)
//	web:    list files, read one, re-analyze one (the admin page)
//	admin:  everything, delete included, across every tenant
//
// Every role may ask for /v1/health. Only admin sees other tenants' files.
type Role string

// The roles.
const (
	RoleFilter Role = "filter"
	RoleWeb    Role = "web"
	RoleAdmin  Role = "admin"
)

// Scope is one kind of API call.
type Scope string

// The scopes, one per route family.
const (
	ScopeHealth    Scope = "health"
	ScopeLookup    Scope = "lookup"
	ScopeUpload    Scope = "upload"
	ScopeRead      Scope = "read"
	ScopeEvents    Scope = "events"
	ScopeList      Scope = "list"
	ScopeReanalyze Scope = "reanalyze"
	ScopeDelete    Scope = "delete"
)

var roleScopes = map[Role]map[Scope]bool{
	RoleFilter: {ScopeHealth: true, ScopeLookup: true, ScopeUpload: true, ScopeRead: true, ScopeEvents: true},
	RoleWeb:    {ScopeHealth: true, ScopeRead: true, ScopeList: true, ScopeReanalyze: true},
	RoleAdmin: {ScopeHealth: true, ScopeLookup: true, ScopeUpload: true, ScopeRead: true, ScopeEvents: true,
		ScopeList: true, ScopeReanalyze: true, ScopeDelete: true},
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := roleScopes[r]; !ok {
		return "", fmt.Errorf("role must be filter, web or admin, not %q", s)
	}
	return r, nil
}

// Principal is who a bearer token names.
type Principal struct {
	Tenant string
	Role   Role
}

// Admin reports whether p may act across tenants and delete.
func (p Principal) Admin() bool { return p.Role == RoleAdmin }

// Can reports whether p's role allows s.
func (p Principal) Can(s Scope) bool { return roleScopes[p.Role][s] }

// Tokens maps bearer tokens to tenants. Tokens are kept only as SHA-256
// digests, so the lookup time does not depend on how much of a guessed
// token is right.
type Tokens struct {
	byDigest map[[32]byte]Principal
}

// NewTokens builds a token set from token → principal.
func NewTokens(m map[string]Principal) *Tokens {
	t := &Tokens{byDigest: map[[32]byte]Principal{}}
	for tok, p := range m {
		t.byDigest[sha256.Sum256([]byte(tok))] = p
	}
	return t
}

// Lookup returns the principal of a token.
func (t *Tokens) Lookup(tok string) (Principal, bool) {
	p, ok := t.byDigest[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	return p, ok
}

// ParseTokens reads the tokens file: "TOKEN TENANT [ROLE]" per line, '#'
// comments. ROLE is filter, web or admin. A line without a role is a
// filter token: that is what a tenant token could do before roles existed
// (look up, upload, read, events), so files written for older versions
// keep their meaning, and admin lines stay admin.
func ParseTokens(data []byte) (*Tokens, error) {
	m, err := parseTokenLines(data)
	return NewTokens(m), err
}

func parseTokenLines(data []byte) (map[string]Principal, error) {
	m := map[string]Principal{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	var errs []error
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) < 2 || len(f) > 3:
			errs = append(errs, fmt.Errorf("line %d: want TOKEN TENANT [filter|web|admin]", n))
			continue
		case len(f[0]) < 20:
			errs = append(errs, fmt.Errorf("line %d: token shorter than 20 characters", n))
			continue
		}
		role := RoleFilter
		if len(f) == 3 {
			r, err := ParseRole(f[2])
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
				continue
			}
			role = r
		}
		m[f[0]] = Principal{Tenant: f[1], Role: role}
	}
	if len(m) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no tokens"))
	}
	return m, errors.Join(errs...)
}

// TokenFiles are where sandboxd writes one token of each role, alone on
// a line, for the parts that use them (--token-file, sandbox.token_file).
type TokenFiles struct {
	Filter, Web, Admin string
}

func (f TokenFiles) byRole() []struct {
	role Role
	path string
} {
	return []struct {
		role Role
		path string
	}{{RoleFilter, f.Filter}, {RoleWeb, f.Web}, {RoleAdmin, f.Admin}}
}

// LoadOrCreateTokens reads the tokens file, creating it when missing, and
// makes sure each named token file holds a token of its role:
//
//   - no tokens file: one token per role for tenant "default", each
//     written to its file;
//   - a role file missing: a token of that role is added to the tokens
//     file (same tenant as the filter token) and written to it;
//   - the filter file holding an admin token (one made by an Airlock
//     before roles, which had a single admin token): the admin token
//     stays valid (nodes that copied it keep working) and moves to the
//     admin file if that is missing, and the filter file gets a new
//     filter token. Notes says what was done, for the operator.
func LoadOrCreateTokens(path string, files TokenFiles) (t *Tokens, notes []string, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return createTokens(path, files)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("tokens file: %w", err)
	}
	m, err := parseTokenLines(data)
	if err != nil {
		return nil, nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	tenant := "default"
	type fileTok struct {
		tok string
		p   Principal
		ok  bool
	}
	have := map[Role]fileTok{}
	for _, rf := range files.byRole() {
		if rf.path == "" {
			continue
		}
		tok, err := readToken(rf.path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return nil, nil, err
		}
		p, ok := m[tok]
		have[rf.role] = fileTok{tok, p, ok}
		if rf.role == RoleFilter && ok {
			tenant = p.Tenant
		}
	}
	var add []string
	newToken := func(role Role, file string) error {
		tok := NewToken()
		m[tok] = Principal{Tenant: tenant, Role: role}
		add = append(add, fmt.Sprintf("%s %s %s", tok, tenant, role))
		return replaceFile(file, tok+"\n")
	}
	// The old single admin token, found in the filter's file.
	if ft, ok := have[RoleFilter]; ok && ft.ok && ft.p.Role == RoleAdmin && files.Filter != "" {
		if _, had := have[RoleAdmin]; !had && files.Admin != "" {
			if err := writeNew(files.Admin, ft.tok+"\n"); err != nil {
				return nil, nil, err
			}
			have[RoleAdmin] = ft
			notes = append(notes, "the admin token of "+files.Filter+" moved to "+files.Admin)
		}
		if err := newToken(RoleFilter, files.Filter); err != nil {
			return nil, nil, err
		}
		notes = append(notes, files.Filter+" now holds a filter token (look up, upload, events); the old admin token stays valid in "+path+
			" until you remove its line: replace any copy of it on filter nodes with the new "+files.Filter)
		have[RoleFilter] = fileTok{ok: true}
	}
	for _, rf := range files.byRole() {
		if rf.path == "" {
			continue
		}
		if ft, ok := have[rf.role]; ok {
			if !ft.ok {
				notes = append(notes, rf.path+" holds a token that is not in "+path+": the parts using it will be refused")
			}
			continue
		}
		if err := newToken(rf.role, rf.path); err != nil {
			return nil, nil, err
		}
		notes = append(notes, "created a "+string(rf.role)+" token in "+rf.path)
	}
	if len(add) > 0 {
		if err := appendLines(path, add); err != nil {
			return nil, nil, err
		}
	}
	return NewTokens(m), notes, nil
}

func createTokens(path string, files TokenFiles) (*Tokens, []string, error) {
	m := map[string]Principal{}
	var b strings.Builder
	b.WriteString("# TOKEN TENANT [filter|web|admin] (no role: filter)\n")
	var notes []string
	toks := map[Role]string{}
	for _, rf := range files.byRole() {
		tok := NewToken()
		toks[rf.role] = tok
		m[tok] = Principal{Tenant: "default", Role: rf.role}
		fmt.Fprintf(&b, "%s default %s\n", tok, rf.role)
	}
	if err := writeNew(path, b.String()); err != nil {
		return nil, nil, err
	}
	for _, rf := range files.byRole() {
		if rf.path == "" {
			continue
		}
		if err := writeNew(rf.path, toks[rf.role]+"\n"); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, nil, err
		}
		notes = append(notes, "created a "+string(rf.role)+" token in "+rf.path)
	}
	return NewTokens(m), notes, nil
}

func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// NewToken returns a fresh random token.
func NewToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeNew(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// replaceFile writes content to path through a temporary file and a
// rename, so a reader sees the old token or the new one, never half.
func replaceFile(path, content string) error {
	tmp := path + ".new"
	os.Remove(tmp)
	if err := writeNew(tmp, content); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

// appendLines adds lines to the tokens file, synced before it returns.
func appendLines(path string, lines []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	if _, err := f.WriteString("\n" + strings.Join(lines, "\n") + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("tokens file: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Authenticate finds the principal of a request's bearer token.
func (t *Tokens) Authenticate(r *http.Request) (Principal, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return Principal{}, false
	}
	return t.Lookup(tok)
}
