// Package testredis starts a private redis-server for a test: a free
// 127.0.0.1 port, a temp dir, optionally AOF with appendfsync always, and
// SIGKILL/restart for durability tests. It never touches a Redis that is
// already running.
package testredis

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Options say how the server runs.
type Options struct {
	// AOF turns on appendonly with appendfsync always.
	AOF bool
	// Args are extra redis-server arguments ("--maxmemory", "10mb").
	Args []string
}

// Server is one running redis-server.
type Server struct {
	t    testing.TB
	dir  string
	port int
	opts Options
	cmd  *exec.Cmd
}

// Start runs a redis-server for t, stopped at cleanup. It skips nothing:
// a missing redis-server fails the test (./scripts/test installs it).
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not installed (./scripts/test installs it): %v", err)
	}
	s := &Server{t: t, dir: t.TempDir(), opts: opts}
	s.port = freePort(t)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// PID is the running server's process id (0 after Kill), for memory
// sampling.
func (s *Server) PID() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Dir is the server's working directory (dump and AOF files).
func (s *Server) Dir() string { return s.dir }

func (s *Server) start() {
	s.t.Helper()
	args := []string{
		"--port", fmt.Sprint(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}
	if s.opts.AOF {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	args = append(args, s.opts.Args...)
	s.cmd = exec.Command("redis-server", args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s.ping() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	s.t.Fatalf("redis-server on %s did not answer PING within 10s; log:\n%s", s.Addr(), log)
}

// ping sends PING and also waits until an AOF is loaded (LOADING errors).
func (s *Server) ping() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}

// Kill sends SIGKILL: no shutdown save, no AOF rewrite — a crash.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port and dir (after Kill).
func (s *Server) Restart() {
	s.t.Helper()
	if s.cmd != nil {
		s.Kill()
	}
	s.start()
}

// Stop ends the server (used at cleanup).
func (s *Server) Stop() { s.Kill() }

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
