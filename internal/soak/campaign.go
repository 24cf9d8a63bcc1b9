package soak

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options size a campaign.
type Options struct {
	// Seed drives the mix and the fault schedule; printed so that a
	// failure can be replayed with -soak.seed.
	Seed int64
	// Count is how many messages the Go sender sends.
	Count int
	// Duration spreads them over about this long.
	Duration time.Duration
	// Senders bounds how many messages are in flight at once. Messages
	// leave on the clock, so during an outage this many senders wait
	// and retry, as a real population of clients would.
	Senders int
	// Faults is how many faults the schedule draws (each kind once
	// before any repeats).
	Faults int
	// HoldTimeout is the policy's hold timeout.
	HoldTimeout time.Duration
	// Drain bounds the wait for everything to settle after the traffic.
	Drain time.Duration
	// Report, when set, is where the markdown report is written.
	Report string
	// KeepLogs, when set, is a directory the processes' logs are copied
	// to at the end (the cluster's own directory is removed).
	KeepLogs string
	// RSSEvery is the memory sampling interval (default 10 s).
	RSSEvery time.Duration
}

// Result is what a campaign found.
type Result struct {
	Opts     Options
	Msgs     []*Msg
	Faults   []Fault
	Acct     Accounting
	RSS      map[string][]rssSample
	Markdown string
	Elapsed  time.Duration
}

// Run runs one campaign and returns its accounting; the caller decides
// what fails.
func Run(t testing.TB, o Options) *Result {
	t.Helper()
	if o.RSSEvery == 0 {
		o.RSSEvery = 10 * time.Second
	}
	if o.Senders == 0 {
		o.Senders = 6
	}
	t.Logf("soak: seed %d (replay with -soak.seed=%d), %d messages over %s, %d faults", o.Seed, o.Seed, o.Count, o.Duration, o.Faults)
	c := StartCluster(t, o.HoldTimeout)
	begin := time.Now()
	rng := rand.New(rand.NewSource(o.Seed))

	stopRSS := make(chan struct{})
	rssDone := make(chan map[string][]rssSample)
	go func() { rssDone <- sampleRSS(c.Procs(), o.RSSEvery, begin, stopRSS) }()

	sched := Schedule(o.Seed, o.Faults, o.Duration)
	var faultWG sync.WaitGroup
	faultWG.Add(1)
	go func() {
		defer faultWG.Done()
		runFaults(t, c, sched, begin)
	}()

	// The messages, composed up front from the seed.
	msgs := make([]*Msg, o.Count)
	for i := range msgs {
		k := pickKind(rng)
		via := "postfix"
		if k != Internal && rng.Intn(100) < 40 {
			via = "proxy"
		}
		id := fmt.Sprintf("soak-%d-%05d@sender.soak.example", o.Seed, i)
		msgs[i] = &Msg{N: i, ID: id, Kind: k, Via: via, Data: compose(id, k, rng)}
	}
	giveUp := o.HoldTimeout
	if giveUp < 2*time.Minute {
		giveUp = 2 * time.Minute
	}
	work := make(chan *Msg)
	var wg sync.WaitGroup
	for range o.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				addr := c.Postfix.SMTPAddr
				if m.Via == "proxy" {
					addr = c.ProxyAddr
				}
				deliverOne(m, addr, giveUp)
			}
		}()
	}
	gap := o.Duration / time.Duration(max(o.Count, 1))
	for i, m := range msgs {
		// Pace by the clock, not by gaps: slow answers do not stretch
		// the campaign beyond its duration.
		if d := time.Until(begin.Add(time.Duration(i) * gap)); d > 0 {
			time.Sleep(d)
		}
		work <- m
	}
	close(work)
	wg.Wait()
	faultWG.Wait()
	t.Logf("soak: traffic done after %s; draining", time.Since(begin).Round(time.Second))

	drain(t, c, o.Drain)
	close(stopRSS)
	rss := <-rssDone
	acct := account(t, c, msgs)
	r := &Result{Opts: o, Msgs: msgs, Faults: sched, Acct: acct, RSS: rss, Elapsed: time.Since(begin)}
	r.Markdown = report(r)
	if o.KeepLogs != "" || acct.Of[Lost] > 0 {
		keepLogs(t, c, o.KeepLogs)
	}
	if o.Report != "" {
		if err := os.WriteFile(o.Report, []byte(r.Markdown), 0o644); err != nil {
			t.Errorf("write report: %v", err)
		}
	}
	return r
}

// drain waits until Postfix's queue is empty, nothing is ready or being
// released in the hold queue, and the sink has been quiet for a while.
func drain(t testing.TB, c *Cluster, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	last, quiet := -1, time.Now()
	for time.Now().Before(deadline) {
		if n := c.Sink.Count(); n != last {
			last, quiet = n, time.Now()
		}
		busy, err := holdBusy(c)
		if err == nil && busy == 0 && c.Postfix.QueueSize() == 0 && time.Since(quiet) > 5*time.Second {
			return
		}
		c.Postfix.Flush()
		time.Sleep(2 * time.Second)
	}
	busy, _ := holdBusy(c)
	t.Logf("soak: drain limit %s reached: postfix queue %d, hold queue busy %d", limit, c.Postfix.QueueSize(), busy)
}

// Fault is one scheduled failure.
type Fault struct {
	At    time.Duration
	What  string
	Pause time.Duration
	// Note says what was done (filled in when it ran).
	Note string
}

