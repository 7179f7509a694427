package fetch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/ferrytool/ferry/internal/retry"
)

// maxRetryAfter caps how long a server's Retry-After can make a connection
// wait before its next attempt; a server asking for longer fails the fetch.
const maxRetryAfter = 2 * time.Minute

// permanent marks a local failure no retry can fix, such as a full disk
// (errdefs.Permanent).
func permanent(err error) error { return errdefs.Permanent(err) }

// retryable reports whether a failed request is worth another attempt:
// 429, 5xx, resets and stalls are; anything errdefs.IsPermanent says no
// attempt cures (a refusal for good, a content mismatch, a local disk
// failure) is not, and neither is a refused connection: nothing listens,
// and the caller's own retries (--retry-times) decide whether to wait for it.
func retryable(err error) bool {
	return !errdefs.IsPermanent(err) && !retry.Refused(err) && waitTooLong(err) == nil
}

// waitTooLong explains a Retry-After longer than maxRetryAfter: the fetch
// fails at once, saying so, rather than keep a copy alive for hours.
func waitTooLong(err error) error {
	var ra RetryAfterError
	if errors.As(err, &ra) && ra.RetryAfter() > maxRetryAfter {
		return fmt.Errorf("%w (the server asks to wait %v before trying again, longer than the %v ferry waits)",
			err, ra.RetryAfter(), maxRetryAfter)
	}
	return nil
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
