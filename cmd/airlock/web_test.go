package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/syncbuf"
	"github.com/airlockmail/airlock/web"
)

type lockedBuffer = syncbuf.Buffer

func TestPasswd(t *testing.T) {
	code, out, errOut := runCmd(t, "s3cret-passw0rd\n", "passwd", "--user", "carol")
	if code != 0 {
		t.Fatalf("passwd: %d %s", code, errOut)
	}
	dir := t.TempDir()
	cf := filepath.Join(dir, "airlock.yaml")
	os.WriteFile(cf, []byte("data_dir: "+dir+"\nweb:\n  users:\n"+out), 0o600)
	c, err := config.Load(cf)
	if err != nil {
		t.Fatalf("config with the printed entry: %v\n%s", err, out)
	}
	if len(c.Web.Users) != 1 || c.Web.Users[0].Name != "carol" ||
		bcrypt.CompareHashAndPassword([]byte(c.Web.Users[0].PasswordHash), []byte("s3cret-passw0rd")) != nil {
		t.Fatalf("users %+v", c.Web.Users)
	}
	if code, _, _ := runCmd(t, "short\n", "passwd"); code == 0 {
		t.Error("a 5-character password was accepted")
	}
}

// TestWebVerb runs `airlock web` on the embedded store with no users: it
// creates the initial admin, serves the login page and guards the rest.
func TestWebVerb(t *testing.T) {
	dir := t.TempDir()
	cf := filepath.Join(dir, "airlock.yaml")
	os.WriteFile(cf, []byte("data_dir: "+dir+"\nholdqueue:\n  backend: embedded\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- runWeb(ctx, &cmdEnv{stdin: strings.NewReader(""), stdout: out, stderr: errOut}, []string{"--config", cf, "--listen", "127.0.0.1:0"})
	}()
	addr := regexp.MustCompile(`web: +(http://\S+)`)
	var base string
	deadline := time.Now().Add(20 * time.Second)
	for base == "" {
		if m := addr.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("airlock web ended: %v\n%s", err, errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address printed:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	pw := filepath.Join(dir, web.InitialPasswordFile)
	if st, err := os.Stat(pw); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("initial password file: %v %v", st, err)
	}
	if !strings.Contains(errOut.String(), pw) {
		t.Errorf("log does not name %s:\n%s", pw, errOut.String())
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for path, want := range map[string]int{"/login": 200, "/": http.StatusSeeOther, "/api/status": http.StatusUnauthorized} {
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("airlock web: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("airlock web did not stop")
	}
}
