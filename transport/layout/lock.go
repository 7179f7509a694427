//go:build unix

package layout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockPath takes an exclusive flock(2) on path, creating the file, and
// returns the function that releases it. Writers in other processes (and
// other goroutines: each open file is locked separately) wait their turn,
// polling so that ctx can cancel the wait.
//
// The holder removes the file before releasing it, so a layout keeps no
// lock file once no one is writing. A waiter that then acquires the lock
// on the removed file finds the path gone or naming another file, and
// tries again; this is the usual flock-and-unlink protocol.
func lockPath(ctx context.Context, path string) (unlock func(), err error) {
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		for {
			err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
			if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
				break
			}
			select {
			case <-ctx.Done():
				f.Close()
				return nil, ctx.Err()
			case <-time.After(delay):
			}
			delay = min(2*delay, 50*time.Millisecond)
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		held, herr := f.Stat()
		now, nerr := os.Stat(path)
		if herr == nil && nerr == nil && os.SameFile(held, now) {
			return func() {
				os.Remove(path)
				f.Close()
			}, nil
		}
		// The file was removed (or replaced) by the previous holder.
		f.Close()
	}
}
