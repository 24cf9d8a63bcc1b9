// Package milter is Airlock's milter server for Postfix and Sendmail
// (github.com/d--j/go-milter, protocol version 6). It gathers the envelope,
// the macros that matter ({i} the MTA's queue id, {auth_authen}) and the
// whole message, and at end of message asks the gate:
//
//   - deliver: accept, with every X-Airlock-* field the message came with
//     deleted (by index, SMFIR_CHGHEADER) and Airlock's own added;
//   - reject: 5xx with the reason (a known-malicious file);
//   - hold or quarantine: the gate has stored the message durably, so the
//     MTA is told to discard its copy;
//   - the store cannot be written (or anything else fails): 451, the MTA
//     keeps the mail and the sender retries.
//
// While the gate waits inline for verdicts, progress packets keep the MTA's
// milter timeout from firing. A panic is recovered per callback, counted,
// and turns into a temporary failure for that message only.
package milter

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/user"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gomilter "github.com/d--j/go-milter"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/deliver"
	"github.com/airlockmail/airlock/gate"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy"
)

// Decider is what the milter needs of the gate.
type Decider interface {
	Decide(ctx context.Context, m *gate.Message) (*gate.Decision, error)
}

// Stats count what the milter did (metrics and tests).
type Stats struct {
	Accepted, Rejected, Discarded, TempFailed, Panics atomic.Int64
}

// Server is the milter server.
type Server struct {
	cfg   config.Milter
	gate  Decider
	log   *slog.Logger
	srv   *gomilter.Server
	ctx   context.Context
	stop  context.CancelFunc
	Stats Stats
}

// New builds a milter server around the gate.
func New(cfg config.Milter, g Decider, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = config.DefaultMilter().MaxMessageBytes
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = config.DefaultMilter().Timeout
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Server{cfg: cfg, gate: g, log: log, ctx: ctx, stop: stop}
	s.srv = gomilter.NewServer(
		gomilter.WithMilter(func() gomilter.Milter { return &session{s: s} }),
		// Header values as sent (leading space kept) so the stored
		// message is byte for byte what the MTA received. Every step
		// before end of message only continues, so the MTA need not wait
		// for a reply to each header and body chunk (one round trip per
		// message instead of one per line of header).
		gomilter.WithProtocol(gomilter.OptHeaderLeadingSpace|gomilter.OptNoUnknown|
			gomilter.OptNoConnReply|gomilter.OptNoHeloReply|gomilter.OptNoMailReply|gomilter.OptNoRcptReply|
			gomilter.OptNoDataReply|gomilter.OptNoHeaderReply|gomilter.OptNoEOHReply|gomilter.OptNoBodyReply),
		// ChangeHeader: delete the X-Airlock-* fields a sender wrote, and
		// forged Authentication-Results (gate.Decision.Remove), by index.
		gomilter.WithAction(gomilter.OptAddHeader|gomilter.OptChangeHeader),
		gomilter.WithMacroRequest(gomilter.StageMail, []gomilter.MacroName{gomilter.MacroAuthAuthen}),
		gomilter.WithMacroRequest(gomilter.StageEOM, []gomilter.MacroName{gomilter.MacroQueueId, gomilter.MacroAuthAuthen}),
		gomilter.WithReadTimeout(cfg.Timeout),
		gomilter.WithWriteTimeout(cfg.Timeout),
	)
	return s
}

// Listen opens the configured address ("inet:127.0.0.1:7357", "unix:/path",
// or host:port). A Unix socket gets the configured mode and group, so that
// the MTA (another user) can connect.
func Listen(c config.Milter) (net.Listener, error) {
	network, a, err := config.SplitMilterAddr(c.Listen)
	if err != nil {
		return nil, err
	}
	if network == "unix" {
		if fi, err := os.Lstat(a); err == nil && fi.Mode().Type() == os.ModeSocket {
			os.Remove(a) // a stale socket from a previous run
		}
	}
	ln, err := net.Listen(network, a)
	if err != nil {
		return nil, fmt.Errorf("milter listen %s: %w", c.Listen, err)
	}
	if network == "unix" {
		if err := socketAccess(a, c); err != nil {
			ln.Close()
			return nil, fmt.Errorf("milter socket %s: %w", a, err)
		}
	}
	return ln, nil
}

