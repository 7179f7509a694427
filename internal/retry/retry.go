// Package retry is ferry's one retry helper: the loop behind skopeo's
// --retry-times and --retry-delay, with errdefs.IsPermanent as the rule for
// what is not worth another attempt, and the classification of network
// failures the lower layers share.
package retry

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// Policy is how often and how long to retry. The zero value tries once.
type Policy struct {
	// Times is how many more attempts follow a failed first one.
	Times int
	// Delay is the fixed wait between attempts; 0 means an exponential
	// back-off from one second (1 s, 2 s, 4 s, ... up to 32 s), as skopeo.
	Delay time.Duration
	// OnRetry, when set, hears about each failure that is retried.
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Do runs f, and again up to p.Times more times while it fails with an
// error that is not permanent (errdefs.IsPermanent) and ctx is live. It
// returns f's last error.
func Do(ctx context.Context, p Policy, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || attempt >= p.Times || errdefs.IsPermanent(err) || ctx.Err() != nil {
			return err
		}
		wait := p.Delay
		if wait <= 0 {
			wait = Backoff(attempt+1, time.Second, 32*time.Second)
		}
		if p.OnRetry != nil {
			p.OnRetry(attempt+1, wait, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// Backoff is the wait before attempt n+1 (n >= 1): base doubled per
// attempt, never more than limit.
func Backoff(n int, base, limit time.Duration) time.Duration {
	d := base << min(max(n-1, 0), 30)
	if d <= 0 || d > limit {
		return limit
	}
	return d
}

// Refused reports a connection the host refused (nothing listens on the
// port). Such a failure is not retried inside one attempt: the user's
// --retry-times decides how often to try again, as with skopeo.
func Refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
