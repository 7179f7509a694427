package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/ferrytool/ferry/internal/retry"
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
// error that might go away (a 5xx, a rate limit, a dropped connection; see
// errdefs.IsPermanent), waiting r.delay or an exponential back-off between
// attempts.
func (r *retryFlags) do(ctx context.Context, log *slog.Logger, f func() error) error {
	return retry.Do(ctx, retry.Policy{Times: r.times, Delay: r.delay,
		OnRetry: func(attempt int, wait time.Duration, err error) {
			log.Warn("failed, retrying", "attempt", attempt, "of", r.times, "in", wait, "error", err)
		}}, f)
}
