package sandboxd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/testredis"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/analyzer/eicar"
	"github.com/airlockmail/airlock/sandboxd/api"
	"github.com/airlockmail/airlock/sandboxd/client"
	"github.com/airlockmail/airlock/sandboxd/store"
	"github.com/airlockmail/airlock/seal"
	"github.com/airlockmail/airlock/verdict"
)

const (
	adminToken   = "admin-token-aaaaaaaaaaaaaaaaaaaa"
	tenantBToken = "tenant-b-token-bbbbbbbbbbbbbbbbbb"
	filterAToken = "filter-a-token-cccccccccccccccccc"
	webAToken    = "web-a-token-dddddddddddddddddddddd"
	webBToken    = "web-b-token-eeeeeeeeeeeeeeeeeeeeee"
)

func testTokens() *Tokens {
	return NewTokens(map[string]Principal{
		adminToken:   {Tenant: "a", Role: RoleAdmin},
		tenantBToken: {Tenant: "b", Role: RoleFilter},
		filterAToken: {Tenant: "a", Role: RoleFilter},
		webAToken:    {Tenant: "a", Role: RoleWeb},
		webBToken:    {Tenant: "b", Role: RoleWeb},
	})
}

// ruleAnalyzer is a fake analyzer for the daemon's own tests: it flags
// files containing "BAD" with a severity that depends on its version, so
// that a version change changes verdicts.
type ruleAnalyzer struct {
	version string
	sev     verdict.Severity
	calls   atomic.Int64
}

func (a *ruleAnalyzer) Name() string                { return "rule" }
func (a *ruleAnalyzer) Version() string             { return a.version }
func (a *ruleAnalyzer) Accepts(*analyzer.File) bool { return true }
func (a *ruleAnalyzer) Analyze(ctx context.Context, f *analyzer.File) (analyzer.Result, error) {
	a.calls.Add(1)
	if !bytes.Contains(f.Data, []byte("BAD")) {
		return analyzer.Result{}, nil
	}
	return analyzer.Result{Findings: []verdict.Finding{{Rule: "bad-word", Severity: a.sev, Description: "says BAD", Evidence: "BAD"}}}, nil
}

func testConfig() config.Sandboxd {
	c := config.DefaultSandboxd()
	c.Workers = 2
	c.AnalyzerTimeout = 2 * time.Second
	c.ClaimTimeout = 3 * time.Second
	c.RetryBackoff = 50 * time.Millisecond
	c.PurgeInterval = time.Hour // tests call Purge themselves
	c.MaxFileBytes = 1 << 20
	return c
}

// backend opens a fresh store; reopen gives a second handle on the same
// data (a restart), closing the first.
type backend struct {
	name string
	open func(t testing.TB) (st store.Store, reopen func() store.Store)
}

