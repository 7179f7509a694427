package copier

import (
	"context"

	"github.com/ferrytool/ferry/transport"
)

func copyImage(ctx context.Context, src, dst transport.Reference, o *Options) (*Result, error) {
	return nil, transport.NotYet("copier", "engine")
}
