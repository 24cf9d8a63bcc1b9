package jsemu

import (
	"time"

	"golang.org/x/sys/unix"
)

// currentThreadClock returns a clock for the calling OS thread that other
// threads can read: Linux names another thread's CPU clock by its tid
// (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) in the kernel's
// posix-cpu-timers), which is what pthread_getcpuclockid does.
func currentThreadClock() threadClock {
	tid := unix.Gettid()
	id := int32((^uint32(tid))<<3 | 6)
	return func() (time.Duration, bool) {
		var ts unix.Timespec
		if err := unix.ClockGettime(id, &ts); err != nil {
			return 0, false
		}
		return time.Duration(ts.Nano()), true
	}
}
