//go:build unix

package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// errLocked: another process (or Fetcher) holds the entry.
var errLocked = errors.New("in use by another fetch")

// lockPoll is how often a waiting lock is tried again.
const lockPoll = 50 * time.Millisecond

// lockFile takes an exclusive flock(2) on path, creating it, so that two
// processes never write one partial blob. With wait it waits as long as
// ctx allows; without, it returns errLocked at once. The kernel drops the
// lock when the process dies, however it dies.
func lockFile(ctx context.Context, path string, wait bool) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			// The holder before us may have removed the file after we
			// opened it; a lock on an unlinked file protects nothing.
			st, serr := f.Stat()
			cur, cerr := os.Stat(path)
			if serr == nil && cerr == nil && os.SameFile(st, cur) {
				return f, nil
			}
			f.Close()
			continue
		}
		f.Close()
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !wait {
			return nil, errLocked
		}
		if err := sleep(ctx, lockPoll); err != nil {
			return nil, err
		}
	}
}

// unlockFile removes the lock file (while still holding it, so no one can
// lock the old inode afterwards unnoticed) and releases it.
func unlockFile(f *os.File) {
	os.Remove(f.Name())
	f.Close()
}
