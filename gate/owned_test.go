package gate_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/deliver/releasehdr"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/gate/gatetest"
	"github.com/airlockmail/airlock/holdqueue"
)

// TestOwnedFieldsNeverHeld: the copy the gate holds, and the Data it hands
// back to the front end, carry no X-Airlock-* field the sender wrote.
func TestOwnedFieldsNeverHeld(t *testing.T) {
	c := gatetest.TestConfig()
	c.Policy.Hold.InlineWait = 0
	e := gatetest.Start(t, gatetest.Options{Config: &c})
	m := &gate.Message{Envelope: external(), Mode: holdqueue.ModeProxy,
		Data: gatetest.Forge(gatetest.Mail("alice@example.net", "bob@example.org", "held", gatetest.Part{Name: "r.pdf", Type: "application/pdf", Data: gatetest.PDF()}))}
	d, err := e.Gate.Decide(context.Background(), m)
	if err != nil || d.Action != gate.Hold {
		t.Fatalf("want hold, got %v %+v", err, d)
	}
	if n := gatetest.OwnedFields(t, m.Data); len(n) != 0 {
		t.Errorf("front end would send %v", n)
	}
	held, err := e.Store.Body(context.Background(), d.QueueID)
	if err != nil {
		t.Fatal(err)
	}
	if n := gatetest.OwnedFields(t, held); len(n) != 0 {
		t.Errorf("held copy carries %v", n)
	}
}

// TestReleasePassReplacesFields: a message passed by its release header
// gets back the verdict and time held deliver/ wrote, with the queue id
// from the signed header; the front end drops the rest (the spent header).
func TestReleasePassReplacesFields(t *testing.T) {
	e := gatetest.Start(t, gatetest.Options{})
	ctx := context.Background()
	msg := gatetest.Mail("alice@example.net", "bob@example.org", "released")
	id, err := e.Store.Hold(ctx, &holdqueue.NewMessage{Node: "test", Mode: holdqueue.ModeMilter,
		Envelope: holdqueue.Envelope{MailFrom: "alice@example.net", RcptTo: []string{"bob@example.org"}},
		Data:     msg, Deadline: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	val := releasehdr.Sign(e.ReleaseKey, id, releasehdr.BodyDigest(msg), time.Now().Add(time.Hour))
	signed := append([]byte(deliver.FieldVerdict+": clean; released\r\n"+deliver.FieldQueueID+": 01OTHER\r\n"+
		deliver.FieldHeld+": 3s (since then)\r\n"+releasehdr.Field+": "+val+"\r\n"), msg...)
	m := &gate.Message{Envelope: external(), Data: signed, Mode: holdqueue.ModeMilter}
	d, err := e.Gate.Decide(ctx, m)
	if err != nil || d.Action != gate.Deliver || d.Scanned {
		t.Fatalf("want an unscanned pass, got %v %+v", err, d)
	}
	want := []gate.Header{{deliver.FieldVerdict, "clean; released"}, {deliver.FieldQueueID, id}, {deliver.FieldHeld, "3s (since then)"}}
	if len(d.Headers) != len(want) {
		t.Fatalf("headers %+v, want %+v", d.Headers, want)
	}
	for i := range want {
		if d.Headers[i] != want[i] {
			t.Errorf("header %d: %+v, want %+v", i, d.Headers[i], want[i])
		}
	}
	if !bytes.Equal(m.Data, msg) {
		t.Errorf("Data still carries Airlock's fields:\n%s", m.Data)
	}
}
