package copier

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

// Copy copies the image src names to dst.
func Copy(ctx context.Context, src, dst transport.Reference, o Options) (*Result, error) {
	return copyImage(ctx, src, dst, &o)
}
