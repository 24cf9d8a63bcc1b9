package deploy

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

// documented are the pages whose commands TestDocumentedCommands runs.
var documented = []string{"README.md", "docs/troubleshooting.md", "docs/operations.md"}

// skipped are the only commands not run, each with the reason it cannot
// run here. A command is matched by its start.
var skipped = []struct{ prefix, why string }{
	// Runs every test of the tree, this one included; CI runs it itself.
	{"./scripts/test", "runs the whole test suite, this test included"},
	// No systemd on the test machine (and no root): the instance is
	// started and stopped by the test instead.
	{"systemctl ", "no systemd here; the test starts and stops the instance"},
	{"journalctl ", "no systemd journal here; the instance logs to the test's pipe"},
	// Step 1 of the key rotation moves the store away with Airlock
	// stopped (systemctl stop); here the running instance holds that
	// store, and moving it from under the process is not the procedure.
	{"mv /var/lib/airlock/holdqueue.db", "needs Airlock stopped by systemctl (step 1 of the key rotation)"},
}

// docCommand is one command of a code block.
type docCommand struct {
	file string
	line int
	text string
}

// shellLangs are the code blocks whose every line is a command; in other
// blocks only lines with a "$ " prompt are (the rest is output).
var shellLangs = map[string]bool{"sh": true, "bash": true, "shell": true}

// extractCommands reads the commands of a markdown page's code blocks:
// every line of an sh block (with backslash continuations joined,
// comment lines dropped), and "$ " lines of other blocks. The README's
// quick start is left out: TestQuickStart runs it word for word. A line
// starting with "airlock " in a block that is not sh is an error: it
// would be a command the test cannot see.
func extractCommands(t *testing.T, file, text string) []docCommand {
	t.Helper()
	if before, after, ok := strings.Cut(text, "<!-- quickstart:begin"); ok {
		_, rest, ok := strings.Cut(after, "<!-- quickstart:end -->")
		if !ok {
			t.Fatalf("%s: quickstart:begin without end", file)
		}
		// Keep the line count right for the messages.
		text = before + strings.Repeat("\n", strings.Count(after, "\n")-strings.Count(rest, "\n")) + rest
	}
	var out []docCommand
	var inBlock, shell bool
	var indent string
	var pending strings.Builder
	pendingLine := 0
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "```") {
			if !inBlock {
				inBlock, indent = true, line[:len(line)-len(strings.TrimLeft(line, " "))]
				shell = shellLangs[strings.TrimPrefix(trimmed, "```")]
				continue
			}
			inBlock = false
			if pending.Len() > 0 {
				t.Fatalf("%s:%d: a continued line runs into the end of its block", file, pendingLine)
			}
			continue
		}
		if !inBlock {
			continue
		}
		line = strings.TrimPrefix(line, indent)
		if !shell {
			if cmd, ok := strings.CutPrefix(line, "$ "); ok {
				out = append(out, docCommand{file, i + 1, cmd})
			} else if strings.HasPrefix(line, "airlock ") {
				t.Errorf("%s:%d: %q looks like a command outside an sh block (tag the block sh, or prefix the line with \"$ \")", file, i+1, line)
			}
			continue
		}
		if pending.Len() == 0 {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			pendingLine = i + 1
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			pending.WriteString(cont)
			continue
		}
		pending.WriteString(line)
		out = append(out, docCommand{file, pendingLine, strings.TrimSpace(pending.String())})
		pending.Reset()
	}
	return out
}

// docEnv is the running instance and what the commands' placeholders
// stand for.
type docEnv struct {
	t                   *testing.T
	dir, work, bin, cfg string
	proxy, ops          string
	sink                *smtpsink.Sink
	invoiceSHA          string
	mu                  sync.Mutex
	pdfs                int
	stopInstance        func()
}

