package errdefs_test

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/ferrytool/ferry/errdefs"
)

// TestIsPermanent: the one rule every retry loop uses.
func TestIsPermanent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{fmt.Errorf("x: %w", errdefs.ErrNotFound), true},
		{fmt.Errorf("x: %w", errdefs.ErrDigestMismatch), true},
		{fmt.Errorf("x: %w", errdefs.ErrInvalidArchive), true},
		{context.Canceled, true},
		{errdefs.Permanent(errors.New("disk full")), true},
		{fmt.Errorf("writing: %w", errdefs.Permanent(syscall.ENOSPC)), true},
		{fmt.Errorf("x: %w", errdefs.ErrUnavailable), false},
		{fmt.Errorf("x: %w", errdefs.ErrTooManyRequests), false},
		{syscall.ECONNREFUSED, false},
		{errors.New("connection reset"), false},
	}
	for _, tt := range tests {
		if got := errdefs.IsPermanent(tt.err); got != tt.want {
			t.Errorf("IsPermanent(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	// Marking keeps the kind visible.
	if err := errdefs.Permanent(fmt.Errorf("%w: x", errdefs.ErrUnavailable)); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Error("Permanent hides the error's kind")
	}
}
