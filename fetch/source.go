package fetch

import (
	"context"
	"errors"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// RangeReader is what a Fetcher reads blobs from: a source that can serve
// byte ranges of a blob (a registry, a CDN, any HTTP server). It must be
// safe for concurrent use: a Fetcher calls it from several connections.
type RangeReader interface {
	// ReadRange returns the bytes [off, off+n) of the blob d; n < 0 means
	// from off to the end, and off 0 with n < 0 the whole blob without a
	// Range header. A server that ignored the Range header and answered
	// with the whole blob makes ReadRange return ErrRangeIgnored together
	// with that body (starting at byte 0), so not a byte is wasted; the
	// caller closes it. Errors wrap the errdefs sentinels: ErrNotFound,
	// ErrUnauthorized and ErrDenied are final, ErrUnavailable and
	// ErrTooManyRequests are retried (see RetryAfterError).
	ReadRange(ctx context.Context, d ocispec.Descriptor, off, n int64) (io.ReadCloser, error)
}

// ErrRangeIgnored comes with a body holding the whole blob when the server
// ignored a Range request (some proxies and static servers do).
var ErrRangeIgnored = errors.New("the server ignored the byte range and sent the whole blob")

// Endpointer is implemented by RangeReaders that know which server serves
// the blob: connections to one endpoint share the Fetcher's per-host
// budget. Readers without it share a single budget.
type Endpointer interface {
	Endpoint(d ocispec.Descriptor) string
}

// RetryAfterError is implemented by errors that carry how long the server
// asked the client to wait (Retry-After, RFC 9110 section 10.2.3); the
// Fetcher waits that long instead of its own backoff.
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}
