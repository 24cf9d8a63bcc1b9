package deploy

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/internal/smtpsink"
)

// quickStart returns the shell block between the README's quickstart
// markers.
func quickStart(t *testing.T) string {
	t.Helper()
	readme := readFile(t, "README.md")
	_, rest, ok := strings.Cut(readme, "<!-- quickstart:begin")
	if !ok {
		t.Fatal("README has no quickstart:begin marker")
	}
	block, _, ok := strings.Cut(rest, "<!-- quickstart:end -->")
	if !ok {
		t.Fatal("README has no quickstart:end marker")
	}
	_, code, ok := strings.Cut(block, "```sh\n")
	if !ok {
		t.Fatal("quick start has no ```sh block")
	}
	code, _, _ = strings.Cut(code, "```")
	return code
}

// TestQuickStart follows the README's quick start word for word on a
// clean clone of the committed tree: it builds the binary, brings up
// `airlock all` as an SMTP proxy, sends with swaks a plain message and one
// with a JavaScript PDF, and lists the hold queue. The SMTP sink standing
// for the reader's mail server receives the plain message only; the PDF
// is held, judged highly_suspicious and quarantined, as the README says.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary in a fresh clone")
	}
	for _, bin := range []string{"git", "swaks", "bash"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (scripts/test installs it): %v", bin, err)
		}
	}
	script := quickStart(t)
	sink, err := smtpsink.New(smtpsink.Options{Addr: "127.0.0.1:2526"})
	if err != nil {
		t.Fatalf("the quick start's mail server port: %v", err)
	}
	defer sink.Close()

	clone := filepath.Join(t.TempDir(), "airlock")
	abs, _ := filepath.Abs(root)
	if out, err := exec.Command("git", "clone", "--quiet", abs, clone).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	// A hang guard, not a timing check: on a loaded machine the build
	// in a fresh clone (new paths: few cache hits) takes minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-c", "set -m\n"+script)
	cmd.Dir = clone
	cmd.Env = append(os.Environ(), "GOFLAGS=-buildvcs=false")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("quick start: %v\n%s", err, out)
	}
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	msgs, err := sink.Wait(wctx, 1)
	if err != nil {
		t.Fatalf("nothing delivered to 127.0.0.1:2526: %v\n%s", err, out)
	}
	if !strings.Contains(string(msgs[0].Data), "Subject: Airlock quick start") {
		t.Errorf("delivered message is not the quick start's:\n%s", msgs[0].Data)
	}
	// airlock has stopped: what was not delivered by now stays held.
	if n := sink.Count(); n != 1 {
		t.Errorf("%d messages delivered, want 1: the PDF must stay in quarantine", n)
	}
	// The listing the script ends with: the PDF quarantined on its verdict
	// (the README shows this line), reached through the running process.
	line := regexp.MustCompile(`(?m)^[0-9A-Z]{26}\s+quarantined\s.*Your invoice\s+highly_suspicious$`)
	if !line.Match(out) || !strings.Contains(string(out), "through the running airlock") {
		t.Errorf("queue ls does not show the PDF quarantined:\n%s", out)
	}
	if !strings.Contains(string(out), "queued as ") {
		t.Errorf("swaks did not hear the queue id:\n%s", out)
	}
}