// quickStartPDF is the quick start's invoice.pdf (its printf line).
const quickStartPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// TestDocumentedCommands runs every command shown in the README and the
// operations and troubleshooting pages against a running `airlock all`,
// so that documentation that drifts from the code fails here. Commands
// are taken from the pages' code blocks at run time: a new command in the
// docs is run without touching this test. Only the commands in skipped
// are left out, each with its reason.
//
// The pages are written for a real installation, so a few strings are
// rewritten before a command runs (rewrite below): the paths under /etc
// and /var/lib become the test's directories, the fixed ports become the
// instance's, and the placeholders 01J... (a queue id) and <sha256> become
// a real quarantined message and a real file hash. Commands that start
// `airlock all` run in the background with free ports and a data dir of
// their own (the instance holds the documented one), must become ready,
// and are stopped with SIGTERM.
func TestDocumentedCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs an instance")
	}
	for _, bin := range []string{"swaks", "bash", "curl", "tar"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s not installed (scripts/test installs it): %v", bin, err)
		}
	}
	var cmds []docCommand
	for _, f := range documented {
		cmds = append(cmds, extractCommands(t, f, readFile(t, f))...)
	}
	if len(cmds) < 25 {
		t.Fatalf("only %d commands found in %v: is the extraction broken?", len(cmds), documented)
	}
	e := startDocInstance(t)
	for _, c := range cmds {
		name := fmt.Sprintf("%s:%d", c.file, c.line)
		if why := skipReason(c.text); why != "" {
			t.Logf("%s: skipped (%s): %s", name, why, c.text)
			continue
		}
		t.Run(name, func(t *testing.T) {
			cmd := e.rewrite(t, c.text)
			if strings.Contains(cmd, "airlock all") {
				e.runServer(t, cmd)
				return
			}
			e.run(t, cmd)
		})
	}
}

func skipReason(cmd string) string {
	for _, s := range skipped {
		if strings.HasPrefix(cmd, s.prefix) {
			return s.why
		}
	}
	return ""
}

