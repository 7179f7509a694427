package copier

import "context"

// Limiter bounds the blob transfers in flight. A copy whose Options have
// none makes its own of Options.Concurrency slots; callers running many
// copies at once (sync) pass one Limiter to all of them, so the limit
// holds for the whole run rather than per image.
type Limiter struct {
	slots chan struct{}
}

// NewLimiter returns a Limiter of n slots (skopeo's default of 6 when
// n <= 0).
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = defaultConcurrency
	}
	return &Limiter{slots: make(chan struct{}, n)}
}

// acquire waits for a slot or the end of ctx.
func (l *Limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Limiter) release() { <-l.slots }

// Size is the number of slots.
func (l *Limiter) Size() int { return cap(l.slots) }
