package soak

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"hash/crc32"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/airlockmail/airlock/gate/gatetest"
)

// Kind is the sort of message in the mix; each has its expected ends.
type Kind string

// The mix.
const (
	Plain     Kind = "plain"       // text only: delivered at once
	CleanAtt  Kind = "clean-att"   // a PNG (not sent to the sandbox): delivered at once
	NewDoc    Kind = "new-doc"     // a PDF never seen: held until judged, then delivered
	Eicar     Kind = "eicar"       // known bad: held then quarantined, or rejected once known
	Encrypted Kind = "encrypted"   // zip with an encrypted member, no password: unscannable
	Bomb      Kind = "zip-bomb"    // 64 MiB of zeros in a small zip
	BadMIME   Kind = "bad-mime"    // unterminated multipart, broken base64
	Internal  Kind = "internal"    // from 10.99/16 through Postfix XCLIENT: not scanned
	Volume    Kind = "smtp-source" // plain volume from Postfix's smtp-source
)

// mix is each kind's share (out of 100) of the Go sender's traffic.
var mix = []struct {
	kind  Kind
	share int
}{
	{Plain, 40}, {CleanAtt, 15}, {NewDoc, 17}, {Eicar, 5}, {Encrypted, 6}, {Bomb, 3}, {BadMIME, 4}, {Internal, 10},
}

func pickKind(r *rand.Rand) Kind {
	n := r.Intn(100)
	for _, m := range mix {
		if n < m.share {
			return m.kind
		}
		n -= m.share
	}
	return Plain
}

// Msg is one message of the campaign and what happened to it.
type Msg struct {
	N     int
	ID    string // Message-ID without brackets, also in the Subject
	Kind  Kind
	Via   string // "postfix" or "proxy"
	Data  []byte
	Tries int
	// Code is the final answer (250, a 5xx, or 4xx/0 when it gave up).
	Code      int
	Reply     string
	Accepted  time.Time
	Ambiguous bool // a connection broke after the data was sent
}

// bombZip is built once: a small zip that expands to 64 MiB.
var bombZip = func() []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, _ := w.Create("zeros.bin")
	chunk := make([]byte, 1<<20)
	for range 64 {
		f.Write(chunk)
	}
	w.Close()
	return b.Bytes()
}()

// encryptedZip is a zip whose one member has the "encrypted" flag and
// random bytes as its (ZipCrypto) content: what an attacker sends with
// the password in another channel.
func encryptedZip(r *rand.Rand) []byte {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	data := make([]byte, 512)
	r.Read(data)
	fw, err := w.CreateRaw(&zip.FileHeader{Name: "invoice.docm", Method: zip.Store, Flags: 0x1,
		CRC32: crc32.ChecksumIEEE(data), CompressedSize64: uint64(len(data)), UncompressedSize64: uint64(len(data) - 12)})
	if err != nil {
		panic(err)
	}
	fw.Write(data)
	w.Close()
	return b.Bytes()
}

// compose builds a message whose Message-ID and Subject carry id.
func compose(id string, kind Kind, r *rand.Rand) []byte {
	var b bytes.Buffer
	from := "alice@example.net"
	if kind == Internal {
		from = "carol@example.org"
	}
	fmt.Fprintf(&b, "From: <%s>\r\nTo: <bob@example.org>\r\nSubject: soak %s %s\r\nMessage-ID: <%s>\r\nDate: %s\r\nMIME-Version: 1.0\r\n",
		from, id, kind, id, time.Now().UTC().Format(time.RFC1123Z))
	att := func(name, typ string, data []byte) {
		boundary := "=_soak_" + strconv.Itoa(r.Int())
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n", boundary, boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, typ, name, name)
		enc := base64.StdEncoding.EncodeToString(data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		fmt.Fprintf(&b, "%s\r\n--%s--\r\n", enc, boundary)
	}
	switch kind {
	case Plain:
		fmt.Fprintf(&b, "Content-Type: text/plain\r\n\r\nHello, message %s.\r\n%s\r\n", id, strings.Repeat("lorem ipsum ", 1+r.Intn(40)))
	case CleanAtt:
		att("logo.png", "image/png", gatetest.PNG)
	case NewDoc, Internal:
		att("report.pdf", "application/pdf", gatetest.PDF())
	case Eicar:
		att("eicar.com", "application/octet-stream", gatetest.EICAR)
	case Encrypted:
		att("invoice.zip", "application/zip", encryptedZip(r))
	case Bomb:
		att("backup.zip", "application/zip", bombZip)
	case BadMIME:
		// The closing boundary never comes and the base64 is broken.
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: application/pdf; name=\"x.pdf\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK!!!!not*base64%%%%\r\nAAAA=BBBB==\r\n--b1\r\nContent-Type: application/octet-stream\r\n\r\n")
	}
	return b.Bytes()
}

