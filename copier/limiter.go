package copier

import (
	"context"
	"sync"
)

// Limiter bounds the blob transfers in flight. A copy whose Options have
// none makes its own of Options.Concurrency slots; callers running many
// copies at once (sync) pass one Limiter to all of them, so the limit
// holds for the whole run rather than per image.
//
// A freed slot goes to the smallest blob waiting (ties to the earliest):
// on a slow link a config of a few hundred bytes must not wait for every
// large layer queued before it, only for the first slot to free.
type Limiter struct {
	mu      sync.Mutex
	size    int
	free    int
	waiters []*limitWaiter // in arrival order
}

type limitWaiter struct {
	size  int64
	ready chan struct{}
}

// NewLimiter returns a Limiter of n slots (skopeo's default of 6 when
// n <= 0).
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = defaultConcurrency
	}
	return &Limiter{size: n, free: n}
}

// acquire waits for a slot for a blob of size bytes (negative: unknown,
// served after every known size) or the end of ctx.
func (l *Limiter) acquire(ctx context.Context, size int64) error {
	l.mu.Lock()
	if l.free > 0 {
		l.free--
		l.mu.Unlock()
		return nil
	}
	if size < 0 {
		size = 1<<63 - 1
	}
	w := &limitWaiter{size: size, ready: make(chan struct{})}
	l.waiters = append(l.waiters, w)
	l.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	l.mu.Lock()
	select {
	case <-w.ready:
		// Granted while giving up: pass the slot on.
		l.mu.Unlock()
		l.release()
		return ctx.Err()
	default:
	}
	for i, x := range l.waiters {
		if x == w {
			l.waiters = append(l.waiters[:i], l.waiters[i+1:]...)
			break
		}
	}
	l.mu.Unlock()
	return ctx.Err()
}

// release frees a slot, handing it to the smallest blob waiting.
func (l *Limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.waiters) == 0 {
		l.free++
		return
	}
	best := 0
	for i, w := range l.waiters {
		if w.size < l.waiters[best].size {
			best = i
		}
	}
	w := l.waiters[best]
	l.waiters = append(l.waiters[:best], l.waiters[best+1:]...)
	close(w.ready)
}

// Size is the number of slots.
func (l *Limiter) Size() int { return l.size }
