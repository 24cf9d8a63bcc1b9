package sandboxd

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/sandboxd/analyzer"
	"github.com/airlockmail/airlock/sandboxd/client"
)

// TestOpenTLSRelativeToDataDir: sandboxd.tls paths are resolved against
// data_dir like every other path (configs/cluster.yaml names
// tls/sandbox.crt, and a systemd unit runs in "/"), not against the
// working directory.
func TestOpenTLSRelativeToDataDir(t *testing.T) {
	certFile, keyFile, pool := makeCert(t)
	c := config.Default()
	c.DataDir = t.TempDir()
	if err := os.MkdirAll(filepath.Join(c.DataDir, "tls"), 0o700); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{certFile: "tls/sandbox.crt", keyFile: "tls/sandbox.key"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(c.DataDir, dst), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The test's working directory is the package folder, which has no
	// tls/ folder: resolving against it fails.
	c.Sandboxd.TLS = config.TLSFiles{CertFile: "tls/sandbox.crt", KeyFile: "tls/sandbox.key"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, setup, closeStore, err := Open(ctx, c, []analyzer.Analyzer{&ruleAnalyzer{version: "1"}}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- d.Serve(ctx, ln) }()
	tok, err := client.ReadTokenFile(setup.ClientTokenFile)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := client.New(client.Config{URL: "https://" + ln.Addr().String(), Token: tok,
		TLS: &tls.Config{RootCAs: pool}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Health(ctx); err != nil {
		select {
		case serr := <-served:
			t.Fatalf("health over TLS: %v (serve: %v)", err, serr)
		default:
			t.Fatalf("health over TLS: %v", err)
		}
	}
	cancel()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
