package copier

import (
	"context"
	"math"

	"github.com/ferrytool/ferry/internal/slots"
)

// Limiter bounds the blob transfers in flight. A copy whose Options have
// none makes its own of Options.Concurrency slots; callers running many
// copies at once (sync) pass one Limiter to all of them, so the limit
// holds for the whole run rather than per image.
//
// A freed slot goes to the smallest blob waiting (ties to the earliest):
// on a slow link a config of a few hundred bytes must not wait for every
// large layer queued before it, only for the first slot to free.
type Limiter struct{ p *slots.Pool }

// NewLimiter returns a Limiter of n slots (skopeo's default of 6 when
// n <= 0).
func NewLimiter(n int) *Limiter {
	if n <= 0 {
		n = defaultConcurrency
	}
	return &Limiter{p: slots.New(n)}
}

// acquire waits for a slot for a blob of size bytes (negative: unknown,
// served after every known size) or the end of ctx.
func (l *Limiter) acquire(ctx context.Context, size int64) error {
	prio := int64(math.MinInt64)
	if size >= 0 {
		prio = -size
	}
	return l.p.Acquire(ctx, func() int64 { return prio })
}

func (l *Limiter) release() { l.p.Release() }

// Size is the number of slots.
func (l *Limiter) Size() int { return l.p.Size() }
