package retry

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/ferrytool/ferry/errdefs"
)

// TestDo: --retry-times retries what may go away (a refused connection
// included: the lower layers leave that to the user) and stops at once on
// a permanent error.
func TestDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		err   error
		times int
		calls int
	}{
		{"refused, 2 retries", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), 2, 3},
		{"unavailable, no retries", errdefs.ErrUnavailable, 0, 1},
		{"not found", fmt.Errorf("x: %w", errdefs.ErrNotFound), 5, 1},
		{"marked permanent", errdefs.Permanent(errors.New("tls")), 5, 1},
	}
	for _, tt := range tests {
		calls, retried := 0, 0
		err := Do(context.Background(), Policy{Times: tt.times, Delay: time.Nanosecond,
			OnRetry: func(int, time.Duration, error) { retried++ }}, func() error {
			calls++
			return tt.err
		})
		if calls != tt.calls || retried != tt.calls-1 || !errors.Is(err, tt.err) {
			t.Errorf("%s: %d calls, %d retries, %v; want %d calls", tt.name, calls, retried, err, tt.calls)
		}
	}
	if !Refused(fmt.Errorf("x: %w", syscall.ECONNREFUSED)) || Refused(errdefs.ErrUnavailable) {
		t.Error("Refused misclassifies")
	}
	if got := Backoff(1, time.Second, 32*time.Second); got != time.Second {
		t.Errorf("Backoff(1) = %v", got)
	}
	if got := Backoff(40, time.Second, 32*time.Second); got != 32*time.Second {
		t.Errorf("Backoff(40) = %v", got)
	}
}
