package fetch

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// maxRetryAfter caps how long a server's Retry-After can make a connection
// wait before its next attempt.
const maxRetryAfter = 2 * time.Minute

// permanentError marks a local failure no retry can fix, such as a full
// disk.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// finalKinds are the errdefs sentinels a new attempt cannot change: the
// blob is not there, access is refused, or its content is wrong.
var finalKinds = []error{
	errdefs.ErrNotFound, errdefs.ErrUnauthorized, errdefs.ErrDenied,
	errdefs.ErrDigestMismatch, errdefs.ErrSizeMismatch, errdefs.ErrInvalidArgument,
	errdefs.ErrNotSupported, errdefs.ErrInvalidReference,
}

// retryable reports whether a failed request is worth another attempt:
// 429, 5xx, connection failures, resets and stalls are; anything a server
// refused for good, a content mismatch or a local disk failure is not.
func retryable(err error) bool {
	var p *permanentError
	if errors.As(err, &p) {
		return false
	}
	for _, k := range finalKinds {
		if errors.Is(err, k) {
			return false
		}
	}
	return true
}

// backoff is how long to wait before attempt number n+1 after err: the
// server's Retry-After when it sent one, otherwise base doubled per attempt
// up to 16 times base, with a little jitter so connections do not retry in
// lock step.
func backoff(err error, attempt int, base time.Duration) time.Duration {
	var ra RetryAfterError
	if errors.As(err, &ra) {
		if d := ra.RetryAfter(); d > 0 {
			return min(d, maxRetryAfter)
		}
	}
	d := base << min(attempt-1, 4)
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
