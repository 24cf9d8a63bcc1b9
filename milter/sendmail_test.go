package milter_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/milter"
)

// sendmailMC is the smoke test's sendmail.mc: the snippet of
// docs/sendmail.md plus what a private instance needs (own queue, no DNS,
// everything relayed to the sink, and no load-average limits: Sendmail
// stops listening when the load passes REFUSE_LA, as it does on a shared
// test machine).
const sendmailMC = `divert(-1)
include(` + "`" + `%[1]s/usr/share/sendmail/cf/m4/cf.m4')
divert(0)dnl
OSTYPE(` + "`linux'" + `)dnl
define(` + "`confSERVICE_SWITCH_FILE', `%[2]s/service.switch'" + `)dnl
define(` + "`confDONT_PROBE_INTERFACES', `True'" + `)dnl
define(` + "`confREFUSE_LA', `1000'" + `)dnl
define(` + "`confQUEUE_LA', `1000'" + `)dnl
define(` + "`confDELAY_LA', `0'" + `)dnl
define(` + "`confDOMAIN_NAME', `airlock-test.localdomain'" + `)dnl
define(` + "`QUEUE_DIR', `%[2]s/mqueue'" + `)dnl
define(` + "`confPID_FILE', `%[2]s/sendmail.pid'" + `)dnl
define(` + "`STATUS_FILE', `%[2]s/statistics'" + `)dnl
define(` + "`ALIAS_FILE', `'" + `)dnl
define(` + "`confHELP_FILE', `'" + `)dnl
define(` + "`confCW_FILE', `%[2]s/local-host-names'" + `)dnl
define(` + "`confDONT_BLAME_SENDMAIL', `GroupWritableDirPathSafe,InsufficientEntropy'" + `)dnl
define(` + "`confDEF_USER_ID', `postfix:postfix'" + `)dnl
define(` + "`SMART_HOST', `relay:[127.0.0.1]'" + `)dnl
define(` + "`RELAY_MAILER_ARGS', `TCP $h %[3]d'" + `)dnl
define(` + "`confMILTER_MACROS_EOM', `{msg_id}, i'" + `)dnl
FEATURE(` + "`promiscuous_relay'" + `)dnl
FEATURE(` + "`accept_unresolvable_domains'" + `)dnl
FEATURE(` + "`nocanonify'" + `)dnl
DAEMON_OPTIONS(` + "`Port=%[4]d, Addr=127.0.0.1, Name=MTA'" + `)dnl
DAEMON_OPTIONS(` + "`Port=%[5]d, Addr=127.0.0.1, Name=MTA-airlock, InputMailFilters='" + `)dnl
INPUT_MAIL_FILTER(` + "`airlock', `S=inet:%[6]d@127.0.0.1, F=T, T=C:30s;S:60s;R:60s;E:5m'" + `)dnl
MAILER(` + "`smtp'" + `)dnl
`

