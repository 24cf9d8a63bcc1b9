package jsemu

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"time"
)

// How the limits are enforced.
//
// goja checks an interrupt flag between instructions, so every limit is a
// watchdog (in emulate's goroutine, every watchInterval) that calls
// vm.Interrupt with the reason:
//
//   - wall time: the run's context deadline;
//   - CPU time: the CPU clock of the OS thread the script runs on (the
//     script goroutine is locked to its thread), so a busy machine does not
//     cut a script short; where no thread clock exists, wall time;
//   - memory: goja has no heap limit, and Go has no per-goroutine heap
//     accounting, so the watchdog reads the process's live heap
//     (runtime/metrics) and compares its growth since the run started with
//     Config.Memory. Crossing the line starts a GC (in its own goroutine,
//     so the watchdog keeps watching) and reads again when it is done, so
//     garbage (or another goroutine's short-lived allocations) is not
//     mistaken for the script's heap: only growth that survives a GC
//     stops the script. Growth past twice the limit stops it at once,
//     without waiting for a GC. Because the check is periodic, one step
//     may overshoot:
//     steps that could allocate gigabytes at once (String.prototype.repeat,
//     padStart/padEnd, Array.prototype.join) are capped at Config.MaxString
//     in the prelude, and doubling a string (s += s) overshoots at most by
//     the last doubling. Concurrent runs see each other's heap, which makes
//     the limit conservative, never lax;
//   - call depth: goja's SetMaxCallStackSize, which throws an uncatchable
//     StackOverflowError.
const watchInterval = 5 * time.Millisecond

type watchdog struct {
	cfg      Config
	clock    threadClock
	cpuStart time.Duration
	start    time.Time
	heapBase uint64
	sample   []metrics.Sample
	// gc is non-nil while a confirming GC runs; it delivers the heap
	// size after the GC.
	gc chan uint64
}

func newWatchdog(cfg Config, clock threadClock) *watchdog {
	w := &watchdog{
		cfg:    cfg,
		clock:  clock,
		start:  time.Now(),
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}},
	}
	w.heapBase = w.heap()
	if clock != nil {
		if c, ok := clock(); ok {
			w.cpuStart = c
		}
	}
	return w
}

func (w *watchdog) heap() uint64 {
	metrics.Read(w.sample)
	if w.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return w.sample[0].Value.Uint64()
}

// check returns why the script must stop, or "".
func (w *watchdog) check() string {
	if cpu, ok := w.cpu(); ok && cpu > w.cfg.CPU {
		return fmt.Sprintf("CPU limit %v", w.cfg.CPU)
	}
	over := func(h uint64, limit int64) bool { return h > w.heapBase && int64(h-w.heapBase) > limit }
	limit := fmt.Sprintf("memory limit %d MiB", w.cfg.Memory>>20)
	h := w.heap()
	if over(h, 2*w.cfg.Memory) {
		return limit
	}
	if w.gc != nil {
		select {
		case after := <-w.gc:
			w.gc = nil
			if over(after, w.cfg.Memory) {
				return limit
			}
		default:
		}
		return ""
	}
	if over(h, w.cfg.Memory) {
		w.gc = make(chan uint64, 1)
		go func(done chan<- uint64) {
			runtime.GC()
			s := []metrics.Sample{{Name: w.sample[0].Name}}
			metrics.Read(s)
			done <- s[0].Value.Uint64()
		}(w.gc)
	}
	return ""
}

func (w *watchdog) cpu() (time.Duration, bool) {
	if w.clock == nil {
		return time.Since(w.start), true
	}
	c, ok := w.clock()
	if !ok {
		return time.Since(w.start), true
	}
	return c - w.cpuStart, true
}

// threadClock reads the CPU time of one OS thread; ok is false when it
// cannot (the thread is gone).
type threadClock func() (time.Duration, bool)