// smtpReply is one SMTP answer.
type smtpReply struct {
	code int
	text string
}

// conversation runs one SMTP transaction on a fresh connection. xclient,
// when set, claims that client address through Postfix's XCLIENT (what an
// internal host looks like). sent reports whether the final dot went out
// (a broken connection after it leaves the outcome unknown).
func conversation(addr, xclient, from string, data []byte) (r smtpReply, sent bool, err error) {
	cn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return r, false, err
	}
	defer cn.Close()
	cn.SetDeadline(time.Now().Add(3 * time.Minute))
	br := bufio.NewReader(cn)
	read := func() (smtpReply, error) {
		var text []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return smtpReply{}, err
			}
			l = strings.TrimRight(l, "\r\n")
			if len(l) < 3 {
				return smtpReply{}, fmt.Errorf("short reply %q", l)
			}
			text = append(text, l)
			if len(l) == 3 || l[3] == ' ' {
				code, _ := strconv.Atoi(l[:3])
				return smtpReply{code, strings.Join(text, " / ")}, nil
			}
		}
	}
	step := func(cmd string, want int) (smtpReply, error) {
		if cmd != "" {
			if _, err := fmt.Fprintf(cn, "%s\r\n", cmd); err != nil {
				return smtpReply{}, err
			}
		}
		r, err := read()
		if err != nil {
			return r, err
		}
		if r.code/100 != want {
			return r, errReply
		}
		return r, nil
	}
	if r, err = step("", 2); err != nil {
		return r, false, err
	}
	if r, err = step("EHLO sender.soak.example", 2); err != nil {
		return r, false, err
	}
	if xclient != "" {
		if r, err = step("XCLIENT ADDR="+xclient+" NAME=[UNAVAILABLE]", 2); err != nil {
			return r, false, err
		}
		if r, err = step("EHLO internal.soak.example", 2); err != nil {
			return r, false, err
		}
	}
	if r, err = step("MAIL FROM:<"+from+">", 2); err != nil {
		return r, false, err
	}
	if r, err = step("RCPT TO:<bob@example.org>", 2); err != nil {
		return r, false, err
	}
	if r, err = step("DATA", 3); err != nil {
		return r, false, err
	}
	// Dot-stuffing (RFC 5321 section 4.5.2).
	var body bytes.Buffer
	for _, l := range bytes.SplitAfter(data, []byte("\r\n")) {
		if bytes.HasPrefix(l, []byte(".")) {
			body.WriteByte('.')
		}
		body.Write(l)
	}
	body.WriteString(".\r\n")
	if _, err := cn.Write(body.Bytes()); err != nil {
		return r, false, err
	}
	r, err = read()
	if err != nil {
		return r, true, err
	}
	fmt.Fprintf(cn, "QUIT\r\n")
	return r, true, nil
}

var errReply = fmt.Errorf("refused")

// deliverOne sends m until it is answered 250 or 5xx, retrying 4xx and
// broken connections with backoff until giveUp; the final answer is in m.
func deliverOne(m *Msg, addr string, giveUp time.Duration) {
	xclient := ""
	if m.Kind == Internal {
		xclient = "10.99.1.5"
	}
	from := "alice@example.net"
	if m.Kind == Internal {
		from = "carol@example.org"
	}
	end := time.Now().Add(giveUp)
	backoff := 500 * time.Millisecond
	for {
		m.Tries++
		r, sent, err := conversation(addr, xclient, from, m.Data)
		m.Code, m.Reply = r.code, r.text
		if err != nil && err != errReply {
			m.Code, m.Reply = 0, err.Error()
			if sent {
				m.Ambiguous = true
			}
		}
		switch {
		case m.Code == 250:
			m.Accepted = time.Now()
			return
		case m.Code >= 500:
			return
		}
		if time.Now().After(end) {
			return
		}
		time.Sleep(backoff)
		if backoff < 5*time.Second {
			backoff *= 2
		}
	}
}