// startDocInstance builds the binary and starts `airlock all` on the
// example configuration as /etc/airlock/airlock.yaml with data_dir
// /var/lib/airlock (as docs/operations.md says to set it), both under a
// temporary directory, as an SMTP proxy in front of a sink.
func startDocInstance(t *testing.T) *docEnv {
	t.Helper()
	dir := t.TempDir()
	e := &docEnv{t: t, dir: dir, work: filepath.Join(dir, "work"), bin: filepath.Join(dir, "bin"), sink: smtpsink.Start(t, smtpsink.Options{})}
	for _, d := range []string{e.work, e.bin, filepath.Join(dir, "etc"), filepath.Join(dir, "var/lib"), filepath.Join(dir, "backup")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	abs, _ := filepath.Abs(root)
	build := exec.Command("go", "build", "-o", filepath.Join(e.bin, "airlock"), "./cmd/airlock")
	build.Dir = abs
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// ./airlock, as after the quick start's go build.
	if err := os.Symlink(filepath.Join(e.bin, "airlock"), filepath.Join(e.work, "airlock")); err != nil {
		t.Fatal(err)
	}
	example := readFile(t, "configs/airlock.yaml")
	if !strings.Contains(example, "\ndata_dir: ../data\n") {
		t.Fatal("configs/airlock.yaml: no data_dir: ../data line to point at the test's /var/lib/airlock")
	}
	e.cfg = filepath.Join(dir, "etc/airlock.yaml")
	write(t, e.cfg, strings.Replace(example, "\ndata_dir: ../data\n", "\ndata_dir: "+filepath.Join(dir, "var/lib/airlock")+"\n", 1))
	// old.yaml of the key rotation: the same file on the drain directory.
	write(t, filepath.Join(dir, "old.yaml"), strings.Replace(example, "\ndata_dir: ../data\n", "\ndata_dir: "+filepath.Join(dir, "var/lib/airlock-drain")+"\n", 1))
	// Files the pages name: the quick start's invoice, and the README's
	// fwd.eml (a forwarded message with an archive in an archive).
	write(t, filepath.Join(e.work, "invoice.pdf"), quickStartPDF)
	sum := sha256.Sum256([]byte(quickStartPDF))
	e.invoiceSHA = hex.EncodeToString(sum[:])
	inner := gatetest.Zip(gatetest.Part{Name: "eicar.com", Data: gatetest.EICAR})
	bundle := gatetest.Zip(gatetest.Part{Name: "docs/report.zip", Data: inner})
	orig := gatetest.Mail("carol@example.net", "alice@example.org", "invoice", gatetest.Part{Name: "bundle.zip", Type: "application/zip", Data: bundle})
	write(t, filepath.Join(e.work, "fwd.eml"), string(gatetest.Mail("alice@example.org", "bob@example.org", "Fwd: invoice", gatetest.Part{Name: "fwd.eml", Type: "message/rfc822", Data: orig})))

	out := startServer(t, []string{filepath.Join(e.bin, "airlock"), "all", "--config", e.cfg,
		"--milter-listen", "off", "--proxy-listen", "127.0.0.1:0", "--upstream", e.sink.Addr(), "--next-hop", e.sink.Addr(),
		"--sandbox-listen", "127.0.0.1:0", "--web-listen", "off", "--ops-listen", "127.0.0.1:0"}, e.env(), &e.stopInstance)
	t.Cleanup(e.stopInstance)
	e.ops = out["ops"]
	e.proxy = regexp.MustCompile(`proxy:\s+(\S+) ->`).FindStringSubmatch(out["stdout"])[1]
	// Make the invoice known to sandboxd, as after the quick start.
	e.quarantined(t, quickStartPDF)
	return e
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// env is the commands' environment: the built binary first on PATH, and
// the instance's file as the default configuration.
func (e *docEnv) env() []string {
	return append(os.Environ(), "PATH="+e.bin+":"+os.Getenv("PATH"), "AIRLOCK_CONFIG="+e.cfg, "HOME="+e.dir)
}

// quarantined sends a message with pdf through the instance and returns
// its queue id from the proxy's reply; a JavaScript PDF ends in
// quarantine on its verdict.
func (e *docEnv) quarantined(t *testing.T, pdf string) string {
	return e.send(t, pdf, "bob@example.org")
}

// failed returns the id of a message the next hop refused for good: the
// state in which a stuck message may still be quarantined (a message in
// quarantine cannot be quarantined again). The instance judges too fast
// for a message to stay held long enough.
func (e *docEnv) failed(t *testing.T, pdf string) string {
	t.Helper()
	const rcpt = "refused@example.org"
	id := e.send(t, pdf, rcpt)
	// The proxy asked the next hop about the recipient at RCPT; from now
	// on the next hop refuses it.
	e.sink.RejectRcpt(rcpt, 550, "5.1.1 no such user")
	if out, err := exec.Command(filepath.Join(e.bin, "airlock"), "queue", "release", id, "--config", e.cfg).CombinedOutput(); err != nil {
		t.Fatalf("release %s: %v\n%s", id, err, out)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		out, _ := exec.Command(filepath.Join(e.bin, "airlock"), "queue", "show", id, "--config", e.cfg).Output()
		if strings.Contains(string(out), "state:     failed") {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not fail on the refusing next hop:\n%s", id, out)
		}
	}
}

func (e *docEnv) send(t *testing.T, pdf, rcpt string) string {
	t.Helper()
	c, err := smtp.Dial(e.proxy)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msg := gatetest.Mail("alice@example.net", rcpt, "Your invoice", gatetest.Part{Name: "invoice.pdf", Type: "application/pdf", Data: []byte(pdf)})
	if err := c.Mail("alice@example.net", nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt(rcpt, nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("invoice not taken: %v", err)
	}
	m := regexp.MustCompile(`queued as (\S+)`).FindStringSubmatch(resp.StatusText)
	if m == nil {
		t.Fatalf("reply %q has no queue id", resp.StatusText)
	}
	c.Quit()
	return m[1]
}

// rewrite turns a documented command into one for this instance.
func (e *docEnv) rewrite(t *testing.T, cmd string) string {
	for _, r := range []struct{ from, to string }{
		{"go run ./cmd/airlock", "airlock"},           // the set-up's first command: the built binary
		{"/etc/airlock/airlock.yaml", e.cfg},          // the packaged path
		{"configs/airlock.yaml", e.cfg},               // the README's example file, which the instance runs
		{"/var/lib", filepath.Join(e.dir, "var/lib")}, // data_dir and the drain directory
		{"/backup/", filepath.Join(e.dir, "backup") + "/"},
		{"old.yaml", filepath.Join(e.dir, "old.yaml")}, // the key rotation's copy of the config
		{"127.0.0.1:9357", e.ops},                      // ops.listen
		{"127.0.0.1:10026", e.sink.Addr()},             // deliver.next_hop, Postfix's re-injection port
		{"<sha256>", e.invoiceSHA},                     // a file sandboxd has judged
	} {
		cmd = strings.ReplaceAll(cmd, r.from, r.to)
	}
	// 01J... is a queue id: each command gets a message of its own (a
	// release and a delete of one message cannot both work), in
	// quarantine, or refused by the next hop for `queue quarantine`.
	if strings.Contains(cmd, "01J...") {
		e.mu.Lock()
		e.pdfs++
		n := e.pdfs
		e.mu.Unlock()
		pdf := strings.Replace(quickStartPDF, "app.alert(1)", fmt.Sprintf("app.alert(%d)", 100+n), 1)
		var id string
		if strings.Contains(cmd, "queue quarantine") {
			id = e.failed(t, pdf)
		} else {
			id = e.quarantined(t, pdf)
		}
		cmd = strings.ReplaceAll(cmd, "01J...", id)
	}
	return cmd
}

// run runs one command with bash (pipefail: a grep that finds nothing
// fails the command) in the working directory; stdin holds a password
// for `airlock passwd`.
func (e *docEnv) run(t *testing.T, cmd string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", cmd)
	c.Dir = e.work
	c.Env = e.env()
	c.Stdin = strings.NewReader("correct-horse-battery-staple\n")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s\n%v\n%s", cmd, err, out)
	}
	t.Logf("%s\n%s", cmd, out)
}

// runServer starts a documented `airlock all` in the background with
// free ports and its own data dir (flags appended, so they win), waits
// until its /readyz answers 200, and stops it with SIGTERM.
func (e *docEnv) runServer(t *testing.T, cmd string) {
	t.Helper()
	extra := fmt.Sprintf(" --data-dir %s --milter-listen off --proxy-listen 127.0.0.1:0 --upstream %s --next-hop %s --web-listen off --sandbox-listen 127.0.0.1:0 --ops-listen 127.0.0.1:0",
		t.TempDir(), e.sink.Addr(), e.sink.Addr())
	var stop func()
	startServer(t, []string{"bash", "-c", "exec " + envAfterExec(cmd) + extra}, e.env(), &stop)
	stop()
}

// envAfterExec puts leading VAR=value assignments after "exec" would not
// work; bash takes them before the command, so keep them in front:
// "A=b airlock all" becomes "A=b airlock all" run by exec as
// "env A=b airlock all".
func envAfterExec(cmd string) string {
	if regexp.MustCompile(`^[A-Z_]+=`).MatchString(cmd) {
		return "env " + cmd
	}
	return cmd
}

// startServer runs argv in its own process group, waits for the ops
// address on its stdout and a 200 from /readyz, and sets *stop to what
// sends SIGTERM and waits for the exit. It returns "ops" and "stdout".
func startServer(t *testing.T, argv []string, env []string, stop *func()) map[string]string {
	t.Helper()
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = env
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuf
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var once sync.Once
	*stop = func() {
		once.Do(func() {
			syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("%v: exit: %v\n%s", argv, err, stderr.String())
				}
			case <-time.After(30 * time.Second):
				syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
				t.Errorf("%v did not stop on SIGTERM", argv)
			}
		})
	}
	lines := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var all strings.Builder
	opsRe := regexp.MustCompile(`ops:\s+http://(\S+)/metrics`)
	timeout := time.After(60 * time.Second)
	var ops string
	for ops == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				(*stop)()
				t.Fatalf("%v exited before it served:\n%s\n%s", argv, all.String(), stderr.String())
			}
			all.WriteString(l + "\n")
			if m := opsRe.FindStringSubmatch(l); m != nil {
				ops = m[1]
			}
		case <-timeout:
			(*stop)()
			t.Fatalf("%v printed no ops address:\n%s\n%s", argv, all.String(), stderr.String())
		}
	}
	// Keep reading: later lines (web, next hop) and no blocked pipe.
	for drained := false; !drained; {
		select {
		case l, ok := <-lines:
			if !ok {
				drained = true
				break
			}
			all.WriteString(l + "\n")
		case <-time.After(200 * time.Millisecond):
			drained = true
		}
	}
	go func() {
		for range lines {
		}
	}()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		resp, err := http.Get("http://" + ops + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			(*stop)()
			t.Fatalf("%v never ready:\n%s", argv, stderr.String())
		}
	}
	return map[string]string{"ops": ops, "stdout": all.String()}
}

// syncBuf is a buffer safe for the process's writer and the test.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestExtractCommands pins the extraction rules on a small page.
func TestExtractCommands(t *testing.T) {
	page := "text `airlock inline` is not run\n" +
		"```sh\n# a comment\nairlock queue ls   # trailing comment kept\n\nairlock all --config f \\\n    --web-listen off\n```\n" +
		"- item\n  ```sh\n  curl -s http://x/readyz\n  ```\n" +
		"```\n$ airlock inspect fwd.eml\nfwd.eml  (subject: x)\n```\n" +
		"<!-- quickstart:begin -->\n```sh\n./airlock all\n```\n<!-- quickstart:end -->\n" +
		"```\nappendonly yes\n```\n"
	got := extractCommands(t, "page.md", page)
	want := []docCommand{
		{"page.md", 4, "airlock queue ls   # trailing comment kept"},
		{"page.md", 6, "airlock all --config f     --web-listen off"},
		{"page.md", 11, "curl -s http://x/readyz"},
		{"page.md", 14, "airlock inspect fwd.eml"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}
