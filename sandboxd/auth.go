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

// Principal is who a bearer token names.
type Principal struct {
	Tenant string
	Admin  bool
}

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

// ParseTokens reads the tokens file: "TOKEN TENANT [admin]" per line, '#'
// comments.
func ParseTokens(data []byte) (*Tokens, error) {
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
			errs = append(errs, fmt.Errorf("line %d: want TOKEN TENANT [admin]", n))
			continue
		case len(f[0]) < 20:
			errs = append(errs, fmt.Errorf("line %d: token shorter than 20 characters", n))
			continue
		case len(f) == 3 && f[2] != "admin":
			errs = append(errs, fmt.Errorf("line %d: third field must be \"admin\", not %q", n, f[2]))
			continue
		}
		m[f[0]] = Principal{Tenant: f[1], Admin: len(f) == 3}
	}
	if len(m) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("no tokens"))
	}
	return NewTokens(m), errors.Join(errs...)
}

// LoadOrCreateTokens reads the tokens file; when it does not exist it
// creates it with one admin token for tenant "default", writes that token
// alone to clientFile (for clients' --token-file), and reports created.
func LoadOrCreateTokens(path, clientFile string) (t *Tokens, created bool, err error) {
	data, err := os.ReadFile(path)
	if err == nil {
		t, err := ParseTokens(data)
		if err != nil {
			return nil, false, fmt.Errorf("tokens file %s: %w", path, err)
		}
		return t, false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, false, fmt.Errorf("tokens file: %w", err)
	}
	tok := NewToken()
	if err := writeNew(path, fmt.Sprintf("# TOKEN TENANT [admin]\n%s default admin\n", tok)); err != nil {
		return nil, false, err
	}
	if clientFile != "" {
		if err := writeNew(clientFile, tok+"\n"); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, false, err
		}
	}
	return NewTokens(map[string]Principal{tok: {Tenant: "default", Admin: true}}), true, nil
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

// Authenticate finds the principal of a request's bearer token.
func (t *Tokens) Authenticate(r *http.Request) (Principal, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		return Principal{}, false
	}
	p, ok := t.byDigest[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	return p, ok
}
