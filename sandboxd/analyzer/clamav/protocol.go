package clamav

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// maxReply bounds what we read from clamd: a reply is one line naming one
// signature; anything longer is a broken peer, not a verdict.
const maxReply = 4096

// conn dials clamd with the scan deadline applied to the whole exchange,
// and closes the connection early when ctx is cancelled.
func (a *Analyzer) conn(ctx context.Context) (context.Context, net.Conn, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	var d net.Dialer
	c, err := d.DialContext(ctx, a.network, a.addr)
	if err != nil {
		cancel()
		return nil, nil, nil, fmt.Errorf("clamd %s %s: %w", a.network, a.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(dl)
	}
	// Closing the socket is what unblocks a read when ctx ends before the
	// deadline (e.g. sandboxd shutting down).
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	return ctx, c, func() { stop(); cancel(); _ = c.Close() }, nil
}

// command sends one z-command (NUL-terminated, so clamd answers with a NUL
// terminated reply) and returns the reply.
func (a *Analyzer) command(ctx context.Context, cmd string) (string, error) {
	ctx, c, done, err := a.conn(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	if _, err := io.WriteString(c, "z"+cmd+"\x00"); err != nil {
		return "", fmt.Errorf("clamd %s: %w", cmd, err)
	}
	return readReply(ctx, c, cmd)
}

// instream sends data with INSTREAM: 4-byte big-endian chunk lengths, then
// a zero length. clamd may answer (size limit) before we finish writing, so
// a write error is followed by an attempt to read its reason.
func (a *Analyzer) instream(ctx context.Context, data []byte) (string, error) {
	ctx, c, done, err := a.conn(ctx)
	if err != nil {
		return "", err
	}
	defer done()
	w := bufio.NewWriterSize(c, a.cfg.ChunkSize+4)
	werr := writeStream(w, data, a.cfg.ChunkSize)
	if werr == nil {
		werr = w.Flush()
	}
	reply, rerr := readReply(ctx, c, "INSTREAM")
	if rerr != nil {
		if werr != nil {
			return "", fmt.Errorf("clamd INSTREAM: write: %w (and read: %v)", werr, rerr)
		}
		return "", rerr
	}
	return reply, nil
}

func writeStream(w io.Writer, data []byte, chunk int) error {
	if _, err := io.WriteString(w, "zINSTREAM\x00"); err != nil {
		return err
	}
	var hdr [4]byte
	for len(data) > 0 {
		n := min(chunk, len(data))
		binary.BigEndian.PutUint32(hdr[:], uint32(n))
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
		if _, err := w.Write(data[:n]); err != nil {
			return err
		}
		data = data[n:]
	}
	binary.BigEndian.PutUint32(hdr[:], 0)
	_, err := w.Write(hdr[:])
	return err
}

func readReply(ctx context.Context, c net.Conn, cmd string) (string, error) {
	r := bufio.NewReader(io.LimitReader(c, maxReply))
	reply, err := r.ReadString(0)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("clamd %s: %w", cmd, ctx.Err())
		}
		if err == io.EOF && reply == "" {
			return "", fmt.Errorf("clamd %s: connection closed without a reply", cmd)
		}
		if err != io.EOF {
			return "", fmt.Errorf("clamd %s: %w", cmd, err)
		}
	}
	return strings.TrimRight(reply, "\x00"), nil
}

// Ping checks that clamd answers; sandboxd's health page uses it.
func (a *Analyzer) Ping(ctx context.Context) error {
	r, err := a.command(ctx, "PING")
	if err != nil {
		return err
	}
	if r != "PONG" {
		return fmt.Errorf("clamd PING: unexpected reply %q", r)
	}
	return nil
}

// noteEngine refreshes the signature version after a scan, at most once a
// minute, so Version follows signature updates without a VERSION round
// trip per file. A failure keeps the old value: the scan itself worked.
func (a *Analyzer) noteEngine(ctx context.Context) {
	a.mu.Lock()
	fresh := time.Since(a.engineAt) < time.Minute
	if !fresh {
		a.engineAt = time.Now()
	}
	a.mu.Unlock()
	if fresh {
		return
	}
	v, err := a.command(ctx, "VERSION")
	if err != nil {
		a.log.Warn("clamd VERSION failed", "err", err)
		return
	}
	a.mu.Lock()
	if a.engine != v {
		a.log.Info("clamd engine", "version", v)
	}
	a.engine = v
	a.mu.Unlock()
}
