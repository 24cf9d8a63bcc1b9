package extract

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
)

// TestMain doubles as the extract worker when re-executed by an Isolator
// in these tests. FAKE: a message containing "\nHANG" makes the worker
// spin without reading, standing in for a library loop that no deadline
// interrupts.
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_EXTRACT_WORKER") == "1" {
		testHookWalk = func(msg []byte) {
			if bytes.Contains(msg, []byte("\nHANG")) {
				for {
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

func TestIsolatedWalkSameAsInProcess(t *testing.T) {
	iso := testIsolator(t)
	msg := message("x", attach("a.zip", "application/zip", zipOf(t, zipEntry{"b.exe", minimalPE()})))
	direct := walk(t, msg)
	for round := 0; round < 3; round++ { // the second and third reuse the child
		r, err := iso.Walk(context.Background(), msg, Options{KeepData: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Files) != len(direct.Files) || r.Subject != "x" {
			t.Fatalf("isolated %+v, direct %+v", r.Files, direct.Files)
		}
		for i := range r.Files {
			if r.Files[i].SHA256 != direct.Files[i].SHA256 || !bytes.Equal(r.Files[i].Data, direct.Files[i].Data) {
				t.Errorf("file %d differs: %s", i, r.Files[i].Path)
			}
		}
	}
	if len(iso.idle) != 1 {
		t.Errorf("%d idle workers after three sequential walks, want 1 reused", len(iso.idle))
	}
	f, err := iso.WalkFile(context.Background(), "a.zip", zipOf(t, zipEntry{"c.js", []byte("WScript.Echo(1)")}), Options{})
	if err != nil || len(f.Files) != 2 || f.Files[1].Category != "script" {
		t.Errorf("WalkFile: %v %+v", err, f)
	}
}

// A worker stuck in a loop is killed after the walk timeout plus grace,
// the message comes back unscannable rather than clean or lost, and the
// next walk gets a fresh worker.
func TestIsolatedWorkerKilled(t *testing.T) {
	iso := testIsolator(t)
	lim := config.DefaultExtract()
	lim.Timeout = 300 * time.Millisecond
	start := time.Now()
	r, err := iso.Walk(context.Background(), []byte("Subject: x\r\n\r\nHANG"), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 1 || r.Files[0].Flags.Limit != "time" {
		t.Fatalf("killed worker: %+v", r)
	}
	t.Logf("killed after %s: %s", time.Since(start), r.Files[0].Problem)
	r, err = iso.Walk(context.Background(), message("y", textPart("z")), Options{Limits: lim})
	if err != nil || r.Subject != "y" {
		t.Fatalf("walk after a kill: %v %+v", err, r)
	}
}

func TestIsolatedCallerCancel(t *testing.T) {
	iso := testIsolator(t)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := iso.Walk(ctx, []byte("Subject: x\r\n\r\nHANG"), Options{}); err == nil {
		t.Fatal("cancelled walk returned no error")
	}
}
