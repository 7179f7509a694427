package fetch

import (
	"context"

	"github.com/ferrytool/ferry/internal/slots"
)

// budget bounds the connections open to one endpoint across every blob a
// Fetcher fetches. A slot is held for one request. When a slot frees it
// goes to the waiter whose priority is highest (a small blob, else the blob
// with the most bytes no connection holds yet), ties to the earliest: small
// blobs are never starved behind the ranges of large ones, the largest
// blobs start early and, as they shrink, share the connections with the rest, so
// the transfer ends about when the total bandwidth allows rather than when
// the largest blob alone would on one connection.
type budget struct{ *slots.Pool }

func newBudget(n int) *budget { return &budget{slots.New(n)} }

// acquire takes a slot, waiting for one as long as ctx allows (see
// slots.Pool.Acquire for prio).
func (b *budget) acquire(ctx context.Context, prio func() int64) error { return b.Acquire(ctx, prio) }

// release returns a slot, handing it straight to the best waiter.
func (b *budget) release() { b.Release() }
