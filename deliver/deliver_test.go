package deliver

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver/releasehdr"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func newTestDeliverer(t *testing.T, addr string, mod func(*config.Deliver)) *Deliverer {
	t.Helper()
	c := config.DefaultDeliver()
	c.NextHop = addr
	c.HeloName = "airlock.test"
	c.Timeout = 10 * time.Second
	if mod != nil {
		mod(&c)
	}
	d := New(c, testKey, slog.New(slog.NewTextHandler(io.Discard, nil)))
	t.Cleanup(func() { d.Close() })
	return d
}

const heldMsg = "Received: from mx.sender.example\r\n" +
	"Subject: =?utf-8?q?R=C3=A9union?=\r\n" +
	"From: Alice <alice@sender.example>\r\n" +
	"X-Airlock-Verdict: clean (forged by the sender)\r\n" +
	"To: bob@corp.example\r\n" +
	"Content-Type: text/plain\r\n" +
	"\r\n" +
	"line one  \r\n" +
	"..leading dot\r\n" +
	".\r\n" +
	"\r\n" +
	"last line without newline"

var env = Envelope{From: "alice@sender.example", To: []string{"bob@corp.example", "carol@corp.example"}}

func stamp() Stamp {
	return Stamp{QueueID: "01QUEUEID", Verdict: "clean", HeldAt: time.Now().Add(-90 * time.Second)}
}

// The delivered bytes are the held bytes plus Airlock's fields on top:
// nothing else changes (the forged X-Airlock field excepted).
func TestDeliveredBytesAreHeldBytesPlusHeaders(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	d := newTestDeliverer(t, sink.Addr(), nil)
	res, err := d.Send(context.Background(), env, []byte(heldMsg), stamp())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Reply, "250") {
		t.Fatalf("reply %q", res.Reply)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || msgs[0].From != env.From || strings.Join(msgs[0].To, ",") != strings.Join(env.To, ",") {
		t.Fatalf("sink got %+v", msgs)
	}
	got := msgs[0].Data
	want := strings.Replace(heldMsg, "X-Airlock-Verdict: clean (forged by the sender)\r\n", "", 1)
	// SMTP transparency ends the data with CRLF; the last line had none.
	i := bytes.Index(got, []byte("Received: "))
	if i < 0 {
		t.Fatalf("original header missing:\n%s", got)
	}
	if string(got[i:]) != want+"\r\n" {
		t.Fatalf("held bytes changed:\n got %q\nwant %q", got[i:], want+"\r\n")
	}
	added := string(got[:i])
	for _, f := range []string{FieldVerdict + ": clean\r\n", FieldQueueID + ": 01QUEUEID\r\n", FieldHeld + ": 1m30s", releasehdr.Field + ": v=1; id=01QUEUEID"} {
		if !strings.Contains(added, f) {
			t.Errorf("added fields lack %q:\n%s", f, added)
		}
	}
	if strings.Count(string(got), "forged") != 0 {
		t.Error("forged X-Airlock field kept")
	}
	// The milter's check: the header verifies against the delivered body.
	v := headerValue(t, got, releasehdr.Field)
	id, _, err := releasehdr.Verify(testKey, v, releasehdr.BodyDigest(got), time.Now())
	if err != nil || id != "01QUEUEID" {
		t.Fatalf("release header does not verify: %q %v", id, err)
	}
}

func headerValue(t *testing.T, msg []byte, field string) string {
	t.Helper()
	lines := strings.Split(string(msg), "\r\n")
	for i, line := range lines {
		if v, ok := strings.CutPrefix(line, field+": "); ok {
			// Unfold continuation lines (RFC 5322 §2.2.3).
			for _, l := range lines[i+1:] {
				if l == "" || (l[0] != ' ' && l[0] != '\t') {
					break
				}
				v += l
			}
			return v
		}
	}
	t.Fatalf("no %s in %q", field, msg)
	return ""
}

