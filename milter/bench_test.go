package milter_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"testing"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/extract"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/internal/smtpsink"
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
// Postfix with Airlock's milter against the same Postfix with other
// milters, in one run, alternating, with Postfix's smtp-source at 20
// sessions: 20 KB plain mail, mail with an already-judged PDF, and mail
// with an already-judged zip holding that PDF. Airlock runs as shipped:
// extract.isolate on (third-party containers in a worker pool; this test
// binary serves as the worker). The yardstick is an accept-all milter on
// the same library (d--j/go-milter) that negotiates every stage — what a
// milter that does nothing costs. Two more rows: no milter at all, and
// Airlock's own milter server with a gate that delivers everything unread
// (the protocol floor of Airlock's server). CPU per message is this
// process's (milter, gate, in-process sandboxd) plus the extract workers',
// less the no-milter rounds' (the benchmark's own polling).
// Run with -benchtime=1x.
//
// Environment: AIRLOCK_BENCH_SESSIONS (default 20), AIRLOCK_BENCH_MSGS
// (per round, default 300), AIRLOCK_BENCH_ROUNDS (default 5),
// AIRLOCK_BENCH_MILTER=inet (loopback TCP instead of a Unix socket).
func BenchmarkPostfixSMTPSource(b *testing.B) {
	sink := startSMTPSink(b)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	iso := &extract.Isolator{Path: exe, Args: []string{"-test.run=^$"}, Env: []string{"AIRLOCK_EXTRACT_WORKER=1"}}
	b.Cleanup(iso.Close)
	c := gatetest.TestConfig()
	c.Extract.Isolate = true
	e := gatetest.Start(b, gatetest.Options{Config: &c, Walker: iso})
	extra := []string{"smtpd_client_connection_count_limit = 0", "smtpd_client_connection_rate_limit = 0", "in_flow_delay = 0"}
	listen := func(name string) config.Milter {
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
		return mc
	}
	withMilter := func(name string, d milter.Decider) (*testpostfix.Postfix, *milter.Server) {
		mc := listen(name)
		ln, err := milter.Listen(mc)
		if err != nil {
			b.Fatal(err)
		}
		srv := milter.New(mc, d, gatetest.Logger())
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		return testpostfix.Start(b, testpostfix.Options{NextHop: sink, Milter: mc.Listen, Extra: extra}), srv
	}
	// The yardstick: go-milter's NoOpMilter, every stage negotiated and
	// answered.
	acceptAll := func() *testpostfix.Postfix {
		mc := listen("acceptall")
		ln, err := milter.Listen(mc)
		if err != nil {
			b.Fatal(err)
		}
		srv := gomilter.NewServer(gomilter.WithMilter(func() gomilter.Milter { return gomilter.NoOpMilter{} }))
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })
		return testpostfix.Start(b, testpostfix.Options{NextHop: sink, Milter: mc.Listen, Extra: extra})
	}
	type side struct {
		name string
		pf   *testpostfix.Postfix
		// per case
		accept, through []time.Duration
		cpu             time.Duration // this process and the extract workers
	}
	airlock, srv := withMilter("airlock", e.Gate)
	floor, _ := withMilter("floor", deliverAll{})
	sides := []*side{
		{name: "no milter", pf: testpostfix.Start(b, testpostfix.Options{NextHop: sink, Extra: extra})},
		{name: "accept-all milter", pf: acceptAll()},
		{name: "Airlock server, deliver-all gate", pf: floor},
		{name: "Airlock", pf: airlock},
	}

	// The attachment messages, judged once before measuring.
	pdf := bytes.Repeat(gatetest.PDF(), 20)
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	fw, _ := zw.Create("report.pdf")
	fw.Write(pdf)
	zw.Close()
	write := func(name string, msg []byte) string {
		p := filepath.Join(b.TempDir(), name)
		if err := os.WriteFile(p, bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n")), 0o644); err != nil {
			b.Fatal(err)
		}
		smtpSource(b, airlock.SMTPAddr, 1, 1, "-F", p)
		return p
	}
	pdfFile := write("pdf.eml", gatetest.Mail("alice@example.net", "bob@example.org", "bench pdf",
		gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: pdf}))
	zipFile := write("zip.eml", gatetest.Mail("alice@example.net", "bob@example.org", "bench zip",
		gatetest.Part{Name: "reports.zip", Type: "application/zip", Data: zb.Bytes()}))
	time.Sleep(2 * time.Second) // verdicts in the cache

	sessions, msgs, rounds := 20, 300, 5
	if s := os.Getenv("AIRLOCK_BENCH_SESSIONS"); s != "" {
		fmt.Sscan(s, &sessions)
		msgs = 15 * sessions
	}
	if s := os.Getenv("AIRLOCK_BENCH_MSGS"); s != "" {
		fmt.Sscan(s, &msgs)
	}
	if s := os.Getenv("AIRLOCK_BENCH_ROUNDS"); s != "" {
		fmt.Sscan(s, &rounds)
	}
	cases := []struct {
		name string
		args []string
	}{
		{"plain20k", []string{"-l", "20480"}},
		{"judged_pdf", []string{"-F", pdfFile}},
		{"judged_zip_pdf", []string{"-F", zipFile}},
	}
	cpuNow := func() time.Duration { return selfCPU() + iso.CPU() }
	// One round is smtp-source against one Postfix, then the wait until
	// that Postfix has delivered everything to the sink, so that a
	// round's deliveries do not run into the next round (another
	// Postfix's). Two figures per side: accepted/s (smtp-source's wall
	// time: what a sending MTA sees) and through/s (until the sink has
	// every message: what the gateway passes on).
	round := func(s *side, args []string) {
		cpu0 := cpuNow()
		defer func() { s.cpu += cpuNow() - cpu0 }()
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
	starts0 := iso.Starts.Load()
	for i := 0; i < b.N; i++ {
		for _, tc := range cases {
			for _, s := range sides {
				s.accept, s.through, s.cpu = nil, nil, 0
			}
			for r := 0; r < rounds; r++ {
				for _, s := range sides {
					round(s, tc.args)
				}
			}
			n := time.Duration(rounds * msgs)
			for _, s := range sides {
				b.Logf("%s, %s: accepted %.0f msgs/s (%v), through %.0f msgs/s, CPU %v/msg",
					tc.name, s.name, rate(s.accept), s.accept, rate(s.through), s.cpu/n)
			}
			none, yard, fl, al := sides[0], sides[1], sides[2], sides[3]
			for _, x := range []*side{fl, al} {
				acc, thr := rate(x.accept)/rate(yard.accept), rate(x.through)/rate(yard.through)
				b.Logf("%s, %s vs accept-all milter: accepted %.2f×, through %.2f×; vs no milter: %.2f×, %.2f×",
					tc.name, x.name, acc, thr, rate(x.accept)/rate(none.accept), rate(x.through)/rate(none.through))
			}
			acc, thr := rate(al.accept)/rate(yard.accept), rate(al.through)/rate(yard.through)
			b.ReportMetric(acc, tc.name+"_accept_x")
			b.ReportMetric(thr, tc.name+"_through_x")
			alCPU, yardCPU := (al.cpu-none.cpu)/n, (yard.cpu-none.cpu)/n
			b.ReportMetric(float64(alCPU.Microseconds()), tc.name+"_airlock_cpu_µs/msg")
			b.ReportMetric(float64(yardCPU.Microseconds()), tc.name+"_acceptall_cpu_µs/msg")
			b.Logf("%s: CPU per message beyond no milter: Airlock %v (workers included), accept-all milter %v", tc.name, alCPU, yardCPU)
		}
	}
	b.Logf("extract workers started during the run: %d (pool size %d)", iso.Starts.Load()-starts0, max(4, 2*runtime.GOMAXPROCS(0)))
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

// BenchmarkNewDocumentLatency: a never-seen 500 KB PDF, from the end of
// DATA (the client's final dot) to the next hop, through a private Postfix
// with Airlock's milter as shipped (isolation on, default inline wait
// 5 s), and again with the hold path forced (inline wait 0: stored,
// discarded, released on the verdict and re-injected). Reports p50, p95
// and max over AIRLOCK_BENCH_DOCS messages (default 40) sent one at a
// time. Run with -benchtime=1x.
func BenchmarkNewDocumentLatency(b *testing.B) {
	n := 40
	if s := os.Getenv("AIRLOCK_BENCH_DOCS"); s != "" {
		fmt.Sscan(s, &n)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	iso := &extract.Isolator{Path: exe, Args: []string{"-test.run=^$"}, Env: []string{"AIRLOCK_EXTRACT_WORKER=1"}}
	b.Cleanup(iso.Close)
	for _, mode := range []struct {
		name   string
		inline time.Duration
	}{{"inline", config.DefaultPolicy().Hold.InlineWait}, {"hold_forced", 0}} {
		sink := smtpsink.Start(b, smtpsink.Options{})
		c := gatetest.TestConfig()
		c.Extract.Isolate = true
		c.Policy.Hold.InlineWait = mode.inline
		mc := config.DefaultMilter()
		mc.Listen, mc.SocketMode = "unix:"+filepath.Join(testpostfix.SharedDir(b, "airlock-milter-"), mode.name+".sock"), "0666"
		ln, err := milter.Listen(mc)
		if err != nil {
			b.Fatal(err)
		}
		pf := testpostfix.Start(b, testpostfix.Options{NextHop: sink.Addr(), Milter: mc.Listen, Reinject: true})
		e := gatetest.Start(b, gatetest.Options{Config: &c, Walker: iso, NextHop: pf.SMTPAddr})
		srv := milter.New(mc, e.Gate, gatetest.Logger())
		go srv.Serve(ln)
		b.Cleanup(func() { srv.Close() })

		var lat []time.Duration
		base := bytes.Repeat(gatetest.PDF(), 1)
		for i := 0; i < n*b.N; i++ {
			// a PDF no one has seen: 500 KB of its own bytes after the header
			doc := append(append([]byte{}, base...), bytes.Repeat([]byte(fmt.Sprintf("%% filler %d %d\n", i, time.Now().UnixNano())), 500<<10/32)...)
			subject := fmt.Sprintf("new doc %s %d", mode.name, i)
			msg := gatetest.Mail("alice@example.net", "bob@example.org", subject, gatetest.Part{Name: "statement.pdf", Type: "application/pdf", Data: doc})
			eod, err := sendTimed(pf.SMTPAddr, msg)
			if err != nil {
				b.Fatalf("%s: %v", subject, err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				var at time.Time
				for _, m := range sink.Messages() {
					if bytes.Contains(m.Data, []byte("Subject: "+subject+"\r\n")) {
						at = m.At
					}
				}
				if !at.IsZero() {
					lat = append(lat, at.Sub(eod))
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("%s never reached the sink; postfix log:\n%s", subject, pf.Log())
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
		b.ReportMetric(float64(p(0.95).Milliseconds()), mode.name+"_p95_ms")
		b.Logf("%s (inline wait %v): %d never-seen 500 KB PDFs, end of DATA → next hop p50 %v, p95 %v, max %v",
			mode.name, mode.inline, len(lat), p(0.5), p(0.95), lat[len(lat)-1])
	}
}

// sendTimed sends msg by SMTP and returns the moment the final dot left.
func sendTimed(addr string, msg []byte) (time.Time, error) {
	c, err := smtp.Dial(addr)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Close()
	if err := c.Mail("alice@example.net"); err != nil {
		return time.Time{}, err
	}
	if err := c.Rcpt("bob@example.org"); err != nil {
		return time.Time{}, err
	}
	w, err := c.Data()
	if err != nil {
		return time.Time{}, err
	}
	if _, err := w.Write(msg); err != nil {
		return time.Time{}, err
	}
	eod := time.Now()
	if err := w.Close(); err != nil {
		return time.Time{}, err
	}
	return eod, c.Quit()
}
