package clamav

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/verdict"
)

func newAnalyzer(t *testing.T, cfg Config) *Analyzer {
	t.Helper()
	a, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return a
}

func TestDetectsThroughClamd(t *testing.T) {
	addrs := map[string]string{
		"unix":      "unix:" + testClamd.unix,
		"tcp":       "tcp:" + testClamd.tcp,
		"bare path": testClamd.unix,
		"bare tcp":  testClamd.tcp,
	}
	files := []struct {
		name string
		data []byte
		sig  string // "" = clean
	}{
		{"hash signature", hashFile, "Airlock.Test.Hash"},
		{"body signature", bodyFile, "Airlock.Test.Body"},
		{"yara rule", yaraFile, "AirlockTestYara"},
		{"clean", cleanFile, ""},
		// Larger than one chunk: the chunking must carry the marker
		// across chunk boundaries intact.
		{"body signature across chunks", append(append(make([]byte, 200<<10), bodyFile...), make([]byte, 100<<10)...), "Airlock.Test.Body"},
	}
	for an, addr := range addrs {
		a := newAnalyzer(t, Config{Address: addr, ChunkSize: 4096})
		for _, f := range files {
			t.Run(an+"/"+f.name, func(t *testing.T) {
				res, err := a.Analyze(t.Context(), &analyzer.File{Data: f.data})
				if err != nil {
					t.Fatalf("Analyze: %v", err)
				}
				if res.Unscannable != "" {
					t.Fatalf("unscannable: %s", res.Unscannable)
				}
				if f.sig == "" {
					if len(res.Findings) != 0 {
						t.Fatalf("clean file got findings %+v", res.Findings)
					}
					return
				}
				if len(res.Findings) != 1 {
					t.Fatalf("want one finding, got %+v", res.Findings)
				}
				got := res.Findings[0]
				if !strings.Contains(got.Evidence, f.sig) || got.Analyzer != "clamav" || got.Severity != verdict.Critical {
					t.Fatalf("finding %+v, want signature %s at critical", got, f.sig)
				}
			})
		}
	}
}

func TestVersionFollowsClamd(t *testing.T) {
	a := newAnalyzer(t, Config{Address: testClamd.tcp})
	before := a.Version()
	if _, err := a.Analyze(t.Context(), &analyzer.File{Data: cleanFile}); err != nil {
		t.Fatal(err)
	}
	after := a.Version()
	if before == after || !strings.Contains(after, "ClamAV") {
		t.Fatalf("Version before %q after %q: want the clamd engine after a scan", before, after)
	}
	if err := a.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestStreamLimits(t *testing.T) {
	big := make([]byte, clamdStreamMax+1024)
	t.Run("over our limit is unscannable, not sent", func(t *testing.T) {
		a := newAnalyzer(t, Config{Address: testClamd.tcp, MaxStreamSize: 1000})
		res, err := a.Analyze(t.Context(), &analyzer.File{Data: big})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(res.Unscannable, "stream limit") {
			t.Fatalf("Unscannable = %q", res.Unscannable)
		}
	})
	t.Run("over clamd's limit is an error", func(t *testing.T) {
		// Misconfigured: our limit above clamd's StreamMaxLength.
		a := newAnalyzer(t, Config{Address: testClamd.tcp, MaxStreamSize: 4 * clamdStreamMax})
		_, err := a.Analyze(t.Context(), &analyzer.File{Data: big})
		if err == nil || !strings.Contains(err.Error(), "size limit") {
			t.Fatalf("err = %v, want clamd's size limit error", err)
		}
	})
}

// TestClamdDown: no clamd, a clamd that never answers, a cancelled scan.
// Each is an error from Analyze (sandboxd records it and lets the other
// analyzers decide), never a clean result.
func TestClamdDown(t *testing.T) {
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return addr
	}()
	// A real socket whose peer accepts and then says nothing, as a hung
	// clamd would.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	cases := []struct {
		name string
		addr string
		ctx  context.Context
		want error
	}{
		{"connection refused", closed, t.Context(), nil},
		{"no unix socket", filepath.Join(t.TempDir(), "none.sock"), t.Context(), nil},
		{"clamd hangs", mute.Addr().String(), t.Context(), context.DeadlineExceeded},
		{"cancelled", testClamd.tcp, cancelled, context.Canceled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := newAnalyzer(t, Config{Address: c.addr, Timeout: 300 * time.Millisecond})
			res, err := a.Analyze(c.ctx, &analyzer.File{Data: bodyFile})
			if err == nil {
				t.Fatalf("no error, result %+v", res)
			}
			if c.want != nil && !errors.Is(err, c.want) && !strings.Contains(err.Error(), "timeout") {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if err := a.Ping(c.ctx); err == nil {
				t.Fatal("Ping succeeded against a down clamd")
			}
		})
	}
}

func TestParseReply(t *testing.T) {
	cases := []struct {
		reply   string
		sig     string
		found   bool
		wantErr bool
	}{
		{"stream: OK", "", false, false},
		{"stream: Win.Test.EICAR_HDB-1 FOUND", "Win.Test.EICAR_HDB-1", true, false},
		{"stream: YARA.x.UNOFFICIAL FOUND\x00", "YARA.x.UNOFFICIAL", true, false},
		{"INSTREAM size limit exceeded. ERROR", "", false, true},
		{"stream: FOUND", "", false, true},
		{"garbage", "", false, true},
		{"", "", false, true},
	}
	for _, c := range cases {
		sig, found, err := parseReply(c.reply)
		if sig != c.sig || found != c.found || (err != nil) != c.wantErr {
			t.Errorf("parseReply(%q) = %q, %v, %v", c.reply, sig, found, err)
		}
	}
}

func TestConfig(t *testing.T) {
	cases := []struct {
		cfg  Config
		want string // substring of the error, "" = valid
	}{
		{Config{Address: "unix:/run/clamd.ctl"}, ""},
		{Config{Address: "127.0.0.1:3310"}, ""},
		{Config{Address: ""}, "empty"},
		{Config{Address: "tcp:nohostport"}, "missing port"},
		{Config{Address: "/x", Timeout: -1}, "timeout"},
		{Config{Address: "/x", MaxStreamSize: -1}, "max stream size"},
	}
	for _, c := range cases {
		_, err := New(c.cfg, nil)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("New(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func BenchmarkInstream1MiB(b *testing.B) {
	a, err := New(Config{Address: testClamd.unix}, nil)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 1<<20-100)
	copy(data[1000:], bodyFile)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := a.Analyze(context.Background(), &analyzer.File{Data: data}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseReply: any reply is either a signature, clean, or an error,
// and a signature is never empty.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"stream: OK", "stream: X FOUND", "INSTREAM size limit exceeded. ERROR", ": FOUND", "stream:  FOUND"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, reply string) {
		sig, found, err := parseReply(reply)
		if found && (sig == "" || err != nil) {
			t.Fatalf("parseReply(%q) = %q, %v, %v", reply, sig, found, err)
		}
	})
}
