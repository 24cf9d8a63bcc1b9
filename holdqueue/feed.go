package holdqueue

import (
	"context"
	"sync"
)

// feed fans state changes out to in-process subscribers (the embedded
// store's change feed; the Redis store reads its stream into one too).
type feed struct {
	mu   sync.Mutex
	subs map[chan Change]struct{}
	done chan struct{}
	once sync.Once
}

func newFeed() *feed { return &feed{subs: map[chan Change]struct{}{}, done: make(chan struct{})} }

// subscribe returns a channel that gets changes until ctx ends.
func (f *feed) subscribe(ctx context.Context) <-chan Change {
	ch := make(chan Change, 1024)
	f.mu.Lock()
	f.subs[ch] = struct{}{}
	f.mu.Unlock()
	go func() {
		select {
		case <-ctx.Done():
		case <-f.done:
		}
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
		close(ch)
	}()
	return ch
}

// publish never blocks: a subscriber that does not keep up misses changes
// (it re-reads the state it shows), rather than stalling the store.
func (f *feed) publish(cs ...Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		for _, c := range cs {
			select {
			case ch <- c:
			default:
			}
		}
	}
}

// closeAll ends every subscription (the store is closing).
func (f *feed) closeAll() { f.once.Do(func() { close(f.done) }) }
