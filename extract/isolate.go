package extract

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/airlockmail/airlock/config"
)

// Isolator keeps third-party decompressors out of the process that talks
// to the MTA. A message is walked here — the MIME, TNEF and header code is
// the project's own, bounded, fuzzed and panic-safe — and only containers
// opened by other people's code (7z, RAR, tar, compressed streams, ISO
// images, encrypted Office packages) go to child processes with a memory
// cap and a wall-clock kill, so a library loop that never reads (which no
// deadline can interrupt in-process) or that allocates without bound costs
// one killed child: the container is listed `limit=time` or
// `limit=memory`, and the message is unscannable, never clean.
//
// The children are this same binary started with Args (e.g. `airlock
// extract-worker`), which calls ServeWorker. There are at most Size of
// them; they are started once and reused, and a walk that finds them all
// busy waits for one: a worker is never started and killed per message.
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
	// Size is how many children may run at once; more walks wait for
	// one. Default 2 × GOMAXPROCS, at least 4.
	Size int
	// MaxUses retires a child after this many walks. Default 10,000.
	MaxUses int
	// Starts counts the children started (airlock_extract_worker_starts_total).
	Starts atomic.Int64

	mu      sync.Mutex
	idle    []*worker
	live    map[*worker]bool
	exitCPU time.Duration // user+system time of children that have exited
	slots   chan struct{}
	closed  bool
}

// CPU is the user and system time the children have used, the running
// ones included (read from /proc): the benchmark adds it to the filter's
// own.
func (iso *Isolator) CPU() time.Duration {
	iso.mu.Lock()
	defer iso.mu.Unlock()
	total := iso.exitCPU
	for w := range iso.live {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", w.cmd.Process.Pid))
		if err != nil {
			continue
		}
		// fields after the command name in parentheses: utime, stime are
		// the 12th and 13th (clock ticks, 100 a second on Linux)
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			total += time.Duration(u+s) * 10 * time.Millisecond
		}
	}
	return total
}

type worker struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	uses   int
	done   chan struct{} // closed when the process has exited
	stderr *tailBuffer   // the end of what the child said before dying
}

// tailBuffer keeps the first and the last bytes written to it: the Go
// runtime names a fatal error ("out of memory") on its first line and a
// panic's cause on its last.
type tailBuffer struct {
	mu         sync.Mutex
	head, tail []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	if n := min(len(p), 2048-len(t.head)); n > 0 {
		t.head = append(t.head, p[:n]...)
	}
	t.tail = append(t.tail, p...)
	if len(t.tail) > 2048 {
		t.tail = t.tail[len(t.tail)-2048:]
	}
	t.mu.Unlock()
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.head) + "\n" + string(t.tail)
}

// workerRequest precedes the message on the child's stdin.
type workerRequest struct {
	Options Options `json:"options"`
	File    string  `json:"file,omitempty"` // set: WalkFile with this name
	Memory  int64   `json:"memory"`
	// Password is being tried on the container (passwords.go); it crosses
	// only this pipe and is never logged.
	Password string `json:"password,omitempty"`
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

// Walk is Walk with third-party containers opened in child processes.
func (iso *Isolator) Walk(ctx context.Context, msg []byte, opts Options) (*Result, error) {
	w, cancel := newWalker(ctx, opts)
	defer cancel()
	w.iso = iso
	return w.walkMessage(ctx, msg)
}

// WalkFile is WalkFile with third-party containers opened in child
// processes.
func (iso *Isolator) WalkFile(ctx context.Context, name string, data []byte, opts Options) (*Result, error) {
	w, cancel := newWalker(ctx, opts)
	defer cancel()
	w.iso = iso
	return w.walkFile(ctx, name, data)
}

// third routes a container opened by third-party code to a child when
// the walk is isolated.
func (w *walker) third(o opener) opener {
	if w.iso == nil {
		return o
	}
	return (*walker).isolated
}

// isolated lists a container in a child process, with what is left of
// this walk's budgets, and splices its members in under the container.
func (w *walker) isolated(at string, depth int, data []byte) containerFailure {
	lim := w.lim
	lim.MaxDepth = max(1, w.lim.MaxDepth-depth+1)
	lim.MaxFiles = max(1, w.lim.MaxFiles-len(w.res.Files)+1)
	lim.MaxTotalBytes = max(1, w.lim.MaxTotalBytes-config.ByteSize(w.total))
	if dl, ok := w.ctx.Deadline(); ok {
		lim.Timeout = max(50*time.Millisecond, time.Until(dl))
	}
	name := path.Base(at)
	r, err := w.iso.run(w.ctx, name, data, Options{Limits: lim, KeepData: w.keep}, w.password)
	if err != nil || len(r.Files) == 0 {
		return containerFailure{problem: "walk time limit reached inside this archive", flags: Flags{Limit: "time"}}
	}
	top := r.Files[0]
	for _, f := range r.Files[1:] {
		f.Path = at + strings.TrimPrefix(f.Path, top.Path)
		f.Depth += depth - 1
		w.total += f.Size
		w.res.Files = append(w.res.Files, f)
	}
	for _, p := range r.Problems {
		w.problem("%s: %s", at, p)
	}
	return containerFailure{problem: top.Problem, flags: top.Flags}
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

func (iso *Isolator) size() int {
	if iso.Size > 0 {
		return iso.Size
	}
	return max(4, 2*runtime.GOMAXPROCS(0))
}

// get waits for a free slot, then reuses an idle child or starts one.
func (iso *Isolator) get(ctx context.Context) (*worker, error) {
	iso.mu.Lock()
	if iso.slots == nil {
		iso.slots = make(chan struct{}, iso.size())
	}
	slots := iso.slots
	iso.mu.Unlock()
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	w, err := iso.idleOrNew()
	if err != nil {
		<-slots
	}
	return w, err
}

func (iso *Isolator) idleOrNew() (*worker, error) {
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
	tail := &tailBuffer{}
	cmd.Stderr = tail
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
	iso.Starts.Add(1)
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 64<<10), done: make(chan struct{}), stderr: tail}
	iso.mu.Lock()
	if iso.live == nil {
		iso.live = map[*worker]bool{}
	}
	iso.live[w] = true
	iso.mu.Unlock()
	go func() {
		cmd.Wait()
		iso.mu.Lock()
		delete(iso.live, w)
		if ps := cmd.ProcessState; ps != nil {
			iso.exitCPU += ps.UserTime() + ps.SystemTime()
		}
		iso.mu.Unlock()
		close(w.done)
	}()
	return w, nil
}

