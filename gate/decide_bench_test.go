package gate_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
)

// BenchmarkDecide measures the gate's own cost per message: a 20 KB
// attachment-free message, and one whose attachment is already judged
// (verdict cache hit).
func BenchmarkDecide(b *testing.B) {
	e := gatetest.Start(b, gatetest.Options{})
	plain := gatetest.Mail("a@example.net", "b@example.org", "plain")
	plain = append(plain[:len(plain)-2], []byte(strings.Repeat("twenty kilobytes of text, line after line.\r\n", 460))...)
	doc := gatetest.Mail("a@example.net", "b@example.org", "doc",
		gatetest.Part{Name: "report.pdf", Type: "application/pdf", Data: bytes.Repeat(gatetest.PDF(), 20)})
	ctx := context.Background()
	// Judge the attachment once (on a busy machine the first verdict may
	// take longer than the inline wait: ask until it is in).
	for deadline := time.Now().Add(30 * time.Second); ; {
		d, err := e.Gate.Decide(ctx, &gate.Message{Envelope: external(), Data: doc, Mode: holdqueue.ModeMilter})
		if err == nil && d.Action == gate.Deliver {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("attachment never judged: %v %+v", err, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
	}{{"plain20k", plain}, {"judged_attachment", doc}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.msg)))
			for i := 0; i < b.N; i++ {
				d, err := e.Gate.Decide(ctx, &gate.Message{Envelope: external(), Data: tc.msg, Mode: holdqueue.ModeMilter})
				if err != nil || d.Action != gate.Deliver {
					b.Fatalf("%v %+v", err, d)
				}
			}
		})
	}
}