// faultKinds: SIGKILL of each process (the milter and proxy processes
// each run one release loop), Redis, and a next hop that refuses with
// 4xx for a while.
var faultKinds = []string{"kill-milter", "kill-proxy", "kill-sandboxd", "kill-redis", "next-hop-4xx"}

// Schedule draws n faults at random times within the first 85% of the
// traffic, from seed: each kind once (in a random order) before any
// repeats.
func Schedule(seed int64, n int, d time.Duration) []Fault {
	r := rand.New(rand.NewSource(seed ^ 0x5eed))
	var out []Fault
	for len(out) < n {
		for _, i := range r.Perm(len(faultKinds)) {
			if len(out) == n {
				break
			}
			k := faultKinds[i]
			pause := time.Duration(2+r.Intn(7)) * time.Second
			if k == "next-hop-4xx" {
				pause = time.Duration(15+r.Intn(31)) * time.Second
			}
			out = append(out, Fault{What: k, Pause: pause})
		}
	}
	// Spread the faults evenly with jitter so that they do not overlap.
	slot := time.Duration(float64(d) * 0.85 / float64(max(n, 1)))
	for i := range out {
		out[i].At = time.Duration(i)*slot + time.Duration(r.Int63n(int64(slot)/2+1)) + slot/8
	}
	return out
}

func runFaults(t testing.TB, c *Cluster, sched []Fault, begin time.Time) {
	for i := range sched {
		f := &sched[i]
		time.Sleep(time.Until(begin.Add(f.At)))
		start := time.Since(begin)
		switch f.What {
		case "kill-milter", "kill-proxy", "kill-sandboxd":
			p := map[string]*proc{"kill-milter": c.Milter, "kill-proxy": c.Proxy, "kill-sandboxd": c.Sandboxd}[f.What]
			pid := p.pid()
			p.kill()
			time.Sleep(f.Pause)
			if err := p.start(); err != nil {
				t.Errorf("soak: restart %s: %v", p.name, err)
			}
			f.Note = fmt.Sprintf("SIGKILL pid %d at %s, restarted after %s", pid, start.Round(time.Second), f.Pause)
		case "kill-redis":
			pid := c.Redis.PID()
			c.Redis.Kill()
			time.Sleep(f.Pause)
			c.Redis.Restart()
			f.Note = fmt.Sprintf("SIGKILL pid %d at %s, restarted after %s", pid, start.Round(time.Second), f.Pause)
		case "next-hop-4xx":
			c.Sink.RefuseAll(451, "soak: next hop down")
			time.Sleep(f.Pause)
			c.Sink.RefuseAll(0, "")
			f.Note = fmt.Sprintf("451 on every message from %s for %s", start.Round(time.Second), f.Pause)
		}
		t.Logf("soak: fault %s: %s", f.What, f.Note)
	}
}

// rssSample is one memory reading of a process.
type rssSample struct {
	At  time.Duration
	PID int
	KB  int64
}

func sampleRSS(procs map[string]func() int, every time.Duration, begin time.Time, stop <-chan struct{}) map[string][]rssSample {
	out := map[string][]rssSample{}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		for name, pid := range procs {
			p := pid()
			if kb := readRSS(p); kb > 0 {
				out[name] = append(out[name], rssSample{At: time.Since(begin), PID: p, KB: kb})
			}
		}
		select {
		case <-stop:
			return out
		case <-tick.C:
		}
	}
}

func readRSS(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.ParseInt(f[0], 10, 64)
				return n
			}
		}
	}
	return 0
}

// rssSlope is the least-squares slope in KiB per minute over the samples
// of the last process instance taken after its first minute; ok is false
// with fewer than three such samples.
func rssSlope(s []rssSample) (slope float64, n int, ok bool) {
	if len(s) == 0 {
		return 0, 0, false
	}
	last := s[len(s)-1].PID
	var first time.Duration = -1
	var xs, ys []float64
	for _, x := range s {
		if x.PID != last {
			continue
		}
		if first < 0 {
			first = x.At
		}
		if x.At-first < time.Minute {
			continue
		}
		xs = append(xs, x.At.Minutes())
		ys = append(ys, float64(x.KB))
	}
	if len(xs) < 3 {
		return 0, len(xs), false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(len(xs))
	my /= float64(len(ys))
	var num, den float64
	for i := range xs {
		num += (xs[i] - mx) * (ys[i] - my)
		den += (xs[i] - mx) * (xs[i] - mx)
	}
	if den == 0 {
		return 0, len(xs), true
	}
	return num / den, len(xs), true
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// keepLogs copies every process's log (and Postfix's) to dir, or to a new
// directory under the system temp dir when dir is empty.
func keepLogs(t testing.TB, c *Cluster, dir string) {
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "soak-logs-"); err != nil {
			t.Logf("soak: keep logs: %v", err)
			return
		}
	}
	os.MkdirAll(dir, 0o755)
	for _, p := range []*proc{c.Sandboxd, c.Milter, c.Proxy} {
		if b, err := os.ReadFile(p.log); err == nil {
			os.WriteFile(filepath.Join(dir, p.name+".log"), b, 0o644)
		}
	}
	os.WriteFile(filepath.Join(dir, "postfix.log"), []byte(c.Postfix.Log()), 0o644)
	t.Logf("soak: logs kept in %s", dir)
}
