// Package testpostfix starts a private, throw-away Postfix for tests: its own
// config_directory and queue_directory under a temporary directory, smtpd on
// a free 127.0.0.1 port (optionally with smtpd_milters), an optional
// re-injection smtpd with no milter, every message relayed to one next hop
// (a test SMTP sink), and XCLIENT allowed from 127.0.0.1 so a test can claim
// any client address. The system Postfix (/etc/postfix) is never touched;
// the master is started and stopped by its PID.
//
// It needs Debian's postfix package and root (Postfix's master runs as root
// and drops to the postfix user for its daemons).
package testpostfix

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options shape the instance.
type Options struct {
	// NextHop is host:port of the SMTP server all mail is relayed to.
	NextHop string
	// Milter, when set, becomes smtpd_milters of the main smtpd, e.g.
	// "inet:127.0.0.1:7357".
	Milter string
	// MilterDefaultAction applies when the milter cannot be reached or
	// fails. Default tempfail (the mail stays with the sender).
	MilterDefaultAction string
	// Reinject adds a second smtpd with no milter (where released mail is
	// re-injected).
	Reinject bool
	// Extra main.cf lines, "name = value".
	Extra []string
}

// Postfix is one running private instance.
type Postfix struct {
	// SMTPAddr is the main smtpd (with the milter, when configured).
	SMTPAddr string
	// ReinjectAddr is the smtpd with no milter ("" without Options.Reinject).
	ReinjectAddr string
	// Dir is the base directory (config, queue, log).
	Dir string

	opts      Options
	etc       string
	spool     string
	logFile   string
	masterPID int
}

// Available reports whether the postfix binaries are installed and the
// process can run them (root), with the reason when not.
func Available() (bool, string) {
	for _, b := range []string{"postfix", "postconf"} {
		if _, err := lookPath(b); err != nil {
			return false, b + " not installed (apt-get install postfix)"
		}
	}
	if os.Geteuid() != 0 {
		return false, "postfix's master must run as root"
	}
	return true, ""
}

func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found", name)
}

// FreePort returns a free 127.0.0.1 TCP port. Postfix must bind the port
// itself, so the port is released before it is used; the window is small.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// SharedDir is a temporary directory other users can traverse (0755),
// removed when the test ends. Not t.TempDir: Postfix's daemons run as the
// postfix user and must reach what is inside (its queue, a milter
// socket), and t.TempDir's parent is 0700.
func SharedDir(t testing.TB, prefix string) string {
	t.Helper()
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// Start writes the configuration, starts the master and waits until smtpd
// listens. The instance is stopped when the test ends. A missing Postfix
// fails the test: scripts/test installs it.
func Start(t testing.TB, o Options) *Postfix {
	t.Helper()
	if ok, why := Available(); !ok {
		t.Fatalf("testpostfix: %s", why)
	}
	if o.MilterDefaultAction == "" {
		o.MilterDefaultAction = "tempfail"
	}
	dir := SharedDir(t, "airlock-postfix-")
	p := &Postfix{
		Dir:     dir,
		opts:    o,
		etc:     filepath.Join(dir, "etc"),
		spool:   filepath.Join(dir, "spool"),
		logFile: filepath.Join(dir, "log", "maillog"),
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("postfix log (%s):\n%s", p.logFile, p.Log())
		}
	})
	p.SMTPAddr = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	if o.Reinject {
		p.ReinjectAddr = fmt.Sprintf("127.0.0.1:%d", FreePort(t))
	}
	if err := p.writeConfig(); err != nil {
		t.Fatalf("testpostfix: %v", err)
	}
	if err := p.start(); err != nil {
		t.Fatalf("testpostfix: %v\nlog:\n%s", err, p.Log())
	}
	return p
}

