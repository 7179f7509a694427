package copier

import "context"

// Limiter bounds the blob transfers in flight. A copy whose Options have
// none makes its own of Options.Concurrency slots; callers running many
// copies at once (sync) pass one Limiter to all of them, so the limit
// holds for the whole run rather than per image.
//
// Small blobs (configs, tiny layers) also have a lane of their own: on a
// slow link, six large layers would otherwise hold every slot for minutes
// while a config of a few hundred bytes waits.
type Limiter struct {
	slots chan struct{}
	small chan struct{}
}

// smallBlob is the size below which a blob may take the small lane.
const smallBlob = 1 << 20

// smallLane is the number of extra slots for small blobs.
const smallLane = 2

// NewLimiter returns a Limiter of n slots (skopeo's default of 6 when
// n <= 0), plus a lane for small blobs.
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = defaultConcurrency
	}
	return &Limiter{slots: make(chan struct{}, n), small: make(chan struct{}, smallLane)}
}

// acquire waits for a slot for a blob of size bytes (negative: unknown)
// or the end of ctx, and returns the func that gives the slot back.
func (l *Limiter) acquire(ctx context.Context, size int64) (release func(), err error) {
	small := l.small
	if size < 0 || size >= smallBlob {
		small = nil // a nil channel never receives: no small lane
	}
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case small <- struct{}{}:
		return func() { <-l.small }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Size is the number of slots (the small lane apart).
func (l *Limiter) Size() int { return cap(l.slots) }
