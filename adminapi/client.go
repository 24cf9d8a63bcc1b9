package adminapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/policy/exclusions"
)

// ErrUnreachable: nothing answers at the published address, so the
// process that published it is gone (its file outlived a crash). The
// caller may open the stores itself.
var ErrUnreachable = errors.New("adminapi: no process answers")

// Client calls a running process's admin API. It implements Queue and
// Exclusions.
type Client struct {
	ep   Endpoint
	http *http.Client
}

// NewClient returns a client of ep.
func NewClient(ep Endpoint) *Client {
	return &Client{ep: ep, http: &http.Client{Timeout: 30 * time.Second}}
}

// Info asks the process who it is; ErrUnreachable when nothing listens.
func (c *Client) Info(ctx context.Context) (*Info, error) {
	var in Info
	if err := c.do(ctx, http.MethodGet, "/v1/info", nil, &in, nil); err != nil {
		return nil, err
	}
	return &in, nil
}

// List implements Queue.
func (c *Client) List(ctx context.Context, q holdqueue.Query) (*holdqueue.Page, error) {
	v := url.Values{}
	for k, s := range map[string]string{"state": string(q.State), "sender": q.Sender, "recipient": q.Recipient,
		"subject": q.Subject, "hash": q.Hash, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if !q.From.IsZero() {
		v.Set("from", q.From.Format(time.RFC3339Nano))
	}
	if !q.To.IsZero() {
		v.Set("to", q.To.Format(time.RFC3339Nano))
	}
	var p holdqueue.Page
	if err := c.do(ctx, http.MethodGet, "/v1/queue?"+v.Encode(), nil, &p, holdqueue.ErrNotFound); err != nil {
		return nil, err
	}
	return &p, nil
}

// Get implements Queue.
func (c *Client) Get(ctx context.Context, id string) (*holdqueue.Message, error) {
	var m holdqueue.Message
	if err := c.do(ctx, http.MethodGet, "/v1/queue/"+url.PathEscape(id), nil, &m, holdqueue.ErrNotFound); err != nil {
		return nil, err
	}
	return &m, nil
}

// Release implements Queue.
func (c *Client) Release(ctx context.Context, id, actor, reason string) error {
	return c.act(ctx, id, "release", actor, reason)
}

// Quarantine implements Queue.
func (c *Client) Quarantine(ctx context.Context, id, actor, reason string) error {
	return c.act(ctx, id, "quarantine", actor, reason)
}

// Delete implements Queue.
func (c *Client) Delete(ctx context.Context, id, actor, reason string) error {
	return c.act(ctx, id, "delete", actor, reason)
}

func (c *Client) act(ctx context.Context, id, what, actor, reason string) error {
	return c.do(ctx, http.MethodPost, "/v1/queue/"+url.PathEscape(id)+"/"+what, action{Actor: actor, Reason: reason}, nil, holdqueue.ErrNotFound)
}

// Add implements Exclusions.
func (c *Client) Add(ctx context.Context, e exclusions.Exclusion) error {
	return c.do(ctx, http.MethodPut, "/v1/exclusions/"+url.PathEscape(e.SHA256), e, nil, exclusions.ErrNotFound)
}

// Remove implements Exclusions.
func (c *Client) Remove(ctx context.Context, sha256 string) error {
	return c.do(ctx, http.MethodDelete, "/v1/exclusions/"+url.PathEscape(sha256), nil, nil, exclusions.ErrNotFound)
}

// List of exclusions; named Exclusions because Queue has List.
func (c *Client) Exclusions(ctx context.Context) ([]exclusions.Exclusion, error) {
	var list []exclusions.Exclusion
	if err := c.do(ctx, http.MethodGet, "/v1/exclusions", nil, &list, exclusions.ErrNotFound); err != nil {
		return nil, err
	}
	return list, nil
}

// ExclusionsClient is c as an Exclusions (whose List is the allow list).
func (c *Client) ExclusionsClient() Exclusions { return exclusionsClient{c} }

type exclusionsClient struct{ *Client }

func (e exclusionsClient) List(ctx context.Context) ([]exclusions.Exclusion, error) {
	return e.Client.Exclusions(ctx)
}

// remoteError is an error answer; it unwraps to the store's sentinel.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

// do sends one request; notFound is the sentinel a 404 stands for.
func (c *Client) do(ctx context.Context, method, path string, in, out any, notFound error) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.ep.URL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.ep.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return fmt.Errorf("%w at %s (pid %d): %v", ErrUnreachable, c.ep.URL, c.ep.PID, err)
		}
		return fmt.Errorf("admin API %s: %w", c.ep.URL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var ae apiError
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if json.Unmarshal(b, &ae) != nil || ae.Error == "" {
			ae.Error = resp.Status
		}
		e := &remoteError{msg: ae.Error}
		switch ae.Code {
		case "not_found":
			e.sentinel = notFound
		case "state":
			e.sentinel = holdqueue.ErrState
		default:
			e.msg = fmt.Sprintf("admin API: %s: %s", resp.Status, ae.Error)
		}
		return e
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("admin API %s: %w", path, err)
	}
	return nil
}
