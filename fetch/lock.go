package fetch

import (
	"context"

	"github.com/ferrytool/ferry/internal/fsutil"
)

// errLocked: another process (or Fetcher) holds the entry.
var errLocked = fsutil.ErrLocked

// lockFile takes the exclusive lock on a cache entry (see fsutil.Lock), so
// that two processes never write one partial blob. With wait it waits as
// long as ctx allows; without, it returns errLocked at once.
func lockFile(ctx context.Context, path string, wait bool) (*fsutil.FileLock, error) {
	if !wait {
		return fsutil.TryLock(path)
	}
	return fsutil.Lock(ctx, path)
}

// unlockFile releases and removes the entry's lock file.
func unlockFile(l *fsutil.FileLock) { l.Unlock() }
