// Package slots bounds how many of something run at once and decides who
// goes next: a freed slot goes to the waiter of highest priority, not the
// first come. fetch uses it for connections to a host (small blobs first,
// then the blob with most bytes left), copier for blob transfers (the
// smallest blob first).
package slots

import (
	"context"
	"sync"
)

// Pool is a set of slots. Its zero value has none; use New.
type Pool struct {
	mu      sync.Mutex
	size    int
	free    int
	waiters []*waiter // in arrival order
}

type waiter struct {
	prio  func() int64
	ready chan struct{}
}

// New returns a Pool of n free slots.
func New(n int) *Pool { return &Pool{size: n, free: n} }

// Acquire takes a slot, waiting for one as long as ctx allows. prio is
// called (under the pool's lock, so it must not block) whenever a slot is
// handed out while the caller waits: the highest value wins, ties go to
// the earliest waiter. It may be nil when a slot is free.
func (p *Pool) Acquire(ctx context.Context, prio func() int64) error {
	p.mu.Lock()
	if p.free > 0 {
		p.free--
		p.mu.Unlock()
		return nil
	}
	w := &waiter{prio: prio, ready: make(chan struct{})}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	p.mu.Lock()
	select {
	case <-w.ready:
		// Granted while giving up: pass the slot on.
		p.mu.Unlock()
		p.Release()
		return ctx.Err()
	default:
	}
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			break
		}
	}
	p.mu.Unlock()
	return ctx.Err()
}

// Release returns a slot, handing it straight to the best waiter.
func (p *Pool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.waiters) == 0 {
		p.free++
		return
	}
	best, bestPrio := 0, p.waiters[0].prio()
	for i, w := range p.waiters[1:] {
		if pr := w.prio(); pr > bestPrio {
			best, bestPrio = i+1, pr
		}
	}
	w := p.waiters[best]
	p.waiters = append(p.waiters[:best], p.waiters[best+1:]...)
	close(w.ready)
}

// Size is the number of slots.
func (p *Pool) Size() int { return p.size }

// Free and Waiting say how many slots are free and how many callers wait,
// for tests and diagnostics.
func (p *Pool) Free() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.free
}

// Waiting is the number of callers waiting for a slot.
func (p *Pool) Waiting() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}
