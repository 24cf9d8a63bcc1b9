package smtpsink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

func send(t *testing.T, addr, from string, to []string, body string) error {
	t.Helper()
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail(from, to, strings.NewReader(body))
}

func TestSinkRecordsAndRefuses(t *testing.T) {
	s := Start(t, Options{})
	body := "Subject: hi\r\n\r\nline with trailing space \r\n.dot line\r\n"
	if err := send(t, s.Addr(), "a@x.example", []string{"b@y.example"}, body); err != nil {
		t.Fatal(err)
	}
	s.RejectRcpt("NO@y.example", 550, "no such user")
	err := send(t, s.Addr(), "a@x.example", []string{"no@y.example"}, body)
	var se *smtp.SMTPError
	if !errors.As(err, &se) || se.Code != 550 {
		t.Fatalf("rejected rcpt: %v", err)
	}
	s.FailNext(1, 451, "later")
	err = send(t, s.Addr(), "a@x.example", []string{"b@y.example"}, body)
	if !errors.As(err, &se) || se.Code != 451 {
		t.Fatalf("fail next: %v", err)
	}
	if err := send(t, s.Addr(), "c@x.example", []string{"b@y.example", "d@y.example"}, body); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	msgs, err := s.Wait(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].From != "a@x.example" || string(msgs[0].Data) != body || len(msgs[1].To) != 2 {
		t.Fatalf("recorded %+v", msgs)
	}
	s.Reset()
	if s.Count() != 0 {
		t.Fatal("reset kept messages")
	}
}

// TestSinkRefuseAll: a next hop that is down for a while refuses every
// message with the same 4xx, then takes mail again.
func TestSinkRefuseAll(t *testing.T) {
	s := Start(t, Options{})
	body := "Subject: hi\r\n\r\nx\r\n"
	s.RefuseAll(421, "down for maintenance")
	for range 3 {
		var se *smtp.SMTPError
		if err := send(t, s.Addr(), "a@x.example", []string{"b@y.example"}, body); !errors.As(err, &se) || se.Code != 421 {
			t.Fatalf("while refusing: %v", err)
		}
	}
	if s.Count() != 0 {
		t.Fatalf("refused messages recorded: %d", s.Count())
	}
	s.RefuseAll(0, "")
	if err := send(t, s.Addr(), "a@x.example", []string{"b@y.example"}, body); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if s.Count() != 1 {
		t.Fatalf("recorded %d, want 1", s.Count())
	}
}