// put returns a healthy child to the pool and frees its slot.
func (iso *Isolator) put(w *worker) {
	maxUses := iso.MaxUses
	if maxUses <= 0 {
		maxUses = 10000
	}
	iso.mu.Lock()
	if !iso.closed && w.uses < maxUses {
		iso.idle = append(iso.idle, w)
		w = nil
	}
	iso.mu.Unlock()
	if w != nil {
		w.kill()
	}
	<-iso.slots
}

// discard kills a child that failed and frees its slot.
func (iso *Isolator) discard(w *worker) {
	w.kill()
	<-iso.slots
}

func (w *worker) kill() {
	if w.cmd.Process != nil {
		syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	}
	w.in.Close()
}

// run walks one file in a child: the whole walk, bounded by the walk's
// timeout plus a grace after which the child is killed.
func (iso *Isolator) run(ctx context.Context, name string, data []byte, opts Options, password string) (*Result, error) {
	opts.Limits = withDefaults(opts.Limits)
	wall := opts.Limits.Timeout + 2*time.Second

	w, err := iso.get(ctx)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return failedWalk(name, data, err.Error(), ""), nil
	}
	w.uses++
	type answer struct {
		wr  workerResult
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		var a answer
		a.err = writeFrame(w.in, workerRequest{Options: opts, File: orTop(name), Memory: iso.memory(), Password: password}, data)
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
			iso.discard(w)
			why, limit := a.wr.Error, ""
			if a.err != nil {
				why = a.err.Error()
				// the child died: the Go runtime says why on stderr
				select {
				case <-w.done:
				case <-time.After(time.Second):
				}
				switch tail := w.stderr.String(); {
				case strings.Contains(tail, "out of memory") || strings.Contains(tail, "cannot allocate memory") ||
					strings.Contains(tail, "address space collisions"): // the race runtime's words for the same cap
					why, limit = "out of memory", "memory"
				case tail != "":
					why += ": " + lastLine(tail)
				}
			}
			return failedWalk(name, data, why, limit), nil
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
		iso.discard(w)
		return failedWalk(name, data, fmt.Sprintf("killed after %s", wall), "time"), nil
	case <-ctx.Done():
		iso.discard(w)
		return nil, ctx.Err()
	}
}

// failedWalk is the answer when the child died, was killed or spoke
// nonsense: the message is unscannable as a whole, so policy holds it and
// never passes it as clean.
func failedWalk(name string, data []byte, why, limit string) *Result {
	msg := "inspection worker failed: " + why
	f := File{Path: orTop(name), Name: name, Category: "other", Size: int64(len(data)), Depth: 1, Problem: msg}
	if limit != "" {
		f.Flags.Limit = limit
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
		w, cancel := newWalker(context.Background(), req.Options)
		w.password = req.Password
		var r *Result
		var err error
		if req.File != "" {
			r, err = w.walkFile(context.Background(), req.File, msg)
		} else {
			r, err = w.walkMessage(context.Background(), msg)
		}
		cancel()
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

// lastLine is the last non-empty line of s, bounded.
func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
