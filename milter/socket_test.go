package milter

import (
	"bytes"
	"encoding/binary"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/airlockmail/airlock/config"
)

func packet(cmd byte, data string) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(data)+1))
	return append(append(b, cmd), data...)
}

func TestReplyComplete(t *testing.T) {
	addHeader := packet('h', "X-Airlock-Verdict\x00 clean\x00")
	accept := packet('a', "")
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"empty", nil, true},
		{"header of a packet only", addHeader[:5], false},
		{"half a packet", addHeader[:9], false},
		{"a modification waits for its reply", addHeader, false},
		{"modifications then accept", bytes.Join([][]byte{addHeader, addHeader, accept}, nil), true},
		{"accept alone (no data)", accept, true},
		{"progress", packet('p', ""), true},
		{"change header waits too", packet('m', "\x00\x00\x00\x01X\x00\x00"), false},
		{"continue", packet('c', ""), true},
		{"quarantine waits", packet('q', "held\x00"), false},
		{"negotiation reply", packet('O', "\x00\x00\x00\x06"), true},
		{"reject with code", packet('y', "550 5.7.1 no\x00"), true},
		{"malformed zero length", []byte{0, 0, 0, 0, 'a'}, true},
	}
	for _, tc := range tests {
		if got := replyComplete(tc.b); got != tc.want {
			t.Errorf("%s: got %v", tc.name, got)
		}
	}
}

// TestWritesGathered: what go-milter writes as a packet header, its data,
// added headers and the final answer reaches the MTA in one write, and
// nothing is held back after the answer.
func TestWritesGathered(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &bufConn{Conn: a}
	h := packet('h', "X-Airlock-Verdict\x00 clean\x00")
	acc := packet('a', "")
	got := make(chan []byte, 4)
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := b.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- bytes.Clone(buf[:n])
		}
	}()
	for _, w := range [][]byte{h[:5], h[5:], h[:5], h[5:], acc} {
		if n, err := c.Write(w); err != nil || n != len(w) {
			t.Fatalf("write: %d %v", n, err)
		}
	}
	want := bytes.Join([][]byte{h, h, acc}, nil)
	if r := <-got; !bytes.Equal(r, want) {
		t.Fatalf("one write of %q wanted, MTA read %q", want, r)
	}
	if len(c.w) != 0 {
		t.Errorf("%d bytes still buffered", len(c.w))
	}
}

// TestListenUnixSocket: the socket gets the configured mode and group,
// and a regular file in its place is not removed.
func TestListenUnixSocket(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "milter.sock")
	c := config.DefaultMilter()
	c.Listen = "unix:" + path
	c.SocketMode = "0660"
	grp := ""
	if g, err := user.LookupGroupId(strconv.Itoa(os.Getgid())); err == nil {
		grp = g.Name
	}
	c.SocketGroup = grp
	ln, err := Listen(c)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o660 || fi.Mode().Type() != os.ModeSocket {
		t.Errorf("socket mode %v", fi.Mode())
	}
	if st := fi.Sys().(*syscall.Stat_t); grp != "" && int(st.Gid) != os.Getgid() {
		t.Errorf("socket group %d", st.Gid)
	}
	ln.Close()

	// A stale socket from a previous run is replaced.
	os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	ln, err = Listen(c)
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	ln.Close()

	// A regular file is a configuration mistake, not something to delete.
	file := filepath.Join(dir, "not-a-socket")
	os.WriteFile(file, []byte("keep"), 0o600)
	c.Listen = "unix:" + file
	if _, err := Listen(c); err == nil {
		t.Fatal("listening over a regular file succeeded")
	}
	if b, _ := os.ReadFile(file); string(b) != "keep" {
		t.Error("regular file removed")
	}

	c.SocketGroup = "no-such-group-airlock"
	c.Listen = "unix:" + filepath.Join(dir, "g.sock")
	if _, err := Listen(c); err == nil {
		t.Error("unknown group accepted")
	}
}
