package main

import (
	"os"
	"testing"
)

// TestMain lets this test binary serve as `airlock extract-worker`: the
// mail-path tests run `airlock all` in-process, and its extract Isolator
// starts os.Executable() — this binary — with that verb.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "extract-worker" {
		os.Exit(run(os.Args[1:], &cmdEnv{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
	}
	os.Exit(m.Run())
}