func socketAccess(path string, c config.Milter) error {
	mode, err := c.Mode()
	if err != nil {
		return err
	}
	if c.SocketGroup != "" {
		g, err := user.LookupGroup(c.SocketGroup)
		if err != nil {
			return err
		}
		gid, err := strconv.Atoi(g.Gid)
		if err != nil {
			return fmt.Errorf("group %s: gid %q", c.SocketGroup, g.Gid)
		}
		if err := os.Lchown(path, -1, gid); err != nil {
			return err
		}
	}
	return os.Chmod(path, mode)
}

// Serve answers MTA connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	err := s.srv.Serve(bufListener{ln})
	if errors.Is(err, gomilter.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the server and cancels decisions in flight (their messages
// get a temporary failure and stay with the MTA).
func (s *Server) Close() error {
	s.stop()
	return s.srv.Close()
}

// bufListener gives each MTA connection a read buffer: go-milter reads a
// packet's length and its body with one system call each, and an MTA that
// need not wait for replies (see the protocol options) streams many
// packets at once, which one buffered read then takes together.
type bufListener struct{ net.Listener }

func (l bufListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	var src io.Reader = c
	if tc, ok := c.(*net.TCPConn); ok {
		if rc, err := tc.SyscallConn(); err == nil {
			src = &quickAckReader{c: c, rc: rc}
		}
	}
	return &bufConn{Conn: c, r: bufio.NewReaderSize(src, 16<<10)}, nil
}

// quickAckReader acknowledges every read at once (TCP_QUICKACK). The MTA
// writes a macro packet and a command packet back to back and then waits
// for the reply; with Nagle on its side and delayed ACKs on ours the
// second packet waits ~40 ms for an ACK that is being delayed. Linux
// clears QUICKACK after use, hence once per read.
type quickAckReader struct {
	c  net.Conn
	rc syscall.RawConn
}

func (q *quickAckReader) Read(p []byte) (int, error) {
	n, err := q.c.Read(p)
	q.rc.Control(func(fd uintptr) {
		syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
	return n, err
}

// bufConn also gathers what go-milter writes (a packet's header and its
// data are two writes, and the reply to end of message is every added
// header and then the final answer) and sends it with one system call
// when it holds whole packets ending in one the MTA waits for: one wake-up
// of the MTA per reply instead of up to five.
type bufConn struct {
	net.Conn
	r *bufio.Reader

	mu sync.Mutex
	w  []byte
}

func (c *bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

func (c *bufConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.w = append(c.w, p...)
	if !replyComplete(c.w) {
		return len(p), nil
	}
	_, err := c.Conn.Write(c.w)
	if cap(c.w) > 64<<10 {
		c.w = nil // do not keep a large body replacement around
	} else {
		c.w = c.w[:0]
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// replyComplete reports whether b is whole milter packets (4-byte length,
// command, data) and the last one is not a modification: after a
// modification, the reply it belongs to is still to come.
func replyComplete(b []byte) bool {
	var last byte
	for len(b) > 0 {
		if len(b) < 5 {
			return false
		}
		n := int(binary.BigEndian.Uint32(b))
		if n < 1 || len(b)-4 < n {
			return n < 1 // a malformed length: send as is
		}
		last, b = b[4], b[4+n:]
	}
	switch last {
	case 'h', 'i', 'm', '+', '-', '2', 'e', 'b', 'q': // SMFIR_ADDHEADER … SMFIR_QUARANTINE
		return false
	}
	return true
}

// session is one MTA connection (one SMTP connection, possibly several
// messages).
type session struct {
	s *Server

	client netip.Addr
	helo   string
	from   string
	auth   string
	rcpt   []string
	buf    bytes.Buffer
	inBody bool
	tooBig bool
	// owned are the fields of this message under a name only Airlock
	// may write, with the index the MTA knows each by.
	owned []headerRef
	// seen counts the fields of each (lower-cased) name so far.
	seen map[string]int
}

// headerRef names one header field the way SMFIR_CHGHEADER does: its name
// and its index among the fields of that name (1 is the first). Postfix
// (cleanup_milter.c) and Sendmail match the name case-insensitively and
// count only fields that came with the message, which is what the milter
// is sent, so counting here agrees with them.
type headerRef struct {
	name  string
	index int
}

func (x *session) reset() {
	x.from, x.auth, x.rcpt = "", "", nil
	x.owned, x.seen = nil, nil
	x.buf.Reset()
	x.inBody, x.tooBig = false, false
}

// guard turns a panic in a callback into a temporary failure.
func (x *session) guard(resp **gomilter.Response, err *error) {
	if r := recover(); r != nil {
		x.s.Stats.Panics.Add(1)
		x.s.Stats.TempFailed.Add(1)
		x.s.log.Error("panic in milter callback; message tempfailed", "panic", r, "stack", string(debug.Stack()))
		*resp, *err = gomilter.RespTempFail, nil
	}
}

func (x *session) NewConnection(gomilter.Modifier) error { return nil }

func (x *session) Connect(host, family string, port uint16, addr string, m gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer x.guard(&resp, &err)
	x.client = netip.Addr{}
	if a, perr := netip.ParseAddr(strings.Trim(addr, "[]")); perr == nil {
		x.client = a.Unmap()
	}
	return gomilter.RespContinue, nil
}

func (x *session) Helo(name string, m gomilter.Modifier) (*gomilter.Response, error) {
	x.helo = name
	return gomilter.RespContinue, nil
}

func (x *session) MailFrom(from, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	x.reset()
	// MTAs differ in whether the brackets come along.
	x.from = gomilter.RemoveAngle(from)
	x.auth = m.Get(gomilter.MacroAuthAuthen)
	return gomilter.RespContinue, nil
}

func (x *session) RcptTo(rcpt, esmtpArgs string, m gomilter.Modifier) (*gomilter.Response, error) {
	x.rcpt = append(x.rcpt, gomilter.RemoveAngle(rcpt))
	return gomilter.RespContinue, nil
}

func (x *session) Data(m gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (x *session) Header(name, value string, m gomilter.Modifier) (*gomilter.Response, error) {
	key := strings.ToLower(strings.TrimRight(name, " \t"))
	if x.seen == nil {
		x.seen = map[string]int{}
	}
	x.seen[key]++
	if deliver.Owned(name) {
		x.owned = append(x.owned, headerRef{name: strings.TrimRight(name, " \t"), index: x.seen[key]})
	}
	if x.tooBig {
		return gomilter.RespContinue, nil
	}
	// The MTA sends folded lines with bare LF; the stored copy uses CRLF.
	v := strings.ReplaceAll(strings.ReplaceAll(value, "\r\n", "\n"), "\n", "\r\n")
	x.buf.WriteString(name)
	x.buf.WriteString(":")
	x.buf.WriteString(v)
	x.buf.WriteString("\r\n")
	return x.checkSize()
}

func (x *session) Headers(m gomilter.Modifier) (*gomilter.Response, error) {
	x.buf.WriteString("\r\n")
	x.inBody = true
	return x.checkSize()
}

func (x *session) BodyChunk(chunk []byte, m gomilter.Modifier) (*gomilter.Response, error) {
	if x.tooBig {
		return gomilter.RespContinue, nil
	}
	x.buf.Write(chunk)
	return x.checkSize()
}

func (x *session) checkSize() (*gomilter.Response, error) {
	if int64(x.buf.Len()) > int64(x.s.cfg.MaxMessageBytes) {
		// No reply is sent before end of message (negotiated away);
		// the 552 comes there.
		x.tooBig = true
		x.buf.Reset()
	}
	return gomilter.RespContinue, nil
}

func (x *session) EndOfMessage(m gomilter.Modifier) (resp *gomilter.Response, err error) {
	defer x.guard(&resp, &err)
	defer x.reset()
	if x.tooBig {
		return gomilter.RejectWithCodeAndReason(552, fmt.Sprintf("5.3.4 message exceeds the filter's size limit (%s)", x.s.cfg.MaxMessageBytes))
	}
	if !x.inBody {
		x.buf.WriteString("\r\n")
	}
	qid := m.Get(gomilter.MacroQueueId)
	auth := x.auth
	if a := m.Get(gomilter.MacroAuthAuthen); a != "" {
		auth = a
	}
	msg := &gate.Message{
		Envelope: policy.Envelope{ClientAddr: x.client, Helo: x.helo, MailFrom: x.from,
			RcptTo: append([]string(nil), x.rcpt...), AuthUser: auth},
		MTAQueueID: qid,
		Data:       bytes.Clone(x.buf.Bytes()),
		Mode:       holdqueue.ModeMilter,
		Progress: func() {
			if err := m.Progress(); err != nil {
				x.s.log.Debug("milter progress", "mta_queue_id", qid, "err", err)
			}
		},
	}
	ctx, cancel := context.WithTimeout(x.s.ctx, x.s.cfg.Timeout)
	defer cancel()
	start := time.Now()
	d, derr := x.s.gate.Decide(ctx, msg)
	log := x.s.log.With("mta_queue_id", qid, "took", time.Since(start).Round(time.Millisecond))
	if derr != nil {
		x.s.Stats.TempFailed.Add(1)
		log.Warn("tempfail: the MTA keeps the message", "err", derr)
		var ge *gate.Error
		if errors.As(derr, &ge) && ge.Temporary() {
			return gomilter.RejectWithCodeAndReason(uint16(ge.Code), fmt.Sprintf("%d.%d.%d %s", ge.Enhanced[0], ge.Enhanced[1], ge.Enhanced[2], ge.Message))
		}
		return gomilter.RespTempFail, nil
	}
	switch d.Action {
	case gate.Deliver:
		if err := removeFields(m, d.Remove); err != nil {
			x.s.Stats.TempFailed.Add(1)
			log.Error("remove header", "err", err)
			return gomilter.RespTempFail, nil
		}
		if err := x.deleteOwned(m); err != nil {
			x.s.Stats.TempFailed.Add(1)
			log.Error("delete forged header", "err", err)
			return gomilter.RespTempFail, nil
		}
		for _, h := range d.Headers {
			if err := m.AddHeader(h.Name, " "+h.Value); err != nil {
				x.s.Stats.TempFailed.Add(1)
				log.Error("add header", "err", err)
				return gomilter.RespTempFail, nil
			}
		}
		x.s.Stats.Accepted.Add(1)
		log.Info("accept", "reason", d.Reason)
		return gomilter.RespAccept, nil
	case gate.Hold, gate.Quarantine:
		// Stored durably by the gate: the MTA may forget it.
		x.s.Stats.Discarded.Add(1)
		log.Info("discard after hold", "queue_id", d.QueueID, "action", d.Action, "reason", d.Reason)
		return gomilter.RespDiscard, nil
	case gate.Reject:
		x.s.Stats.Rejected.Add(1)
		r := d.Reply
		log.Info("reject", "reason", d.Reason)
		return gomilter.RejectWithCodeAndReason(uint16(r.Code), fmt.Sprintf("%d.%d.%d %s", r.Enhanced[0], r.Enhanced[1], r.Enhanced[2], r.Message))
	}
	x.s.Stats.TempFailed.Add(1)
	log.Error("unknown gate action", "action", d.Action)
	return gomilter.RespTempFail, nil
}

// deleteOwned deletes, at the MTA, every field of the message whose name
// only Airlock may write (the gate has already checked a release header
// among them). The last of each name goes first, so that no deletion can
// shift the index of one still to come, whether the MTA renumbers after a
// deletion or not.
func (x *session) deleteOwned(m gomilter.Modifier) error {
	for i := len(x.owned) - 1; i >= 0; i-- {
		h := x.owned[i]
		// An empty value deletes the field (milter protocol, SMFIR_CHGHEADER).
		if err := m.ChangeHeader(h.index, h.name, ""); err != nil {
			return fmt.Errorf("delete %s #%d: %w", h.name, h.index, err)
		}
	}
	if len(x.owned) > 0 {
		x.s.log.Info("deleted header fields only Airlock may write", "fields", len(x.owned))
	}
	return nil
}

func (x *session) Abort(m gomilter.Modifier) error {
	x.reset()
	return nil
}

func (x *session) Unknown(cmd string, m gomilter.Modifier) (*gomilter.Response, error) {
	return gomilter.RespContinue, nil
}

func (x *session) Cleanup(m gomilter.Modifier) {}

// removeFields deletes header fields by name and index (an empty value in
// a change-header request deletes, smfi_chgheader). Higher indexes of a
// name go first, so that no deletion can shift the index of another.
func removeFields(m gomilter.Modifier, refs []gate.FieldRef) error {
	refs = slices.Clone(refs)
	slices.SortStableFunc(refs, func(a, b gate.FieldRef) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return b.Index - a.Index
	})
	for _, r := range refs {
		if err := m.ChangeHeader(r.Index, r.Name, ""); err != nil {
			return fmt.Errorf("delete %s #%d: %w", r.Name, r.Index, err)
		}
	}
	return nil
}
