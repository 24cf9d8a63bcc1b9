//go:build !linux

package jsemu

// currentThreadClock is nil where no per-thread CPU clock is read: the
// CPU limit then falls back to wall time.
func currentThreadClock() threadClock { return nil }
