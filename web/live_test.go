package web

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/airlockmail/airlock/config"
	"github.com/airlockmail/airlock/holdqueue"
	"github.com/airlockmail/airlock/internal/testredis"
)

// openRedisStore opens a hold queue on a private Redis; two calls with one
// server are two nodes.
func openRedisStore(t *testing.T, addr string, keys *holdqueue.Keys) holdqueue.Store {
	t.Helper()
	c := config.DefaultHoldQueue().Redis
	c.Addrs = []string{addr}
	c.Prefix = "webtest"
	rdb, err := holdqueue.NewRedisClient(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close() })
	s, err := holdqueue.OpenRedis(context.Background(), rdb, c, keys, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestEventsAcrossNodes: the web page runs on one node, mail is held by
// another on the same Redis; the event stream reports the change and the
// new held count.
func TestEventsAcrossNodes(t *testing.T) {
	srv := testredis.Start(t, testredis.Options{AOF: true})
	keys, err := holdqueue.LoadKeys(filepath.Join(t.TempDir(), "hq.key"))
	if err != nil {
		t.Fatal(err)
	}
	webNode := openRedisStore(t, srv.Addr(), keys)
	mailNode := openRedisStore(t, srv.Addr(), keys)
	e := newEnv(t, envOpts{deps: func(d *Deps) { d.Store = webNode }})
	e.store = nil // this env's embedded store is not the one the page shows
	c, _ := e.login(testUser, testPass)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/events", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() (event, data string) {
		t.Helper()
		for lines.Scan() {
			l := lines.Text()
			switch {
			case strings.HasPrefix(l, "event: "):
				event = strings.TrimPrefix(l, "event: ")
			case strings.HasPrefix(l, "data: "):
				data = strings.TrimPrefix(l, "data: ")
			case l == "" && event != "":
				return event, data
			}
		}
		t.Fatalf("stream ended: %v", lines.Err())
		return "", ""
	}
	if ev, data := next(); ev != "status" || !strings.Contains(data, `"state_held":"0"`) {
		t.Fatalf("first event %s %s, want status with nothing held", ev, data)
	}
	id, err := mailNode.Hold(context.Background(), &holdqueue.NewMessage{
		Envelope: holdqueue.Envelope{MailFrom: "a@example.net", RcptTo: []string{"b@example.org"}},
		Subject:  "from the other node", Deadline: time.Now().Add(time.Hour), Data: []byte("Subject: x\r\n\r\nx\r\n"),
	})
	if err != nil {
		t.Fatal(err)
	}
	sawChange := false
	for {
		ev, data := next()
		if ev == "change" && strings.Contains(data, id) && strings.Contains(data, `"state":"held"`) {
			sawChange = true
		}
		if ev == "status" && sawChange {
			if !strings.Contains(data, `"state_held":"1"`) {
				t.Errorf("status after the hold: %s", data)
			}
			return
		}
	}
}
