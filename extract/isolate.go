package extract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"syscall"
	"time"
)

// Isolator runs walks in a child process with a CPU-time and memory cap,
// so that a library loop that never reads (which no deadline can
// interrupt inside this process) costs one killed child, not the process
// that talks to the MTA. The child is this same binary started with
// Args (e.g. `airlock extract-worker`), which calls ServeWorker.
type Isolator struct {
	// Path of the binary, usually os.Executable().
	Path string
	// Args after the binary name.
	Args []string
	// Env is added to the child's environment.
	Env []string
	// MemoryBytes caps the child's address space (RLIMIT_AS). Default 2 GiB.
	MemoryBytes int64
}

// workerRequest is the first line the child reads; the message follows.
type workerRequest struct {
	Options    Options `json:"options"`
	File       string  `json:"file,omitempty"` // set: WalkFile with this name
	CPUSeconds int     `json:"cpu_seconds"`
	Memory     int64   `json:"memory"`
}

// workerFile carries File.Data, which File's own JSON leaves out.
type workerFile struct {
	File
	Data []byte `json:"data,omitempty"`
}

type workerResult struct {
	Files    []workerFile `json:"files"`
	Subject  string       `json:"subject,omitempty"`
	Problems []string     `json:"problems,omitempty"`
}

// Walk is Walk in the child process.
func (iso *Isolator) Walk(ctx context.Context, msg []byte, opts Options) (*Result, error) {
	return iso.run(ctx, "", msg, opts)
}

// WalkFile is WalkFile in the child process.
func (iso *Isolator) WalkFile(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	return iso.run(ctx, name, data, opts)
}

func (iso *Isolator) run(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	w, cancel := newWalker(ctx, opts) // for the defaulted limits only
	cancel()
	opts.Limits = w.lim
	mem := iso.MemoryBytes
	if mem <= 0 {
		mem = 2 << 30
	}
	// The child's own deadline stops well-behaved walks; the CPU limit
	// and our kill after a grace period stop the rest.
	wall := opts.Limits.Timeout + 2*time.Second
	cctx, ccancel := context.WithTimeout(ctx, wall)
	defer ccancel()
	req, _ := json.Marshal(workerRequest{Options: opts, File: name, CPUSeconds: int(wall/time.Second) + 1, Memory: mem})
	cmd := exec.CommandContext(cctx, iso.Path, iso.Args...)
	cmd.Env = append(os.Environ(), iso.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	cmd.Stdin = io.MultiReader(bytes.NewReader(req), bytes.NewReader([]byte("\n")), bytes.NewReader(data))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var wr workerResult
	if err == nil {
		err = json.Unmarshal(stdout.Bytes(), &wr)
	}
	if err != nil {
		// The child died, was killed or spoke nonsense: the message is
		// unscannable as a whole. Everything else it carries is unknown,
		// so policy must hold it, never pass it.
		why := err.Error()
		if cctx.Err() != nil {
			why = fmt.Sprintf("killed after %s", wall)
		}
		if s := bytes.TrimSpace(stderr.Bytes()); len(s) > 0 {
			why += ": " + string(s[:min(len(s), 300)])
		}
		r := &Result{Problems: []string{"inspection worker failed: " + why}}
		r.Files = append(r.Files, File{
			Path: orTop(name), Name: name, Category: "other", Size: int64(len(data)), Depth: 1,
			Flags:   Flags{Limit: "time", Corrupt: cctx.Err() == nil},
			Problem: "inspection worker failed: " + why,
		})
		return r, nil
	}
	r := &Result{Subject: wr.Subject, Problems: wr.Problems, Files: make([]File, len(wr.Files))}
	for i, f := range wr.Files {
		r.Files[i] = f.File
		if opts.KeepData {
			r.Files[i].Data = f.Data
		}
	}
	return r, nil
}

// ServeWorker is the child side: it caps its own CPU time and memory,
// reads one request and message from in, walks it and writes the result
// to out. A panic here is already recovered by the walk; anything else
// kills only this process.
func ServeWorker(in io.Reader, out io.Writer) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		return errors.New("extract worker: no request line")
	}
	var req workerRequest
	if err := json.Unmarshal(data[:nl], &req); err != nil {
		return fmt.Errorf("extract worker: bad request: %w", err)
	}
	msg := data[nl+1:]
	if req.CPUSeconds > 0 {
		lim := uint64(req.CPUSeconds)
		syscall.Setrlimit(syscall.RLIMIT_CPU, &syscall.Rlimit{Cur: lim, Max: lim})
	}
	if req.Memory > 0 {
		// The soft limit makes the GC work hard before the hard cap of
		// the address space kills the child.
		debug.SetMemoryLimit(req.Memory / 2)
		m := uint64(req.Memory) + 1<<30 // the Go runtime reserves address space up front
		syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: m, Max: m})
	}
	var r *Result
	if req.File != "" {
		r, err = WalkFile(context.Background(), req.File, msg, req.Options)
	} else {
		r, err = Walk(context.Background(), msg, req.Options)
	}
	if err != nil {
		return err
	}
	wr := workerResult{Subject: r.Subject, Problems: r.Problems, Files: make([]workerFile, len(r.Files))}
	for i, f := range r.Files {
		wr.Files[i] = workerFile{File: f, Data: f.Data}
	}
	return json.NewEncoder(out).Encode(wr)
}
