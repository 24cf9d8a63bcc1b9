package proxy_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/airlockmail/airlock/gate/gatetest"
)

// smuggled is what follows a fake end of data: a whole second transaction
// whose message claims another sender.
const smuggled = "MAIL FROM:<ceo@example.org>\r\nRCPT TO:<" + to + ">\r\nDATA\r\n" +
	"From: ceo@example.org\r\nSubject: smuggled\r\n\r\npay the invoice\r\n"

// TestSmugglingVariants sends every end-of-data variant published since
// the SMTP smuggling disclosure (SEC Consult, 2023) and bare CR / LF
// elsewhere in DATA, each followed by a smuggled transaction, and checks
// what the upstream (a go-smtp server counting messages, recording the
// bytes it was sent) got: never a second message, never a bare CR or LF on
// the wire that a lenient upstream could end DATA at.
func TestSmugglingVariants(t *testing.T) {
	r := start(t, nil, gatetest.Options{}, nil, nil)
	const head = "From: " + from + "\r\nTo: " + to + "\r\nSubject: smuggle\r\n\r\nfirst line"
	tests := []struct {
		name, data string
		// code is the proxy's answer; 250 for the one sequence go-smtp
		// itself normalises (see smuggling.go).
		code int
	}{
		{"<LF>.<LF>", head + "\n.\n" + smuggled, 550},
		{"<CR>.<CR>", head + "\r.\r" + smuggled, 550},
		{"<LF>.<CR><LF>", head + "\n.\r\n" + smuggled, 550},
		{"<CR><LF>.<LF>", head + "\r\n.\n" + smuggled, 550},
		{"<CR>.<LF>", head + "\r.\n" + smuggled, 550},
		{"<CR>.<CR><LF>", head + "\r.\r\n" + smuggled, 550},
		{"<LF>.<CR>", head + "\n.\r" + smuggled, 550},
		{"<CR><CR><LF>.<CR><CR><LF>", head + "\r\r\n.\r\r\n" + smuggled, 550},
		{"<CR><LF>.<CR>", head + "\r\n.\r" + smuggled, 250},
		// The benign twin: dot lines, a dot-stuffed line, CRLF only.
		{"benign dot lines", head + "\r\n..\r\n...\r\n. x\r\n..MAIL FROM:<ceo@example.org>\r\nend", 250},
		{"bare LF in the header", "Subject: a\nX-Smuggle: b\r\n\r\nbody\r\n", 550},
		{"bare CR in the header", "Subject: a\rX-Smuggle: b\r\n\r\nbody\r\n", 550},
		{"bare CR in the body", head + "\r\nA\rB\r\n", 550},
		{"bare LF at the very end", head + "\r\nend\n", 550},
	}
	refused := 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dialRaw(t, r.addr)
			c.cmd("EHLO client.test", 250)
			c.cmd("MAIL FROM:<"+from+">", 250)
			c.cmd("RCPT TO:<"+to+">", 250)
			c.cmd("DATA", 354)
			c.c.W.WriteString(tc.data + "\r\n.\r\n")
			c.c.W.Flush()
			msg := c.expect(tc.code)
			if tc.code == 550 {
				refused++
				if !strings.Contains(msg, "5.5.2 bare <") {
					t.Errorf("reply %q", msg)
				}
			}
			// The session goes on: the next command is a command.
			c.cmd("RSET", 250)
			c.cmd("QUIT", 221)
		})
	}
	t.Run("BDAT chunk with <LF>.<LF>", func(t *testing.T) {
		c := dialRaw(t, r.addr)
		c.cmd("EHLO client.test", 250)
		c.cmd("MAIL FROM:<"+from+">", 250)
		c.cmd("RCPT TO:<"+to+">", 250)
		chunk := head + "\n.\n" + smuggled
		c.c.W.WriteString("BDAT " + strconv.Itoa(len(chunk)) + " LAST\r\n" + chunk)
		c.c.W.Flush()
		if msg := c.expect(550); !strings.Contains(msg, "bare <LF>") {
			t.Errorf("reply %q", msg)
		}
		refused++
	})

	if got := r.srv.Stats.Smuggling.Load(); got != int64(refused) {
		t.Errorf("smuggling counter %d, want %d", got, refused)
	}
	msgs := r.sink.Messages()
	if len(msgs) != 2 {
		t.Fatalf("upstream received %d messages, want 2 (the <CR><LF>.<CR> one, whole, and the benign one)", len(msgs))
	}
	if m := msgs[0]; m.From != from || !bytes.Contains(m.Data, []byte("\r\nfirst line\r\nMAIL FROM:<ceo@example.org>\r\n")) || !bytes.Contains(m.Data, []byte("pay the invoice")) {
		t.Errorf("the relayed message is not the first one with the smuggled text inside it:\n%q", m.Data)
	}
	if m := msgs[1]; !bytes.Contains(m.Data, []byte("\r\nfirst line\r\n.\r\n..\r\n x\r\n.MAIL FROM:<ceo@example.org>\r\nend\r\n")) {
		t.Errorf("the benign message changed:\n%q", m.Data)
	}
	datas := 0
	for _, w := range r.sink.Wire() {
		if i := bareAt(w); i >= 0 {
			t.Errorf("upstream wire has a bare CR or LF at %d: %q", i, w[max(0, i-20):min(len(w), i+20)])
		}
		for _, c := range commands(w) {
			if strings.Contains(c, "ceo@example.org") {
				t.Errorf("the smuggled transaction reached the upstream as a command: %q", c)
			}
			if strings.EqualFold(c, "DATA") {
				datas++
			}
		}
	}
	if datas != 2 {
		t.Errorf("upstream saw %d DATA commands, want 2", datas)
	}
}

// commands returns the command lines of an SMTP client's wire bytes (the
// lines between DATA and the lone dot are message, not commands).
func commands(w []byte) []string {
	var out []string
	inData := false
	for _, l := range strings.Split(string(w), "\r\n") {
		switch {
		case inData:
			inData = l != "."
		default:
			out = append(out, l)
			inData = strings.EqualFold(l, "DATA")
		}
	}
	return out
}

// bareAt is the offset of the first CR without LF or LF without CR, or -1.
func bareAt(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			return i
		case b[i] == '\n' && (i == 0 || b[i-1] != '\r'):
			return i
		}
	}
	return -1
}
