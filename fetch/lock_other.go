//go:build !unix

package fetch

import (
	"context"
	"errors"
	"fmt"
	"os"
)

var errLocked = errors.New("in use by another fetch")

// lockFile only opens path here: without flock(2), two processes sharing a
// cache directory are not kept apart (one Fetcher still never fetches a
// digest twice at once).
func lockFile(ctx context.Context, path string, wait bool) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return f, nil
}

func unlockFile(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}
