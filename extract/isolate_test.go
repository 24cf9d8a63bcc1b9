package extract

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
)

// TestMain doubles as the extract worker when re-executed by an Isolator
// in these tests. FAKE: a container holding "\nHANG" makes the worker spin
// without reading, standing in for a library loop that no deadline
// interrupts; one holding "\nBALLOON" allocates without bound, standing in
// for a decompressor that balloons.
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_EXTRACT_WORKER") == "1" {
		testHookWalk = func(msg []byte) {
			if bytes.Contains(msg, []byte("\nHANG")) {
				for {
				}
			}
			if bytes.Contains(msg, []byte("\nBALLOON")) {
				var keep [][]byte
				for {
					keep = append(keep, make([]byte, 64<<20))
				}
			}
		}
		if err := ServeWorker(os.Stdin, os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func testIsolator(t *testing.T) *Isolator {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	iso := &Isolator{Path: exe, Args: []string{"-test.run=^$"}, Env: []string{"AIRLOCK_EXTRACT_WORKER=1"}}
	t.Cleanup(iso.Close)
	return iso
}

// tarOf is a tar archive: opened by a third-party reader, so in a child.
func tarOf(t testing.TB, name string, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// A message is walked here; only its third-party containers go to a
// child, and the result is the same as walking it all in one process.
func TestIsolatedWalkSameAsInProcess(t *testing.T) {
	iso := testIsolator(t)
	inner := tarOf(t, "docs/b.exe", minimalPE())
	msg := message("x",
		attach("a.zip", "application/zip", zipOf(t, zipEntry{"b.exe", minimalPE()}, zipEntry{"c.tar", inner})),
		attach("d.tar", "application/x-tar", tarOf(t, "e.js", []byte("WScript.Echo(1)"))))
	direct := walk(t, msg)
	for round := 0; round < 3; round++ { // the second and third reuse the child
		r, err := iso.Walk(context.Background(), msg, Options{KeepData: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Files) != len(direct.Files) || r.Subject != "x" {
			t.Fatalf("isolated %s, direct %s", names(r), names(direct))
		}
		for i := range r.Files {
			a, b := r.Files[i], direct.Files[i]
			if a.Path != b.Path || a.Depth != b.Depth || a.SHA256 != b.SHA256 || !bytes.Equal(a.Data, b.Data) {
				t.Errorf("file %d differs: %s/%d vs %s/%d", i, a.Path, a.Depth, b.Path, b.Depth)
			}
		}
	}
	if n := iso.Starts.Load(); n != 1 {
		t.Errorf("%d workers started for three sequential walks, want 1 reused", n)
	}
	// Mail without third-party containers never reaches a child.
	plain := message("y", attach("a.zip", "application/zip", zipOf(t, zipEntry{"b.pdf", []byte("%PDF-1.4\n")})))
	before := iso.Starts.Load()
	if _, err := iso.Walk(context.Background(), plain, Options{}); err != nil {
		t.Fatal(err)
	}
	if iso.Starts.Load() != before || len(iso.idle) != 1 {
		t.Errorf("a zip of a PDF used a worker: starts %d idle %d", iso.Starts.Load(), len(iso.idle))
	}
}

// Concurrent walks share at most Size children: the rest wait their turn.
func TestIsolatorPoolBounded(t *testing.T) {
	iso := testIsolator(t)
	iso.Size = 2
	msg := message("x", attach("d.tar", "application/x-tar", tarOf(t, "e.js", []byte("WScript.Echo(1)"))))
	done := make(chan error, 20)
	for range 20 {
		go func() {
			r, err := iso.Walk(context.Background(), msg, Options{})
			if err == nil && len(r.Files) != 2 {
				t.Errorf("walk: %s", names(r))
			}
			done <- err
		}()
	}
	for range 20 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := iso.Starts.Load(); n > 2 {
		t.Errorf("%d workers started for 20 concurrent walks with Size 2", n)
	}
}

// A worker stuck in a loop is killed after the walk timeout plus grace,
// the container comes back unscannable (limit=time) rather than clean or
// lost, a walk that needs no worker completes meanwhile, and the next walk
// gets a fresh worker.
func TestIsolatedWorkerKilled(t *testing.T) {
	iso := testIsolator(t)
	lim := config.DefaultExtract()
	lim.Timeout = 300 * time.Millisecond
	start := time.Now()
	hung := make(chan *Result, 1)
	go func() {
		r, err := iso.Walk(context.Background(), message("x", attach("a.tar", "application/x-tar", tarOf(t, "f", []byte("x\nHANG")))), Options{Limits: lim})
		if err != nil {
			t.Error(err)
		}
		hung <- r
	}()
	other, err := iso.Walk(context.Background(), message("y", attach("a.zip", "application/zip", zipOf(t, zipEntry{"b.js", []byte("x")}))), Options{Limits: lim})
	if err != nil || len(other.Files) != 2 {
		t.Fatalf("walk beside a hung worker: %v %+v", err, other)
	}
	if len(hung) != 0 {
		t.Fatal("the hung walk ended before the other one")
	}
	r := <-hung
	if f := find(t, r, "a.tar"); f.Flags.Limit != "time" {
		t.Fatalf("killed worker: %+v", r)
	}
	t.Logf("killed after %s: %s", time.Since(start), r.Files[0].Problem)
	// default limits: a fresh worker's start may take longer than 300 ms
	// on a loaded machine
	r, err = iso.Walk(context.Background(), message("y", attach("a.tar", "application/x-tar", tarOf(t, "g", []byte("z")))), Options{})
	if err != nil || r.Subject != "y" || len(r.Files) != 2 || r.Files[1].Flags.Any() {
		t.Fatalf("walk after a kill: %v %+v", err, r)
	}
}

// A decompressor that allocates without bound kills only its child: the
// container is limit=memory.
func TestIsolatedWorkerOutOfMemory(t *testing.T) {
	iso := testIsolator(t)
	iso.MemoryBytes = 256 << 20
	r, err := iso.Walk(context.Background(), message("x", attach("a.tar", "application/x-tar", tarOf(t, "f", []byte("x\nBALLOON")))), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := find(t, r, "a.tar"); f.Flags.Limit != "memory" {
		t.Fatalf("ballooning worker: %+v", f)
	}
}

func TestIsolatedCallerCancel(t *testing.T) {
	iso := testIsolator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := iso.Walk(ctx, message("x", attach("a.tar", "application/x-tar", tarOf(t, "f", []byte("x\nHANG")))), Options{}); err == nil {
		t.Fatal("cancelled walk returned no error")
	}
}
