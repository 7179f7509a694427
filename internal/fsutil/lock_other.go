//go:build !unix

package fsutil

import (
	"context"
	"fmt"
	"os"
)

// Lock only creates path here: without flock(2), processes are not kept
// apart (ferry targets Unix systems; this keeps the rest usable).
func Lock(ctx context.Context, path string) (*FileLock, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return TryLock(path)
}

// TryLock only creates path here, as Lock does.
func TryLock(path string) (*FileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FilePerm)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &FileLock{f: f}, nil
}

// TryLockFile cannot lock without flock(2): it reports f as taken, so
// callers fall back to a file of their own.
func TryLockFile(*os.File) error { return ErrLocked }