// TestSendmailSmoke passes one held-then-released message through a
// private Sendmail. Debian's sendmail-bin conflicts with postfix (both
// are the mail-transport-agent), so it cannot be installed next to the
// Postfix the other tests use: scripts/test unpacks sendmail-bin,
// sendmail-cf and libwrap0 with dpkg-deb -x and points
// AIRLOCK_SENDMAIL_ROOT at them (docs/sendmail.md); m4 builds sendmail.cf.
func TestSendmailSmoke(t *testing.T) {
	root := os.Getenv("AIRLOCK_SENDMAIL_ROOT")
	if root == "" {
		t.Skip("AIRLOCK_SENDMAIL_ROOT not set (scripts/test sets it): sendmail-bin conflicts with postfix, so it is unpacked, not installed (docs/sendmail.md)")
	}
	dir, err := os.MkdirTemp("", "airlock-sendmail-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	os.Mkdir(filepath.Join(dir, "mqueue"), 0o700)
	os.WriteFile(filepath.Join(dir, "service.switch"), []byte("hosts files\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "local-host-names"), nil, 0o644)

	sink := smtpsink.Start(t, smtpsink.Options{})
	_, sinkPort, _ := net.SplitHostPort(sink.Addr())
	sp, _ := strconv.Atoi(sinkPort)
	mtaPort, reinjectPort, milterPort := testpostfix.FreePort(t), testpostfix.FreePort(t), testpostfix.FreePort(t)

	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	e := gatetest.Start(t, gatetest.Options{Config: &c, NextHop: fmt.Sprintf("127.0.0.1:%d", reinjectPort)})
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", milterPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := milter.New(config.DefaultMilter(), e.Gate, gatetest.Logger())
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	mc := fmt.Sprintf(sendmailMC, root, dir, sp, mtaPort, reinjectPort, milterPort)
	m4 := exec.Command("m4")
	m4.Stdin = strings.NewReader(mc)
	cf, err := m4.Output()
	if err != nil {
		t.Fatalf("m4: %v", err)
	}
	cfFile := filepath.Join(dir, "sendmail.cf")
	os.WriteFile(cfFile, cf, 0o644)
	// A copy without the setgid bit, so LD_LIBRARY_PATH finds libwrap.
	bin := filepath.Join(dir, "sendmail")
	b, err := os.ReadFile(filepath.Join(root, "usr/libexec/sendmail/sendmail"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(bin, b, 0o755)
	// Sendmail qualifies its host name through the system resolver before
	// it reads sendmail.cf: with this machine's unqualified name it asks
	// DNS (a non-loopback address) and then sleeps a minute. So it runs in
	// its own mount and UTS namespaces, with a qualified host name and a
	// hosts file and name service switch that never leave the machine.
	os.WriteFile(filepath.Join(dir, "hosts"), []byte("127.0.0.1 localhost\n127.0.1.1 sm.airlock-test.localdomain sm\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "nsswitch.conf"), []byte("hosts: files\npasswd: files\ngroup: files\n"), 0o644)
	script := `hostname sm.airlock-test.localdomain &&
mount --bind "$1/hosts" /etc/hosts &&
mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf &&
exec "$2" -bd -C "$3" -L airlock-test-sm`
	cmd := exec.Command("unshare", "--mount", "--uts", "sh", "-c", script, "sh", dir, bin, cfFile)
	cmd.Env = append(os.Environ(), "LD_LIBRARY_PATH="+filepath.Join(root, "usr/lib/x86_64-linux-gnu"))
	// Output to a file, not a pipe: the daemon inherits the descriptors
	// and a pipe would keep Run waiting.
	logf, _ := os.Create(filepath.Join(dir, "sendmail.out"))
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Run(); err != nil {
		out, _ := os.ReadFile(logf.Name())
		t.Fatalf("sendmail: %v\n%s", err, out)
	}
	logf.Close()
	t.Cleanup(func() {
		pb, _ := os.ReadFile(filepath.Join(dir, "sendmail.pid"))
		if pid, _ := strconv.Atoi(strings.SplitN(string(pb), "\n", 2)[0]); pid > 0 {
			syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	// Up to 30 s: on a loaded machine Sendmail takes seconds to listen.
	for i := 0; i < 600; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", mtaPort)); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Logf("sendmail up after %v", time.Since(start))
	if out, _ := os.ReadFile(filepath.Join(dir, "sendmail.out")); len(out) > 0 {
		t.Logf("sendmail said: %s", out)
	}
	swaks := func(msg []byte) {
		t.Helper()
		sw := exec.Command("swaks", "--server", fmt.Sprintf("127.0.0.1:%d", mtaPort), "--from", "alice@example.net", "--to", "bob@example.org", "--data", "-")
		sw.Stdin = bytes.NewReader(bytes.TrimSuffix(msg, []byte("\r\n")))
		if out, err := sw.CombinedOutput(); err != nil {
			t.Fatalf("swaks: %v\n%s", err, out)
		}
	}
	// Passed at once with forged X-Airlock fields: Sendmail deletes them
	// by the indexes the milter gives (it counts only the message's own
	// fields, as Postfix does).
	swaks(gatetest.Forge(gatetest.Mail("alice@example.net", "bob@example.org", "sendmail now")))
	if got := waitSink(t, sink, "sendmail now"); got != nil {
		gatetest.WantOwned(t, got, map[string]int{"x-airlock-verdict": 1})
	}
	start = time.Now()
	// With forged X-Airlock fields: none is held, none is released.
	sent := gatetest.Forge(gatetest.Mail("alice@example.net", "bob@example.org", "sendmail held", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))
	swaks(sent)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range sink.Messages() {
			if bytes.Contains(m.Data, []byte("Subject: sendmail held")) {
				if !bytes.Contains(m.Data, []byte("X-Airlock-Queue-Id: ")) || !bytes.Equal(gatetest.BodyOf(m.Data), gatetest.BodyOf(sent)) {
					t.Errorf("not the released message, or body changed:\n%s", m.Data)
				}
				gatetest.WantOwned(t, m.Data, map[string]int{"x-airlock-verdict": 1, "x-airlock-queue-id": 1, "x-airlock-held": 1, "x-airlock-release": 1})
				t.Logf("released message arrived %v after sending", time.Since(start))
				if srv.Stats.Discarded.Load() != 1 {
					t.Errorf("discarded %d", srv.Stats.Discarded.Load())
				}
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("sink never got the released message (discarded %d)", srv.Stats.Discarded.Load())
}

// waitSink returns the message with this subject once the sink has it, or
// nil (the test failed) after 30 seconds.
func waitSink(t *testing.T, sink *smtpsink.Sink, subject string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range sink.Messages() {
			if bytes.Contains(m.Data, []byte("Subject: "+subject+"\r\n")) {
				return m.Data
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Errorf("sink never got %q", subject)
	return nil
}
