package proxy

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestXtext(t *testing.T) {
	for in, want := range map[string]string{
		"mail.example.org": "mail.example.org",
		"a+b=c d":          "a+2Bb+3Dc+20d",
		"\x01\xff":         "+01+FF",
		"[UNAVAILABLE]":    "[UNAVAILABLE]",
	} {
		if got := xtext(in); got != want {
			t.Errorf("xtext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAttrs(t *testing.T) {
	id := &identity{addr: netip.MustParseAddr("2001:db8::7"), port: 4242, helo: "mx.example.net", nameTemp: true,
		dest: netip.MustParseAddrPort("192.0.2.1:25")}
	got := strings.Join(id.attrs("NAME ADDR PORT PROTO HELO REVERSE_NAME DESTADDR DESTPORT LOGIN", true), " ")
	want := "ADDR=IPV6:2001:db8::7 NAME=[TEMPUNAVAIL] REVERSE_NAME=[TEMPUNAVAIL] PORT=4242 PROTO=ESMTP HELO=mx.example.net DESTADDR=192.0.2.1 DESTPORT=25"
	if got != want {
		t.Errorf("XCLIENT attrs\n got %s\nwant %s", got, want)
	}
	// Only what the upstream offers; XFORWARD has SOURCE, not DEST*.
	id = &identity{addr: netip.MustParseAddr("198.51.100.7"), name: "mail.sender.example", ptr: "mail.sender.example", helo: "h"}
	got = strings.Join(id.attrs("NAME ADDR SOURCE", false), " ")
	if want := "ADDR=198.51.100.7 NAME=mail.sender.example SOURCE=REMOTE"; got != want {
		t.Errorf("XFORWARD attrs\n got %s\nwant %s", got, want)
	}
}

func TestReceivedLine(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 0, 0, 0, time.UTC)
	id := &identity{addr: netip.MustParseAddr("2001:db8::7"), helo: "evil([6.6.6.6]);x"}
	got := id.received("mx1.example.org", at)
	want := "Received: from evil__6.6.6.6___x (unknown [IPv6:2001:db8::7])\r\n\tby mx1.example.org (Airlock) with ESMTP;\r\n\tThu, 03 Dec 2026 19:00:00 +0000\r\n"
	if got != want {
		t.Errorf("Received\n got %q\nwant %q", got, want)
	}
}

func TestJoinAttrs(t *testing.T) {
	got := joinAttrs([]string{"A=1", "B=22", "C=333"}, 8)
	if strings.Join(got, "|") != "A=1 B=22|C=333" {
		t.Errorf("joinAttrs = %q", got)
	}
}
