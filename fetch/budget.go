package fetch

import (
	"context"
	"sync"
)

// budget bounds the connections open to one endpoint across every blob a
// Fetcher fetches. A slot is held for one request. When a slot frees it
// goes to the waiter whose priority is highest (a small blob, else the blob
// with the most bytes no connection holds yet), ties to the earliest: small
// blobs are never starved behind the ranges of large ones, the largest
// blobs start early and, as they shrink, share the connections with the rest, so
// the transfer ends about when the total bandwidth allows rather than when
// the largest blob alone would on one connection.
type budget struct {
	mu      sync.Mutex
	free    int
	waiters []*waiter // in arrival order
}

type waiter struct {
	prio  func() int64
	ready chan struct{}
}

func newBudget(n int) *budget { return &budget{free: n} }

// acquire takes a slot, waiting for one as long as ctx allows. prio is
// called (under the budget's lock, so it must not block) whenever a slot is
// handed out.
func (b *budget) acquire(ctx context.Context, prio func() int64) error {
	b.mu.Lock()
	if b.free > 0 {
		b.free--
		b.mu.Unlock()
		return nil
	}
	w := &waiter{prio: prio, ready: make(chan struct{})}
	b.waiters = append(b.waiters, w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	select {
	case <-w.ready:
		// Granted while giving up: pass the slot on.
		b.mu.Unlock()
		b.release()
		return ctx.Err()
	default:
	}
	for i, x := range b.waiters {
		if x == w {
			b.waiters = append(b.waiters[:i], b.waiters[i+1:]...)
			break
		}
	}
	b.mu.Unlock()
	return ctx.Err()
}

// release returns a slot, handing it straight to the best waiter.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiters) == 0 {
		b.free++
		return
	}
	best, bestPrio := 0, b.waiters[0].prio()
	for i, w := range b.waiters[1:] {
		if p := w.prio(); p > bestPrio {
			best, bestPrio = i+1, p
		}
	}
	w := b.waiters[best]
	b.waiters = append(b.waiters[:best], b.waiters[best+1:]...)
	close(w.ready)
}
