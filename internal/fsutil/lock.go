package fsutil

import (
	"errors"
	"os"
)

// ErrLocked is TryLock's answer when another holder has the lock.
var ErrLocked = errors.New("in use by another writer")

// FileLock is a held lock on a file (see Lock).
type FileLock struct{ f *os.File }

// Unlock removes the lock file (while still holding it, so no one can lock
// the old inode afterwards unnoticed) and releases the lock. It is safe to
// call more than once.
func (l *FileLock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	os.Remove(l.f.Name())
	l.f.Close()
	l.f = nil
}
