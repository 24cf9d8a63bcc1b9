package clamav

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test files and the signature database that detects them. No
// downloaded signatures exist here: the tests write their own, one of each
// kind clamd loads (MD5 hash, body pattern, YARA rule).
var (
	hashFile  = []byte("airlock clamav hash test file\n")
	bodyFile  = []byte("MZ some bytes before AIRLOCK-BODY-MARKER-5521 and after")
	yaraFile  = []byte("<html><script>var k = 'airlock-yara-marker-7731';</script></html>")
	cleanFile = []byte("Dear colleague, please find the minutes attached.\n")
)

const yaraRule = `rule AirlockTestYara
{
    strings:
        $a = "airlock-yara-marker-7731"
    condition:
        $a
}
`

// clamdStreamMax is the StreamMaxLength the test clamd runs with, small so
// the size-limit reply is cheap to provoke.
const clamdStreamMax = 1 << 20

// testClamd is the one clamd of this test package (started in TestMain:
// loading even a tiny database costs a noticeable fraction of a second, so
// it starts once, not per test).
var testClamd *clamd

type clamd struct {
	cmd     *exec.Cmd
	dir     string
	unix    string
	tcp     string
	started time.Duration
	exited  chan error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "airlock-clamd-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clamd test dir:", err)
		os.Exit(1)
	}
	c, err := startClamd(dir)
	if err != nil {
		// Not a skip: clamd is a real dependency of these tests
		// (scripts/test installs clamav-daemon).
		fmt.Fprintln(os.Stderr, "starting clamd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	testClamd = c
	fmt.Fprintf(os.Stderr, "clamd ready in %v\n", c.started.Round(time.Millisecond))
	code := m.Run()
	c.stop()
	os.RemoveAll(dir)
	os.Exit(code)
}

func writeSignatures(db string) error {
	sum := md5.Sum(hashFile)
	files := map[string]string{
		"airlock.hdb": fmt.Sprintf("%s:%d:Airlock.Test.Hash\n", hex.EncodeToString(sum[:]), len(hashFile)),
		// Target type 0 (any file), offset * (anywhere).
		"airlock.ndb": "Airlock.Test.Body:0:*:" + hex.EncodeToString([]byte("AIRLOCK-BODY-MARKER-5521")) + "\n",
		"airlock.yar": yaraRule,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(db, name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func startClamd(dir string) (*clamd, error) {
	clamdBin, err := exec.LookPath("clamd")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/clamd"); serr != nil {
			return nil, fmt.Errorf("clamd not installed (Debian package clamav-daemon): %w", err)
		}
		clamdBin = "/usr/sbin/clamd"
	}
	db := filepath.Join(dir, "db")
	if err := os.Mkdir(db, 0o755); err != nil {
		return nil, err
	}
	if err := writeSignatures(db); err != nil {
		return nil, err
	}
	// clamd may run as another user when started as root; let it read
	// the database and create its socket.
	_ = os.Chmod(dir, 0o777)
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		c := &clamd{
			dir:  dir,
			unix: filepath.Join(dir, "clamd.sock"),
			tcp:  fmt.Sprintf("127.0.0.1:%d", port),
		}
		conf := filepath.Join(dir, "clamd.conf")
		body := strings.Join([]string{
			"Foreground yes",
			"DatabaseDirectory " + db,
			"LocalSocket " + c.unix,
			"TCPAddr 127.0.0.1",
			fmt.Sprintf("TCPSocket %d", port),
			"LogFile " + filepath.Join(dir, "clamd.log"),
			"PidFile " + filepath.Join(dir, "clamd.pid"),
			fmt.Sprintf("StreamMaxLength %d", clamdStreamMax),
			"MaxThreads 4",
			"SelfCheck 3600",
			"",
		}, "\n")
		if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
			return nil, err
		}
		c.cmd = exec.Command(clamdBin, "-c", conf)
		// Output goes to LogFile too; waitReady prints it on failure.
		start := time.Now()
		if err := c.cmd.Start(); err != nil {
			return nil, err
		}
		c.exited = make(chan error, 1)
		go func() { c.exited <- c.cmd.Wait() }()
		if err := c.waitReady(c.exited, 30*time.Second); err != nil {
			lastErr = err
			c.stop()
			os.Remove(c.unix)
			continue
		}
		c.started = time.Since(start)
		return c, nil
	}
	return nil, lastErr
}

func (c *clamd) waitReady(exited <-chan error, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(c.dir, "clamd.log"))
			return fmt.Errorf("clamd exited: %v\n%s", err, log)
		default:
		}
		if ok := pingAt("tcp", c.tcp) && pingAt("unix", c.unix); ok {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("clamd not ready after %v", limit)
}

func pingAt(network, addr string) bool {
	conn, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return false
	}
	r, err := bufio.NewReader(conn).ReadString(0)
	return err == nil && r == "PONG\x00"
}

func (c *clamd) stop() {
	if c.cmd == nil || c.cmd.Process == nil {
		return
	}
	// Our own child, by its pid; then reap it.
	_ = c.cmd.Process.Kill()
	select {
	case <-c.exited:
	case <-time.After(5 * time.Second):
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
