//go:build !unix

package layout

import (
	"context"
	"fmt"

	"github.com/ferrytool/ferry/errdefs"
)

// lockPath is unavailable without flock(2): ferry targets Unix systems.
func lockPath(ctx context.Context, path string) (func(), error) {
	return nil, fmt.Errorf("lock %s: %w: file locking on this system", path, errdefs.ErrNotSupported)
}
