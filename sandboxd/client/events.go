package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/airlockmail/airlock/sandboxd/api"
)

// Stream is a live, self-healing subscription to GET /v1/events.
type Stream struct {
	// C delivers events in order; it is closed when the context ends.
	C <-chan api.Event

	connected atomic.Bool
	mu        sync.Mutex
	last      string
	err       error
}

// Connected reports whether the stream is connected now (the status page
// shows "sandbox down" when it is not).
func (s *Stream) Connected() bool { return s.connected.Load() }

// LastID is the id of the last event delivered (to persist and resume).
func (s *Stream) LastID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Err is the last connection error (nil while connected).
func (s *Stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// idleTimeout: the server sends a heartbeat every 15s; a stream silent for
// this long is dead (a half-open TCP connection) and is reopened.
const idleTimeout = 45 * time.Second

// Events subscribes to verdict events after lastEventID ("" = from now).
// It reconnects with backoff (0.2s doubling to 10s) whenever the stream
// breaks and resumes after the last event delivered, so nothing still
// kept by the server is missed; when the server has dropped some of what
// was missed, a "gap" event tells the caller to look its pending hashes
// up again.
func (c *Client) Events(ctx context.Context, lastEventID string) *Stream {
	ch := make(chan api.Event, 64)
	s := &Stream{C: ch, last: lastEventID}
	go func() {
		defer close(ch)
		backoff := 200 * time.Millisecond
		for ctx.Err() == nil {
			delivered, err := c.streamOnce(ctx, s, ch)
			s.connected.Store(false)
			if ctx.Err() != nil {
				return
			}
			s.mu.Lock()
			s.err = err
			s.mu.Unlock()
			if delivered {
				backoff = 200 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 10*time.Second)
		}
	}()
	return s
}

// streamOnce holds one connection until it breaks; delivered says whether
// it got as far as an open stream (then the backoff starts over).
func (c *Client) streamOnce(ctx context.Context, s *Stream, ch chan<- api.Event) (delivered bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url("/v1/events"), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "text/event-stream")
	if last := s.LastID(); last != "" {
		req.Header.Set("Last-Event-ID", last)
	}
	// Connecting is bounded like any call; the stream itself by idleTimeout.
	connectTimer := time.AfterFunc(c.timeout, cancel)
	resp, err := c.stream.Do(req)
	connectTimer.Stop()
	if err != nil {
		return false, fmt.Errorf("sandboxd events: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, &Error{Status: resp.StatusCode, Message: "event stream refused"}
	}
	s.connected.Store(true)
	s.mu.Lock()
	s.err = nil
	s.mu.Unlock()

	idle := time.AfterFunc(idleTimeout, cancel)
	defer idle.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var id, kind string
	var data strings.Builder
	for sc.Scan() {
		idle.Reset(idleTimeout)
		line := sc.Text()
		if line == "" { // dispatch
			if data.Len() > 0 {
				var e api.Event
				if err := json.Unmarshal([]byte(data.String()), &e); err != nil {
					return true, fmt.Errorf("sandboxd events: bad event %q: %w", id, err)
				}
				if e.ID == "" {
					e.ID = id
				}
				if e.Kind == "" {
					e.Kind = kind
				}
				select {
				case ch <- e:
				case <-ctx.Done():
					return true, ctx.Err()
				}
				if e.ID != "" {
					s.mu.Lock()
					s.last = e.ID
					s.mu.Unlock()
				}
			}
			id, kind = "", ""
			data.Reset()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id = value
		case "event":
			kind = value
		case "data":
			if data.Len() > 0 {
				data.WriteByte('\n')
			}
			data.WriteString(value)
		}
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("sandboxd events: %w", err)
	}
	return true, fmt.Errorf("sandboxd events: stream closed")
}
