package deliver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/internal/smtpsink"
)

// Delivery of a 50 KB message to a local sink from 8 goroutines, with the
// pool, and the baseline of the same run without reuse (a connection, EHLO
// and QUIT per message).
func BenchmarkSend(b *testing.B) {
	msg := append([]byte("Subject: bench\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 800)...)
	for _, tc := range []struct {
		name   string
		pooled bool
	}{{"pooled", true}, {"baseline-new-connection-each", false}} {
		b.Run(tc.name, func(b *testing.B) {
			sink := smtpsink.Start(b, smtpsink.Options{})
			c := config.DefaultDeliver()
			c.NextHop = sink.Addr()
			c.StartTLS = config.StartTLSNone
			c.HeloName = "airlock.test"
			if !tc.pooled {
				c.IdleTimeout = time.Nanosecond // every pooled connection is stale at once
			}
			d := New(c, testKey, slog.New(slog.NewTextHandler(io.Discard, nil)))
			defer d.Close()
			b.SetBytes(int64(len(msg)))
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := d.Send(context.Background(), env, msg, stamp()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(sink.Sessions()), "sessions")
		})
	}
}

// The per-message work added on the way out: the scan for bare CR/LF
// (none here, the common case) and for X-Airlock-* fields in a 50 KB
// message with a 20-field header.
func BenchmarkOutgoingChecks(b *testing.B) {
	var h bytes.Buffer
	for i := 0; i < 20; i++ {
		h.WriteString("Received: from relay.example.net (relay.example.net [192.0.2.1]) by mx.example.org\r\n")
	}
	msg := append(h.Bytes(), append([]byte("Subject: bench\r\n\r\n"), bytes.Repeat([]byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n"), 800)...)...)
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		out, _ := StripOwned(NormalizeLineEnds(msg))
		if len(out) != len(msg) {
			b.Fatal("changed")
		}
	}
}