func (p *Postfix) writeConfig() error {
	data := filepath.Join(p.Dir, "data")
	for _, d := range []string{p.etc, p.spool, data, filepath.Dir(p.logFile)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(p.Dir, 0o755); err != nil {
		return err
	}
	if err := chownPostfix(data); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `# written by internal/testpostfix
compatibility_level = 3.6
queue_directory = %s
data_directory = %s
mail_owner = postfix
setgid_group = postdrop
myhostname = airlock-test.localdomain
mydomain = localdomain
myorigin = $myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled in tests
alias_maps =
alias_database =
relay_domains =
relayhost = [%s]:%s
default_transport = smtp
mynetworks = 0.0.0.0/0
# Only loopback listens; XCLIENT lets tests claim outside addresses, which
# must relay too.
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions =
smtpd_authorized_xclient_hosts = 127.0.0.0/8
smtp_dns_support_level = disabled
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
smtpd_tls_security_level = none
smtp_tls_security_level = none
biff = no
append_dot_mydomain = no
readme_directory = no
message_size_limit = 104857600
minimal_backoff_time = 5s
maximal_backoff_time = 10s
queue_run_delay = 5s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
default_process_limit = 200
syslog_name = airlock-test
maillog_file = %s
maillog_file_prefixes = %s
`, p.spool, data, host(p.opts.NextHop), port(p.opts.NextHop), p.logFile, p.Dir)
	if p.opts.Milter != "" {
		fmt.Fprintf(&b, "smtpd_milters = %s\nnon_smtpd_milters =\nmilter_default_action = %s\nmilter_protocol = 6\n",
			p.opts.Milter, p.opts.MilterDefaultAction)
	}
	for _, l := range p.opts.Extra {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(filepath.Join(p.etc, "main.cf"), []byte(b.String()), 0o644); err != nil {
		return err
	}

	var m strings.Builder
	fmt.Fprintf(&m, "%s inet n - n - - smtpd\n", p.SMTPAddr)
	if p.ReinjectAddr != "" {
		fmt.Fprintf(&m, "%s inet n - n - - smtpd\n  -o syslog_name=airlock-test/reinject\n  -o smtpd_milters=\n", p.ReinjectAddr)
	}
	m.WriteString(masterServices)
	return os.WriteFile(filepath.Join(p.etc, "master.cf"), []byte(m.String()), 0o644)
}

// masterServices are the daemons Postfix needs, none chrooted (the queue is
// a temp dir with no chroot copies of /etc files).
const masterServices = `pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`

func host(hp string) string {
	h, _, err := net.SplitHostPort(hp)
	if err != nil {
		return hp
	}
	return h
}

func port(hp string) string {
	_, p, err := net.SplitHostPort(hp)
	if err != nil {
		return "25"
	}
	return p
}

func chownPostfix(path string) error {
	uid, gid, err := ids("postfix")
	if err != nil {
		return err
	}
	return os.Chown(path, uid, gid)
}

// ids returns the uid and gid of a system user or group name.
func ids(name string) (uid, gid int, err error) {
	if u, err := user.Lookup(name); err == nil {
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		return uid, gid, nil
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, 0, fmt.Errorf("no user or group %q (is postfix installed?): %w", name, err)
	}
	gid, _ = strconv.Atoi(g.Gid)
	return 0, gid, nil
}

func (p *Postfix) postfix(args ...string) ([]byte, error) {
	bin, err := lookPath("postfix")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"-c", p.etc}, args...)...)
	cmd.Env = append(os.Environ(), "PATH=/usr/sbin:/sbin:/usr/bin:/bin")
	return cmd.CombinedOutput()
}

// queueDirs are the queue sub-directories with their modes and whether the
// setgid group owns them (from Debian's postfix-files). Creating them here
// skips `postfix check`, which takes seconds on a busy machine.
var queueDirs = []struct {
	name     string
	mode     os.FileMode
	postdrop bool
}{
	{"active", 0o700, false}, {"bounce", 0o700, false}, {"corrupt", 0o700, false},
	{"defer", 0o700, false}, {"deferred", 0o700, false}, {"flush", 0o700, false},
	{"hold", 0o700, false}, {"incoming", 0o700, false}, {"private", 0o700, false},
	{"saved", 0o700, false}, {"trace", 0o700, false},
	{"maildrop", 0o730, true}, {"public", 0o710, true},
}

