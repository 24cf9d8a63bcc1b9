package milter_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/testpostfix"
	"github.com/airlockmail/airlock/milter"
)

// startSMTPSink runs Postfix's smtp-sink (fast, counts only) by PID.
func startSMTPSink(b *testing.B) string {
	b.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testpostfix.FreePort(b))
	cmd := exec.Command("smtp-sink", "-u", "root", addr, "1000")
	if err := cmd.Start(); err != nil {
		b.Fatalf("smtp-sink: %v", err)
	}
	b.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return addr
}

// smtpSource sends msgs messages over sessions parallel sessions and
// returns the wall time.
func smtpSource(b *testing.B, addr string, sessions, msgs int, extra ...string) time.Duration {
	b.Helper()
	args := append([]string{"-s", fmt.Sprint(sessions), "-m", fmt.Sprint(msgs), "-f", "alice@example.net", "-t", "bob@example.org"}, extra...)
	args = append(args, addr)
	start := time.Now()
	out, err := exec.Command("smtp-source", args...).CombinedOutput()
	if err != nil {
		b.Fatalf("smtp-source %v: %v\n%s", args, err, out)
	}
	return time.Since(start)
}

// selfCPU is the user and system time of this process so far (not of its
// children).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkPostfixSMTPSource measures throughput through a private
// Postfix with Airlock's milter against the same Postfix configuration
// with no milter, in one run, alternating, with Postfix's smtp-source:
// attachment-free 20 KB mail, and mail with an already-judged attachment,
// both at 20 sessions. A third Postfix runs the same milter server with a
// gate that delivers everything at once: the cost of the milter protocol
// itself (Postfix's side and go-milter's), the floor for any milter here.
// Run with -benchtime=1x.
//
// Environment: AIRLOCK_BENCH_SESSIONS (default 20), AIRLOCK_BENCH_MILTER=inet
// (loopback TCP instead of a Unix socket), AIRLOCK_BENCH_ONLY=nomilter|noop|
// milter (one side, for profiling).
func BenchmarkPostfixSMTPSource(b *testing.B) {
	sink := startSMTPSink(b)
	c := gatetest.TestConfig()
	e := gatetest.Start(b, gatetest.Options{Config: &c})
	extra := []string{"smtpd_client_connection_count_limit = 0", "smtpd_client_connection_rate_limit = 0", "in_flow_delay = 0"}
	withMilter := func(name string, d milter.Decider) (*testpostfix.Postfix, *milter.Server) {
		// On a Unix socket by default. Postfix sizes the buffers of a
		// TCP milter stream at twice the MSS (vstream_tweak_tcp), on
		// loopback 2 × 64 KB each way, allocated, filled and freed by
		// smtpd and by cleanup for every connection; on a Unix socket
		// they are 4 KB.
		mc := config.DefaultMilter()
		if os.Getenv("AIRLOCK_BENCH_MILTER") == "inet" {
			mc.Listen = fmt.Sprintf("inet:127.0.0.1:%d", testpostfix.FreePort(b))
		} else {
			mc.Listen, mc.SocketMode = "unix:"+filepath.Join(testpostfix.SharedDir(b, "airlock-milter-"), name+".sock"), "0666"
		}
		ln, err := milter.Listen(mc)
		if err != nil {
			b.Fatal(err)
		}
		srv := milter.New(mc, d, gatetest.Logger())
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		return testpostfix.Start(b, testpostfix.Options{NextHop: sink, Milter: mc.Listen, Extra: extra}), srv
	}
	type side struct {
		name string
		pf   *testpostfix.Postfix
		// per case
		accept, through []time.Duration
		cpu             time.Duration // this process (milter, gate, sandboxd, polling)
	}
	airlock, srv := withMilter("airlock", e.Gate)
	noop, _ := withMilter("noop", deliverAll{})
	sides := []*side{
		{name: "no milter", pf: testpostfix.Start(b, testpostfix.Options{NextHop: sink, Extra: extra})},
		{name: "no-op milter", pf: noop},
		{name: "Airlock", pf: airlock},
	}

	// The attachment message, judged once before measuring.
	doc := gatetest.Mail("alice@example.net", "bob@example.org", "bench doc",
		gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: bytes.Repeat(gatetest.PDF(), 20)})
	docFile := filepath.Join(b.TempDir(), "doc.eml")
	if err := os.WriteFile(docFile, bytes.ReplaceAll(doc, []byte("\r\n"), []byte("\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	smtpSource(b, airlock.SMTPAddr, 1, 1, "-F", docFile)
	time.Sleep(2 * time.Second) // verdict in the cache

	sessions, msgs, rounds := 20, 300, 5
	if s := os.Getenv("AIRLOCK_BENCH_SESSIONS"); s != "" {
		fmt.Sscan(s, &sessions)
		msgs = 15 * sessions
	}
	only := map[string]string{"nomilter": "no milter", "noop": "no-op milter", "milter": "Airlock"}[os.Getenv("AIRLOCK_BENCH_ONLY")]
	cases := []struct {
		name string
		args []string
	}{
		{"plain20k", []string{"-l", "20480"}},
		{"judged_attachment", []string{"-F", docFile}},
	}
	// One round is smtp-source against one Postfix, then the wait until
	// that Postfix has delivered everything to the sink, so that a
	// round's deliveries do not run into the next round (another
	// Postfix's). Two figures per side: accepted/s (smtp-source's wall
	// time: what a sending MTA sees) and through/s (until the sink has
	// every message: what the gateway passes on).
	round := func(s *side, args []string) {
		cpu0 := selfCPU()
		defer func() { s.cpu += selfCPU() - cpu0 }()
		start := time.Now()
		s.accept = append(s.accept, smtpSource(b, s.pf.SMTPAddr, sessions, msgs, args...))
		for s.pf.QueueSize() > 0 {
			if time.Since(start) > 2*time.Minute {
				b.Fatalf("%s: postfix queue still holds %d message(s)", s.name, s.pf.QueueSize())
			}
			time.Sleep(5 * time.Millisecond)
		}
		s.through = append(s.through, time.Since(start))
	}
	rate := func(d []time.Duration) float64 { return float64(msgs) / median(d).Seconds() }
	for i := 0; i < b.N; i++ {
		for _, tc := range cases {
			for _, s := range sides {
				s.accept, s.through, s.cpu = nil, nil, 0
			}
			for r := 0; r < rounds; r++ {
				for _, s := range sides {
					if only == "" || only == s.name {
						round(s, tc.args)
					}
				}
			}
			for _, s := range sides {
				if len(s.accept) == 0 {
					continue
				}
				b.Logf("%s, %s: accepted %.0f msgs/s (%v), through %.0f msgs/s, CPU of this process %v/msg",
					tc.name, s.name, rate(s.accept), s.accept, rate(s.through), s.cpu/time.Duration(rounds*msgs))
			}
			if only != "" {
				continue
			}
			base, floor, al := sides[0], sides[1], sides[2]
			for _, x := range []struct {
				s    *side
				name string
			}{{floor, "noop"}, {al, "airlock"}} {
				acc, thr := rate(x.s.accept)/rate(base.accept), rate(x.s.through)/rate(base.through)
				b.ReportMetric(acc, tc.name+"_"+x.name+"_accept_ratio")
				b.ReportMetric(thr, tc.name+"_"+x.name+"_through_ratio")
				b.Logf("%s, %s vs no milter: accepted ratio %.2f, through ratio %.2f", tc.name, x.s.name, acc, thr)
			}
			perMsg := (al.cpu - base.cpu) / time.Duration(rounds*msgs)
			b.ReportMetric(float64(perMsg.Microseconds()), tc.name+"_airlock_cpu_µs/msg")
		}
	}
	if p := srv.Stats.Panics.Load(); p != 0 {
		b.Errorf("%d panics", p)
	}
	if n := srv.Stats.TempFailed.Load() + srv.Stats.Rejected.Load(); n != 0 {
		b.Errorf("%d messages refused during the benchmark", n)
	}
}

// deliverAll is a gate that delivers everything unread.
type deliverAll struct{}

func (deliverAll) Decide(context.Context, *gate.Message) (*gate.Decision, error) {
	return &gate.Decision{Action: gate.Deliver, Reason: "bench"}, nil
}
