package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/smtpsink"
	"github.com/airlockmail/airlock/policy"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// browser starts one headless Chromium (Debian's) for the test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium not installed (./scripts/test installs it): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// Tests talk to loopback only. Even with background networking
		// off, Chromium resolves and contacts Google hosts (about 200
		// packets per run were seen leaving eth0): every name but
		// 127.0.0.1 fails to resolve, and anything not on loopback goes
		// to a proxy on a port nothing listens on.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.ProxyServer("127.0.0.1:9"),
		chromedp.Flag("dns-prefetch-disable", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-client-side-phishing-detection", true),
		chromedp.Flag("disable-features", "OptimizationHints,MediaRouter,Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1360, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// Start the browser with no deadline (a deadline on the first Run
	// would bound the browser's whole life).
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// Accept every confirm() the pages ask.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	return ctx
}

// screenshots is where the PNGs go: $AIRLOCK_ARTIFACTS/web-screenshots,
// or a fresh temp dir kept after the test; the path is logged.
func screenshots(t *testing.T) string {
	t.Helper()
	var dir string
	if a := os.Getenv("AIRLOCK_ARTIFACTS"); a != "" {
		dir = filepath.Join(a, "web-screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	} else {
		d, err := os.MkdirTemp("", "airlock-web-screenshots-")
		if err != nil {
			t.Fatal(err)
		}
		dir = d
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

type browserEnv struct {
	t    *testing.T
	ctx  context.Context
	base string
	shot string
	back *gatetest.Env
}

// do runs steps with a deadline, failing the test with what it was doing.
func (b *browserEnv) do(what string, timeout time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(what, " ", "-"))
		b.t.Fatalf("%s: %v", what, err)
	}
}

func (b *browserEnv) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browserEnv) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shot, name+".png"), png, 0o644); err != nil {
		b.t.Error(err)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func external() policy.Envelope {
	return policy.Envelope{ClientAddr: netip.MustParseAddr("192.0.2.10"), Helo: "mx.example.net",
		MailFrom: "alice@example.net", RcptTo: []string{"bob@example.org"}}
}

func decide(t *testing.T, g *gate.Gate, data []byte) *gate.Decision {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := g.Decide(ctx, &gate.Message{Envelope: external(), Data: data, Mode: holdqueue.ModeMilter})
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return d
}

// TestBrowser drives the admin page in headless Chromium against the real
// back end (gate, sandboxd with every static analyzer, embedded hold
// queue, release loop) delivering to a real SMTP sink.
func TestBrowser(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	c := gatetest.TestConfig()
	c.Policy.Actions.Malicious = config.ActionQuarantine
	c.Policy.Hold.Timeout = 10 * time.Minute
	// Held mail is what this test is about: no need to wait long inline.
	c.Policy.Hold.InlineWait = 300 * time.Millisecond
	back := gatetest.Start(t, gatetest.Options{Config: &c, NextHop: sink.Addr()})
	// Sandboxd starts down: mail is held, and the status page says so.
	back.StopSandbox()

	dir := t.TempDir()
	ex, err := exclusions.OpenBolt(filepath.Join(dir, "exclusions.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ex.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, err := policy.New(back.Config.Policy)
	if err != nil {
		t.Fatal(err)
	}
	// This is how a filter node applies exclusions: Watch → SetPolicy.
	var applied atomic.Int64
	if err := exclusions.Watch(ctx, ex, exclusions.WatchConfig{Base: base, Apply: func(p *policy.Policy) {
		back.Gate.SetPolicy(p)
		applied.Add(1)
	}}, gatetest.Logger()); err != nil {
		t.Fatal(err)
	}

	wcfg := config.DefaultWeb()
	wcfg.Users = []config.WebUser{{Name: testUser, PasswordHash: userHash(t, testPass)}}
	wcfg.HealthInterval = 200 * time.Millisecond
	srv, err := New(wcfg, Deps{Store: back.Store, Sandbox: back.WebClient(), Exclusions: ex, DataDir: dir,
		Warnings: func() []string { return []string{"test store: embedded bbolt (fsync on every commit)"} }}, gatetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	go srv.Run(ctx)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.CloseClientConnections(); hs.Close() })

	b := &browserEnv{t: t, ctx: browser(t), base: hs.URL, shot: screenshots(t), back: back}

	// Log in.
	b.do("open login page", 10*time.Second, chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.ID("user")))
	b.screenshot("01-login")
	b.do("log in", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("user"), testUser),
		chromedp.SendKeys(chromedp.ID("password"), testPass),
		chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.CSS(`#live.on`)),
	)
	b.do("see the sandbox down", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#sandbox-state.sandbox-down`)))

	// A held message appears live on the status page.
	pdf := gatetest.Mail("alice@example.net", "bob@example.org", "Quarterly report", gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: gatetest.PDF()})
	d1 := decide(t, back.Gate, pdf)
	held := time.Now()
	if d1.Action != gate.Hold {
		t.Fatalf("with sandboxd down: %s (%s), want hold", d1.Action, d1.Reason)
	}
	b.do("see the held count change live", 5*time.Second, chromedp.WaitVisible(chromedp.CSS(`#changes a[href="/messages/`+d1.QueueID+`"]`)))
	t.Logf("status page showed the held message %v after the hold", time.Since(held).Round(time.Millisecond))
	if got := b.text("#held-now"); got != "1" {
		t.Errorf("held now = %q, want 1", got)
	}
	b.screenshot("02-status")

	// On the postponed-mail page, a second message appears without a reload.
	b.do("open postponed mail", 10*time.Second, chromedp.Navigate(b.base+"/held"), chromedp.WaitVisible(chromedp.CSS(`#live.on`)))
	evilSubject := `<script>alert("pwned")</script> invoice`
	doc := gatetest.Mail("carol@example.net", "bob@example.org", evilSubject, gatetest.Part{Name: "invoice.pdf", Type: "application/pdf", Data: gatetest.PDF()})
	d2 := decide(t, back.Gate, doc)
	held = time.Now()
	if d2.Action != gate.Hold {
		t.Fatalf("second message: %s, want hold", d2.Action)
	}
	row := `tr[data-id="` + d2.QueueID + `"]`
	b.do("see the new message appear live", 5*time.Second, chromedp.WaitVisible(chromedp.CSS(row)))
	t.Logf("postponed-mail page showed the new message %v after the hold", time.Since(held).Round(time.Millisecond))
	if got := b.text(row + " a.subject"); got != evilSubject {
		t.Errorf("subject shown as %q, want the text %q", got, evilSubject)
	}
	b.screenshot("03-postponed")

	// Release it (the page asks to confirm; the test accepts) and see it
	// delivered to the sink.
	b.do("release", 10*time.Second, chromedp.Click(chromedp.CSS(row+" button.release")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	msgs, err := sink.Wait(sctx, 1)
	scancel()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(msgs[0].Data), "invoice.pdf") {
		t.Errorf("sink got another message:\n%.300s", msgs[0].Data)
	}
	m := back.WaitState(d2.QueueID, holdqueue.Delivered, 10*time.Second)
	released := false
	for _, ev := range m.History {
		if ev.Actor == testUser && ev.State == holdqueue.Releasing {
			released = true
		}
	}
	if !released {
		t.Errorf("history does not record %s's release: %+v", testUser, m.History)
	}
	b.do("open the delivered message", 10*time.Second, chromedp.Navigate(b.base+"/messages/"+d2.QueueID), chromedp.WaitVisible(chromedp.ID("msg-state")))
	if got := b.text("#msg-state"); got != "delivered" {
		t.Errorf("message page state %q, want delivered", got)
	}

	// Sandboxd returns; the status page says so by itself.
	b.do("back to status", 10*time.Second, chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(`#live.on`)))
	back.StartSandbox()
	b.do("see the sandbox up", 10*time.Second, chromedp.WaitVisible(chromedp.CSS(`#sandbox-state.sandbox-up`)))

	// A malicious attachment goes to quarantine; open it and read why.
	eicarMail := gatetest.Mail("mallory@example.net", "bob@example.org", "Your parcel", gatetest.Part{Name: "parcel.com", Type: "application/octet-stream", Data: gatetest.EICAR})
	d3 := decide(t, back.Gate, eicarMail)
	// Quarantined inline, or held until the verdict event (sandboxd has
	// only just come back) and then quarantined by the release loop.
	if d3.Action != gate.Quarantine && d3.Action != gate.Hold {
		t.Fatalf("eicar: %s (%s), want quarantine", d3.Action, d3.Reason)
	}
	back.WaitState(d3.QueueID, holdqueue.Quarantined, 20*time.Second)
	b.do("open quarantine", 10*time.Second, chromedp.Navigate(b.base+"/quarantine"), chromedp.WaitVisible(chromedp.CSS(`tr[data-id="`+d3.QueueID+`"]`)))
	b.screenshot("04-quarantine")
	b.do("open the quarantined message", 10*time.Second,
		chromedp.Click(chromedp.CSS(`tr[data-id="`+d3.QueueID+`"] a.subject`)),
		chromedp.WaitVisible(chromedp.CSS(`table.findings`)))
	findings := b.text("table.findings")
	if !strings.Contains(strings.ToLower(findings), "eicar") {
		t.Errorf("findings do not say EICAR: %q", findings)
	}
	b.screenshot("05-quarantined-message")

	// Submitted files: add an exclusion for the EICAR file.
	sum := sha256.Sum256(gatetest.EICAR)
	eicarSHA := hex.EncodeToString(sum[:])
	frow := `tr[data-sha="` + eicarSHA + `"]`
	b.do("open submitted files", 10*time.Second, chromedp.Navigate(b.base+"/files"), chromedp.WaitVisible(chromedp.CSS(frow)))
	b.screenshot("06-files")
	before := applied.Load()
	b.do("add exclusion", 10*time.Second,
		chromedp.Click(chromedp.CSS(frow+" button.exclude")),
		chromedp.WaitVisible(chromedp.CSS(`table.exclusions `+frow)))
	b.screenshot("07-exclusions")
	waitFor(t, "the exclusion to reach the gate's policy", 5*time.Second, func() bool { return applied.Load() > before })

	// The next message with that file is delivered at once, not held.
	d4 := decide(t, back.Gate, gatetest.Mail("mallory@example.net", "bob@example.org", "Your parcel again", gatetest.Part{Name: "parcel.com", Type: "application/octet-stream", Data: gatetest.EICAR}))
	if d4.Action != gate.Deliver || d4.QueueID != "" {
		t.Errorf("after the exclusion: %s queue id %q (%s), want deliver without a hold", d4.Action, d4.QueueID, d4.Reason)
	}

	// Re-analyze from the file's page.
	b.do("re-analyze", 10*time.Second,
		chromedp.Navigate(b.base+"/files/"+eicarSHA), chromedp.WaitVisible(chromedp.ID("reanalyze")),
		chromedp.Click(chromedp.ID("reanalyze")), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.text(".flash"); !strings.Contains(got, "analysis again") {
		t.Errorf("after re-analyze: %q", got)
	}
	b.screenshot("08-file")

	// The message page of the released one, for the record.
	b.do("open message page", 10*time.Second, chromedp.Navigate(b.base+"/messages/"+d1.QueueID), chromedp.WaitVisible(chromedp.ID("msg-state")))
	b.screenshot("09-message")
}