func TestFailuresAreClassified(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	d := newTestDeliverer(t, sink.Addr(), nil)
	ctx := context.Background()
	cases := []struct {
		name      string
		setup     func()
		temporary bool
		reply     string
	}{
		{"5xx at end of DATA", func() { sink.FailNext(1, 554, "content refused") }, false, "554 5.0.0 content refused"},
		{"4xx at end of DATA", func() { sink.FailNext(1, 451, "try later") }, true, "451 4.0.0 try later"},
		{"every recipient 5xx", func() {
			sink.RejectRcpt("bob@corp.example", 550, "no such user")
			sink.RejectRcpt("carol@corp.example", 550, "no such user")
		}, false, "550 5.0.0 no such user"},
		{"one recipient 4xx defers all", func() { sink.RejectRcpt("carol@corp.example", 452, "mailbox busy") }, true, "452 4.0.0 mailbox busy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sink.Reset()
			tc.setup()
			_, err := d.Send(ctx, env, []byte(heldMsg), stamp())
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("want *Error, got %v", err)
			}
			if de.Temporary != tc.temporary || !strings.Contains(de.Reply, tc.reply) {
				t.Fatalf("temporary=%v reply=%q", de.Temporary, de.Reply)
			}
			if sink.Count() != 0 {
				t.Fatal("sink accepted a refused message")
			}
		})
	}
	t.Run("one recipient 5xx, others get it", func(t *testing.T) {
		sink.Reset()
		sink.RejectRcpt("carol@corp.example", 550, "no such user")
		res, err := d.Send(ctx, env, []byte(heldMsg), stamp())
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Refused) != 1 || !strings.Contains(res.Refused["carol@corp.example"], "550") || sink.Count() != 1 {
			t.Fatalf("res %+v, sink %d", res, sink.Count())
		}
	})
	t.Run("next hop down", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := l.Addr().String()
		l.Close()
		_, err := newTestDeliverer(t, addr, nil).Send(ctx, env, []byte(heldMsg), stamp())
		var de *Error
		if !errors.As(err, &de) || !de.Temporary {
			t.Fatalf("want temporary error, got %v", err)
		}
	})
}

func TestConnectionsAreReused(t *testing.T) {
	sink := smtpsink.Start(t, smtpsink.Options{})
	d := newTestDeliverer(t, sink.Addr(), nil)
	for range 20 {
		if _, err := d.Send(context.Background(), env, []byte(heldMsg), stamp()); err != nil {
			t.Fatal(err)
		}
	}
	if n := sink.Sessions(); n != 1 {
		t.Fatalf("20 sequential messages used %d sessions, want 1", n)
	}
	// A pooled connection the server closed is replaced transparently.
	sink2 := smtpsink.Start(t, smtpsink.Options{})
	d2 := newTestDeliverer(t, sink2.Addr(), nil)
	d2.Send(context.Background(), env, []byte(heldMsg), stamp())
	d2.mu.Lock()
	d2.idle[0].nc.Close()
	d2.mu.Unlock()
	if _, err := d2.Send(context.Background(), env, []byte(heldMsg), stamp()); err != nil {
		t.Fatalf("after a dead pooled connection: %v", err)
	}
}

func TestStartTLS(t *testing.T) {
	plain := smtpsink.Start(t, smtpsink.Options{})
	withTLS := smtpsink.Start(t, smtpsink.Options{TLS: selfSigned(t)})
	ctx := context.Background()
	cases := []struct {
		name, mode string
		sink       *smtpsink.Sink
		wantErr    bool
		wantTLS    bool
	}{
		{"required, offered", config.StartTLSRequired, withTLS, false, true},
		{"required, not offered", config.StartTLSRequired, plain, true, false},
		{"opportunistic, offered", config.StartTLSOpportunistic, withTLS, false, true},
		{"opportunistic, not offered", config.StartTLSOpportunistic, plain, false, false},
		{"none", config.StartTLSNone, withTLS, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.sink.Reset()
			d := newTestDeliverer(t, tc.sink.Addr(), func(c *config.Deliver) {
				c.StartTLS = tc.mode
				c.TLSInsecure = true
			})
			_, err := d.Send(ctx, env, []byte(heldMsg), stamp())
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				return
			}
			if m := tc.sink.Messages(); len(m) != 1 || m[0].TLS != tc.wantTLS {
				t.Fatalf("sink: %+v", m)
			}
		})
	}
}

func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sink.test"},
		DNSNames:     []string{"sink.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: k}}}
}
