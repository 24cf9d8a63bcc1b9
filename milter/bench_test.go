package milter_test

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
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

func median(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

// BenchmarkPostfixSMTPSource measures throughput through a private
// Postfix with the milter against the same Postfix configuration with no
// milter, in one run, alternating, with Postfix's smtp-source:
// attachment-free 20 KB mail, and mail with an already-judged attachment,
// both at 20 sessions. Run with -benchtime=1x; it reports msgs/s for both
// and their ratio.
func BenchmarkPostfixSMTPSource(b *testing.B) {
	sink := startSMTPSink(b)
	c := gatetest.TestConfig()
	e := gatetest.Start(b, gatetest.Options{Config: &c})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := milter.New(config.DefaultMilter(), e.Gate, gatetest.Logger())
	go srv.Serve(ln)
	defer srv.Close()
	extra := []string{"smtpd_client_connection_count_limit = 0", "smtpd_client_connection_rate_limit = 0", "in_flow_delay = 0"}
	with := testpostfix.Start(b, testpostfix.Options{NextHop: sink, Milter: "inet:" + ln.Addr().String(), Extra: extra})
	without := testpostfix.Start(b, testpostfix.Options{NextHop: sink, Extra: extra})

	// The attachment message, judged once before measuring.
	doc := gatetest.Mail("alice@example.net", "bob@example.org", "bench doc",
		gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: bytes.Repeat(gatetest.PDF(), 20)})
	docFile := filepath.Join(b.TempDir(), "doc.eml")
	if err := os.WriteFile(docFile, bytes.ReplaceAll(doc, []byte("\r\n"), []byte("\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	smtpSource(b, with.SMTPAddr, 1, 1, "-F", docFile)
	time.Sleep(2 * time.Second) // verdict in the cache

	sessions, msgs, rounds := 20, 300, 5
	if s := os.Getenv("AIRLOCK_BENCH_SESSIONS"); s != "" {
		fmt.Sscan(s, &sessions)
		msgs = 15 * sessions
	}
	cases := []struct {
		name string
		args []string
	}{
		{"plain20k", []string{"-l", "20480"}},
		{"judged_attachment", []string{"-F", docFile}},
	}
	for i := 0; i < b.N; i++ {
		for _, tc := range cases {
			var base, milt []time.Duration
			for r := 0; r < rounds; r++ {
				base = append(base, smtpSource(b, without.SMTPAddr, sessions, msgs, tc.args...))
				milt = append(milt, smtpSource(b, with.SMTPAddr, sessions, msgs, tc.args...))
			}
			mb, mm := median(base), median(milt)
			rb, rm := float64(msgs)/mb.Seconds(), float64(msgs)/mm.Seconds()
			b.ReportMetric(rb, tc.name+"_nomilter_msgs/s")
			b.ReportMetric(rm, tc.name+"_milter_msgs/s")
			b.ReportMetric(rm/rb, tc.name+"_ratio")
			b.Logf("%s: no milter %.0f msgs/s (median of %v), milter %.0f msgs/s (median of %v), ratio %.2f",
				tc.name, rb, strings.Trim(fmt.Sprint(base), "[]"), rm, strings.Trim(fmt.Sprint(milt), "[]"), rm/rb)
		}
	}
	if p := srv.Stats.Panics.Load(); p != 0 {
		b.Errorf("%d panics", p)
	}
	if n := srv.Stats.TempFailed.Load() + srv.Stats.Rejected.Load(); n != 0 {
		b.Errorf("%d messages refused during the benchmark", n)
	}
}
