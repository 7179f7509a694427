//go:build !unix

package hints

import "context"

// lock is a no-op where flock(2) does not exist: concurrent saves may then
// lose each other's newest hints, which costs uploads, never correctness.
func lock(ctx context.Context, path string) (func(), error) { return func() {}, nil }
