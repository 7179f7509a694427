package cli

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/errdefs"
	"github.com/spf13/pflag"
)

// retryFlags are skopeo's --retry-times and --retry-delay.
type retryFlags struct {
	times int
	delay time.Duration
}

func (r *retryFlags) register(fs *pflag.FlagSet) {
	fs.IntVar(&r.times, "retry-times", 0, "the number of times to possibly retry")
	fs.DurationVar(&r.delay, "retry-delay", 0, "fixed delay between retries (default: exponential back-off from 1s)")
}

// do runs f, and again up to r.times more times while it fails with an
// error that might go away (a 5xx, a rate limit, a dropped connection),
// waiting r.delay or an exponential back-off between attempts.
func (r *retryFlags) do(ctx context.Context, log *slog.Logger, f func() error) error {
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || attempt >= r.times || permanent(err) || ctx.Err() != nil {
			return err
		}
		wait := r.delay
		if wait <= 0 {
			wait = time.Second << min(attempt, 5)
		}
		log.Warn("failed, retrying", "attempt", attempt+1, "of", r.times, "in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// permanent reports errors a retry cannot fix.
func permanent(err error) bool {
	for _, e := range []error{
		errdefs.ErrNotFound, errdefs.ErrUnauthorized, errdefs.ErrDenied,
		errdefs.ErrInvalidArgument, errdefs.ErrInvalidReference, errdefs.ErrNotSupported,
		errdefs.ErrInvalidManifest, errdefs.ErrInvalidArchive, errdefs.ErrDigestMismatch,
		errdefs.ErrSizeMismatch, context.Canceled, context.DeadlineExceeded,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
