package extract

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"sync"
	"syscall"
	"time"
)

// Isolator runs walks in child processes with a memory cap and a
// wall-clock kill, so that a library loop that never reads (which no
// deadline can interrupt inside this process) costs one killed child, not
// the process that talks to the MTA. The children are this same binary
// started with Args (e.g. `airlock extract-worker`), which calls
// ServeWorker; they are kept and reused, so a message costs a pipe round
// trip, not a process start.
type Isolator struct {
	// Path of the binary, usually os.Executable().
	Path string
	// Args after the binary name.
	Args []string
	// Env is added to the children's environment.
	Env []string
	// MemoryBytes caps each child's heap (soft) and address space (hard,
	// plus 1 GiB for the runtime's reservations). Default 1 GiB.
	MemoryBytes int64
	// MaxIdle is how many idle children are kept. Default 4.
	MaxIdle int
	// MaxUses retires a child after this many walks. Default 500.
	MaxUses int

	mu     sync.Mutex
	idle   []*worker
	closed bool
}

type worker struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	uses int
	done chan struct{} // closed when the process has exited
}

// workerRequest precedes the message on the child's stdin.
type workerRequest struct {
	Options Options `json:"options"`
	File    string  `json:"file,omitempty"` // set: WalkFile with this name
	Memory  int64   `json:"memory"`
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
	Error    string       `json:"error,omitempty"`
}

// Walk is Walk in a child process.
func (iso *Isolator) Walk(ctx context.Context, msg []byte, opts Options) (*Result, error) {
	return iso.run(ctx, "", msg, opts)
}

// WalkFile is WalkFile in a child process.
func (iso *Isolator) WalkFile(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	return iso.run(ctx, name, data, opts)
}

// Close stops the idle children; walks in flight finish on theirs.
func (iso *Isolator) Close() {
	iso.mu.Lock()
	idle := iso.idle
	iso.idle, iso.closed = nil, true
	iso.mu.Unlock()
	for _, w := range idle {
		w.kill()
	}
}

func (iso *Isolator) memory() int64 {
	if iso.MemoryBytes > 0 {
		return iso.MemoryBytes
	}
	return 1 << 30
}

func (iso *Isolator) get() (*worker, error) {
	iso.mu.Lock()
	for len(iso.idle) > 0 {
		w := iso.idle[len(iso.idle)-1]
		iso.idle = iso.idle[:len(iso.idle)-1]
		select {
		case <-w.done: // died while idle
			continue
		default:
		}
		iso.mu.Unlock()
		return w, nil
	}
	iso.mu.Unlock()
	cmd := exec.Command(iso.Path, iso.Args...)
	cmd.Env = append(os.Environ(), iso.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = io.Discard
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start extract worker: %w", err)
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 64<<10), done: make(chan struct{})}
	go func() { cmd.Wait(); close(w.done) }()
	return w, nil
}

func (iso *Isolator) put(w *worker) {
	maxIdle, maxUses := iso.MaxIdle, iso.MaxUses
	if maxIdle <= 0 {
		maxIdle = 4
	}
	if maxUses <= 0 {
		maxUses = 500
	}
	iso.mu.Lock()
	if !iso.closed && w.uses < maxUses && len(iso.idle) < maxIdle {
		iso.idle = append(iso.idle, w)
		w = nil
	}
	iso.mu.Unlock()
	if w != nil {
		w.kill()
	}
}

