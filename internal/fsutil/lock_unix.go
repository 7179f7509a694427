//go:build unix

package fsutil

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Lock takes an exclusive flock(2) on path, creating the file, waiting
// (as long as ctx allows) while another holder has it. Other processes
// and other goroutines (each open file is locked separately) are kept
// out. The kernel drops the lock when the process dies, however it dies.
//
// Unlock removes the file before releasing it, so nothing is left once no
// one holds it. A waiter that then acquires the lock on the removed file
// finds the path gone or naming another file, and tries again: the usual
// flock-and-unlink protocol.
func Lock(ctx context.Context, path string) (*FileLock, error) {
	return lock(ctx, path, true)
}

// TryLock is Lock without the wait: it returns ErrLocked at once when
// another holder has path.
func TryLock(path string) (*FileLock, error) {
	return lock(context.Background(), path, false)
}

func lock(ctx context.Context, path string, wait bool) (*FileLock, error) {
	delay := time.Millisecond
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FilePerm)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		for {
			err = TryLockFile(f)
			if !errors.Is(err, ErrLocked) {
				break
			}
			if !wait {
				f.Close()
				return nil, ErrLocked
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
			return &FileLock{f: f}, nil
		}
		// The previous holder removed (or replaced) the file: a lock on
		// an unlinked file protects nothing.
		f.Close()
	}
}

// TryLockFile takes an exclusive flock(2) on the open file f without
// waiting, for a file that is itself the thing written (a partial archive
// resumed by the next run): ErrLocked when another holder has it. The lock
// lasts until f is closed.
func TryLockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return ErrLocked
		}
		return err
	}
}