var backends = []backend{
	{"bolt", func(t testing.TB) (store.Store, func() store.Store) {
		dir := t.TempDir()
		o := store.BoltOptions{Dir: dir, ClaimTimeout: 3 * time.Second}
		st, err := store.OpenBolt(o)
		if err != nil {
			t.Fatal(err)
		}
		cur := st
		t.Cleanup(func() { cur.Close() })
		return st, func() store.Store {
			cur.Close()
			s, err := store.OpenBolt(o)
			if err != nil {
				t.Fatal(err)
			}
			cur = s
			return s
		}
	}},
	{"redis", func(t testing.TB) (store.Store, func() store.Store) {
		srv := testredis.Start(t, testredis.Options{AOF: true})
		open := func() store.Store {
			c := store.NewRedisClient(redis.UniversalOptions{Addrs: []string{srv.Addr()}})
			t.Cleanup(func() { c.Close() })
			s, err := store.OpenRedis(context.Background(), store.RedisOptions{Client: c, Prefix: "{sbx}:", ClaimTimeout: 3 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(), open
	}},
}

// env is one running daemon with clients for tenant a (admin) and b.
type env struct {
	t       testing.TB
	d       *Daemon
	st      store.Store
	url     string
	admin   *client.Client
	b       *client.Client
	stop    func()
	clock   *fakeClock
	key     *seal.Key
	tlsConf *tls.Config
}

type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

type envOptions struct {
	cfg       *config.Sandboxd
	analyzers []analyzer.Analyzer
	tls       bool
	noRun     bool   // serve the API but run no workers
	addr      string // listen here (a restart on the same port); default :0
}

var testKey = func() *seal.Key {
	k, err := seal.NewKey(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return k
}()

func startEnv(t testing.TB, st store.Store, o envOptions) *env {
	t.Helper()
	cfg := testConfig()
	if o.cfg != nil {
		cfg = *o.cfg
	}
	if o.analyzers == nil {
		o.analyzers = []analyzer.Analyzer{eicar.New(), &ruleAnalyzer{version: "1", sev: verdict.Medium}}
	}
	e := &env{t: t, st: st, clock: &fakeClock{}, key: testKey}
	var err error
	if o.tls {
		certFile, keyFile, pool := makeCert(t)
		cfg.TLS = config.TLSFiles{CertFile: certFile, KeyFile: keyFile}
		e.tlsConf = &tls.Config{RootCAs: pool}
	}
	e.d, err = New(context.Background(), Options{Config: cfg, Store: st, Key: testKey, Tokens: testTokens(),
		Analyzers: o.analyzers, Logger: testLogger(t), Now: e.clock.now, Node: "test-" + t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	if o.addr == "" {
		o.addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		t.Fatal(err)
	}
	scheme := "http"
	if o.tls {
		scheme = "https"
	}
	e.url = scheme + "://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if o.noRun {
			e.d.serveOnly(ctx, ln)
			return
		}
		if err := e.d.Serve(ctx, ln); err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if p := e.d.Stats().Panics; p != 0 && !t.Failed() && !expectPanics[t.Name()] {
				t.Errorf("%d panics recovered", p)
			}
		})
	}
	t.Cleanup(e.stop)
	e.admin = e.client(adminToken)
	e.b = e.client(tenantBToken)
	return e
}

// expectPanics names tests whose analyzers panic on purpose.
var expectPanics = map[string]bool{}

func (e *env) client(token string) *client.Client {
	e.t.Helper()
	c, err := client.New(client.Config{URL: e.url, Token: token, TLS: e.tlsConf, Timeout: 10 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("SANDBOXD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// upload sends data as tenant c and returns the upload answer.
func (e *env) upload(c *client.Client, data []byte, cat verdict.Category, ext string, ret api.Retention) *api.UploadResponse {
	e.t.Helper()
	r, err := c.Upload(context.Background(), sha(data), cat, ext, ret, bytes.NewReader(data))
	if err != nil {
		e.t.Fatalf("upload: %v", err)
	}
	return r
}

// waitDone polls until the file is done (verdict stored) and returns it.
func (e *env) waitDone(c *client.Client, h string) *api.File {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		f, err := c.Get(context.Background(), h)
		if err == nil && f.State == api.StateDone && f.Verdict != verdict.Unknown {
			return f
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("no verdict for %s within 20s", h)
	return nil
}

// makeCert writes a self-signed certificate for 127.0.0.1 and returns the
// files and a pool that trusts it.
func makeCert(t testing.TB) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sandboxd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serveOnly serves the API with no workers, purge or hub: uploads stay
// queued (for restart tests).
func (d *Daemon) serveOnly(ctx context.Context, ln net.Listener) {
	srv := &http.Server{Handler: d.Handler()}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	srv.Serve(ln)
}

func waitConnected(t *testing.T, s *client.Stream) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !s.Connected() {
		if time.Now().After(deadline) {
			t.Fatalf("event stream did not connect: %v", s.Err())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nextEvent(t *testing.T, s *client.Stream) api.Event {
	t.Helper()
	select {
	case e, ok := <-s.C:
		if !ok {
			t.Fatal("event stream closed")
		}
		return e
	case <-time.After(20 * time.Second):
		t.Fatalf("no event within 20s (connected=%v, err=%v)", s.Connected(), s.Err())
	}
	return api.Event{}
}