func (w *worker) kill() {
	if w.cmd.Process != nil {
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
	w.in.Close()
}

func (iso *Isolator) run(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	opts.Limits = withDefaults(opts.Limits)
	wall := opts.Limits.Timeout + 2*time.Second

	w, err := iso.get()
	if err != nil {
		return failedWalk(name, data, err.Error(), false), nil
	}
	w.uses++
	type answer struct {
		wr  workerResult
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		a.err = writeFrame(w.in, workerRequest{Options: opts, File: name, Memory: iso.memory()}, data)
		if a.err == nil {
			a.err = readAnswer(w.out, &a.wr)
		}
		ch <- a
	}()
	timer := time.NewTimer(wall)
	defer timer.Stop()
	select {
	case a := <-ch:
		if a.err != nil || a.wr.Error != "" {
			w.kill()
			why := a.wr.Error
			if a.err != nil {
				why = a.err.Error()
			}
			return failedWalk(name, data, why, false), nil
		}
		iso.put(w)
		r := &Result{Subject: a.wr.Subject, Problems: a.wr.Problems, Files: make([]File, len(a.wr.Files))}
		for i, f := range a.wr.Files {
			r.Files[i] = f.File
			if opts.KeepData {
				r.Files[i].Data = f.Data
			}
		}
		return r, nil
	case <-timer.C:
		w.kill()
		return failedWalk(name, data, fmt.Sprintf("killed after %s", wall), true), nil
	case <-ctx.Done():
		w.kill()
		return nil, ctx.Err()
	}
}

// failedWalk is the answer when the child died, was killed or spoke
// nonsense: the message is unscannable as a whole, so policy holds it and
// never passes it as clean.
func failedWalk(name string, data []byte, why string, killed bool) *Result {
	msg := "inspection worker failed: " + why
	f := File{Path: orTop(name), Name: name, Category: "other", Size: int64(len(data)), Depth: 1, Problem: msg}
	if killed {
		f.Flags.Limit = "time"
	} else {
		f.Flags.Corrupt = true
	}
	return &Result{Files: []File{f}, Problems: []string{msg}}
}

// maxFrame bounds a frame's JSON part (the request or the answer) so a
// confused peer cannot make the other side allocate without limit.
const maxFrame = 1 << 30

func writeFrame(w io.Writer, req workerRequest, data []byte) error {
	j, err := json.Marshal(req)
	if err != nil {
		return err
	}
	var hdr [12]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(len(j)))
	binary.BigEndian.PutUint64(hdr[4:], uint64(len(data)))
	for _, b := range [][]byte{hdr[:], j, data} {
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

func readAnswer(r io.Reader, wr *workerResult) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return errors.New("answer too large")
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, wr)
}

// testHookWalk, when set (tests only), runs before each walk in a worker.
var testHookWalk func(msg []byte)

// ServeWorker is the child side: it reads requests from in until EOF,
// walks each and writes the answers to out. It caps its own memory on the
// first request. A panic is already recovered by the walk; anything worse
// kills only this process, and the parent starts another.
func ServeWorker(in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 64<<10)
	bw := bufio.NewWriterSize(out, 64<<10)
	limited := false
	for {
		var hdr [12]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		jl, dl := binary.BigEndian.Uint32(hdr[:4]), binary.BigEndian.Uint64(hdr[4:])
		if jl > maxFrame || dl > maxFrame {
			return errors.New("extract worker: frame too large")
		}
		j := make([]byte, jl)
		if _, err := io.ReadFull(br, j); err != nil {
			return err
		}
		var req workerRequest
		if err := json.Unmarshal(j, &req); err != nil {
			return fmt.Errorf("extract worker: bad request: %w", err)
		}
		msg := make([]byte, dl)
		if _, err := io.ReadFull(br, msg); err != nil {
			return err
		}
		if !limited && req.Memory > 0 {
			limited = true
			// The soft limit makes the GC work hard before the hard cap
			// on the address space kills the child.
			debug.SetMemoryLimit(req.Memory)
			m := uint64(req.Memory) + 1<<30 // the runtime reserves address space up front
			syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: m, Max: m})
		}
		if testHookWalk != nil {
			testHookWalk(msg)
		}
		var r *Result
		var err error
		if req.File != "" {
			r, err = WalkFile(context.Background(), req.File, msg, req.Options)
		} else {
			r, err = Walk(context.Background(), msg, req.Options)
		}
		wr := workerResult{}
		if err != nil {
			wr.Error = err.Error()
		} else {
			wr = workerResult{Subject: r.Subject, Problems: r.Problems, Files: make([]workerFile, len(r.Files))}
			for i, f := range r.Files {
				wr.Files[i] = workerFile{File: f, Data: f.Data}
			}
		}
		b, err := json.Marshal(wr)
		if err != nil {
			return err
		}
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(b)))
		bw.Write(n[:])
		bw.Write(b)
		if err := bw.Flush(); err != nil {
			return err
		}
	}
}
