// Package notify fans a "something changed" signal out to in-process
// subscribers. Each subscriber has a one-slot channel: signals coalesce,
// and a slow reader never stalls the writer. Subscribers re-read whatever
// state they follow; the signal carries nothing.
package notify

import (
	"context"
	"sync"
)

// Notifier is safe for concurrent use; the zero value is not (use New).
type Notifier struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// New returns a Notifier with no subscribers.
func New() *Notifier { return &Notifier{subs: map[chan struct{}]struct{}{}} }

// Subscribe returns a channel that receives a value after each Notify
// (coalesced), and is closed once ctx ends.
func (n *Notifier) Subscribe(ctx context.Context) <-chan struct{} {
	ch := make(chan struct{}, 1)
	n.mu.Lock()
	n.subs[ch] = struct{}{}
	n.mu.Unlock()
	go func() {
		<-ctx.Done()
		n.mu.Lock()
		delete(n.subs, ch)
		n.mu.Unlock()
		close(ch)
	}()
	return ch
}

// Notify signals every subscriber without blocking.
func (n *Notifier) Notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