func (p *Postfix) start() error {
	uid, gid, err := ids("postfix")
	if err != nil {
		return err
	}
	_, pdGID, err := ids("postdrop")
	if err != nil {
		return err
	}
	for _, d := range queueDirs {
		path := filepath.Join(p.spool, d.name)
		if err := os.MkdirAll(path, d.mode); err != nil {
			return err
		}
		g := gid
		if d.postdrop {
			g = pdGID
		}
		if err := os.Chown(path, uid, g); err != nil {
			return err
		}
		if err := os.Chmod(path, d.mode); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Join(p.spool, "pid"), 0o755); err != nil {
		return err
	}
	// master -w returns once the real master (a background process) has
	// initialised; its PID is then in pid/master.pid.
	cmd := exec.Command(masterPath(), "-c", p.etc, "-w")
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+p.etc)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("master: %v: %s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if p.masterPID == 0 {
			p.masterPID = p.readMasterPID()
		}
		if p.masterPID != 0 && listening(p.SMTPAddr) && (p.ReinjectAddr == "" || listening(p.ReinjectAddr)) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("postfix did not start listening on %s within 15s", p.SMTPAddr)
}

func masterPath() string {
	if out, err := exec.Command("postconf", "-h", "daemon_directory").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); d != "" {
			return filepath.Join(d, "master")
		}
	}
	return "/usr/lib/postfix/sbin/master"
}

func (p *Postfix) readMasterPID() int {
	b, err := os.ReadFile(filepath.Join(p.spool, "pid", "master.pid"))
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

// listening reads /proc/net/tcp rather than connecting: a probe connection
// would be a session in the milter and the sink.
func listening(addr string) bool {
	_, ps, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(ps)
	want1 := fmt.Sprintf("0100007F:%04X", n)
	want2 := fmt.Sprintf("00000000:%04X", n)
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) > 3 && f[3] == "0A" && (f[1] == want1 || f[1] == want2) {
			return true
		}
	}
	return false
}

func alive(pid int) bool {
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// Stop stops the master by its PID (SIGTERM, then SIGKILL to the
// master and its children if it lingers). Safe to call twice.
func (p *Postfix) Stop() {
	pid := p.masterPID
	if pid == 0 {
		pid = p.readMasterPID()
	}
	if !alive(pid) {
		return
	}
	kids := children(pid)
	// SIGTERM is what `postfix stop` sends, without its script's checks.
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 200 && alive(pid); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if alive(pid) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for _, k := range kids {
		for i := 0; i < 40 && alive(k); i++ {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(k) {
			syscall.Kill(k, syscall.SIGKILL)
		}
	}
	p.masterPID = 0
}

// children lists the PIDs whose parent is pid.
func children(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// Log returns Postfix's log so far.
func (p *Postfix) Log() string {
	b, _ := os.ReadFile(p.logFile)
	return string(b)
}

// QueueSize counts the messages Postfix still holds (incoming, active,
// deferred, hold, maildrop).
func (p *Postfix) QueueSize() int {
	n := 0
	for _, d := range []string{"maildrop", "incoming", "active", "deferred", "hold", "corrupt"} {
		filepath.WalkDir(filepath.Join(p.spool, d), func(_ string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				n++
			}
			return nil
		})
	}
	return n
}

// WaitQueueEmpty waits until Postfix holds no mail, failing the test after
// timeout.
func (p *Postfix) WaitQueueEmpty(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for p.QueueSize() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("postfix queue still holds %d message(s) after %s", p.QueueSize(), timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Flush asks the queue manager to retry deferred mail now.
func (p *Postfix) Flush() error {
	out, err := p.postfix("flush")
	if err != nil {
		return fmt.Errorf("postfix flush: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}
