package notify

import (
	"context"
	"testing"
	"time"
)

func TestNotifyCoalescesAndCloses(t *testing.T) {
	n := New()
	ctx, cancel := context.WithCancel(context.Background())
	ch := n.Subscribe(ctx)
	n.Notify()
	n.Notify() // coalesced with the first
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatal("no signal")
	}
	select {
	case <-ch:
		t.Fatal("two signals for two coalesced notifies")
	default:
	}
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("want the channel closed after cancel")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
	n.Notify() // no subscriber left: must not block or panic
}
