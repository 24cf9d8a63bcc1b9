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
// in these tests. FAKE: a message starting "HANG" makes the worker spin
// without reading, standing in for a library loop no deadline interrupts.
func TestMain(m *testing.M) {
	if os.Getenv("AIRLOCK_EXTRACT_WORKER") == "1" {
		in, _ := readAllStdin()
		if bytes.Contains(in, []byte("\nHANG")) {
			for {
			}
		}
		if err := ServeWorker(bytes.NewReader(in), os.Stdout); err != nil {
			os.Stderr.WriteString(err.Error())
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func readAllStdin() ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(os.Stdin)
	return b.Bytes(), err
}

func testIsolator(t *testing.T) *Isolator {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return &Isolator{Path: exe, Args: []string{"-test.run=^$"}, Env: []string{"AIRLOCK_EXTRACT_WORKER=1"}}
}

func TestIsolatedWalkSameAsInProcess(t *testing.T) {
	msg := message("x", attach("a.zip", "application/zip", zipOf(t, zipEntry{"b.exe", minimalPE()})))
	r, err := testIsolator(t).Walk(context.Background(), msg, Options{KeepData: true})
	if err != nil {
		t.Fatal(err)
	}
	direct := walk(t, msg)
	if len(r.Files) != len(direct.Files) || r.Subject != "x" {
		t.Fatalf("isolated %+v, direct %+v", r.Files, direct.Files)
	}
	for i := range r.Files {
		if r.Files[i].SHA256 != direct.Files[i].SHA256 || !bytes.Equal(r.Files[i].Data, direct.Files[i].Data) {
			t.Errorf("file %d differs: %s", i, r.Files[i].Path)
		}
	}
}

// A worker stuck in a loop is killed after the walk timeout plus grace,
// and the message comes back unscannable rather than clean or lost.
func TestIsolatedWorkerKilled(t *testing.T) {
	lim := config.DefaultExtract()
	lim.Timeout = 500 * time.Millisecond
	start := time.Now()
	r, err := testIsolator(t).Walk(context.Background(), []byte("Subject: x\r\n\r\nHANG"), Options{Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 1 || !r.Files[0].Flags.Any() {
		t.Fatalf("killed worker: %+v", r)
	}
	t.Logf("killed after %s: %s", time.Since(start), r.Files[0].Problem)
}
